"""Hit/miss counting shared by the feature caches (torch-free: the runner's cache imports it)."""

from __future__ import annotations


class CacheCounter:
    """Counts hits and misses of ``get``; tests assert that real images are embedded only once."""

    hits: int = 0
    misses: int = 0

    def counted(self, payload: bytes | None) -> bytes | None:
        if payload is None:
            self.misses += 1
        else:
            self.hits += 1
        return payload
