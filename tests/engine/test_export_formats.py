"""Round trips of the animation exports on a real two-hand fit of the sample: FBX re-imported by Blender and by
assimp, glTF evaluated from its nodes (and imported by Blender), BVH imported by Blender. Joints rebuilt from what
each reader made of the file must lie within 1 mm of the hand model's joints on every frame, both hands, both up
axes; frame counts and frame rates must survive; the skinned meshes must follow the hand model's mesh."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hmp_engine.export import ExportOptions, export_project
from hmp_engine.session import Project
from tests.engine.blender_reader import BlenderScene, blender_process, import_into_blender
from tests.engine.export_support import (
    FRAMES,
    GltfReader,
    assimp_nodes,
    bone_names,
    fitted_hands,
    in_export_frame,
    two_hand_project,
)

TOLERANCE_M = 0.001
SIDES = ("right", "left")


@pytest.fixture(scope="module")
def project() -> Project:
    return two_hand_project()


@pytest.fixture(scope="module")
def blender():
    """A Blender child process that imports the exported files."""
    with blender_process() as process:
        yield process


def read_back(blender, path: Path, hands: tuple = SIDES, **reading) -> BlenderScene:
    """What Blender makes of ``path``: the listed hands' bone heads over the exported frames, and what ``reading``
    asks of `import_into_blender`."""
    bones = {side: bone_names(side) for side in hands}
    return blender.submit(import_into_blender, path, bones, FRAMES, **reading).result()


def expected_joints(side: str, up: str, scale: float = 1.0) -> np.ndarray:
    """(T, 21, 3) the hand model's joints of the fitted hand in the export frame."""
    return in_export_frame(fitted_hands(side)[0], up, scale)


def test_the_fixture_is_a_real_two_hand_fit(project: Project) -> None:
    assert set(project.fits) == set(SIDES) and project.detections.fps == 30.0
    joints = fitted_hands("right")[0]
    assert joints.shape == (FRAMES, 21, 3) and np.linalg.norm(joints[-1, 0] - joints[0, 0]) > 0.005, "it should move"
    assert np.abs(project.fits["right"].arrays["hand_pose"]).max() > 0.3, "the fingers should be posed"


@pytest.mark.parametrize(("up", "scale"), [("y", 100.0), ("z", 1.0)])
def test_fbx_round_trips_through_blender_and_assimp(project, blender, tmp_path: Path, up: str, scale: float) -> None:
    path = tmp_path / "hands.fbx"
    result = export_project(project, path, "fbx", ExportOptions(up=up, scale=scale))
    assert result.num_frames == FRAMES and result.fps == 30.0 and result.hands == SIDES

    nodes, ticks_per_second = assimp_nodes(path)
    assert ticks_per_second == 30.0
    for side in SIDES:  # assimp reads the file's own coordinates: the chosen up axis, metres times the scale
        joints = np.stack([nodes[name] for name in bone_names(side)], axis=1)
        assert joints.shape == (FRAMES, 21, 3)
        error = np.linalg.norm(joints - expected_joints(side, up, scale), axis=-1).max() / scale
        assert error < TOLERANCE_M, f"assimp: {side} hand off by {error * 1000:.3f} mm"

    scene = read_back(blender, path, options={"anim_offset": 0.0}, mesh_frame=17)  # Blender's frame: z up, metres
    assert scene.fps == pytest.approx(30.0)
    for side in SIDES:
        assert scene.frame_ranges[f"{side}_hand"] == (0.0, FRAMES - 1)
        assert scene.roots[f"{side}_hand"] == [f"{side}_wrist"]
        error = np.linalg.norm(scene.joints[side] - expected_joints(side, "z"), axis=-1).max()
        assert error < TOLERANCE_M, f"Blender: {side} hand off by {error * 1000:.3f} mm"
        expected = in_export_frame(fitted_hands(side)[1][17], "z")
        mesh_error = np.linalg.norm(scene.meshes[f"{side}_hand_mesh"] - expected, axis=-1).max()
        assert mesh_error < TOLERANCE_M, "the skinned mesh must follow the hand model's mesh"


@pytest.mark.parametrize("up", ["y", "z"])
def test_glb_round_trips_through_its_nodes(project, tmp_path: Path, up: str) -> None:
    path = tmp_path / "hands.glb"
    export_project(project, path, "glb", ExportOptions(up=up, scale=100.0))
    reader = GltfReader(path)
    assert np.allclose(np.diff(reader.times), 1 / 30.0) and reader.times[0] == 0.0 and len(reader.times) == FRAMES
    for side in SIDES:
        error = np.linalg.norm(reader.joints(bone_names(side)) - expected_joints(side, up, 100.0), axis=-1)
        assert error.max() / 100.0 < TOLERANCE_M, f"{side} hand off by {error.max() * 10:.3f} mm"
        mesh = reader.skinned_vertices(f"{side}_hand_mesh", 11) / 100.0
        assert np.linalg.norm(mesh - in_export_frame(fitted_hands(side)[1][11], up), axis=-1).max() < TOLERANCE_M


def test_glb_imports_into_blender(project, blender, tmp_path: Path) -> None:
    """Blender's glTF importer (y up by the specification, converted to its z up) as a second, independent reader."""
    path = tmp_path / "hands.glb"
    export_project(project, path, "glb")
    scene = read_back(blender, path, scene_fps=30.0)  # glTF keys are in seconds, placed on the scene's frames
    for side in SIDES:
        error = np.linalg.norm(scene.joints[side] - expected_joints(side, "z"), axis=-1).max()
        assert error < TOLERANCE_M, f"{side} hand off by {error * 1000:.3f} mm"


@pytest.mark.parametrize(("up", "hands"), [("y", SIDES), ("z", SIDES), ("y", ("left",))])
def test_bvh_round_trips_through_blender(project, blender, tmp_path: Path, up: str, hands: tuple) -> None:
    path = tmp_path / "hands.bvh"
    export_project(project, path, "bvh", ExportOptions(hands=hands, up=up))
    text = path.read_text()
    assert f"Frames: {FRAMES}\n" in text and text.count("ROOT") == 1 and text.count("End Site") == 5 * len(hands)
    axis_up, axis_forward = {"y": ("Y", "-Z"), "z": ("Z", "Y")}[up]
    options = {"axis_up": axis_up, "axis_forward": axis_forward, "frame_start": 1, "use_fps_scale": False,
               "update_scene_fps": True, "rotate_mode": "NATIVE"}
    scene = read_back(blender, path, hands, options=options, tips_as_tails=True)
    assert scene.frame_ranges and min(start for start, _ in scene.frame_ranges.values()) == 1.0
    assert scene.fps == pytest.approx(30.0)
    for side in hands:
        error = np.linalg.norm(scene.joints[side] - expected_joints(side, "z"), axis=-1).max()
        assert error < TOLERANCE_M, f"{side} hand off by {error * 1000:.3f} mm"
