"""The prior VAE: shapes, decoding at any frame count or time, gradients to z, no constants among parameters."""

from __future__ import annotations

import pytest
import torch

from hmp_engine.prior.model import MotionPrior, PriorConfig, kl_divergence
from hmp_engine.rotations import axis_angle_to_matrix, geodesic_distance

SMALL = PriorConfig(window_frames=32, latent_dim=16, width=64, layers=3, frequencies=6, encoder_width=32)


@pytest.fixture()
def prior() -> MotionPrior:
    torch.manual_seed(0)
    model = MotionPrior(SMALL)
    torch.nn.init.normal_(model.decoder.head.weight, std=0.05)  # the head starts at zero: give it some output
    return model


def test_encode_and_decode_shapes(prior: MotionPrior) -> None:
    window = 0.3 * torch.randn(4, 32, 45)
    mu, logvar = prior.encode(window)
    assert mu.shape == logvar.shape == (4, 16)
    assert torch.equal(prior.encode_mean(window), mu)
    assert prior.decode(mu).shape == (4, 32, 45)
    assert prior.decode(mu, num_frames=77).shape == (4, 77, 45)
    assert (prior.window_frames, prior.latent_dim, prior.fps) == (32, 16, 30.0)
    with pytest.raises(ValueError, match=r"\(B, 32, 45\)"):
        prior.encode(torch.zeros(1, 31, 45))


def test_decode_at_given_times_per_window_or_shared(prior: MotionPrior) -> None:
    z = torch.randn(2, 16)
    frames = prior.decode(z)
    assert torch.allclose(prior.decode(z, times=torch.arange(32) / 30.0), frames, atol=1e-5)
    half = (torch.arange(32) + 0.5) / 30.0
    per_window = prior.decode(z, times=torch.stack([torch.arange(32) / 30.0, half]))
    assert torch.allclose(per_window[0], frames[0], atol=1e-5)
    assert torch.allclose(per_window[1], prior.decode(z, times=half)[1], atol=1e-5)
    assert not torch.allclose(per_window[1], frames[1], atol=1e-3)


def test_training_pass_decodes_all_frames_or_the_chosen_ones(prior: MotionPrior) -> None:
    window = 0.3 * torch.randn(2, 32, 45)
    everything = prior(window)[0]
    assert everything.shape == (2, 32, 15, 3, 3)
    chosen = torch.tensor([[0, 5, 31], [2, 3, 4]])
    some = prior(window, frames=chosen)[0]
    assert torch.allclose(some, everything[torch.arange(2)[:, None], chosen], atol=1e-5)


def test_decode_is_differentiable_with_respect_to_z(prior: MotionPrior) -> None:
    prior.requires_grad_(False)
    z = torch.zeros(1, 16, requires_grad=True)
    prior.decode(z).square().sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0


def test_every_parameter_learns_and_constants_are_buffers(prior: MotionPrior) -> None:
    window = 0.3 * torch.randn(3, 32, 45)
    rotations, mu, logvar = prior(window, torch.randn(3, 16))
    target = axis_angle_to_matrix(window.reshape(3, 32, 15, 3))
    (geodesic_distance(rotations, target).mean() + kl_divergence(mu, logvar)).backward()
    for name, parameter in prior.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
    buffers = {name for name, _ in prior.named_buffers()}
    assert {"decoder.encoding.scales", "sixd_mean", "sixd_std", "delta_std"} <= buffers
    assert prior.decoder.head.out_features == 15 * 6  # only the outputs that are used


def test_untrained_decoder_starts_at_the_mean_pose() -> None:
    model = MotionPrior(SMALL)
    assert torch.allclose(model.decode(torch.randn(2, 16)), torch.zeros(2, 32, 45), atol=1e-6)


def test_kl_is_zero_for_the_standard_normal() -> None:
    assert kl_divergence(torch.zeros(5, 8), torch.zeros(5, 8)).item() == 0.0
    assert kl_divergence(torch.ones(5, 8), torch.zeros(5, 8)).item() == pytest.approx(4.0)
