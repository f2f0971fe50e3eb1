"""Cost of one decode + backward (w.r.t. z) of a 128-frame window: our prior's decoder against an HMP-sized one.

The HMP-sized decoder follows the paper's public code: PE of normalised time
with frequencies 2^0..2^6 (14 values), latent 1024, Linear -> LayerNorm -> ReLU blocks of width 1024 where every
block after the first takes concat(h, PE(t), z) per frame, 8 blocks to a 144-wide head of which 96 values
(16 x 6D) are turned into rotations. Both decoders are measured in the same run, interleaved, with frozen
weights as in fitting; the table gives parameter counts and median milliseconds. Usage:

    python tools/compare_decoder_cost.py [--repeats 30] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import torch
from torch import nn

from hmp_engine.prior.model import MotionPrior, PriorConfig, parameter_count
from hmp_engine.rotations import matrix_to_axis_angle, sixd_to_matrix

FRAMES = 128


class ReferenceSizedDecoder(nn.Module):
    """The reference's NeMF decoder up to the local head: width 1024, 8 blocks, latent 1024, skip by concat."""

    def __init__(self, latent: int = 1024, width: int = 1024, blocks: int = 8, bandwidth: int = 7) -> None:
        super().__init__()
        self.register_buffer("scales", 2.0 ** torch.arange(bandwidth, dtype=torch.float32))
        encoding = 2 * bandwidth
        sizes = [encoding + latent] + [width + encoding + latent] * (blocks - 1)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(size, width), nn.LayerNorm(width), nn.ReLU())
                                    for size in sizes)
        self.head = nn.Linear(width, 144)

    def forward(self, z: torch.Tensor, frames: int) -> torch.Tensor:
        """Latent codes -> poses at ``frames`` evenly spaced times."""
        tau = torch.arange(frames, dtype=z.dtype) / FRAMES * 2.0 - 1.0
        angles = tau[:, None] * self.scales
        encoding = torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1).expand(z.shape[0], -1, -1)
        context = torch.cat([encoding, z[:, None].expand(-1, frames, -1)], dim=-1)
        h = self.blocks[0](context)
        for block in self.blocks[1:]:
            h = block(torch.cat([h, context], dim=-1))
        sixd = self.head(h)[..., :96].reshape(z.shape[0], frames, 16, 6)
        return matrix_to_axis_angle(sixd_to_matrix(sixd))


def time_once(decode, z: torch.Tensor) -> float:
    """Milliseconds of one decode + backward to z."""
    z.grad = None
    start = time.perf_counter()
    decode(z).square().sum().backward()
    return 1000.0 * (time.perf_counter() - start)


def main() -> None:
    """Time both decoders at the sizes given on the command line and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ours = MotionPrior(PriorConfig()).eval().requires_grad_(False)
    theirs = ReferenceSizedDecoder().eval().requires_grad_(False)
    candidates = {
        "ours": (ours, lambda z: ours.decode(z, FRAMES), torch.zeros(1, ours.latent_dim, requires_grad=True)),
        "HMP-sized": (theirs, lambda z: theirs(z, FRAMES), torch.zeros(1, 1024, requires_grad=True)),
    }
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for repeat in range(args.repeats + 3):
        for name, (_, decode, z) in candidates.items():
            elapsed = time_once(decode, z)
            if repeat >= 3:  # warm-up
                times[name].append(elapsed)
    medians = {name: statistics.median(values) for name, values in times.items()}
    config = ours.config
    print(f"Decode + backward w.r.t. z, one {FRAMES}-frame window, {args.threads} torch thread(s), "
          f"{platform.processor() or platform.machine()}, torch {torch.__version__}, median of {args.repeats}\n")
    print("| decoder | sizes | parameters (decoder) | parameters (whole prior) | median ms | relative |")
    print("|---|---|---:|---:|---:|---:|")
    rows = {
        "ours": (f"latent {config.latent_dim}, width {config.width}, {config.layers} layers, 15x6D head",
                 parameter_count(ours.decoder.requires_grad_(True)), f"{parameter_count(ours.requires_grad_(True)):,}"),
        "HMP-sized": ("latent 1024, width 1024, 8 layers to a 144-wide head",
                      parameter_count(theirs.requires_grad_(True)), "59,139,214 (reference, measured there)"),
    }
    for name, (sizes, decoder_params, total) in rows.items():
        print(f"| {name} | {sizes} | {decoder_params:,} | {total} | {medians[name]:.1f} | "
              f"{medians[name] / medians['HMP-sized']:.2f} |")
    print(f"\nours / HMP-sized = 1/{medians['HMP-sized'] / medians['ours']:.1f} (requirement: at most 1/5)")


if __name__ == "__main__":
    main()
