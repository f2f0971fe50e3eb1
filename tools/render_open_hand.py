"""Render the open-hand model flat, as a fist, pinching and pointing: a visual check of the rig.

    PYOPENGL_PLATFORM=egl python tools/render_open_hand.py [-o docs/open_hand_poses.png]

The four poses are built with the model itself: finger flexion about +z (MANO's flexion axis for the four
fingers), and thumb angles solved by gradient descent so the thumb tip reaches its target (the index tip for the
pinch, the middle of the index and middle fingers for the fist).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

import numpy as np  # noqa: E402
import pyrender  # noqa: E402
import torch  # noqa: E402
import trimesh  # noqa: E402
from PIL import Image  # noqa: E402

from hmp_engine.hand_model import HandModel, load_hand_model  # noqa: E402

LONG_FINGER_JOINTS = {"index": (1, 2, 3), "middle": (4, 5, 6), "pinky": (7, 8, 9), "ring": (10, 11, 12)}
THUMB = (13, 14, 15)


def flexed(angles: dict[str, tuple[float, float, float]]) -> torch.Tensor:
    """A (1, 45) pose flexing each named long finger by (MCP, PIP, DIP) radians about +z."""
    pose = torch.zeros(15, 3)
    for finger, joint_angles in angles.items():
        for joint, angle in zip(LONG_FINGER_JOINTS[finger], joint_angles):
            pose[joint - 1, 2] = angle
    return pose.reshape(1, 45)


def reach_with_thumb(model: HandModel, pose: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Solve the thumb's three joint rotations so its tip lands on a target point, preferring small rotations."""
    rows = torch.tensor([joint - 1 for joint in THUMB])
    thumb = torch.zeros(3, 3, requires_grad=True)
    optimiser = torch.optim.LBFGS([thumb], max_iter=300, line_search_fn="strong_wolfe")

    def with_thumb(values: torch.Tensor) -> torch.Tensor:
        return pose.reshape(15, 3).index_put((rows,), values).reshape(1, 45)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        tip = model.joints(torch.zeros(1, 3), with_thumb(thumb))[0, 16]
        loss = 1e4 * ((tip - target) ** 2).sum() + 1e-3 * (thumb**2).sum()
        loss.backward()
        return loss

    optimiser.step(closure)
    return with_thumb(thumb.detach())


def showcase_poses(model: HandModel) -> dict[str, torch.Tensor]:
    """Flat, fist, pinch and point poses for the given model."""
    curl = (1.3, 1.45, 0.75)
    fist = flexed({finger: curl for finger in LONG_FINGER_JOINTS})
    fist_joints = model.joints(torch.zeros(1, 3), fist)[0]
    over_fingers = (fist_joints[2] + fist_joints[5]) / 2 + torch.tensor([0.0, 0.012, 0.0])
    pinch = flexed({"index": (0.8, 0.9, 0.5), "middle": (0.9, 1.2, 0.6), "ring": (1.1, 1.4, 0.7),
                    "pinky": (1.2, 1.4, 0.7)})
    index_tip = model.joints(torch.zeros(1, 3), pinch)[0, 17]
    point = flexed({finger: curl for finger in ("middle", "ring", "pinky")})
    return {
        "flat": torch.zeros(1, 45),
        "fist": reach_with_thumb(model, fist, over_fingers),
        "pinch": reach_with_thumb(model, pinch, index_tip),
        "point": reach_with_thumb(model, point, over_fingers),
    }


def look_at(eye: np.ndarray, target: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Camera-to-world pose for an OpenGL camera at eye looking at target."""
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([right, np.cross(right, forward), -forward], axis=1)
    pose[:3, 3] = eye
    return pose


def render(model: HandModel, pose: torch.Tensor, size: int = 360) -> np.ndarray:
    """One RGB image of the posed mesh seen from the back and thumb side of the hand."""
    with torch.no_grad():
        vertices = model(torch.zeros(1, 3), pose).vertices[0].numpy()
    mesh = trimesh.Trimesh(vertices, model.faces, process=False)
    material = pyrender.MetallicRoughnessMaterial(baseColorFactor=(0.85, 0.66, 0.55, 1.0), roughnessFactor=0.7)
    scene = pyrender.Scene(bg_color=(1.0, 1.0, 1.0, 1.0), ambient_light=(0.35, 0.35, 0.35))
    scene.add(pyrender.Mesh.from_trimesh(mesh, material=material, smooth=True))
    centre = vertices.mean(axis=0)
    camera_pose = look_at(centre + np.array([0.05, 0.22, 0.16]), centre, np.array([-1.0, 0.0, 0.0]))
    scene.add(pyrender.PerspectiveCamera(yfov=np.radians(40)), pose=camera_pose)
    scene.add(pyrender.DirectionalLight(intensity=3.0), pose=camera_pose)
    renderer = pyrender.OffscreenRenderer(size, size)
    try:
        color, _ = renderer.render(scene)
    finally:
        renderer.delete()
    return color


def main() -> None:
    """Render the four poses side by side into one PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/open_hand_poses.png"))
    args = parser.parse_args()
    model = load_hand_model("open", "right")
    images = [render(model, pose) for pose in showcase_poses(model).values()]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(images, axis=1)).save(args.output, optimize=True)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
