"""Stand-ins, each for a part that cannot run at the needed size here, named as such.

HashEmbedder: embedding 10,000 files with the real model takes a quarter of an hour on this
2-core machine; the test that uses it is about file handling, so its vectors are hashes.
"""
from __future__ import annotations

import hashlib

import numpy as np


class HashEmbedder:
    """A stand-in embedder: deterministic unit vectors from a text hash (no meaning at all)."""

    def __init__(self, name: str, dim: int = 384):
        self.name, self.dim = name, dim

    def passages(self, texts, batch_size: int = 16) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
            vector = np.random.default_rng(seed).normal(size=self.dim).astype(np.float32)
            out[row] = vector / np.linalg.norm(vector)
        return out

    def query(self, text: str) -> np.ndarray:
        return self.passages([text])[0]
