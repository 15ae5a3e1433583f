"""Version schemes, one module per scheme. Imports nothing else from ringfence."""
