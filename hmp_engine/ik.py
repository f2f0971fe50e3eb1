"""Inverse kinematics: fit the hand model to 3D joints, batched over frames (also the per-frame initialisation).

Three steps: one shape for the sequence from the median bone lengths (then frozen); the global orientation of every
frame in closed form (Kabsch on the wrist and the four finger bases) with the finger flexions from the angles
between bones; then all frames together by L-BFGS on the joints-only forward kinematics. The finger pose is
optimised in anatomical components (`hmp_engine.anatomy`) with a weak regulariser toward plausible poses:
twist about the bone and sideways bending of the hinge joints cost a little, leaving the joint limits (e.g.
hyperextension) costs a lot. Positions are in metres, the loss in millimetres.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from hmp_engine.anatomy import ABDUCTION, CHILD, FLEXION, JOINT_FRAMES, JOINT_LIMITS, THUMB_JOINTS, TWIST
from hmp_engine.hand_model import HandModel, mediapipe_to_mano21
from hmp_engine.hand_model.joints import MANO21_PARENTS
from hmp_engine.rotations import matrix_to_axis_angle

PALM_JOINTS = (0, 1, 4, 7, 10)
"""Wrist and index/middle/pinky/ring MCP: nearly rigid, they fix the global orientation."""

BONES = tuple((parent, child) for child, parent in enumerate(MANO21_PARENTS) if parent >= 0)
MEDIAPIPE_BONE_WEIGHTS = {(0, 13): 0.0}
"""MediaPipe's thumb CMC sits at the base of the thumb, MANO's inside the palm: that bone says nothing of shape."""
MEDIAPIPE_JOINT_WEIGHTS = {13: 0.3}

SHAPE_PRIOR = 0.3  # mm^2 per unit^2 of betas: keeps the shape plausible where bone lengths disagree with MANO's
LIMIT_WEIGHT = 1000.0  # per rad^2 outside the joint limits
POSE_WEIGHT = 0.05  # per rad^2 of every component: keeps unobservable components near zero
DIP_COUPLING = 2.0  # per rad^2 that a long finger's DIP flexion strays from 2/3 of its PIP flexion
_PIP_ROWS, _DIP_ROWS = [1, 4, 7, 10], [2, 5, 8, 11]
TRANSL_UNIT = 0.05  # metres per optimised translation unit: a unit moves joints about as much as a radian does


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread: the many tiny batched ops of the fit are slower split across threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _component_weights() -> np.ndarray:
    """(15, 3) per-rad^2 costs: twist of every joint, sideways bending of the hinge joints (PIP, DIP, IP)."""
    weights = np.full((15, 3), POSE_WEIGHT)
    weights[:, TWIST] += 2.0
    hinge_rows = [row for row in range(15) if row % 3 != 0]
    weights[hinge_rows, ABDUCTION] += 20.0
    weights[hinge_rows, TWIST] += 20.0
    weights[THUMB_JOINTS[0] - 1, TWIST] = POSE_WEIGHT  # the thumb's CMC rolls for opposition
    return weights


@dataclass
class IKResult:
    """Fitted parameters of T frames: global_orient (T, 3), hand_pose (T, 45), betas (10,), transl (T, 3),
    and residual_mm (T,), the weighted mean joint distance of each frame in millimetres."""

    global_orient: np.ndarray
    hand_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    residual_mm: np.ndarray


def bone_lengths(joints: torch.Tensor) -> torch.Tensor:
    """(..., 20) lengths of the MANO-21 bones of (..., 21, 3) joints."""
    parents, children = zip(*BONES)
    return (joints[..., list(children), :] - joints[..., list(parents), :]).norm(dim=-1)


def components_to_pose(components: torch.Tensor) -> torch.Tensor:
    """(T, 15, 3) anatomical components to (T, 45) axis-angle (torch twin of `anatomy.from_anatomical`)."""
    frames = components.new_tensor(JOINT_FRAMES)
    return torch.einsum("jic,tjc->tji", frames, components).reshape(len(components), 45)


def pose_prior(components: torch.Tensor) -> torch.Tensor:
    """(T,) cost of (T, 15, 3) anatomical components (in mm^2 of joint error): twist, hinge bending, limits, and
    DIP flexion decoupled from PIP flexion (the tendons couple them; it decides where markers cannot)."""
    limits = components.new_tensor(JOINT_LIMITS)
    excess = torch.relu(limits[..., 0] - components) + torch.relu(components - limits[..., 1])
    cost = components.new_tensor(_component_weights())
    flexion = components[..., FLEXION]
    decoupled = flexion[:, _DIP_ROWS] - flexion[:, _PIP_ROWS] * (2.0 / 3.0)
    return ((cost * components.square()).sum((1, 2)) + LIMIT_WEIGHT * excess.square().sum((1, 2))
            + DIP_COUPLING * decoupled.square().sum(1))


def shape_from_bones(model: HandModel, joints: torch.Tensor, weights: torch.Tensor,
              bone_weights: dict[tuple[int, int], float] | None = None) -> torch.Tensor:
    """(10,) betas whose rest bone lengths match the median bone lengths of (T, 21, 3) joints (in metres)."""
    observed = (weights[:, [p for p, _ in BONES]] > 0) & (weights[:, [c for _, c in BONES]] > 0)
    lengths = bone_lengths(joints)
    target = torch.stack([lengths[observed[:, b], b].median() if observed[:, b].any() else lengths.new_tensor(0.0)
                          for b in range(len(BONES))])
    usable = observed.any(0).to(joints.dtype)
    for bone, weight in (bone_weights or {}).items():
        usable[BONES.index(bone)] *= weight
    betas = torch.zeros(10, dtype=joints.dtype, device=joints.device, requires_grad=True)
    optimiser = torch.optim.LBFGS([betas], max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        error_mm = (bone_lengths(model.rest_joints(betas)) - target) * 1000.0
        loss = (usable * error_mm**2).sum() + SHAPE_PRIOR * (betas**2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return betas.detach()


def kabsch_orientation(source: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotations (T, 3, 3) and offsets (T, 3) with target ~ R @ source + offset, for (T, N, 3) point sets."""
    source = source.expand_as(target)
    source_mean, target_mean = source.mean(1, keepdim=True), target.mean(1, keepdim=True)
    covariance = (target - target_mean).transpose(1, 2) @ (source - source_mean)
    u, _, vh = torch.linalg.svd(covariance)
    sign = torch.sign(torch.linalg.det(u @ vh))
    correction = torch.diag_embed(torch.stack([torch.ones_like(sign), torch.ones_like(sign), sign], -1))
    rotation = u @ correction @ vh
    offset = target_mean[:, 0] - (rotation @ source_mean[:, 0, :, None])[..., 0]
    return rotation, offset


