"""`OverlayRenderer`: fitted hand meshes rendered with the fit's camera and composited on video frames, plus a mask.

One pyrender scene (an intrinsics camera and the hands' meshes) lives as long as the renderer and is drawn by the
calling thread's offscreen context (`context.thread_renderer`). Per frame only the hands' meshes are swapped (a
new 1360-vertex mesh costs about 0.2 ms more than overwriting its GL buffer in place, which would need pyrender's
private attributes) and only the region the hands cover is drawn: the viewport is that region and the camera's
principal point moves by its origin. Pixel centres follow OpenCV
(pixel (0, 0) is centred on (0, 0)); OpenGL centres them on half pixels, hence the half-pixel shift of the
principal point. The mesh is drawn with pyrender's flat shader and per-vertex shading (see `hands`), antialiased
by 4x multisampling; its coverage is the alpha used for blending and, above one half, the returned mask.

A renderer may be made on any thread and render on any thread, one call at a time (it is not thread-safe).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hmp_engine.camera import Camera
from hmp_engine.render.context import RenderError, load_pyrender, thread_renderer
from hmp_engine.render.crop import Viewport, full_viewport, hands_viewport
from hmp_engine.render.draw import draw_joints, draw_keypoints
from hmp_engine.render.hands import HandFrame, HandSequence

Z_NEAR, Z_FAR = 0.01, 100.0
"""Clipping planes of the render camera in metres."""
MIN_CROP_DEPTH = 0.05
"""A hand with a vertex nearer than this (metres) may project anywhere: such frames are rendered whole."""

_CV_TO_GL = np.diag([1.0, -1.0, -1.0, 1.0])  # camera pose: OpenCV axes (y down, z forward) -> OpenGL (y up, z back)


@dataclass(frozen=True)
class HandStyle:
    """Colours of one side: mesh (RGB in [0, 1]), detected keypoints and reprojected joints (RGB 0-255)."""

    mesh: tuple[float, float, float]
    keypoints: tuple[int, int, int]
    joints: tuple[int, int, int]


STYLES: dict[str, HandStyle] = {
    "right": HandStyle(mesh=(0.36, 0.62, 0.98), keypoints=(40, 230, 120), joints=(255, 225, 40)),
    "left": HandStyle(mesh=(0.98, 0.56, 0.26), keypoints=(230, 60, 220), joints=(80, 230, 255)),
}


@dataclass(frozen=True)
class OverlayOptions:
    """What the overlay shows: the meshes (at ``opacity``), detected keypoints, reprojected joints; ``crop``
    renders only the region the hands cover (False renders the whole frame: same pixels, slower)."""

    mesh: bool = True
    keypoints: bool = False
    joints: bool = False
    opacity: float = 0.8
    crop: bool = True


@dataclass(frozen=True)
class MeshLayer:
    """The rendered meshes of a frame: RGBA (h, w, 4) uint8 over ``viewport`` of the image."""

    rgba: np.ndarray
    viewport: Viewport


class OverlayRenderer:
    """Draws a project's fitted hands over its frames: ``render(frame_index, image) -> (image, mask)``."""

    def __init__(self, hands: dict[str, HandSequence], camera: Camera,
                 keypoints: dict[str, np.ndarray] | None = None, options: OverlayOptions = OverlayOptions()) -> None:
        self.hands = hands
        self.camera = camera
        self.keypoints = keypoints or {}
        self.options = options
        self._scene: _Scene | None = None

    @property
    def num_frames(self) -> int:
        """Frames with a fit or keypoints (from the video's first frame)."""
        counts = [hand.num_frames for hand in self.hands.values()]
        return max(counts + [len(points) for points in self.keypoints.values()], default=0)

    def render(self, frame_index: int, image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A copy of the (H, W, 3) uint8 RGB frame with the overlay drawn on it, and the (H, W) bool mask of the
        pixels the meshes cover (empty when meshes are off or no hand is fitted at this frame)."""
        width, height = self.camera.image_size
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise RenderError(f"frame {frame_index} is {image.shape} {image.dtype}; the fit's camera expects "
                              f"({height}, {width}, 3) uint8")
        output, mask = image.copy(), np.zeros((height, width), dtype=bool)
        frames = {side: frame for side, hand in self.hands.items() if (frame := hand.frame(frame_index)) is not None}
        if self.options.mesh and (layer := self.render_meshes(frames)) is not None:
            _composite(output, mask, layer, self.options.opacity)
        if self.options.keypoints:
            for side, points in self.keypoints.items():
                if 0 <= frame_index < len(points):
                    draw_keypoints(output, points[frame_index], STYLES[side].keypoints)
        if self.options.joints:
            for side, frame in frames.items():
                draw_joints(output, frame.joints, STYLES[side].joints)
        return output, mask

    def render_meshes(self, frames: dict[str, HandFrame]) -> MeshLayer | None:
        """The hands of one frame rendered over their viewport, or None when none is in view."""
        viewport = self._viewport(frames)
        if viewport is None:
            return None
        pyrender = load_pyrender()
        if self._scene is None:
            self._scene = _Scene.create(self.camera)
        scene = self._scene.show([(frame, self.hands[side].faces) for side, frame in frames.items()])
        renderer = thread_renderer()
        self._scene.aim(renderer, self.camera, viewport)
        flags = pyrender.RenderFlags.RGBA | pyrender.RenderFlags.FLAT | pyrender.RenderFlags.SKIP_CULL_FACES
        rgba, _ = renderer.render(scene, flags=flags)
        return MeshLayer(rgba, viewport)

    def _viewport(self, frames: dict[str, HandFrame]) -> Viewport | None:
        """The region to render: the hands' projected box, or the whole image (crop off, or a hand too near)."""
        if not frames:
            return None
        size = self.camera.image_size
        if not self.options.crop or min(frame.min_depth for frame in frames.values()) < MIN_CROP_DEPTH:
            return full_viewport(size)
        return hands_viewport([frame.box for frame in frames.values()], size)


@dataclass
class _Scene:
    """A pyrender scene holding an intrinsics camera in the OpenCV frame and the meshes of the current frame."""

    scene: Any
    camera: Any
    material: Any

    @classmethod
    def create(cls, camera: Camera) -> _Scene:
        """An empty scene seen through ``camera``."""
        pyrender = load_pyrender()
        scene = pyrender.Scene(bg_color=(0.0, 0.0, 0.0, 0.0), ambient_light=(1.0, 1.0, 1.0))
        (fx, fy), (cx, cy) = camera.focal, camera.principal_point
        gl_camera = pyrender.IntrinsicsCamera(fx, fy, cx + 0.5, cy + 0.5, znear=Z_NEAR, zfar=Z_FAR)
        scene.add(gl_camera, pose=_CV_TO_GL)
        material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(1.0, 1.0, 1.0, 1.0))
        return cls(scene, gl_camera, material)

    def show(self, hands: list[tuple[HandFrame, np.ndarray]]) -> Any:
        """The scene with exactly the given hands (frame, faces) in it."""
        pyrender = load_pyrender()
        for node in list(self.scene.mesh_nodes):
            self.scene.remove_node(node)
        for frame, faces in hands:
            primitive = pyrender.Primitive(positions=frame.positions, color_0=frame.colors, indices=faces,
                                           material=self.material)
            self.scene.add(pyrender.Mesh([primitive]))
        return self.scene

    def aim(self, renderer: Any, camera: Camera, viewport: Viewport) -> None:
        """Set the renderer's viewport and the camera's principal point to draw the image region ``viewport``."""
        cx, cy = camera.principal_point
        self.camera.cx, self.camera.cy = cx + 0.5 - viewport.x, cy + 0.5 - viewport.y
        renderer.viewport_width, renderer.viewport_height = viewport.width, viewport.height


def _composite(image: np.ndarray, mask: np.ndarray, layer: MeshLayer, opacity: float) -> None:
    """Blend the layer's colours over the image by coverage x opacity, in place; set the mask where coverage > 1/2."""
    rows, cols = layer.viewport.clip((image.shape[1], image.shape[0]))
    local_rows, local_cols = layer.viewport.local((image.shape[1], image.shape[0]))
    rgba = layer.rgba[local_rows, local_cols]
    coverage = rgba[..., 3]
    mask[rows, cols] = coverage > 127
    weight = (coverage.astype(np.uint16) * round(255 * opacity) + 127) // 255
    region = image[rows, cols]
    blended = (rgba[..., :3] * weight[..., None] + region * (255 - weight[..., None]) + 127) // 255
    image[rows, cols] = blended.astype(np.uint8)
