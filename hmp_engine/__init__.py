"""HMP engine: hand motion recovery from video without any GUI dependency."""

__version__ = "0.1.0"
