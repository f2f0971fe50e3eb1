"""Real, permissively licensed finger motion as MANO-format sequences: lifted landmarks and fitted marker mocap.

Two sources: MediaPipe world landmarks (lifted by `hmp_engine.ik`), and the Qualisys hand-marker recording in
`resources/mocap/` (BSD-3-Clause, hand_embodiment, DFKI). Its 13 hand markers sit on the skin: a rigid plate of
three on the back of the hand near the wrist (hand_top, hand_left, hand_right), one on each fingernail (*_tip) and
one on the proximal phalanx of each finger (*_middle; the little finger's sits at its PIP joint, on the middle
phalanx, and the thumb's near its IP joint). Each marker is modelled as a point fixed to one bone of the hand model,
a few millimetres above it. Its offset is solved, with the hand's shape, on a calibration subset of frames (like a
mocap subject calibration), starting from the placement above and kept near it; then every frame is fitted with
offsets and shape frozen, at 100 Hz, and the finger poses are resampled to 30 fps by SLERP.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
import torch
from smplx.lbs import batch_rigid_transform, batch_rodrigues

from hmp_engine.anatomy import JOINT_FRAMES, MANO_REST_JOINTS
from hmp_engine.hand_model import HandModel, load_hand_model
from hmp_engine.ik import (
    IKResult,
    components_to_pose,
    fit_mediapipe_world,
    kabsch_orientation,
    pose_prior,
    single_thread,
)
from hmp_engine.rotations import matrix_to_axis_angle, slerp_resample

MARKER_MOCAP = "qualisys_hand_markers_100hz.tsv"
PLATE = ("hand_top", "hand_left", "hand_right")

# Marker -> (MANO joint whose bone carries it, rest-pose point it starts at: a fraction of the way from that joint
# to the next point of the finger, or an explicit offset from the wrist for the plate). Plate geometry measured
# in the recording: top 30 mm distal of the left/right pair's midline, left 32 mm from right on the thumb side.
_BONE_POINTS = {
    "thumb_tip": (15, 16, 0.65), "thumb_middle": (14, 15, 0.8),
    "index_tip": (3, 17, 0.65), "index_middle": (1, 2, 0.5),
    "middle_tip": (6, 18, 0.65), "middle_middle": (4, 5, 0.5),
    "ring_tip": (12, 19, 0.65), "ring_middle": (10, 11, 0.5),
    "little_tip": (9, 20, 0.65), "little_middle": (8, 9, 0.15),
}
_PLATE_CENTRE = np.array([-0.010, 0.024, -0.006])  # from the wrist joint: over the back of the hand near the wrist
_PLATE_POINTS = {"hand_top": (-0.030, 0.0, -0.011), "hand_left": (0.015, 0.0, 0.021),
                 "hand_right": (0.015, 0.0, -0.011)}
SKIN_TO_MARKER = 0.008
"""Metres from a finger bone's axis to the centre of its marker (soft tissue, nail, marker base and radius)."""

OFFSET_PRIOR = 0.05  # per mm^2 that a marker's offset moves from its starting point during calibration
SHAPE_PRIOR = 1.0  # per unit^2 of betas
SMOOTHNESS = 20.0  # per rad^2 of frame-to-frame change at 100 Hz: bridges frames where a marker is missing
TRANSL_UNIT = 0.05


@dataclass
class MarkerMocap:
    """Marker trajectories: positions (T, M, 3) in metres with NaN where a marker was not seen, at `fps`."""

    names: tuple[str, ...]
    positions: np.ndarray
    fps: float

    def select(self, names: tuple[str, ...]) -> np.ndarray:
        """(T, len(names), 3) positions of the named markers."""
        return self.positions[:, [self.names.index(name) for name in names]]


@dataclass
class MarkerFit:
    """Finger motion fitted to markers: hand_pose (T, 45) and global_orient (T, 3) at `fps`, the shape, the
    solved marker offsets, and the per-marker median residual in millimetres over the frames it was seen."""

    hand_pose: np.ndarray
    global_orient: np.ndarray
    fps: float
    betas: np.ndarray
    marker_residual_mm: dict[str, float]


def default_marker_mocap_path() -> Path:
    """The bundled Qualisys hand-marker recording."""
    return Path(str(files("hmp_resources") / "mocap" / MARKER_MOCAP))


