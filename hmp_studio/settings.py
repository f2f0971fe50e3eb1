"""The studio's persistent settings (QSettings): preferences, recent files, window layout."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda")
"""Where fits run: 'auto' takes CUDA when present (the engine's resolve_device names)."""
MAX_RECENT_FILES = 10


def settings() -> QSettings:
    """The studio's settings store (per user)."""
    return QSettings("HMP", "HMP Studio")


@dataclass
class Preferences:
    """What the user chose in Settings: a MANO folder ('' for the open hand model), device and fit preset."""

    mano_folder: str = ""
    device: str = "auto"
    default_preset: str = ""

    @classmethod
    def load(cls) -> Preferences:
        """The stored preferences; the engine's default preset where none was chosen."""
        from hmp_engine.fitting.presets import DEFAULT_PRESET, PRESETS  # torch: only when preferences are needed

        store = settings()
        device = str(store.value("preferences/device", "auto"))
        preset = str(store.value("preferences/default_preset", DEFAULT_PRESET))
        return cls(
            mano_folder=str(store.value("preferences/mano_folder", "")),
            device=device if device in DEVICES else "auto",
            default_preset=preset if preset in PRESETS else DEFAULT_PRESET,
        )

    def save(self) -> None:
        """Store the preferences."""
        store = settings()
        store.setValue("preferences/mano_folder", self.mano_folder)
        store.setValue("preferences/device", self.device)
        store.setValue("preferences/default_preset", self.default_preset)


def recent_files() -> list[Path]:
    """Recently opened or saved videos and projects that still exist, newest first."""
    stored = settings().value("recent_files", [])
    paths = [Path(str(path)) for path in (stored if isinstance(stored, list) else [stored])]
    return [path for path in paths if path.exists()]


def add_recent_file(path: Path) -> None:
    """Put ``path`` first in the recent files list."""
    path = path.resolve()
    paths = [path, *(other for other in recent_files() if other != path)][:MAX_RECENT_FILES]
    settings().setValue("recent_files", [str(other) for other in paths])
