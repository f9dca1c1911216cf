"""Architectures from the seed documents, assembled from shared conditioned G/D shells."""
