"""Fashion-MNIST's class names by label: one home, importable without torch (the UI labels rows with it)."""

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

NUM_CLASSES = len(CLASS_NAMES)
"""Labels are ``0 .. NUM_CLASSES - 1``: what a model family passes as ``num_classes`` to the conditioning factories."""
IMAGE_SHAPE = (1, 28, 28)
"""``(channels, height, width)`` of every image a generator makes and a discriminator sees."""

MODE_COLLAPSE_THRESHOLD = 0.5
"""A class is mode-collapsed when its generated samples' mean pairwise classifier-feature distance is
below this fraction of the real test images' (same class, same classifier): ``mode_collapse@classifier``
counts such classes and ``diversity_cK@classifier`` stores each class's ratio, so the report's map and the
count can never disagree."""


def class_diversity_key(label: int) -> str:
    """The stored name of class ``label``'s diversity ratio (``diversity_c3``)."""
    return f"diversity_c{label}"


PER_CLASS_PREFIXES = ("diversity_c", "intra_fid_c")
"""Value names stored once per class (``diversity_c3``, ``intra_fid_c3``): hidden from default tables."""


def intra_fid_key(label: int) -> str:
    """The stored name of class ``label``'s FID within its class (``intra_fid_c3``)."""
    return f"intra_fid_c{label}"


def per_class_label(name: str) -> int | None:
    """The class a per-class value name belongs to (``intra_fid_c3`` -> 3), else None."""
    for prefix in PER_CLASS_PREFIXES:
        rest = name[len(prefix) :]
        if name.startswith(prefix) and rest.isdigit():
            return int(rest)
    return None


def worst_intra_fid(values: dict[str, float | None]) -> tuple[int, float] | None:
    """(label, value) of the class with the highest ``intra_fid_cK`` among value names (``@backend``
    suffixes allowed), or None when there is none: the class a conditional generator draws worst."""
    per_class = {}
    for key, value in values.items():
        name = key.partition("@")[0]
        if value is not None and name.startswith("intra_fid_c") and per_class_label(name) is not None:
            per_class[per_class_label(name)] = float(value)
    if not per_class:
        return None
    label = max(per_class, key=per_class.__getitem__)
    return label, per_class[label]


def class_name(label: int) -> str:
    """``Shirt (c6)``: the name and the stored label, or ``c12`` beyond the ten classes."""
    return f"{CLASS_NAMES[label]} (c{label})" if 0 <= label < len(CLASS_NAMES) else f"c{label}"


def worst_class_note(series: dict[str, dict[int, float]], backend: str = "classifier") -> str:
    """`` · worst class Shirt (c6), intra-FID 84.2 (epoch 30)`` from per-epoch curves (key -> epoch ->
    value) at the latest epoch with per-class intra-FID on ``backend``; "" when there is none."""
    suffix = "@" + backend
    curves = {k: v for k, v in series.items() if k.endswith(suffix) and k.startswith("intra_fid_c") and v}
    if not curves:
        return ""
    epoch = max(e for v in curves.values() for e in v)
    worst = worst_intra_fid({k: v.get(epoch) for k, v in curves.items()})
    if worst is None:
        return ""
    return f" · worst class {class_name(worst[0])}, intra-FID {worst[1]:.1f} (epoch {epoch})"
