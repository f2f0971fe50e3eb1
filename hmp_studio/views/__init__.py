"""Widgets and scene items that show the document: video canvas and overlays, timeline, 3D hand view, transport bar."""
