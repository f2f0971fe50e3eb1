"""Benchmarks of the engine: speed (frames per second of each processing step) and, later, accuracy."""