def _bend_angles(joints: torch.Tensor) -> torch.Tensor:
    """(..., 15) angle between the bone into each pose joint and the bone out of it."""
    parents = [MANO21_PARENTS[joint] for joint in range(1, 16)]
    incoming = joints[..., 1:16, :] - joints[..., parents, :]
    outgoing = joints[..., list(CHILD), :] - joints[..., 1:16, :]
    cosine = (incoming * outgoing).sum(-1) / (incoming.norm(dim=-1) * outgoing.norm(dim=-1)).clamp_min(1e-9)
    return torch.arccos(cosine.clamp(-1.0, 1.0))


def _initial_components(rest: torch.Tensor, joints: torch.Tensor) -> torch.Tensor:
    """(T, 15, 3) components with each joint's flexion set to its bend beyond the rest pose's (thumb CMC: 0)."""
    components = joints.new_zeros(joints.shape[0], 15, 3)
    flexion = (_bend_angles(joints) - _bend_angles(rest)).clamp_min(0.0)
    flexion[:, THUMB_JOINTS[0] - 1] = 0.0
    components[..., FLEXION] = flexion
    return components


def fit_to_joints(model: HandModel, joints: np.ndarray | torch.Tensor, weights: np.ndarray | None = None,
                  betas: np.ndarray | None = None, fit_shape: bool = True, iterations: int = 100,
                  device: str | torch.device | None = None,
                  bone_weights: dict[tuple[int, int], float] | None = None) -> IKResult:
    """Fit orientation, finger pose, translation (and shape) to (T, 21, 3) MANO-21 joints in metres.

    weights (T, 21) >= 0 weigh each joint (0 = unobserved). betas, if given, are used as they are; otherwise
    the shape comes from the bone lengths (or is the mean shape when fit_shape is False).
    """
    with single_thread():
        return _fit(model, joints, weights, betas, fit_shape, iterations, device, bone_weights)


