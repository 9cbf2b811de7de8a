"""Shapes-world unCLIP: data, models, training, export and the PyTorch reference sampler."""
