"""The training engine: torch, torchvision and torchmetrics only (never sqlmodel or textual)."""
