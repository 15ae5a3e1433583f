"""Drift and integrity: a container filesystem against its image, signed baselines, and the
package manager's own digests against the files actually in the image."""
