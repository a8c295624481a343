"""The embedder: bundled multilingual-e5-small by default, any sentence-transformers model by setting."""
from __future__ import annotations

import logging
import os

import numpy as np

from . import bundled_model
from .settings import BUNDLED_MODEL, Settings

log = logging.getLogger(__name__)


def limit_threads(threads: int) -> None:
    """Pin the BLAS/OpenMP pools before torch loads: with 2 busy cores, spinning
    OpenMP workers turn a 40 ms query into seconds."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Embedder:
    def __init__(self, settings: Settings):
        limit_threads(settings.threads)
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(settings.threads)
        if settings.model == BUNDLED_MODEL:
            bundled_model.ensure(settings.model_dir)
        self.name = settings.model
        self.model = SentenceTransformer(settings.model_path, device="cpu", local_files_only=True)
        self.dim = self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension") \
            else self.model.get_sentence_embedding_dimension()
        self._prompts = getattr(self.model, "prompts", {}) or {}

    def _encode(self, texts: list[str], prompt: str, batch_size: int = 16) -> np.ndarray:
        kwargs = {"prompt_name": prompt} if prompt in self._prompts else {}
        vectors = self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False, **kwargs)
        return np.asarray(vectors, dtype=np.float32)

    def passages(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts, "passage", batch_size)

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query")[0]
