"""Go: modules embedded in compiled binaries (build info) and ``go.mod`` files."""
