"""Dock panels beside the video: the Fit panel with its weights tree and loss plot, and the compare plot."""
