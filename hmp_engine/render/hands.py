"""A fitted hand's meshes over a video, ready to draw: posed vertices, per-vertex shading, projected box and joints.

Frames are evaluated in chunks, each one batched call of the hand model (vertices and joints), vertex normals and
shading in torch, and the chunks are kept in a small LRU cache: playback and scrubbing near a frame cost only a
lookup, and a long video never holds all its meshes at once (about 10 MB per hand per 256 frames).

Shading is computed per vertex (Lambert with an ambient term, one light above and in front of the camera) and
interpolated by the rasteriser (Gouraud shading): the mesh is then drawn with a flat shader, several times
cheaper than pyrender's physically based one on a software rasteriser, and looks the same at this mesh density.
On infilled frames (the hand hidden or missed, its pose estimated) the mesh is drawn dimmed and greyed
(`INFILLED_TINT`); on absent frames (the hand out of the picture) there is no mesh.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from hmp_engine.camera import Camera
from hmp_engine.hand_model import HandModel
from hmp_engine.session import FIT_ARRAYS, HandFit

CHUNK_FRAMES = 256
CACHED_CHUNKS = 4
LIGHT_DIRECTION = (0.25, -0.55, -1.0)
"""Towards the light in the camera frame (OpenCV: y down, z forward): above the camera, a little to the right."""
AMBIENT, DIFFUSE = 0.42, 0.58
INFILLED_TINT = (0.45, 0.5)
"""Infilled frames: the shading keeps this share of the hand's colour and the rest turns grey, then is scaled by
the second factor (a dimmed grey hand tells an estimate from a seen hand at a glance)."""


@dataclass(frozen=True)
class HandFrame:
    """One frame of a hand: vertices (V, 3) in the camera frame, RGBA shading (V, 4) in [0, 1], the projected
    vertices' box (x0, y0, x1, y1) in pixels, projected MANO-21 joints (21, 2), the nearest vertex's depth, and
    whether the hand was seen on this frame (False: infilled)."""

    positions: np.ndarray
    colors: np.ndarray
    box: np.ndarray
    joints: np.ndarray
    min_depth: float
    observed: bool = True


@dataclass(frozen=True)
class _Chunk:
    """HandFrame fields for a run of consecutive frames (leading axis: frame)."""

    positions: np.ndarray
    colors: np.ndarray
    boxes: np.ndarray
    joints: np.ndarray
    min_depths: np.ndarray


class HandSequence:
    """One side's fitted hand over all frames of its fit, evaluated lazily by chunks (see the module docstring)."""

    def __init__(self, model: HandModel, fit: HandFit, camera: Camera, color: tuple[float, float, float]) -> None:
        missing = [name for name in FIT_ARRAYS if name not in fit.arrays]
        if missing:
            raise ValueError(f"the {model.side} hand's fit lacks {', '.join(missing)}")
        self.side = model.side
        self.model = model
        self.camera = camera
        self.color = color
        self.faces = np.ascontiguousarray(model.faces, dtype=np.uint32)
        self.valid = np.asarray(fit.arrays["valid"], dtype=bool)
        self.observed = np.asarray(fit.arrays.get("observed", self.valid), dtype=bool)  # older fits: all seen
        self._arrays = {name: torch.as_tensor(np.asarray(fit.arrays[name]), dtype=torch.float32)
                        for name in ("global_orient", "hand_pose", "betas", "transl")}
        self._chunk = functools.lru_cache(maxsize=CACHED_CHUNKS)(self._compute_chunk)

    @property
    def num_frames(self) -> int:
        """Frames the fit covers (frame 0 is the video's first frame)."""
        return len(self.valid)

    def frame(self, index: int) -> HandFrame | None:
        """The hand at a frame, or None where the fit has no estimate (outside its valid range or the video)."""
        if not 0 <= index < self.num_frames or not self.valid[index]:
            return None
        chunk, offset = self._chunk(index // CHUNK_FRAMES), index % CHUNK_FRAMES
        observed = bool(self.observed[index])
        colors = chunk.colors[offset] if observed else infilled_colors(chunk.colors[offset])
        return HandFrame(chunk.positions[offset], colors, chunk.boxes[offset], chunk.joints[offset],
                         float(chunk.min_depths[offset]), observed)

    def _compute_chunk(self, number: int) -> _Chunk:
        """Vertices, shading, projected boxes and joints of the frames of chunk ``number`` in one batch."""
        frames = slice(number * CHUNK_FRAMES, min((number + 1) * CHUNK_FRAMES, self.num_frames))
        arrays = self._arrays
        with torch.no_grad():
            output = self.model(arrays["global_orient"][frames], arrays["hand_pose"][frames], arrays["betas"],
                                arrays["transl"][frames])
            vertices = output.vertices
            shade = _lambert(vertices, torch.as_tensor(self.faces.astype(np.int64)))
            colors = torch.cat([shade[..., None] * vertices.new_tensor(self.color), torch.ones_like(shade)[..., None]],
                               dim=-1)
            pixels = self.camera.project(vertices)
            joints = self.camera.project(output.joints)
        boxes = torch.cat([pixels.amin(dim=1), pixels.amax(dim=1)], dim=1)
        return _Chunk(vertices.numpy(), colors.clamp(0.0, 1.0).numpy(), boxes.double().numpy(), joints.numpy(),
                      vertices[..., 2].amin(dim=1).numpy())


def infilled_colors(colors: np.ndarray) -> np.ndarray:
    """(V, 4) RGBA shading of an infilled frame: the hand's colour greyed and dimmed (`INFILLED_TINT`)."""
    keep, scale = INFILLED_TINT
    rgb = colors[:, :3]
    grey = rgb.mean(axis=1, keepdims=True)
    return np.concatenate([(keep * rgb + (1 - keep) * grey) * scale, colors[:, 3:]], axis=1)


def _lambert(vertices: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
    """Brightness (B, V) of each vertex under the ambient term and one directional light, from area-weighted
    vertex normals of the (B, V, 3) vertices."""
    corners = vertices[:, faces]
    face_normals = torch.linalg.cross(corners[:, :, 1] - corners[:, :, 0], corners[:, :, 2] - corners[:, :, 0])
    normals = torch.zeros_like(vertices).index_add_(1, faces.reshape(-1), face_normals.repeat_interleave(3, dim=1))
    normals = torch.nn.functional.normalize(normals, dim=-1)
    light = torch.nn.functional.normalize(vertices.new_tensor(LIGHT_DIRECTION), dim=0)
    return AMBIENT + DIFFUSE * (normals @ light).clamp(min=0.0)
