"""The embedder: bundled multilingual-e5-small by default, any sentence-transformers model by setting.

The bundled model runs on onnxruntime by default (`KB_EMBED_BACKEND=onnx`): the same fp32 weights
exported once at set-up give the same vectors (tested at cosine ≥ 0.9999), and a new process needs
neither torch nor sentence-transformers, so a new `python -m bot ask` answers in 3.6 s instead of 9.7 s.
`KB_EMBED_BACKEND=torch` (and any other model) uses sentence-transformers on torch.
"""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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


def load_embedder(settings: Settings):
    """The configured embedder: ONNX for the bundled model (unless torch is asked for), else torch."""
    if settings.model == BUNDLED_MODEL and settings.backend == "onnx":
        limit_threads(settings.threads)
        bundled_model.ensure(settings.model_dir)
        return OnnxEmbedder(settings)
    return Embedder(settings)


class OnnxEmbedder:
    """e5 on onnxruntime: the tokenizer of the converted folder, mean pooling, L2 norm, e5 prompts."""

    def __init__(self, settings: Settings, path: Path | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(settings.model_dir)
        # The 17 MB vocabulary parses while the 470 MB graph loads: together they are most of a
        # new process's wait, and neither needs the other.
        tokenizer = ThreadPoolExecutor(1).submit(Tokenizer.from_file, str(model_dir / "tokenizer.json"))
        options = ort.SessionOptions()
        options.intra_op_num_threads = settings.threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path or bundled_model.onnx_path(model_dir)), options,
                                            providers=["CPUExecutionProvider"])
        self.tokenizer = tokenizer.result()
        self.tokenizer.enable_truncation(512)
        self.pad_id = self.tokenizer.token_to_id("<pad>")
        self.name, self.dim = settings.model, 384

    def _encode(self, texts: list[str], prefix: str, batch_size: int = 16) -> np.ndarray:
        # sorted by length, like sentence-transformers, so a batch pads little
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            encodings = self.tokenizer.encode_batch([prefix + texts[i] for i in idx])
            width = max(len(e.ids) for e in encodings)
            ids = np.array([e.ids + [self.pad_id] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
            mask = np.array([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[idx] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    def passages(self, texts: list[str], batch_size: int = 16) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(list(texts), "passage: ", batch_size)

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], "query: ")[0]


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
