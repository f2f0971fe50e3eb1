"""The one error every export raises: what could not be exported and why, in a line for the user."""

from __future__ import annotations


class ExportError(Exception):
    """An export that cannot be done (no fit, unwritable path, Blender missing...); no file is left behind."""
