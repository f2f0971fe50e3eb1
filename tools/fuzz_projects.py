"""Fuzz the project loader: damage a fitted project COUNT ways (seeded) and run `hmp info` and `hmp export` on
each; report every traceback, multi-line error or changed input file (exit 1 if any).

    python tools/fuzz_projects.py --count 2000 --seed 0 [--project P.hmp]

Without --project, the first frames of the test clip are detected and fitted into a fresh project first.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the mutations are shared with the suite's smaller fuzz test

from hmp_engine.session import ProjectError, load_project  # noqa: E402
from tests.engine.project_mutations import apply, command_problems, random_mutation  # noqa: E402
from tests.engine.worksafe_support import fitted_project  # noqa: E402


def main() -> int:
    """Run the fuzzing and print one summary line (and each problem found)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--project", type=Path, help="the project to damage (default: a fresh small one)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        project = args.project or fitted_project(REPO_ROOT / "tests" / "data" / "open_hand_reach_360p25.mp4", work)
        started, loaded, problems = time.monotonic(), 0, 0
        for index in range(args.count):
            mutation = random_mutation(rng, project)
            damaged = work / "damaged.hmp"
            apply(mutation, project, damaged)
            try:
                load_project(damaged)
                loaded += 1
            except ProjectError:
                pass
            except Exception as error:  # noqa: BLE001 - the loader let something other than ProjectError out
                problems += 1
                print(f"#{index} {mutation}: load_project: {type(error).__name__}: {error}", file=sys.stderr)
            for problem in command_problems(damaged, work):
                problems += 1
                print(f"#{index} {mutation}: {problem}", file=sys.stderr)
    print(f"{args.count} damaged projects (seed {args.seed}): {loaded} still loaded, {args.count - loaded} refused "
          f"as damaged; {problems} problems (tracebacks, multi-line errors, changed inputs); "
          f"{time.monotonic() - started:.0f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
