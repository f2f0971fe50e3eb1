"""Offscreen overlay rendering of fitted hands on video frames (pyrender; EGL when headless). No Qt here.

Modules: ``context`` (OpenGL platform and errors), ``hands`` (a fitted hand's meshes per frame, cached by chunks),
``crop`` (the region the hands cover), ``draw`` (2D keypoints and joints), ``overlay`` (`OverlayRenderer`),
``fit_inputs`` (a project's fits as renderer inputs), ``overlay_video`` (the mp4 of a frame range).
"""

from hmp_engine.render.context import RenderError, select_platform
from hmp_engine.render.fit_inputs import fit_camera, fit_models, overlay_renderer, project_keypoints
from hmp_engine.render.hands import HandFrame, HandSequence
from hmp_engine.render.overlay import STYLES, HandStyle, MeshLayer, OverlayOptions, OverlayRenderer
from hmp_engine.render.overlay_video import write_overlay_video

__all__ = [
    "STYLES", "HandFrame", "HandSequence", "HandStyle", "MeshLayer", "OverlayOptions", "OverlayRenderer",
    "RenderError", "fit_camera", "fit_models", "overlay_renderer", "project_keypoints", "select_platform",
    "write_overlay_video",
]
