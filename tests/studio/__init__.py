"""Tests of hmp_studio: the real main window and its parts under Qt's offscreen platform."""
