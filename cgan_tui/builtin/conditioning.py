"""Built-in conditioning schemes (how labels enter G and D)."""

from __future__ import annotations

from cgan_tui.hooks import hookimpl
from cgan_tui.lazy import lazy
from cgan_tui.specs import Conditioning

_M = "cgan_tui.gan.conditioning:"


@hookimpl
def register_conditionings() -> list[Conditioning]:
    """embedding, one-hot (both sides) and label-map (discriminator only, seed 000)."""
    return [
        Conditioning(
            "embedding",
            generator=lazy(_M + "EmbeddingEncoder"),
            discriminator=lazy(_M + "EmbeddingChannels"),
            description="G: nn.Embedding(10, embed_dim); D: embed_dim broadcast channels (seed 004)",
        ),
        Conditioning(
            "one-hot",
            generator=lazy(_M + "OneHotEncoder"),
            discriminator=lazy(_M + "OneHotChannels"),
            description="G: one-hot 10; D: 10 one-hot channels (seed 004)",
        ),
        Conditioning(
            "label-map",
            discriminator=lazy(_M + "LabelMap"),
            description="D only: nn.Embedding(10, 28*28) as a 1x28x28 channel (seed 000)",
        ),
    ]
