"""The threat model: the catalogue (catalog.toml), per-workload depth (rings holding per
threat) and cross-ring chains. Membership of a rule in a threat comes from ``Rule.threats``."""
