"""Fashion-MNIST's class names by label: one home, importable without torch (the UI labels rows with it)."""

CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip
