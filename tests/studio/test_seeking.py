"""The studio's scrub proxy: made in the background for a long-GOP video, shown at once, then the full frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from hmp_studio.bench.long_clip import write_long_gop_clip
from tests.studio.gui_helpers import make_window


@pytest.fixture(scope="module")
def long_gop_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s, 640x480 H.264 clip with keyframes 2 s apart (its proxy is 480x360)."""
    path = tmp_path_factory.mktemp("clip") / "long_gop.mp4"
    write_long_gop_clip(path, seconds=3, keyframe_seconds=2, size=(640, 480))
    return path


def test_seek_shows_proxy_then_full_frame(qtbot, tmp_path: Path, long_gop_clip: Path) -> None:
    window = make_window(qtbot, tmp_path)
    assert window.open_path(long_gop_clip)
    qtbot.waitUntil(lambda: window.proxies.proxy is not None, timeout=180_000)
    assert not window.proxies.bar.isVisible()
    assert list((tmp_path / "video_cache").glob("*.proxy.npy"))  # kept beside the autosaves
    shown: list[tuple[int, bool, tuple[int, ...]]] = []
    window.view.frame_shown.connect(
        lambda index: shown.append((index, window.view.shown_preview, window.view.image_item.image.shape)))
    window.playback.seek(58)  # 58 frames after its keyframe, never decoded
    qtbot.waitUntil(lambda: (58, False, (480, 640, 3)) in shown, timeout=10000)
    assert shown[0] == (58, True, (360, 480, 3))  # the proxy came first
    rect = window.view.image_item.mapRectToParent(window.view.image_item.boundingRect())
    assert (rect.width(), rect.height()) == (640, 480)  # both cover the frame's pixels, overlays line up


def test_proxy_is_reused_on_reopen(qtbot, tmp_path: Path, long_gop_clip: Path) -> None:
    first = make_window(qtbot, tmp_path)
    assert first.open_path(long_gop_clip)
    qtbot.waitUntil(lambda: first.proxies.proxy is not None, timeout=180_000)
    second = make_window(qtbot, tmp_path)
    assert second.open_path(long_gop_clip)
    assert second.proxies.proxy is not None and not second.proxies.building  # loaded at once, not rebuilt
