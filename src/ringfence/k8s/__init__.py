"""Ring 3, the platform: Kubernetes manifests and live clusters."""
