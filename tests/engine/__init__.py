"""Tests of hmp_engine, with real MediaPipe, torch and rendering on small inputs."""
