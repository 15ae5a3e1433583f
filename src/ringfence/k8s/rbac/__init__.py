"""RBAC: effective permissions, who-can, and the escalation graph with shortest paths."""
