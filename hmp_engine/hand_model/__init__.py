"""Hand models in the MANO file format: the bundled open model or the user's MANO files."""

from hmp_engine.hand_model.joints import (
    MANO21_JOINT_NAMES,
    MANO21_PARENTS,
    MANO_PARENTS,
    MANO_TO_MP,
    MEDIAPIPE_JOINT_NAMES,
    MEDIAPIPE_PARENTS,
    MP_TO_MANO,
    mano21_to_mediapipe,
    mediapipe_to_mano21,
)
from hmp_engine.hand_model.model import HandModel, HandOutput
from hmp_engine.hand_model.model_file import HandModelFileError, read_model_file
from hmp_engine.hand_model.sources import OPEN_MODEL, load_hand_model, model_file, resolve_model_source

__all__ = [
    "HandModel", "HandOutput", "HandModelFileError", "OPEN_MODEL", "load_hand_model", "model_file",
    "read_model_file", "resolve_model_source", "MANO21_JOINT_NAMES", "MANO21_PARENTS", "MANO_PARENTS",
    "MANO_TO_MP", "MEDIAPIPE_JOINT_NAMES", "MEDIAPIPE_PARENTS", "MP_TO_MANO", "mano21_to_mediapipe",
    "mediapipe_to_mano21",
]
