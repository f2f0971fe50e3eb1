"""The undo commands on a bare Document, without a window: each change, its undo and redo, and the signals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hmp_engine.session import EditState, KeypointEdit, load_project
from hmp_engine.video import open_video
from hmp_studio.model.document import Document
from hmp_studio.model.undo_commands import DragCommand, EditCommand, detection_command, fit_command

WRIST, INDEX_TIP = 0, 8


@pytest.fixture
def document(qapp, reach_project: Path) -> Iterator[Document]:
    """The reach project open in a Document of its own (no window, no views)."""
    project = load_project(reach_project)
    document = Document()
    document.open(project, open_video(project.video.path))
    yield document
    document.close()


def first_detected_frame(document: Document, track: int = 0) -> int:
    return int(np.flatnonzero(document.project.track(track).detected)[0])


def test_an_edit_command_changes_the_project_and_undo_restores_it(document: Document) -> None:
    frame = first_detected_frame(document)
    before = document.project.frame_keypoints(0, frame).copy()
    changed: list[int] = []
    document.edits_changed.connect(changed.append)
    x, y = before[WRIST, :2]
    occluded = KeypointEdit(float(x), float(y), EditState.OCCLUDED)

    document.push(EditCommand(document, {0: {(frame, WRIST): occluded}}, "Mark wrist occluded"))
    assert document.project.edit(0, frame, WRIST) == occluded
    assert document.modified and changed == [0]

    document.undo_stack.undo()
    assert document.project.edit(0, frame, WRIST) is None
    np.testing.assert_array_equal(document.project.frame_keypoints(0, frame), before)
    assert not document.modified and changed == [0, 0]

    document.undo_stack.redo()
    assert document.project.edit(0, frame, WRIST) == occluded


def test_the_moves_of_one_drag_are_one_undo_entry(document: Document) -> None:
    frame = first_detected_frame(document)
    original = document.project.frame_keypoints(0, frame)[INDEX_TIP, :2].copy()
    for step, xy in enumerate(((100.0, 120.0), (104.0, 126.0), (110.0, 130.0))):
        document.push(DragCommand(document, 0, frame, INDEX_TIP, xy, drag=1))
        assert document.undo_stack.count() == 1, f"move {step} merged into the drag's first command"
    np.testing.assert_allclose(document.project.frame_keypoints(0, frame)[INDEX_TIP, :2], (110.0, 130.0))

    document.push(DragCommand(document, 0, frame, INDEX_TIP, (50.0, 60.0), drag=2))
    assert document.undo_stack.count() == 2, "a new drag is a new entry"

    document.undo_stack.undo()
    np.testing.assert_allclose(document.project.frame_keypoints(0, frame)[INDEX_TIP, :2], (110.0, 130.0))
    document.undo_stack.undo()
    np.testing.assert_allclose(document.project.frame_keypoints(0, frame)[INDEX_TIP, :2], original)


def test_swapping_detections_and_fits_is_undone_whole(document: Document) -> None:
    frame = first_detected_frame(document)
    document.push(EditCommand(document, {0: {(frame, WRIST): KeypointEdit(1.0, 2.0, EditState.POSITION)}}, "edit"))
    detections, edits = document.project.detections, document.project.edits
    replaced: list[str] = []
    document.detections_changed.connect(lambda: replaced.append("detections"))
    document.fits_changed.connect(lambda: replaced.append("fits"))

    document.push(detection_command(document, detections))
    assert document.project.edits == {} and replaced == ["detections"]
    document.undo_stack.undo()
    assert document.project.detections is detections and document.project.edits == edits

    weights = {"preset": "test"}
    document.push(fit_command(document, {}, weights, "Fit"))
    assert document.project.weights == weights and replaced[-1] == "fits"
    document.undo_stack.undo()
    assert document.project.weights != weights
