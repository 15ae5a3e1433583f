"""Hardening: what an image needs, emitted as docker/podman flags, an OCI patch, a Kubernetes
securityContext and a seccomp profile."""
