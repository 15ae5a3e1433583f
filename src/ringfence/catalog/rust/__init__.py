"""Rust: ``Cargo.lock`` files and cargo-auditable binaries (``.dep-v0`` ELF section)."""
