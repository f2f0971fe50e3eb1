"""Bundled data (open hand model, default prior, sample video, presets), installed as `hmp_resources`."""
