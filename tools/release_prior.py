"""Turn a training checkpoint into the prior we ship: drop the optimizer state, keep what the model card cites.

The optimizer's moment estimates double the file and are only needed to resume; the step, the settings and
the loss history stay, so `hmp info`-style tools and the model card can say how the prior was trained.

    python tools/release_prior.py /tmp/prior/run.pt resources/priors/default.pt --note "..."
"""

from __future__ import annotations

import argparse

from hmp_engine.prior.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    """Copy a training checkpoint into a release checkpoint with its note."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="training checkpoint")
    parser.add_argument("target", help="release checkpoint to write")
    parser.add_argument("--note", default="", help="one line on how this prior was made")
    args = parser.parse_args()
    state = load_checkpoint(args.source)
    training = {key: value for key, value in state["training"].items() if key != "optimizer"}
    if args.note:
        training["note"] = args.note
    save_checkpoint(args.target, {**state, "training": training})


if __name__ == "__main__":
    main()
