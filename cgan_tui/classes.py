"""Fashion-MNIST's class names by label: one home, importable without torch (the UI labels rows with it)."""

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

MODE_COLLAPSE_THRESHOLD = 0.5
"""A class is mode-collapsed when its generated samples' mean pairwise classifier-feature distance is
below this fraction of the real test images' (same class, same classifier): ``mode_collapse@classifier``
counts such classes and ``diversity_cK@classifier`` stores each class's ratio, so the report's map and the
count can never disagree."""


def class_diversity_key(label: int) -> str:
    """The stored name of class ``label``'s diversity ratio (``diversity_c3``)."""
    return f"diversity_c{label}"
