"""The fit settings as an editable parameter tree: the longest infilled gap, and per stage its iterations, learning
rate and loss weights."""

from __future__ import annotations

from pyqtgraph.parametertree import Parameter, ParameterTree
from PySide6.QtWidgets import QWidget

from hmp_engine.fitting import FitSettings, preset
from hmp_engine.fitting.presets import WEIGHT_NAMES

_TIPS = {"2d": "2D reprojection (Geman-McClure, by keypoint confidence)", "orient": "global orientation data term",
         "pose": "finger pose data term (the per-frame IK poses)",
         "transl": "translation data term", "orient_smooth": "orientation velocity",
         "orient_accel": "orientation acceleration (jitter)", "transl_smooth":
         "translation velocity", "betas": "shape prior", "prior": "motion prior (latent NLL)", "tie":
         "agreement of overlapping windows", "accel": "finger pose acceleration", "residual":
         "size of the stage-3 per-frame corrections (by how little their keypoints are seen)"}
MAX_GAP = "longest infilled gap (s)"
_MAX_GAP_TIP = ("a hand missing for longer is absent there (not estimated, drawn or exported), as is a hand that "
                "left the picture")


class WeightsTree(ParameterTree):
    """Shows and edits a FitSettings; ``settings()`` reads the edited values back, ``load`` resets them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, showHeader=False)
        self._base = preset()
        self.root = Parameter.create(name="settings", type="group")
        self.setParameters(self.root, showTop=False)
        self.load(self._base)

    def load(self, settings: FitSettings) -> None:
        """Show ``settings`` (a preset to reset to, or a project's stored weights)."""
        self._base = settings
        children: list[dict] = [{"name": MAX_GAP, "type": "float", "value": settings.max_gap_s, "limits": (0.0, None),
                                 "step": 0.25, "tip": _MAX_GAP_TIP}]
        for number, stage in enumerate(settings.stages, start=1):
            items = [{"name": "iterations", "type": "int", "value": stage.iterations, "limits": (0, 100_000)},
                     {"name": "learning rate", "type": "float", "value": stage.lr, "step": 0.005,
                      "limits": (0.0, 1.0), "dec": True}]
            items += [{"name": name, "type": "float", "value": stage.weight(name), "limits": (0.0, None),
                       "dec": True, "step": 0.5, "tip": _TIPS[name]} for name in WEIGHT_NAMES]
            children.append({"name": f"Stage {number}", "type": "group", "children": items})
        self.root.clearChildren()
        self.root.addChildren(children)

    def settings(self) -> FitSettings:
        """The settings as edited (weights of 0 are left out, as the presets do)."""
        edited = FitSettings.from_dict(self._base.to_dict())
        edited.max_gap_s = float(self.root[MAX_GAP])
        for number, stage in enumerate(edited.stages, start=1):
            group = self.root.child(f"Stage {number}")
            stage.iterations = int(group["iterations"])
            stage.lr = float(group["learning rate"])
            stage.weights = {name: float(group[name]) for name in WEIGHT_NAMES if group[name]}
        return edited

    def set_iterations(self, *counts: int) -> None:
        """Set the stages' iteration counts (a short test fit, say)."""
        for number, count in enumerate(counts, start=1):
            self.root.child(f"Stage {number}").child("iterations").setValue(count)
