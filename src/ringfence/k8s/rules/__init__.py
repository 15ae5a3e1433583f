"""Platform-ring rules: Pod Security Standards, workloads, secrets, environments, control
plane. ``rules.K8S_CHECKS`` is the one list of what runs."""
