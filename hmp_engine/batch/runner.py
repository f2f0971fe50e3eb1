"""Running a batch's videos as Ray tasks, on a local Ray started in this process or on an existing cluster.

Each video is one task taking one CPU (and ``gpus_per_task`` GPUs when asked); the fit in it runs on one torch
thread, so a machine runs one video per core. The hand models and the prior go into Ray's object store once; a
worker process fetches them with its first task and keeps them for the next ones. At most as many tasks are in
flight as can run at once, so a batch of any size keeps the scheduler's queue short and a Ctrl+C cheap. The
manifest is updated as tasks finish (at most once a second, and at the end). On Ctrl+C the running tasks are
cancelled (each removes its staging folder) and the unfinished videos are recorded as skipped.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import ray
from ray.exceptions import RayError

from hmp_engine.batch.manifest import Manifest, VideoEntry, now
from hmp_engine.batch.report import BatchProgress
from hmp_engine.batch.settings import BatchSettings
from hmp_engine.batch.task import SharedModels, one_line, process_video, staging_folder

LOCAL_OBJECT_STORE_BYTES = 256 * 1024**2
"""Object store of a local Ray: the models and the results are a few MB."""
CANCEL_WAIT_S = 20.0
"""How long cancelled tasks get to stop and clean up before they are killed."""
SAVE_INTERVAL_S = 1.0
STOPPED = "stopped (Ctrl+C) before it finished"

_shared_cache: dict[str, SharedModels] = {}
"""In a worker process: the batch's shared models, by object id, fetched with its first task."""


class ClusterError(Exception):
    """Ray cannot be started or reached, or the cluster lacks what the batch asks for."""


def _video_task(name: str, video: str, outdir: str, settings: BatchSettings,
                shared: list[ray.ObjectRef]) -> VideoEntry:
    """The Ray task: one video.

    ``shared`` is wrapped in a list so that Ray passes the reference, not the models, and a worker fetches them
    once for all its tasks.
    """
    key = shared[0].hex()
    if key not in _shared_cache:
        _shared_cache.clear()
        _shared_cache[key] = ray.get(shared[0])
    return process_video(name, video, Path(outdir), settings, _shared_cache[key])


@contextlib.contextmanager
def ray_session(address: str | None, workers: int | None, gpus_per_task: float) -> Iterator[int]:
    """Ray for the duration of the block, yielding how many tasks can run at once (``workers`` at most).

    Without ``address``, a local Ray with ``workers`` CPUs starts in this process; with one, the cluster there
    is joined. Raises ClusterError.
    """
    slots = _connect(address, workers, gpus_per_task)
    try:
        yield slots
    finally:
        ray.shutdown()


def _connect(address: str | None, workers: int | None, gpus_per_task: float) -> int:
    """Start or join Ray; the number of tasks that can run at once. Raises ClusterError."""
    try:
        if address is None:
            ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,  # not a
                     logging_level=logging.ERROR, object_store_memory=LOCAL_OBJECT_STORE_BYTES)  # cluster found here
        else:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        resources = ray.cluster_resources()
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ClusterError(f"cannot {'start Ray' if address is None else f'join the Ray cluster at {address}'}: "
                           f"{one_line(error)}") from error
    slots = int(resources.get("CPU", 0))
    if gpus_per_task > 0:
        slots = min(slots, int(resources.get("GPU", 0) / gpus_per_task))
    if slots < 1:
        ray.shutdown()
        raise ClusterError(f"the Ray cluster has no room for a task of 1 CPU{' and GPUs' if gpus_per_task else ''} "
                           f"(it has {resources.get('CPU', 0):g} CPUs, {resources.get('GPU', 0):g} GPUs)")
    return min(slots, workers) if workers else slots


def run_batch(manifest: Manifest, names: list[str], shared: SharedModels, slots: int,
              progress: BatchProgress) -> bool:
    """Process the named videos of the manifest on the connected Ray, recording each as it finishes.

    Returns False when stopped by Ctrl+C (the unfinished videos then recorded as skipped). While it runs, SIGINT
    only sets a flag that the loop checks at least twice a second, so Ctrl+C never breaks into Ray's own calls.
    """
    task = ray.remote(_video_task).options(num_cpus=1, num_gpus=manifest.settings.gpus_per_task, max_retries=1)
    shared_ref = ray.put(shared)
    queue = deque(names)
    running: dict[ray.ObjectRef, str] = {}
    counts = {"done": 0, "failed": 0, "frames": 0}
    last_save, unsaved = time.monotonic(), False
    with _sigint_flag() as stop:
        while (queue or running) and not stop.is_set():
            while queue and len(running) < slots:
                name = queue.popleft()
                running[task.remote(name, manifest.entries[name].video, str(manifest.folder), manifest.settings,
                                    [shared_ref])] = name
            ready, _ = ray.wait(list(running), num_returns=1, timeout=0.5)
            for ref in ready:
                _record(manifest, running.pop(ref), ref, counts)
            unsaved = unsaved or bool(ready)
            if unsaved and time.monotonic() - last_save >= SAVE_INTERVAL_S:
                manifest.save()
                last_save, unsaved = time.monotonic(), False
            progress.update(counts["done"], counts["failed"], counts["frames"], len(running))
    if stop.is_set():
        _stop(manifest, running, counts)
    progress.update(counts["done"], counts["failed"], counts["frames"], 0, final=True)
    return not stop.is_set()


@contextlib.contextmanager
def _sigint_flag() -> Iterator[threading.Event]:
    """An event that SIGINT (Ctrl+C) sets for the duration of the block, instead of raising KeyboardInterrupt."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def _record(manifest: Manifest, name: str, ref: ray.ObjectRef, counts: dict[str, int]) -> None:
    """Put a finished task's entry in the manifest (a task that died: failed, with Ray's reason)."""
    try:
        entry = ray.get(ref)
    except RayError as error:
        entry = VideoEntry(name, manifest.entries[name].video, status="failed", error=one_line(error),
                           finished=now())
    manifest.entries[name] = entry
    counts[entry.status] += 1
    if entry.status == "done":
        counts["frames"] += entry.frames or 0


def _stop(manifest: Manifest, running: dict[ray.ObjectRef, str], counts: dict[str, int]) -> None:
    """Cancel the running tasks and record every unfinished video as skipped.

    A second Ctrl+C is ignored meanwhile. Tasks that finished before the cancel reached them keep their results;
    the staging folders of the others are removed.
    """
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for ref in running:
            ray.cancel(ref)
        stopped, stuck = (ray.wait(list(running), num_returns=len(running), timeout=CANCEL_WAIT_S) if running
                          else ([], []))
        for ref in stuck:
            ray.cancel(ref, force=True)
        for ref in stopped:
            try:
                ray.get(ref)
            except RayError:
                continue  # cancelled: recorded as skipped below
            _record(manifest, running[ref], ref, counts)  # it finished before the cancel reached it
        for name in running.values():
            if manifest.entries[name].status != "done":  # a killed task had no time to remove its folder
                shutil.rmtree(staging_folder(manifest.folder, name), ignore_errors=True)
        manifest.stop_pending(STOPPED)
    finally:
        signal.signal(signal.SIGINT, previous)
