"""cgan-tui: run and compare conditional GAN experiments on Fashion-MNIST from the terminal."""

__version__ = "0.1.0"
