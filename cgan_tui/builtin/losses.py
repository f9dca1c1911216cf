"""Built-in losses, registered through the ``cgan_tui`` entry point like any third-party plugin."""

from __future__ import annotations

from cgan_tui.hooks import hookimpl
from cgan_tui.lazy import lazy
from cgan_tui.specs import Loss

_M = "cgan_tui.gan.losses:"


@hookimpl
def register_losses() -> list[Loss]:
    """bce, wgan-gp, lsgan, lsgan-sigmoid (seed 004), hinge."""
    return [
        Loss("bce", lazy(_M + "bce_d"), lazy(_M + "bce_g"), description="BCE with logits; G non-saturating"),
        Loss(
            "wgan-gp",
            lazy(_M + "wgan_d"),
            lazy(_M + "wgan_g"),
            penalty=lazy(_M + "gradient_penalty"),
            # seed 000: lr 1e-4; n_critic 5, betas (0.5, 0.9), lambda 10 from Gulrajani et al.
            defaults={"lr_g": 1e-4, "lr_d": 1e-4, "betas": (0.5, 0.9), "n_critic": 5, "gp_weight": 10.0},
            description="Wasserstein loss + gradient penalty (gp_weight) on interpolates",
        ),
        Loss("lsgan", lazy(_M + "lsgan_d"), lazy(_M + "lsgan_g"), description="least squares on raw scores"),
        Loss(
            "lsgan-sigmoid",
            lazy(_M + "lsgan_sigmoid_d"),
            lazy(_M + "lsgan_sigmoid_g"),
            description="seed 004: MSELoss on sigmoid(D)",
        ),
        Loss("hinge", lazy(_M + "hinge_d"), lazy(_M + "hinge_g"), description="hinge D, -mean(D) for G"),
    ]
