"""Transport controls under the video: play/pause, frame steps, a frame slider and the frame/time readout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QStyle, QToolButton, QWidget

from hmp_studio.model.playback import Playback


def format_time(seconds: float) -> str:
    """Seconds as 'mm:ss.mmm'."""
    minutes, rest = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes):02d}:{rest:06.3f}"


class PlayerControls(QWidget):
    """Buttons, slider and readout bound to a Playback; keyboard focus stays with the window's shortcuts."""

    def __init__(self, playback: Playback, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._playback = playback
        style = self.style()
        self.play_button = self._button(style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play (Space)")
        self.back_button = self._button(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward),
                                        "Previous frame (Left)")
        self.forward_button = self._button(style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward),
                                           "Next frame (Right)")
        self.slider = QSlider(Qt.Orientation.Horizontal, focusPolicy=Qt.FocusPolicy.NoFocus)
        self.label = QLabel(alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        widest = "Frame 000000 / 000000   00:00.000 / 00:00.000"
        self.label.setMinimumWidth(self.label.fontMetrics().horizontalAdvance(widest))

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 4)
        for widget in (self.back_button, self.play_button, self.forward_button):
            layout.addWidget(widget)
        layout.addWidget(self.slider, stretch=1)
        layout.addWidget(self.label)

        self.play_button.clicked.connect(playback.toggle)
        self.back_button.clicked.connect(lambda: playback.step(-1))
        self.forward_button.clicked.connect(lambda: playback.step(1))
        self.slider.valueChanged.connect(playback.seek)
        playback.frame_changed.connect(self._show_frame)
        playback.playing_changed.connect(self._show_playing)
        playback.video_changed.connect(self._reset)
        self._reset()

    def _button(self, icon: QIcon, tooltip: str) -> QToolButton:
        """A flat tool button that never takes keyboard focus."""
        button = QToolButton(self, icon=icon, toolTip=tooltip, autoRaise=True)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button

    def _reset(self) -> None:
        """Match the slider range to the playback's video and show its current frame."""
        last = max(0, self._playback.num_frames - 1)
        self.slider.blockSignals(True)
        self.slider.setRange(0, last)
        self.slider.setPageStep(max(1, self._playback.num_frames // 20))
        self.slider.blockSignals(False)
        self.setEnabled(self._playback.num_frames > 0)
        self._show_frame(max(0, self._playback.index))

    def _show_frame(self, index: int) -> None:
        """Move the slider without feeding back into the playback, and update the readout."""
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        times = self._playback.timestamps
        if len(times) == 0:
            self.label.setText("No video")
            return
        time = f"{format_time(times[index])} / {format_time(times[-1])}"
        self.label.setText(f"Frame {index} / {len(times) - 1}   {time}")

    def _show_playing(self, playing: bool) -> None:
        """Swap the play/pause icon."""
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
