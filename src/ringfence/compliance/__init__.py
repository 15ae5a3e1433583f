"""Compliance views: platform and host rules mapped to the NSA/CISA Kubernetes Hardening
Guide, the CIS Kubernetes Benchmark and MITRE ATT&CK for Containers (``mapping``), and the
per-control pass / fail / not-evaluated view of a run (``view``)."""
