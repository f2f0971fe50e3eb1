"""Per-frame initialisation of a hand's MANO parameters from its detections, with gaps filled.

Pose, global orientation and shape come from inverse kinematics on MediaPipe's metric world landmarks (whose axes
are image-aligned, i.e. the OpenCV camera's), with one shape per hand from the bone lengths of detected frames
only. The translation of each frame with 2D keypoints is the least-squares solution placing the posed joints
on them under the camera (the depth follows from the hand's metric size against its pixel size). Frames without
a detection get their rotations by SLERP and their translation by linear interpolation between the nearest
solved frames, holding the first / last solved value beyond the ends. Each frame also gets its state (observed,
infilled or absent, `detection.presence`): absent frames hold those interpolated values but are not part of the
fitted motion.

Left hands: the IK (like the prior) is built around right hands, so a left hand's landmarks are mirrored
(x -> -x), lifted with the right model and the result mirrored back (axis-angle y, z negated); a left model that
mirrors the right one (the open model; MANO's up to its shape fix) then poses exactly the mirror image. The result
is in the left hand's own convention; mirroring into the right-handed prior happens in the fit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from hmp_engine.camera import Camera
from hmp_engine.detection.presence import ABSENT, DEFAULT_MAX_GAP_S, OBSERVED, frame_states, keypoint_boxes
from hmp_engine.hand_model import HandModel, mediapipe_to_mano21
from hmp_engine.ik import fit_mediapipe_world
from hmp_engine.rotations import fill_linear_gaps, fill_rotation_gaps, mirror_axis_angle

MIN_JOINTS_FOR_TRANSLATION = 4
"""A frame's translation is solved only from at least this many observed keypoints."""

MIN_DEPTH = 0.05
"""Metres: a solved translation never puts the wrist closer to the camera than this."""

_REWEIGHTING_PASSES = 2  # passes turning the algebraic least squares into (nearly) the reprojection error


@dataclass
class HandInit:
    """A hand's initial motion over T frames and the observations it came from.

    global_orient (T, 3), hand_pose (T, 45) axis-angle in the hand's own side convention; betas (10,);
    transl (T, 3) metres in the camera frame; keypoints (T, 21, 2) pixels and confidence (T, 21), MANO-21 order
    (confidence 0 = unobserved; manual edits have 1); times (T,) seconds; pose_observed (T,): frames whose
    rotations came from IK (others were infilled); pose_edited (T,): frames with a keypoint the user edited, whose
    IK pose still comes from the detector's unedited 3D landmarks; transl_observed (T,): frames whose translation
    was solved; state (T,) int8: ABSENT, INFILLED or OBSERVED (`detection.presence`).
    """

    side: str
    global_orient: np.ndarray
    hand_pose: np.ndarray
    betas: np.ndarray
    transl: np.ndarray
    keypoints: np.ndarray
    confidence: np.ndarray
    times: np.ndarray
    pose_observed: np.ndarray
    pose_edited: np.ndarray
    transl_observed: np.ndarray
    state: np.ndarray

    @property
    def num_frames(self) -> int:
        """Frames initialised."""
        return len(self.times)

    @property
    def present(self) -> np.ndarray:
        """(T,) bool: frames that are part of the hand's motion (observed or infilled, not absent)."""
        return self.state != ABSENT

    @property
    def observed(self) -> np.ndarray:
        """(T,) bool: frames with a detection or manual keypoints."""
        return self.state == OBSERVED