def load_marker_mocap(path: str | Path | None = None) -> MarkerMocap:
    """Parse a Qualisys TSV export (header rows, MARKER_NAMES, then Frame, Time and X Y Z per marker in mm)."""
    header: dict[str, list[str]] = {}
    rows: list[list[str]] = []
    with Path(path or default_marker_mocap_path()).open() as stream:
        for line in stream:
            fields = line.rstrip("\r\n").split("\t")
            if fields[0] == "Frame":
                continue
            if fields[0].isdigit():
                rows.append(fields)
            elif fields[0]:
                header[fields[0]] = fields[1:]
    names = tuple(name for name in header["MARKER_NAMES"] if name)
    values = np.array([[_number(value) for value in row[2:2 + 3 * len(names)]] for row in rows])
    positions = values.reshape(len(rows), len(names), 3) / 1000.0
    positions[np.all(positions == 0.0, axis=-1)] = np.nan  # some exports write unseen markers as zeros
    expected = int(header["NO_OF_FRAMES"][0])
    if len(rows) != expected:
        raise ValueError(f"{path}: {len(rows)} frames of data, header says {expected}")
    return MarkerMocap(names, positions, float(header["FREQUENCY"][0]))


def _number(text: str) -> float:
    """A TSV value; empty or non-numeric cells are missing (NaN)."""
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _initial_offsets(names: tuple[str, ...]) -> tuple[list[int], np.ndarray]:
    """Bone of each marker and its starting offset (M, 3) from that bone's rest joint, in metres."""
    bones, offsets = [], []
    for name in names:
        if name in _PLATE_POINTS:
            bones.append(0)
            offsets.append(_PLATE_CENTRE + np.array(_PLATE_POINTS[name]))
            continue
        joint, towards, fraction = _BONE_POINTS[name]
        dorsal = JOINT_FRAMES[joint - 1][:, 1]  # the abduction axis is the back-of-the-finger direction
        along = fraction * (MANO_REST_JOINTS[towards] - MANO_REST_JOINTS[joint])
        bones.append(joint)
        offsets.append(along + SKIN_TO_MARKER * dorsal)
    return bones, np.stack(offsets)


def marker_positions(model: HandModel, orient: torch.Tensor, components: torch.Tensor, betas: torch.Tensor,
                     transl: torch.Tensor, bones: list[int], offsets: torch.Tensor) -> torch.Tensor:
    """(T, M, 3) positions of markers fixed to bones at `offsets` (M, 3) from their rest joints."""
    frames = len(orient)
    full_pose = torch.cat([orient, components_to_pose(components)], dim=1)
    rotations = batch_rodrigues(full_pose.reshape(-1, 3)).view(frames, 16, 3, 3)
    rest = model.joint_template + torch.einsum("jcs,s->jc", model.joint_shapedirs, betas)
    _, transforms = batch_rigid_transform(rotations, rest.expand(frames, 16, 3), model.mano.parents,
                                          dtype=orient.dtype)
    points = rest[bones] + offsets
    selected = transforms[:, bones]
    return (selected[..., :3, :3] @ points[..., None])[..., 0] + selected[..., :3, 3] + transl[:, None]


