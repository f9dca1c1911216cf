"""cgan-tui plugin: two discriminator-side conditioning schemes that work with any model family.

- ``projection`` (Miyato & Koyama, 2018): the score gets ``<embed(y), phi(x)>`` added, where
  ``phi(x)`` is the trunk's feature vector; the image goes in without label channels.
- ``ac`` (AC-GAN, Odena et al., 2017): the discriminator also classifies ``phi(x)``; the engine adds
  ``aux_weight * cross_entropy`` to both losses.

Both use a label embedding on the generator side (like the built-in ``embedding``). Run with
``--conditioning projection`` (and ``--d-conditioning projection`` where a model family maps
every generator scheme to its own discriminator scheme, as seed000 may).
"""

from __future__ import annotations

from cgan_tui import Conditioning, hookimpl, lazy

__version__ = "0.1.0"

_IMPL = "cgan_tui_projection.modules"
AC_WEIGHT = 1.0


@hookimpl
def register_conditionings() -> list[Conditioning]:
    """Projection discriminator and auxiliary classifier, each with an embedding generator side."""
    return [
        Conditioning(
            name="projection",
            generator=lazy(f"{_IMPL}:EmbeddingEncoder"),
            discriminator=lazy(f"{_IMPL}:ProjectionConditioner"),
            description="projection discriminator: score += <embed(y), features> (Miyato & Koyama 2018)",
        ),
        Conditioning(
            name="ac",
            generator=lazy(f"{_IMPL}:EmbeddingEncoder"),
            discriminator=lazy(f"{_IMPL}:AuxClassifierConditioner"),
            aux_weight=AC_WEIGHT,
            description=f"AC-GAN: auxiliary classifier on D features, cross-entropy x {AC_WEIGHT}",
        ),
    ]
