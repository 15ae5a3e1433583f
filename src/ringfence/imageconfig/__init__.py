"""Image-config rules (IMG-0NN): config, history, reference, inventory and file metadata."""
