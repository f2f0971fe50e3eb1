"""One hand's fit in a Python process of its own, so that two hands take a core each.

The calling process keeps a single thread doing torch work: hands fitted in a second thread of the studio's
process, beside its Qt, decoding and rendering threads, had crashed it. A child that fails costs time, never the
hand: the caller fits that hand itself (`fit._fit_side_by_side`). Arguments and result travel as pickles in a
temporary folder only the user can read, so that a large result never blocks on a pipe.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hmp_engine.progress import Cancelled, CancelToken

if TYPE_CHECKING:
    from hmp_engine.fitting.fit import FitResult

POLL_S = 0.05
"""How often the caller checks the child and the cancel flag while it waits."""
PARENT_CHECK_S = 0.5
"""How often the child checks that its caller still runs."""
COMMAND = (sys.executable, "-m", __name__)
ARGUMENTS, RESULT, OUTPUT = "arguments.pkl", "result.pkl", "output.txt"


class HandProcessError(RuntimeError):
    """The child ended without a result; the message says how and its last line of output."""


class HandProcess:
    """`fit_hands(**arguments)` on the CPU, one torch thread, in a child Python started at once. A child that cannot
    start (no room for its files, no Python to run) fails as one that stopped does: `result` says why."""

    def __init__(self, arguments: dict[str, Any]) -> None:
        self.folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._start_error = ""
        try:
            self.folder = Path(tempfile.mkdtemp(prefix="hmp-fit-"))
            (self.folder / ARGUMENTS).write_bytes(pickle.dumps(arguments, protocol=pickle.HIGHEST_PROTOCOL))
            with (self.folder / OUTPUT).open("wb") as output:
                self._process = subprocess.Popen([*COMMAND, str(self.folder), str(os.getpid())], env=_child_env(),
                                                 stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        except (OSError, pickle.PicklingError) as error:
            self._start_error = f"the fit process could not start ({error})"
            self.close()

    def result(self, cancel: CancelToken | None = None) -> FitResult:
        """The child's fit once it exits; HandProcessError when it failed, Cancelled (child killed) if cancelled."""
        try:
            if self._process is None or self.folder is None:
                raise HandProcessError(self._start_error)
            while self._process.poll() is None:
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()
                time.sleep(POLL_S)
            path = self.folder / RESULT
            if self._process.returncode != 0 or not path.is_file():
                lines = (self.folder / OUTPUT).read_text(errors="replace").strip().splitlines()
                last = f": {lines[-1]}" if lines else ""
                raise HandProcessError(f"the fit process stopped with exit status {self._process.returncode}{last}")
            return pickle.loads(path.read_bytes())
        finally:
            self.close()

    def close(self) -> None:
        """Stop the child if it still runs and delete its files."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _child_env() -> dict[str, str]:
    """This environment, with the folder holding this package first on the path: the child imports the same code
    even where the caller found it by a path set at run time."""
    root = str(Path(__file__).resolve().parents[2])
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}


def watch_parent(folder: Path, parent: int) -> None:
    """In the child: once the caller (process id ``parent``, given by the caller, as it may die while this process
    starts) is gone, delete the folder and end this process instead of fitting on for nobody."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(1)

    threading.Thread(target=watch, name="hmp-watch-parent", daemon=True).start()


def _main(folder: Path, parent: int) -> None:
    """The child: read the arguments, fit on one thread, write the result atomically."""
    watch_parent(folder, parent)
    import torch

    from hmp_engine.fitting.fit import fit_hands

    torch.set_num_threads(1)
    result = fit_hands(**pickle.loads((folder / ARGUMENTS).read_bytes()), device="cpu")
    partial = folder / (RESULT + ".part")
    partial.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, folder / RESULT)


if __name__ == "__main__":
    _main(Path(sys.argv[1]), int(sys.argv[2]))
