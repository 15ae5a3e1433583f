"""ringfence: defense in depth for containers (image, host and platform rings)."""

__version__ = "0.1.0"
