"""Result columns the TUI's tables hide until asked (k on the results screen)."""

HIDDEN_BY_DEFAULT = ("epoch_seconds@train", "images_per_s@train", "d_conditioning", "planned_epochs")
"""Wall-clock statistics vary run to run and say nothing about the model: shown on request (k)."""
