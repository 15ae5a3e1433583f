"""Secrets in image layers (including deleted files) and in the image config (IMG-1NN)."""
