"""The DINOv2 vision transformer, enough of it to load Meta's backbone files and give the CLS token.

The layer names and shapes are those of ``facebookresearch/dinov2`` (``vision_transformer.py`` with
``block_chunks=0``, as its torch.hub entries build them), so ``dinov2_vit{s,b}14_pretrain.pth`` loads
with ``strict=True``. The sizes (width, depth, patch, MLP width) are read from the file, heads are 64
channels each as in DINOv2. Position embeddings (trained at 518 px, 37 x 37 patches) are resized to the
input's patch grid as DINOv2 does (bicubic, scale factor with its 0.1 offset). Written here rather than
fetched with ``torch.hub.load``, which would download and run the repository's code at evaluation time.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

HEAD_DIM = 64
INTERPOLATE_OFFSET = 0.1


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        return self.proj(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, c))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class LayerScale(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gamma


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.ls1 = LayerScale(dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, hidden)
        self.ls2 = LayerScale(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class PatchEmbed(nn.Module):
    def __init__(self, patch: int, dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)


class DinoViT(nn.Module):
    """``forward(images (N, 3, H, W), ImageNet-normalised) -> CLS token after the last norm (N, dim)``."""

    def __init__(self, dim: int, depth: int, patch: int, positions: int, hidden: int) -> None:
        super().__init__()
        self.patch = patch
        self.num_features = dim
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, positions + 1, dim))
        self.mask_token = nn.Parameter(torch.zeros(1, dim))  # used in DINOv2's training only; kept to load strictly
        self.patch_embed = PatchEmbed(patch, dim)
        self.blocks = nn.ModuleList(Block(dim, max(dim // HEAD_DIM, 1), hidden) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)

    @classmethod
    def from_state_dict(cls, state: dict[str, torch.Tensor]) -> DinoViT:
        """The network a DINOv2 backbone file describes, with its weights (strict load: a wrong file fails)."""
        try:
            dim = state["cls_token"].shape[-1]
            patch = state["patch_embed.proj.weight"].shape[-1]
            positions = state["pos_embed"].shape[1] - 1
            hidden = state["blocks.0.mlp.fc1.weight"].shape[0]
        except (KeyError, AttributeError, IndexError) as exc:
            raise ValueError(f"not a DINOv2 backbone state dict (missing {exc})") from None
        depth = 1 + max(int(m.group(1)) for k in state if (m := re.match(r"blocks\.(\d+)\.", k)))
        net = cls(dim, depth, patch, positions, hidden)
        net.load_state_dict(state, strict=True)
        return net.eval()

    def position_embedding(self, grid_h: int, grid_w: int) -> torch.Tensor:
        pos = self.pos_embed.float()
        side = int(math.sqrt(pos.shape[1] - 1))
        if side * side == pos.shape[1] - 1 and (grid_h, grid_w) == (side, side):
            return pos
        patches = pos[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
        scale = ((grid_h + INTERPOLATE_OFFSET) / side, (grid_w + INTERPOLATE_OFFSET) / side)
        patches = F.interpolate(patches, scale_factor=scale, mode="bicubic", antialias=False)
        patches = patches.permute(0, 2, 3, 1).reshape(1, grid_h * grid_w, -1)
        return torch.cat([pos[:, :1], patches], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed.proj(x)
        grid_h, grid_w = tokens.shape[-2:]
        tokens = tokens.flatten(2).transpose(1, 2)
        tokens = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        tokens = tokens + self.position_embedding(grid_h, grid_w).to(tokens.dtype)
        for block in self.blocks:
            tokens = block(tokens)
        return self.norm(tokens)[:, 0]


def load(path: Path) -> DinoViT:
    state = torch.load(path, map_location="cpu", weights_only=True)
    return DinoViT.from_state_dict(state)


def validate_file(path: Path) -> None:
    """Raises unless ``path`` loads as a DINOv2 backbone (``weights import`` / ``fetch`` checks)."""
    load(Path(path))