def lift_landmarks(right_model: HandModel, world: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, 16, 3) rotations (global orientation, then the 15 finger joints) and (10,) betas of a hand of ``side``
    from its (T, 21, 3) MediaPipe world landmarks, by IK on the right model (mirrored for a left hand)."""
    world = np.asarray(world, dtype=np.float64) * (np.array([-1.0, 1.0, 1.0]) if side == "left" else 1.0)
    ik = fit_mediapipe_world(right_model, world)
    rotations = np.concatenate([np.asarray(ik.global_orient)[:, None], np.asarray(ik.hand_pose).reshape(-1, 15, 3)],
                               axis=1).astype(np.float64)
    return (mirror_axis_angle(rotations) if side == "left" else rotations), np.asarray(ik.betas, dtype=np.float64)


def initialise_hand(model: HandModel, keypoints: np.ndarray, world: np.ndarray, detected: np.ndarray,
                    times: np.ndarray, camera: Camera, right_model: HandModel | None = None,
                    max_gap_s: float = DEFAULT_MAX_GAP_S, edited_frames: np.ndarray | None = None) -> HandInit:
    """Initial motion of one hand from (T, 21, 3) pixel keypoints + confidence and (T, 21, 3) world landmarks,
    both in MediaPipe order (keypoints with manual edits applied), detected (T,) and frame times (T,) seconds;
    runs of missing frames longer than ``max_gap_s`` seconds are absent; ``edited_frames`` (T,) marks the frames
    whose keypoints the user edited.

    ``model`` is the hand's own model; ``right_model`` (required for a left hand) lifts the landmarks. Raises
    ValueError if no frame is detected or no frame has enough keypoints to place the hand.
    """
    detected = np.asarray(detected, dtype=bool)
    if not detected.any():
        raise ValueError(f"the {model.side} hand is detected in none of the {len(detected)} frames")
    lifter = model if model.side == "right" else right_model
    if lifter is None or lifter.side != "right":
        raise ValueError("a left hand needs the right model of the same source to lift its landmarks")
    rotations = np.zeros((len(detected), 16, 3))
    rotations[detected], betas = lift_landmarks(lifter, np.asarray(world)[detected], model.side)
    rotations = fill_rotation_gaps(rotations, detected)
    global_orient, hand_pose = rotations[:, 0], rotations[:, 1:].reshape(-1, 45)
    mano_keypoints = mediapipe_to_mano21(np.asarray(keypoints, dtype=np.float64))
    pixels, confidence = mano_keypoints[..., :2], np.clip(mano_keypoints[..., 2], 0.0, 1.0)
    joints = posed_joints_numpy(model, global_orient, hand_pose, betas)
    transl, solved = solve_translation(joints, pixels, confidence, camera)
    if not solved.any():
        raise ValueError(f"no frame has {MIN_JOINTS_FOR_TRANSLATION} observed keypoints of the {model.side} hand")
    seen = detected[:, None] | (np.asarray(keypoints)[..., 2] > 0)  # detected hands, manual keypoints
    observed = seen.any(axis=1)
    state = frame_states(observed, keypoint_boxes(keypoints, seen), np.asarray(times, dtype=np.float64),
                         camera.image_size, max_gap_s)
    return HandInit(
        side=model.side, global_orient=global_orient, hand_pose=hand_pose, betas=betas,
        transl=fill_linear_gaps(transl, solved), keypoints=pixels, confidence=confidence,
        times=np.asarray(times, dtype=np.float64), pose_observed=detected,
        pose_edited=np.zeros(len(detected), dtype=bool) if edited_frames is None else np.asarray(edited_frames, bool),
        transl_observed=solved, state=state,
    )


def posed_joints_numpy(model: HandModel, global_orient: np.ndarray, hand_pose: np.ndarray,
                       betas: np.ndarray) -> np.ndarray:
    """(T, 21, 3) joints of the model at zero translation, in float64, without gradients."""
    param = next(model.buffers())
    with torch.no_grad():
        joints = model.joints(*(torch.as_tensor(a, dtype=param.dtype, device=param.device)
                                for a in (global_orient, hand_pose, betas)))
    return joints.double().cpu().numpy()


def solve_translation(joints: np.ndarray, pixels: np.ndarray, confidence: np.ndarray,
                      camera: Camera) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame translation (T, 3) placing (T, 21, 3) joints on (T, 21, 2) pixel keypoints, and which frames
    had enough observed keypoints to be solved.

    The projection equations x_n (Z + t_z) = X + t_x (and the same in y) are linear in t; they are solved by
    confidence-weighted least squares, reweighted by the current depth so the residual approaches the
    reprojection error in normalised image units.
    """
    homogeneous = np.concatenate([pixels, np.ones_like(pixels[..., :1])], axis=-1)
    normalised = homogeneous @ np.linalg.inv(camera.K).T  # (T, 21, 3), last column 1
    solved = (confidence > 0).sum(axis=1) >= MIN_JOINTS_FOR_TRANSLATION
    rows = np.zeros((*pixels.shape[:2], 2, 3))
    rows[..., 0, 0], rows[..., 1, 1] = 1.0, 1.0
    rows[..., :, 2] = -normalised[..., :2]
    rhs = normalised[..., :2] * joints[..., 2:] - joints[..., :2]
    depth = np.ones(pixels.shape[:2])
    transl = np.zeros((len(pixels), 3))
    for _ in range(_REWEIGHTING_PASSES):
        w = (confidence / np.maximum(depth, MIN_DEPTH) ** 2)[..., None, None]
        normal = np.einsum("tjki,tjkl->til", rows * w, rows) + 1e-9 * np.eye(3)
        moment = np.einsum("tjki,tjk->ti", rows * w, rhs)
        transl[solved] = np.linalg.solve(normal[solved], moment[solved][..., None])[..., 0]
        transl[:, 2] = np.maximum(transl[:, 2], MIN_DEPTH - joints[:, 0, 2])
        depth = joints[..., 2] + transl[:, None, 2]
    return np.where(solved[:, None], transl, 0.0), solved
