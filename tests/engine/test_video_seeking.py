"""Editor-like seeking: the cached packet index, abandoned decodes that keep their work, and the scrub proxy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hmp_engine.video import DecodeCancelled, open_video
from hmp_engine.video_cache import video_key
from hmp_engine.video_proxy import ScrubProxy, wants_proxy, write_proxy
from hmp_studio.bench.long_clip import write_long_gop_clip

CLIP_FRAMES = 90
KEYFRAME_FRAMES = 60


@pytest.fixture(scope="module")
def long_gop_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s, 320x240 H.264 clip with keyframes 2 s (60 frames) apart, like camera footage in small."""
    path = tmp_path_factory.mktemp("clip") / "long_gop.mp4"
    write_long_gop_clip(path, seconds=CLIP_FRAMES / 30, keyframe_seconds=KEYFRAME_FRAMES / 30, size=(320, 240))
    return path


def test_packet_index_is_kept_and_reused(long_gop_clip: Path, tmp_path: Path) -> None:
    with open_video(long_gop_clip, cache_dir=tmp_path) as first:
        expected = first.frame(75)
    saved = tmp_path / f"{video_key(long_gop_clip)}.index.npz"
    assert saved.exists()
    with np.load(saved) as index:
        assert index["keyframe"].sum() == 2 and len(index["pts"]) == CLIP_FRAMES
    with open_video(long_gop_clip, cache_dir=tmp_path) as again, open_video(long_gop_clip) as plain:
        assert again.keyframe_interval == KEYFRAME_FRAMES
        np.testing.assert_array_equal(again.timestamps, plain.timestamps)
        np.testing.assert_array_equal(again.frame(75), expected)


def test_abandoned_decode_keeps_its_frames_and_place(long_gop_clip: Path) -> None:
    with open_video(long_gop_clip) as video, open_video(long_gop_clip) as reference:
        asked = []
        with pytest.raises(DecodeCancelled):
            video.frame(58, cancelled=lambda: len(asked) > 10 or bool(asked.append(1)))
        decoded = [i for i in range(KEYFRAME_FRAMES) if video.is_decoded(i)]
        assert decoded and max(decoded) < 58  # stopped part-way, what it decoded is cached
        np.testing.assert_array_equal(video.frame(58), reference.frame(58))
        assert video.is_decoded(58)


def test_proxy_shows_every_frame_small(long_gop_clip: Path, tmp_path: Path) -> None:
    key = video_key(long_gop_clip)
    with open_video(long_gop_clip) as video:
        assert wants_proxy(video)
        seen: list[tuple[int, int]] = []
        proxy = write_proxy(video, tmp_path, key, lambda done, total: seen.append((done, total)))
        assert seen[-1] == (CLIP_FRAMES, CLIP_FRAMES)
        assert len(proxy) == CLIP_FRAMES
        for index in (0, 59, 61, 89):
            small = proxy.frame(index)
            assert small.shape == (240, 320, 3)  # not bigger than the video
            error = np.abs(small.astype(int) - video.frame(index)).mean()
            other = np.abs(small.astype(int) - video.frame((index + 30) % CLIP_FRAMES)).mean()
            assert error < 10 and error < other / 2  # the right frame, only JPEG-compressed
        proxy.close()
    reloaded = ScrubProxy.load(tmp_path, key, CLIP_FRAMES)
    assert reloaded is not None and len(reloaded) == CLIP_FRAMES
    reloaded.close()
    assert ScrubProxy.load(tmp_path, key, CLIP_FRAMES + 1) is None  # not this video's proxy


def test_cancelled_proxy_leaves_nothing(long_gop_clip: Path, tmp_path: Path) -> None:
    with open_video(long_gop_clip) as video, pytest.raises(DecodeCancelled):
        write_proxy(video, tmp_path, video_key(long_gop_clip), cancelled=lambda: True)
    assert list(tmp_path.iterdir()) == []