class _MarkerProblem:
    """Per-frame pose variables for a set of frames, initialised from the plate markers by Kabsch."""

    def __init__(self, model: HandModel, observed: torch.Tensor, bones: list[int], offsets: torch.Tensor,
                 betas: torch.Tensor, plate: list[int]) -> None:
        self.model, self.bones = model, bones
        self.target = torch.nan_to_num(observed)
        self.weight = (~observed.isnan().any(-1)).to(observed.dtype)
        with torch.no_grad():
            rest = model.joint_template[0] + torch.einsum("cs,s->c", model.joint_shapedirs[0], betas)
            source = (rest + offsets[plate])[None]
            rotation, shift = kabsch_orientation(source, self.target[:, plate])
            self.orient = matrix_to_axis_angle(rotation)
            self.transl = (shift + (rotation @ rest) - rest) / TRANSL_UNIT
            self.components = observed.new_zeros(len(observed), 15, 3)

    def variables(self) -> list[torch.Tensor]:
        return [tensor.requires_grad_(True) for tensor in (self.orient, self.components, self.transl)]

    def residual_mm(self, betas: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        """(T, M) distances in mm between fitted and observed markers (0 where unobserved)."""
        fitted = marker_positions(self.model, self.orient, self.components, betas, self.transl * TRANSL_UNIT,
                                  self.bones, offsets)
        return (fitted - self.target).norm(dim=-1) * 1000.0 * self.weight

    def loss(self, betas: torch.Tensor, offsets: torch.Tensor) -> torch.Tensor:
        squared = self.residual_mm(betas, offsets).square().sum(1) / self.weight.sum(1).clamp_min(1.0)
        change = (self.components[1:] - self.components[:-1]).square().sum() if len(self.components) > 1 else 0.0
        return (squared + pose_prior(self.components)).sum() + SMOOTHNESS * change


def _minimise(variables: list[torch.Tensor], objective, iterations: int) -> None:
    """L-BFGS with a strong Wolfe line search on a scalar objective of the variables."""
    optimiser = torch.optim.LBFGS(variables, max_iter=iterations, tolerance_grad=1e-9, tolerance_change=1e-12,
                                  history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = objective()
        loss.backward()
        return loss

    optimiser.step(closure)


def fit_marker_mocap(mocap: MarkerMocap, model: HandModel | None = None, frames: slice = slice(None),
                     fps: float = 30.0, calibration_frames: int = 150, iterations: int = 150) -> MarkerFit:
    """Fit the hand model to the hand markers of `mocap[frames]` and resample the finger poses to `fps` by SLERP."""
    model = model or load_hand_model("open", "right")
    names = PLATE + tuple(_BONE_POINTS)
    observed = torch.as_tensor(mocap.select(names)[frames], dtype=torch.float32)
    bones, initial = _initial_offsets(names)
    start = torch.as_tensor(initial, dtype=torch.float32)
    plate = [names.index(name) for name in PLATE]
    with single_thread():
        complete = torch.nonzero(~observed.isnan().any(-1).any(-1))[:, 0]
        chosen = complete[torch.linspace(0, len(complete) - 1, min(calibration_frames, len(complete))).long()]
        betas, offsets = torch.zeros(10), start.clone()
        calibration = _MarkerProblem(model, observed[chosen], bones, offsets, betas, plate)
        _minimise(calibration.variables(), lambda: calibration.loss(betas, offsets), iterations)
        _minimise(calibration.variables() + [betas.requires_grad_(True), offsets.requires_grad_(True)],
                  lambda: calibration.loss(betas, offsets) + SHAPE_PRIOR * betas.square().sum()
                  + OFFSET_PRIOR * ((offsets - start) * 1000.0).square().sum(), iterations)
        betas, offsets = betas.detach(), offsets.detach()
        problem = _MarkerProblem(model, observed, bones, offsets, betas, plate)
        _minimise(problem.variables(), lambda: problem.loss(betas, offsets), iterations)
        with torch.no_grad():
            residual = problem.residual_mm(betas, offsets).numpy()
            hand_pose = components_to_pose(problem.components).reshape(-1, 15, 3)
            rotations = torch.cat([problem.orient[:, None], hand_pose], dim=1).numpy()
    seen = problem.weight.numpy() > 0
    per_marker = {name: float(np.median(residual[seen[:, k], k])) for k, name in enumerate(names) if seen[:, k].any()}
    times = np.arange(len(observed)) / mocap.fps
    new_times = np.arange(0.0, times[-1] + 1e-9, 1.0 / fps)
    rotations = slerp_resample(times, rotations, new_times)
    return MarkerFit(rotations[:, 1:].reshape(-1, 45).astype(np.float32), rotations[:, 0].astype(np.float32), fps,
                     betas.numpy(), per_marker)


def lift_landmark_sequence(world: np.ndarray, fps: float, model: HandModel | None = None,
                           target_fps: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """Finger poses (T', 45) and global orientations (T', 3) at `target_fps` from (T, 21, 3) MediaPipe world
    landmarks of a right hand at `fps`, by IK and SLERP resampling."""
    result: IKResult = fit_mediapipe_world(model or load_hand_model("open", "right"), world)
    times = np.arange(len(world)) / fps
    new_times = np.arange(0.0, times[-1] + 1e-9, 1.0 / target_fps)
    rotations = np.concatenate([result.global_orient[:, None], result.hand_pose.reshape(-1, 15, 3)], axis=1)
    if abs(fps - target_fps) > 1e-6:
        rotations = slerp_resample(times, rotations, new_times)
    return rotations[:, 1:].reshape(-1, 45).astype(np.float32), rotations[:, 0].astype(np.float32)
