"""Widgets and scene items that show the document: the video canvas and its overlays, timeline, 3D hand view, transport."""
