"""The loss formulas, on raw critic scores ``(N,)`` (no sigmoid applied).

With ``C`` the critic, ``r = C(real)`` and ``f = C(fake)``, the relativistic average scores are
``r~ = r - mean(f)`` and ``f~ = f - mean(r)``. The discriminator wants ``r~`` high and ``f~`` low; the
generator wants the opposite, which is why its loss needs the real scores as well.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _relative(real: torch.Tensor, fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    real, fake = real.reshape(-1), fake.reshape(-1)
    return real - fake.mean(), fake - real.mean()


def _need_real(real_scores: torch.Tensor | None, loss: str) -> torch.Tensor:
    if real_scores is None:
        raise TypeError(
            f"{loss} generator loss needs real_scores=...; this cgan-tui engine does not pass them "
            "(it must honour Loss.g_needs_real)"
        )
    return real_scores.detach()  # the generator's gradient flows through the fake scores only


def rsgan_d(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """-log sigmoid(r~) - log(1 - sigmoid(f~)), averaged per set and summed (like the built-in bce)."""
    r, f = _relative(real_scores, fake_scores)
    return F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + F.binary_cross_entropy_with_logits(
        f, torch.zeros_like(f)
    )


def rsgan_g(fake_scores: torch.Tensor, *, real_scores: torch.Tensor | None = None) -> torch.Tensor:
    """The discriminator's loss with the roles of real and fake swapped."""
    r, f = _relative(_need_real(real_scores, "rsgan"), fake_scores)
    return F.binary_cross_entropy_with_logits(f, torch.ones_like(f)) + F.binary_cross_entropy_with_logits(
        r, torch.zeros_like(r)
    )


def rahinge_d(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """mean relu(1 - r~) + mean relu(1 + f~)."""
    r, f = _relative(real_scores, fake_scores)
    return F.relu(1.0 - r).mean() + F.relu(1.0 + f).mean()


def rahinge_g(fake_scores: torch.Tensor, *, real_scores: torch.Tensor | None = None) -> torch.Tensor:
    """mean relu(1 + r~) + mean relu(1 - f~)."""
    r, f = _relative(_need_real(real_scores, "rahinge"), fake_scores)
    return F.relu(1.0 + r).mean() + F.relu(1.0 - f).mean()
