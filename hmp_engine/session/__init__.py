"""The project a user works on, and its ``.hmp`` file.

``model`` holds the project and its parts, ``archive`` reads and writes the file, ``schema`` maps a project to
the current manifest and arrays, ``migrations`` upgrades older schemas, ``checks`` validates what a file holds,
``ownership`` refuses a save that would discard someone else's change.
"""

from hmp_engine.session.archive import ARRAYS, MANIFEST, load_project
from hmp_engine.session.migrations import MIGRATIONS, Migration
from hmp_engine.session.model import (
    FIT_ARRAYS,
    EditChanges,
    EditState,
    HandFit,
    KeypointEdit,
    Project,
    ProjectError,
    VideoRef,
)
from hmp_engine.session.ownership import ProjectChanged
from hmp_engine.session.schema import SCHEMA_VERSION

__all__ = ["ARRAYS", "FIT_ARRAYS", "MANIFEST", "MIGRATIONS", "SCHEMA_VERSION", "EditChanges", "EditState", "HandFit",
           "KeypointEdit", "Migration", "Project", "ProjectChanged", "ProjectError", "VideoRef", "load_project"]
