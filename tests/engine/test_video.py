"""Frame-accurate video access on real files: metadata, random access, timing, rotation, inputs, errors."""

from __future__ import annotations

import hashlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from hmp_engine.video import VideoError, VideoReader, file_sha256, open_video


def remux(src: Path, dst: Path, rotation: int | None = None, **options: str) -> Path:
    """Copy the video packets of ``src`` into a new container (format from the suffix), optionally rotated."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", options=options) as out:
        in_stream = inp.streams.video[0]
        out_stream = out.add_stream_from_template(in_stream)
        if rotation is not None:
            out_stream.set_display_rotation(rotation)
        for packet in inp.demux(in_stream):
            if packet.dts is not None:
                packet.stream = out_stream
                out.mux(packet)
    return dst


def sequential_frames(video: VideoReader, wanted: set[int]) -> dict[int, np.ndarray]:
    """The frames at ``wanted`` indices, taken from one sequential decode."""
    return {k: frame for k, frame in enumerate(video) if k in wanted}


@pytest.fixture(scope="module")
def sample(sample_video: Path) -> VideoReader:
    with open_video(sample_video) as video:
        yield video


def test_sample_metadata(sample: VideoReader) -> None:
    assert (sample.num_frames, len(sample)) == (621, 621)
    assert sample.fps == pytest.approx(30.0)
    assert sample.size == (1280, 720)
    assert sample.frame(0).shape == (720, 1280, 3) and sample.frame(0).dtype == np.uint8


def test_reach_metadata(reach_video: Path) -> None:
    with open_video(reach_video) as video:
        assert (video.num_frames, video.size) == (202, (640, 360))
        assert video.fps == pytest.approx(25.0)


@pytest.mark.parametrize("which", ["sample_video", "reach_video"])
def test_random_access_equals_sequential_decoding(which: str, request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(which)
    with open_video(path) as video:
        rng = np.random.default_rng(7)
        order = [0, video.num_frames - 1, *rng.choice(video.num_frames, 50, replace=False).tolist()]
        expected = sequential_frames(video, set(order))
    assert len(expected) == len(set(order))
    with open_video(path) as video:
        for k in order:
            assert np.array_equal(video.frame(k), expected[k]), f"frame {k} differs"


@pytest.mark.parametrize("which", ["sample_video", "reach_video"])
def test_timestamps_increase_at_the_frame_rate(which: str, request: pytest.FixtureRequest) -> None:
    with open_video(request.getfixturevalue(which)) as video:
        times = video.timestamps
        assert times.shape == (video.num_frames,) and times.dtype == np.float64
        assert times[0] == 0.0 and np.all(np.diff(times) > 0)
        np.testing.assert_allclose(np.diff(times), 1.0 / video.fps, rtol=1e-6)


def test_variable_frame_rate_uses_real_timestamps(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    times_ms = np.cumsum([0, 40, 40, 100, 33, 33, 200, 40, 17, 17, 17, 60, 40, 40, 40, 40])
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", options={"bf": "2", "g": "6"})  # B-frames, a keyframe every 6
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = stream.time_base = Fraction(1, 1000)
        for k, t in enumerate(times_ms):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 10 + 15 * k, np.uint8), format="rgb24")
            frame.pts, frame.time_base = int(t), Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with open_video(path) as video:
        np.testing.assert_allclose(video.timestamps, times_ms / 1000.0)
        assert video.fps == pytest.approx((len(times_ms) - 1) / (times_ms[-1] / 1000.0), rel=0.05)
        for k in [9, 2, 15, 0, 6, 7, 3]:
            assert abs(float(video.frame(k).mean()) - (10 + 15 * k)) < 3, f"frame {k} is not the k-th frame"


def test_rotation_metadata_is_applied(reach_video: Path, tmp_path: Path) -> None:
    rotated_path = remux(reach_video, tmp_path / "rot90.mp4", rotation=90)
    with open_video(reach_video) as plain, open_video(rotated_path) as rotated:
        assert rotated.size == (360, 640)
        for k in (0, 101, 201):
            assert np.array_equal(rotated.frame(k), np.rot90(plain.frame(k)))
    capture = cv2.VideoCapture(str(rotated_path))  # independent check of the direction: OpenCV's auto-rotation
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    ok, bgr = capture.read()
    capture.release()
    with open_video(rotated_path) as rotated:
        assert ok and np.abs(bgr[..., ::-1].astype(int) - rotated.frame(0)).mean() < 1.0


def test_matroska_container_gives_the_same_frames(reach_video: Path, tmp_path: Path) -> None:
    with open_video(reach_video) as mp4, open_video(remux(reach_video, tmp_path / "reach.mkv")) as mkv:
        assert (mkv.num_frames, mkv.fps) == (202, pytest.approx(25.0))
        np.testing.assert_allclose(mkv.timestamps, mp4.timestamps)
        for k in (150, 3, 77, 201):
            assert np.array_equal(mkv.frame(k), mp4.frame(k))


def test_image_folder_in_natural_order(tmp_path: Path) -> None:
    images = {k: np.full((20, 30, 3), (20 * k, 5, 200 - 10 * k), np.uint8) for k in range(1, 12)}
    for k, rgb in images.items():
        cv2.imwrite(str(tmp_path / f"frame{k}.png"), rgb[..., ::-1])
    (tmp_path / "notes.txt").write_text("not an image")
    with open_video(tmp_path, fps=12.5) as video:
        assert (video.num_frames, video.size, video.fps) == (11, (30, 20), 12.5)
        np.testing.assert_allclose(video.timestamps, np.arange(11) / 12.5)
        assert np.array_equal(video.frame(9), images[10])  # frame10.png sorts after frame9.png
        assert all(np.array_equal(frame, images[k + 1]) for k, frame in enumerate(video))
    assert open_video(tmp_path).fps == 30.0


def test_out_of_range_and_closed(reach_video: Path) -> None:
    video = open_video(reach_video)
    with pytest.raises(IndexError):
        video.frame(202)
    with pytest.raises(IndexError):
        video.frame(-1)
    video.close()
    with pytest.raises(VideoError, match="closed"):
        video.frame(0)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda d: d / "missing.mp4",
        lambda d: _write(d / "empty.mp4", b""),
        lambda d: _write(d / "notes.mp4", b"these are meeting notes, not a video\n" * 50),
        lambda d: d / "empty_folder",
    ],
    ids=["missing", "empty", "text", "folder-without-images"],
)
def test_unreadable_input_raises_video_error_naming_the_file(make, tmp_path: Path) -> None:
    (tmp_path / "empty_folder").mkdir()
    path = make(tmp_path)
    with pytest.raises(VideoError, match=path.name):
        open_video(path)


def _truncated(src: Path, dst: Path, fraction: float = 0.4) -> Path:
    data = src.read_bytes()
    return _write(dst, data[: int(len(data) * fraction)])


def _assert_only_real_frames(path: Path, full_count: int) -> None:
    """Opening either fails with VideoError naming the file, or every reported frame decodes."""
    try:
        video = open_video(path)
    except VideoError as exc:
        assert path.name in str(exc)
        return
    with video:
        assert 0 < video.num_frames < full_count
        frames = list(video)
        assert len(frames) == video.num_frames
        for k in (video.num_frames - 1, 0, video.num_frames // 2):
            assert np.array_equal(video.frame(k), frames[k])


def test_truncated_sample(sample_video: Path, tmp_path: Path) -> None:
    _assert_only_real_frames(_truncated(sample_video, tmp_path / "cut.mp4"), 621)


def test_truncated_file_with_index_up_front_reports_only_decodable_frames(reach_video: Path, tmp_path: Path) -> None:
    # The reach clip stores its index (moov) before the data, so a truncated copy still opens.
    cut = _truncated(reach_video, tmp_path / "cut_reach.mp4")
    with open_video(cut) as video:
        assert 0 < video.num_frames < 202
    _assert_only_real_frames(cut, 202)


def test_file_sha256(reach_video: Path) -> None:
    assert file_sha256(reach_video) == hashlib.sha256(reach_video.read_bytes()).hexdigest()
