"""The hand motion prior: a VAE over windows of finger motion, its data, training and synthetic corpus."""
