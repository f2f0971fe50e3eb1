"""The loader on damaged projects (property-based): `hmp info` and `hmp export` end in a one-line error or work,
never a traceback, and never change the file (the 2,000-project run is tools/fuzz_projects.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hmp_engine.session import ProjectError, load_project
from tests.engine.project_mutations import (
    ARRAY_DAMAGE,
    JSON_VALUES,
    Mutation,
    apply,
    command_problems,
    manifest_paths,
    read_members,
)
from tests.engine.worksafe_support import fitted_project


@pytest.fixture(scope="module")
def fitted(reach_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fitted_project(reach_video, tmp_path_factory.mktemp("fuzz"))


@st.composite
def mutations(draw: st.DrawFn, project: Path) -> Mutation:
    """A manifest entry set to another JSON value or dropped, an array damaged, or bytes of the file flipped."""
    manifest, arrays = read_members(project)
    kind = draw(st.sampled_from(("set", "drop", "array", "bytes")))
    if kind == "bytes":
        return Mutation("bytes", (draw(st.sampled_from((1, 4, 64))),),
                        draw(st.integers(0, project.stat().st_size - 1)))
    if kind == "array":
        return Mutation("array", (draw(st.sampled_from(sorted(arrays))),), draw(st.sampled_from(ARRAY_DAMAGE)))
    path = draw(st.sampled_from(manifest_paths(manifest)))
    return Mutation(kind, path, draw(st.sampled_from(JSON_VALUES)) if kind == "set" else None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_projects_end_in_one_line_errors(fitted: Path, data: st.DataObject) -> None:
    mutation = data.draw(mutations(fitted))
    with tempfile.TemporaryDirectory() as folder:
        damaged = Path(folder) / "damaged.hmp"
        apply(mutation, fitted, damaged)
        assert command_problems(damaged, Path(folder)) == []


def test_a_damaged_compressed_manifest_is_named(fitted: Path, tmp_path: Path) -> None:
    data = bytearray(fitted.read_bytes())
    start = data.index(b"manifest.json") + len("manifest.json")  # the deflated manifest follows its name
    data[start + 10:start + 40] = bytes(30)
    damaged = tmp_path / "damaged.hmp"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ProjectError, match="damaged or not a project: bad zip"):
        load_project(damaged)


@pytest.mark.parametrize(("path", "value", "message"), [
    (("video", "num_frames"), -5, "video.num_frames is -5, not a whole number >= 1"),
    (("detection", "tracks", 0, "handedness"), "rigth", "handedness 'rigth', not 'right' or 'left'"),
    (("detection",), [], "detection is list, not an object"),
    (("video", "fps"), None, "video.fps is None, not a positive number"),
])
def test_type_damage_is_named(fitted: Path, tmp_path: Path, path: tuple, value: object, message: str) -> None:
    damaged = tmp_path / "damaged.hmp"
    apply(Mutation("set", path, value), fitted, damaged)
    with pytest.raises(ProjectError, match="damaged or not a project") as raised:
        load_project(damaged)
    assert message in str(raised.value)


def test_reversed_timestamps_and_short_arrays_are_named(fitted: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.hmp"
    apply(Mutation("array", ("detection/timestamps",), "reverse"), fitted, damaged)
    with pytest.raises(ProjectError, match="timestamps do not increase"):
        load_project(damaged)
    apply(Mutation("array", ("track0/keypoints",), "shorter"), fitted, damaged)
    with pytest.raises(ProjectError, match=r"array track0/keypoints has shape \(6, 21, 3\), not 12x21x3"):
        load_project(damaged)
