"""cgan-tui plugin: relativistic average GAN losses (Jolicoeur-Martineau, 2018).

Both losses compare each score with the mean score of the other set, so the generator loss needs
the real scores too: they declare ``g_needs_real=True`` and the engine passes ``real_scores=``.
torch is imported only when a loss is first called (``lazy``), so listing plugins stays fast.
"""

from __future__ import annotations

from cgan_tui import Loss, hookimpl, lazy

__version__ = "0.1.0"

_IMPL = "cgan_tui_relativistic.losses"


@hookimpl
def register_losses() -> list[Loss]:
    """Relativistic average standard GAN (``rsgan``) and relativistic average hinge (``rahinge``)."""
    return [
        Loss(
            name="rsgan",
            d_loss=lazy(f"{_IMPL}:rsgan_d"),
            g_loss=lazy(f"{_IMPL}:rsgan_g"),
            g_needs_real=True,
            description="relativistic average standard GAN (RaSGAN): BCE on C(x) - mean C(other set)",
        ),
        Loss(
            name="rahinge",
            d_loss=lazy(f"{_IMPL}:rahinge_d"),
            g_loss=lazy(f"{_IMPL}:rahinge_g"),
            g_needs_real=True,
            description="relativistic average hinge: hinge on C(x) - mean C(other set)",
        ),
    ]
