"""Seccomp profiles: syscall tables, recording a workload's profile, linting any profile."""
