"""Ring 2, the host: facts read under a root (``/`` or a mounted host root) and HOST rules."""
