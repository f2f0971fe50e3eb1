"""What every video of a batch gets: fit preset and iterations, prior, hand model, exports, overlay, GPUs.

The settings are stored in the batch manifest, so that a resumed batch processes its remaining videos exactly as
the first run did. Every output of a video lives in ``OUTDIR/<name>/`` under the file names given here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hmp_engine.fitting import DEFAULT_PRESET, PRESETS, FitSettings, preset
from hmp_engine.hand_model import OPEN_MODEL

EXPORT_FILES = {"npz": "{name}.npz", "amass": "{name}_amass.npz", "fbx": "{name}.fbx", "glb": "{name}.glb",
                "bvh": "{name}.bvh", "keypoints": "{name}_keypoints.csv"}
"""The file each export format writes in a video's folder (an AMASS file is an .npz too, hence its suffix)."""


class SettingsError(ValueError):
    """Batch settings that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class BatchSettings:
    """The per-video work of a batch.

    The fit's preset (and stage iterations if given), the prior checkpoint (None: bundled), the hand model
    source, the export formats, whether to render the overlay, GPUs per task.
    """

    preset: str = DEFAULT_PRESET
    iterations: tuple[int, ...] | None = None
    prior: str | None = None
    hand_model: str = OPEN_MODEL
    exports: tuple[str, ...] = ("npz",)
    render: bool = False
    gpus_per_task: float = 0.0

    def __post_init__(self) -> None:
        """Refuse settings no video could be processed with. Raises SettingsError."""
        if self.preset not in PRESETS:
            raise SettingsError(f"unknown preset '{self.preset}' (choose from {', '.join(PRESETS)})")
        if self.iterations is not None and not (1 <= len(self.iterations) <= 3 and min(self.iterations) >= 0):
            raise SettingsError("iterations take 1 to 3 counts >= 0 (stage 1, 2, 3)")
        unknown = [kind for kind in self.exports if kind not in EXPORT_FILES]
        if unknown or len(set(self.exports)) < len(self.exports):
            raise SettingsError(f"exports must be distinct formats among {', '.join(EXPORT_FILES)} "
                                f"(got {', '.join(self.exports)})")
        if not self.gpus_per_task >= 0:
            raise SettingsError(f"GPUs per task must be >= 0 (got {self.gpus_per_task})")

    @property
    def device(self) -> str:
        """The torch device of a task: the GPU Ray gives it when it asks for one, else the CPU."""
        return "cuda" if self.gpus_per_task > 0 else "cpu"

    def fit_settings(self) -> FitSettings:
        """The HMP fit settings: the preset, with the stage iterations replaced when given."""
        settings = preset(self.preset, "hmp")
        return settings.with_iterations(*self.iterations) if self.iterations else settings

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form (for the manifest)."""
        data = asdict(self)
        data["iterations"] = list(self.iterations) if self.iterations is not None else None
        data["exports"] = list(self.exports)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchSettings:
        """The settings `to_dict` wrote. Raises SettingsError."""
        try:
            iterations = data.get("iterations")
            return cls(preset=str(data["preset"]), iterations=tuple(int(n) for n in iterations) if iterations else None,
                       prior=data.get("prior"), hand_model=str(data["hand_model"]),
                       exports=tuple(str(kind) for kind in data["exports"]), render=bool(data["render"]),
                       gpus_per_task=float(data.get("gpus_per_task", 0.0)))
        except (KeyError, TypeError, ValueError) as error:
            raise SettingsError(f"the stored batch settings are incomplete or invalid ({error})") from error


def output_files(name: str, settings: BatchSettings) -> dict[str, str]:
    """The files a finished video's folder holds, by role: project, each export format, overlay."""
    files = {"project": f"{name}.hmp"}
    files.update({kind: EXPORT_FILES[kind].format(name=name) for kind in settings.exports})
    if settings.render:
        files["overlay"] = f"{name}_overlay.mp4"
    return files
