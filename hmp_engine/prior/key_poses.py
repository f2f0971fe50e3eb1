"""The key-pose library of the synthetic motion: grasps and gestures in anatomical components, plus real poses.

Hand-authored poses set per finger (MCP, PIP, DIP flexion, MCP abduction and twist) and per thumb (CMC flexion,
abduction and twist, MCP and IP flexion), in radians, in the frames of `hmp_engine.anatomy`. Where a grasp puts the
thumb against something (a pinch, a tripod, a thumb over the fist), the authored thumb is only the starting point:
its five components are solved on the open hand model so that the thumb tip lands at its contact (`THUMB_CONTACTS`),
since angles authored by eye had left pinching thumb tips 5-10 cm from the fingertip they pinch. Real poses lifted
from the sample video's MediaPipe landmarks (see `tools/calibrate_synthetic.py --write-key-poses`) are stored in
`resources/key_poses/video_key_poses.npz` and join the library when present.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import numpy as np
import torch

from hmp_engine.anatomy import ABDUCTION, FLEXION, JOINT_LIMITS, TWIST, to_anatomical
from hmp_engine.hand_model import load_hand_model
from hmp_engine.ik import components_to_pose

LONG_FINGERS = ("index", "middle", "pinky", "ring")
FINGER_ROWS = {"index": (0, 1, 2), "middle": (3, 4, 5), "pinky": (6, 7, 8), "ring": (9, 10, 11),
               "thumb": (12, 13, 14)}
"""Rows of the (15, 3) anatomical pose (MANO pose joints 1..15) belonging to each finger."""

FINGER_ORDER = ("thumb", "index", "middle", "ring", "pinky")
VIDEO_KEY_POSES = "video_key_poses.npz"

# Long-finger shorthands: (MCP, PIP, DIP flexion).
STRAIGHT = (0.0, 0.0, 0.0)
RELAXED = (0.3, 0.45, 0.25)
HALF = (0.75, 0.9, 0.5)
CURLED = (1.35, 1.6, 0.9)
TUCKED = (1.5, 1.75, 1.0)
PINKY_ADDUCTION = 0.3
"""The little finger's abduction toward the ring finger at spread 0: MANO's flat hand splays it, a real hand does not
(the median of the sample video's lifted key poses)."""
# Thumb shorthands: (CMC flexion, CMC abduction, CMC twist, MCP flexion, IP flexion). Opposition pronates the
# thumb, a negative CMC twist: it turns the pad toward the fingers, so that flexing the thumb brings its tip across
# the palm instead of below it.
THUMB_FLAT = (0.0, 0.0, 0.0, 0.0, 0.0)
THUMB_RELAXED = (0.15, 0.2, -0.3, 0.2, 0.2)
THUMB_OUT = (-0.3, 0.6, -0.1, 0.0, -0.1)
THUMB_UP = (-0.2, 0.1, -0.2, -0.1, -0.2)
THUMB_ACROSS = (0.7, 0.2, -0.5, 0.6, 0.7)
THUMB_OVER_FIST = (0.55, 0.3, -0.5, 0.45, 0.45)
THUMB_OPPOSED = (0.45, 0.55, -0.6, 0.25, 0.3)
THUMB_TO_INDEX = (0.35, 0.45, -0.6, 0.35, 0.45)
THUMB_TO_RING = (0.7, 0.45, -0.7, 0.4, 0.5)
THUMB_LATERAL = (0.35, 0.05, -0.2, 0.3, 0.2)

# MANO-21 joints: index 1-3, middle 4-6, pinky 7-9, ring 10-12, thumb 13-15; tips thumb 16, index 17, middle 18,
# ring 19, pinky 20.
_INDEX_MIDDLE_PHALANGES = (2, 3, 5, 6)
THUMB_CONTACTS: dict[str, tuple[tuple[int, ...], float]] = {
    "ok_sign": ((17,), 10.0), "pinch_tip": ((17,), 10.0), "pinch_pad": ((17,), 15.0),
    "pinch_middle": ((18,), 10.0), "pinch_ring": ((19,), 10.0), "count_three": ((20,), 12.0),
    "tripod": ((17, 18), 12.0), "key_pinch": ((2, 3), 15.0),
    "power_cylinder": (_INDEX_MIDDLE_PHALANGES, 30.0), "power_sphere": ((18,), 55.0),
    "precision_disc": ((18,), 70.0), "claw": ((18,), 60.0),
    "fist": (_INDEX_MIDDLE_PHALANGES, 15.0), "point": ((5, 6), 15.0), "count_two": ((8, 9, 11, 12), 15.0),
    "horns": ((5, 6, 11, 12), 15.0), "middle_only": ((2, 3, 11, 12), 15.0),
    "pinky_only": (_INDEX_MIDDLE_PHALANGES, 15.0),
    "fist_tight": ((10,), 20.0), "fist_thumb_in": ((10,), 20.0), "count_four": ((10,), 20.0),
    "thumb_across_flat": ((10,), 20.0),
}
"""Grasps whose thumb tip touches something: the MANO-21 joints whose mean it reaches, and the distance in mm it
keeps from that point (finger thickness for a pinch, an object's size for a power grasp)."""
CONTACT_ITERATIONS = 300


def pose(thumb: tuple[float, ...] = THUMB_RELAXED, spread: float = 0.0, twist: float = 0.0,
         **fingers: tuple[float, float, float]) -> np.ndarray:
    """A (15, 3) anatomical pose: long fingers default to RELAXED, spread fans them (the little finger from its rest
    beside the ring finger), twist rolls them."""
    components = np.zeros((15, 3))
    fan = {"index": 1.0, "middle": 0.1, "ring": -0.7, "pinky": -1.3}
    rest = {"index": 0.0, "middle": 0.0, "ring": 0.0, "pinky": PINKY_ADDUCTION}
    roll = {"index": -0.5, "middle": 0.0, "ring": 0.6, "pinky": 1.0}
    for finger in LONG_FINGERS:
        mcp, pip, dip = FINGER_ROWS[finger]
        components[[mcp, pip, dip], FLEXION] = fingers.get(finger, RELAXED)
        components[mcp, ABDUCTION] = rest[finger] + spread * fan[finger]
        components[mcp, TWIST] = twist * roll[finger]
    cmc, mcp, ip = FINGER_ROWS["thumb"]
    components[cmc] = (thumb[2], thumb[1], thumb[0])
    components[mcp, FLEXION], components[ip, FLEXION] = thumb[3], thumb[4]
    return components


def _handmade() -> dict[str, np.ndarray]:
    """Grasps, pinches and gestures (counting, pointing, signs) authored in anatomical components."""
    return {
        "flat": pose(THUMB_FLAT, index=STRAIGHT, middle=STRAIGHT, ring=STRAIGHT, pinky=STRAIGHT),
        "relaxed": pose(),
        "relaxed_open": pose(THUMB_RELAXED, spread=0.1, index=(0.1, 0.2, 0.1), middle=(0.15, 0.25, 0.1),
                             ring=(0.2, 0.35, 0.2), pinky=(0.3, 0.45, 0.25)),
        "spread": pose(THUMB_OUT, spread=0.3, index=STRAIGHT, middle=STRAIGHT, ring=STRAIGHT, pinky=STRAIGHT),
        "hyperextended": pose(THUMB_OUT, spread=0.2, index=(-0.35, 0.0, -0.15), middle=(-0.35, 0.0, -0.15),
                              ring=(-0.3, 0.0, -0.15), pinky=(-0.3, 0.0, -0.1)),
        "fist": pose(THUMB_OVER_FIST, twist=0.15, index=CURLED, middle=CURLED, ring=CURLED, pinky=CURLED),
        "fist_tight": pose(THUMB_ACROSS, twist=0.2, index=TUCKED, middle=TUCKED, ring=TUCKED, pinky=TUCKED),
        "fist_thumb_in": pose(THUMB_ACROSS, twist=0.1, index=(1.2, 1.5, 0.9), middle=(1.25, 1.55, 0.9),
                              ring=(1.3, 1.6, 0.9), pinky=(1.35, 1.6, 0.9)),
        "point": pose(THUMB_OVER_FIST, index=(0.05, 0.05, 0.0), middle=CURLED, ring=CURLED, pinky=CURLED),
        "count_two": pose(THUMB_OVER_FIST, spread=0.2, index=STRAIGHT, middle=STRAIGHT, ring=CURLED, pinky=CURLED),
        "count_three": pose(THUMB_TO_RING, spread=0.15, index=STRAIGHT, middle=STRAIGHT, ring=STRAIGHT,
                            pinky=CURLED),
        "count_three_thumb": pose(THUMB_OUT, spread=0.2, index=STRAIGHT, middle=STRAIGHT, ring=CURLED,
                                  pinky=CURLED),
        "count_four": pose(THUMB_ACROSS, spread=0.15, index=STRAIGHT, middle=STRAIGHT, ring=STRAIGHT,
                           pinky=STRAIGHT),
        "count_five": pose(THUMB_OUT, spread=0.25, index=STRAIGHT, middle=STRAIGHT, ring=STRAIGHT, pinky=STRAIGHT),
        "thumbs_up": pose(THUMB_UP, twist=0.15, index=CURLED, middle=CURLED, ring=CURLED, pinky=CURLED),
        "ok_sign": pose(THUMB_TO_INDEX, spread=0.2, index=(0.65, 0.95, 0.55), middle=(0.15, 0.2, 0.1),
                        ring=(0.25, 0.3, 0.15), pinky=(0.35, 0.35, 0.2)),
        "pinch_tip": pose(THUMB_TO_INDEX, index=(0.55, 0.85, 0.45), middle=(0.7, 1.0, 0.6), ring=(0.9, 1.2, 0.7),
                          pinky=(1.0, 1.3, 0.7)),
        "pinch_pad": pose(THUMB_TO_INDEX, index=(0.7, 0.6, 0.15), middle=(0.5, 0.6, 0.3), ring=(0.5, 0.6, 0.3),
                          pinky=(0.5, 0.6, 0.3)),
        "pinch_middle": pose(THUMB_OPPOSED, index=(0.3, 0.4, 0.2), middle=(0.8, 0.9, 0.5), ring=(0.5, 0.6, 0.3),
                             pinky=(0.5, 0.6, 0.3)),
        "pinch_ring": pose(THUMB_TO_RING, index=(0.2, 0.3, 0.2), middle=(0.3, 0.4, 0.2), ring=(0.9, 1.0, 0.5),
                           pinky=(0.6, 0.7, 0.4), twist=0.2),
        "tripod": pose(THUMB_OPPOSED, spread=-0.05, index=(0.7, 0.8, 0.4), middle=(0.8, 0.85, 0.45),
                       ring=(1.0, 1.2, 0.7), pinky=(1.1, 1.3, 0.7)),
        "key_pinch": pose(THUMB_LATERAL, index=(1.0, 1.3, 0.7), middle=(1.2, 1.5, 0.8), ring=(1.3, 1.5, 0.8),
                          pinky=(1.35, 1.5, 0.8)),
        "power_cylinder": pose(THUMB_OPPOSED, twist=0.1, index=(0.85, 1.1, 0.6), middle=(0.9, 1.15, 0.6),
                               ring=(0.95, 1.2, 0.65), pinky=(1.0, 1.2, 0.65)),
        "power_sphere": pose(THUMB_OPPOSED, spread=0.2, twist=0.15, index=(0.6, 0.7, 0.4), middle=(0.65, 0.75, 0.4),
                             ring=(0.7, 0.8, 0.45), pinky=(0.75, 0.85, 0.45)),
        "precision_disc": pose(THUMB_OPPOSED, spread=0.3, index=(0.45, 0.5, 0.25), middle=(0.45, 0.5, 0.25),
                               ring=(0.5, 0.55, 0.3), pinky=(0.55, 0.6, 0.3)),
        "claw": pose(THUMB_OPPOSED, spread=0.2, index=(0.1, 1.3, 0.9), middle=(0.1, 1.35, 0.9),
                     ring=(0.15, 1.35, 0.9), pinky=(0.2, 1.3, 0.9)),
        "hook": pose(THUMB_FLAT, index=(0.0, 1.5, 0.9), middle=(0.0, 1.55, 0.9), ring=(0.0, 1.55, 0.9),
                     pinky=(0.0, 1.5, 0.9)),
        "flat_bent": pose(THUMB_LATERAL, index=(1.4, 0.0, 0.0), middle=(1.4, 0.0, 0.0), ring=(1.4, 0.05, 0.0),
                          pinky=(1.4, 0.1, 0.0)),
        "horns": pose(THUMB_OVER_FIST, spread=0.2, index=STRAIGHT, middle=CURLED, ring=CURLED, pinky=STRAIGHT),
        "call_me": pose(THUMB_UP, spread=0.2, index=CURLED, middle=CURLED, ring=CURLED, pinky=STRAIGHT),
        "gun": pose(THUMB_UP, index=STRAIGHT, middle=STRAIGHT, ring=CURLED, pinky=CURLED),
        "middle_only": pose(THUMB_OVER_FIST, index=CURLED, middle=STRAIGHT, ring=CURLED, pinky=CURLED),
        "pinky_only": pose(THUMB_OVER_FIST, index=CURLED, middle=CURLED, ring=CURLED, pinky=STRAIGHT),
        "typing": pose(THUMB_RELAXED, index=(0.5, 0.6, 0.3), middle=(0.55, 0.65, 0.35), ring=(0.55, 0.7, 0.35),
                       pinky=(0.6, 0.7, 0.35)),
        "thumb_across_flat": pose(THUMB_ACROSS, index=STRAIGHT, middle=STRAIGHT, ring=STRAIGHT, pinky=STRAIGHT),
    }


def _thumbs_to_contacts(library: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The library with each `THUMB_CONTACTS` pose's thumb (CMC twist, abduction, flexion; MCP and IP flexion)
    solved on the open hand model, by projected gradient steps within the joint limits from the authored values."""
    names = [name for name in THUMB_CONTACTS if name in library]
    model = load_hand_model()
    components = torch.as_tensor(np.stack([library[name] for name in names]), dtype=torch.float32)
    free = torch.zeros(15, 3, dtype=torch.bool)
    free[12] = True
    free[13:15, FLEXION] = True
    limits = torch.as_tensor(JOINT_LIMITS, dtype=torch.float32)
    start = components.clone()
    components.requires_grad_(True)
    optimizer = torch.optim.Adam([components], lr=0.02)
    contact_weights = torch.zeros(len(names), 21)  # each row averages the joints its thumb reaches
    for row, name in enumerate(names):
        targets = list(THUMB_CONTACTS[name][0])
        contact_weights[row, targets] = 1.0 / len(targets)
    distances = torch.tensor([THUMB_CONTACTS[name][1] for name in names])
    zeros = torch.zeros(len(names), 3)
    for _ in range(CONTACT_ITERATIONS):
        joints = model.joints(zeros, components_to_pose(torch.where(free, components, start))) * 1000.0
        contacts = torch.einsum("nj,njc->nc", contact_weights, joints)
        reach = ((joints[:, 16] - contacts).norm(dim=-1) - distances).square().sum()
        loss = reach + 10.0 * (components - start).square().sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            components.copy_(torch.maximum(torch.minimum(components, limits[..., 1]), limits[..., 0]))
    solved = torch.where(free, components, start).detach().numpy().astype(np.float64)
    return library | {name: pose for name, pose in zip(names, solved)}


def _video_poses() -> dict[str, np.ndarray]:
    """Real poses lifted from the sample video, when the resource file exists."""
    path = files("hmp_resources") / "key_poses" / VIDEO_KEY_POSES
    if not path.is_file():
        return {}
    with path.open("rb") as stream, np.load(stream) as data:
        poses = to_anatomical(data["hand_pose"])
    return {f"video_{k}": p for k, p in enumerate(poses)}


@lru_cache(maxsize=1)
def key_pose_library() -> tuple[tuple[str, ...], np.ndarray]:
    """Names and (K, 15, 3) anatomical key poses, clipped to the joint limits."""
    library = _thumbs_to_contacts(_handmade()) | _video_poses()
    poses = np.clip(np.stack(list(library.values())), JOINT_LIMITS[..., 0], JOINT_LIMITS[..., 1])
    return tuple(library), poses