def _fit(model: HandModel, joints: np.ndarray | torch.Tensor, weights: np.ndarray | None, betas: np.ndarray | None,
         fit_shape: bool, iterations: int, device: str | torch.device | None,
         bone_weights: dict[tuple[int, int], float] | None) -> IKResult:
    """The body of `fit_to_joints`."""
    device = torch.device(device) if device is not None else model.joint_template.device
    model = model.to(device)
    dtype = model.joint_template.dtype
    target = torch.as_tensor(np.asarray(joints), dtype=dtype, device=device)
    frames = target.shape[0]
    weight = (torch.ones(frames, 21, dtype=dtype, device=device) if weights is None
              else torch.as_tensor(np.asarray(weights), dtype=dtype, device=device))
    if betas is not None:
        shape = torch.as_tensor(np.asarray(betas), dtype=dtype, device=device)
    elif fit_shape:
        shape = shape_from_bones(model, target, weight, bone_weights)
    else:
        shape = torch.zeros(10, dtype=dtype, device=device)
    with torch.no_grad():
        rest = model.rest_joints(shape)
        rotation, offset = kabsch_orientation(rest[list(PALM_JOINTS)][None], target[:, list(PALM_JOINTS)])
        root = rest[0]
        transl = (offset + (rotation @ root) - root) / TRANSL_UNIT
        orient = matrix_to_axis_angle(rotation).clone()
        components = _initial_components(rest, target)
    weight_sum = weight.sum(1).clamp_min(1e-9)
    for tensor in (orient, components, transl):
        tensor.requires_grad_(True)
    optimiser = torch.optim.LBFGS([orient, components, transl], max_iter=iterations, tolerance_grad=1e-9,
                                  tolerance_change=1e-12, history_size=20, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        fitted = model.joints(orient, components_to_pose(components), shape, transl * TRANSL_UNIT)
        data = (weight * ((fitted - target) * 1000.0).square().sum(-1)).sum(1) / weight_sum
        loss = (data + pose_prior(components)).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    with torch.no_grad():
        hand_pose = components_to_pose(components)
        transl = transl * TRANSL_UNIT
        fitted = model.joints(orient, hand_pose, shape, transl)
        residual = (weight * (fitted - target).norm(dim=-1)).sum(1) / weight_sum * 1000.0
    return IKResult(*(tensor.detach().cpu().numpy() for tensor in (orient, hand_pose, shape, transl, residual)))


def fit_mediapipe_world(model: HandModel, world: np.ndarray, iterations: int = 100) -> IKResult:
    """Fit (T, 21, 3) MediaPipe world landmarks (metres, MediaPipe order, camera-aligned axes) with their own shape.

    The fitted global orientation maps MANO's canonical frame into the landmarks' camera-aligned frame.
    """
    joints = mediapipe_to_mano21(np.asarray(world, dtype=np.float64))
    weights = np.ones(joints.shape[:2])
    for joint, weight in MEDIAPIPE_JOINT_WEIGHTS.items():
        weights[:, joint] = weight
    return fit_to_joints(model, joints, weights, iterations=iterations, bone_weights=MEDIAPIPE_BONE_WEIGHTS)
