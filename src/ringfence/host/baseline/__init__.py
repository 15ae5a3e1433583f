"""Controlled host configuration: signed snapshots of what a container host's security rests
on (``snapshot``), and scored drift against them (``drift``)."""
