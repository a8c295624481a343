"""BM25 over Chinese character bigrams (and Latin/digit words), on scipy sparse matrices.

Bigrams need no dictionary, so exact phrases such as 三管三必须 or 一岗双责 are never cut
the wrong way, which is the most-reported failure of word-segmenting keyword search.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from .text import tokens


class BM25:
    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.5):
        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for tok in tokens(text):
                col = self.vocab.setdefault(tok, len(self.vocab))
                counts[col] = counts.get(col, 0) + 1
            lengths[row] = sum(counts.values())
            rows += [row] * len(counts)
            cols += counts.keys()
            vals += counts.values()
        n, m = len(texts), max(len(self.vocab), 1)
        tf = sparse.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(n, m))
        df = np.bincount(np.asarray(cols, dtype=np.int64), minlength=m).astype(np.float32)
        self.idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if n else 1.0
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        tf = tf.tocoo()
        weights = tf.data * (k1 + 1) / (tf.data + norm[tf.row]) * self.idf[tf.col]
        self.matrix = sparse.csc_matrix((weights, (tf.row, tf.col)), shape=(n, m))
        self.size = n

    def term_ids(self, query: str) -> list[int]:
        return sorted({self.vocab[t] for t in tokens(query) if t in self.vocab})

    def scores(self, query: str) -> np.ndarray:
        ids = self.term_ids(query)
        if not ids or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.matrix[:, ids].sum(axis=1)).ravel()

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The k best (index, score); `allowed` (a boolean mask over the texts) limits the search."""
        scores = self.scores(query)
        if not len(scores):
            return []
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(int(i), float(scores[i])) for i in best if scores[i] > 0]

    def weight(self, token: str) -> float:
        """IDF of a token, 0 for one the corpus never uses."""
        col = self.vocab.get(token)
        return float(self.idf[col]) if col is not None else 0.0

    def coverage(self, query: str, text: str) -> float:
        """IDF-weighted share of the query's corpus-known tokens that `text` contains."""
        weights = {t: self.weight(t) for t in set(tokens(query))}
        total = sum(weights.values())
        if not total:
            return 0.0
        have = set(tokens(text))
        return sum(w for t, w in weights.items() if t in have) / total

    def uses(self, term: str) -> bool:
        """Every token of `term` occurs in the corpus."""
        toks = tokens(term)
        return bool(toks) and all(t in self.vocab for t in toks)

    def known(self, query: str) -> float:
        """Share of the query's tokens the corpus uses at all: low for questions from another domain."""
        toks = tokens(query)
        return sum(1 for t in toks if t in self.vocab) / len(toks) if toks else 0.0
