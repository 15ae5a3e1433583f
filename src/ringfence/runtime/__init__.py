"""Ring 2, container runtime: declared configs (inspect JSON, OCI config.json) normalised to
one spec, the effective state of live containers from /proc, seccomp filters, RT rules."""
