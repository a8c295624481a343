"""BM25 over Chinese character bigrams (and Latin/digit words), on scipy sparse matrices, kept
per document so an update re-reads only the documents that changed.

Bigrams need no dictionary, so exact phrases such as 三管三必须 or 一岗双责 are never cut
the wrong way, which is the most-reported failure of word-segmenting keyword search.

The index is a stack of segments, one per document: its chunks and their raw term counts. BM25's
corpus statistics (document frequencies, average length) are computed when segments are stacked
and its weights only for the question's terms at query time, so adding, changing or removing one
document costs that document's tokens plus one stacking, not a pass over every chunk's text.
Segments are saved beside the store under a key of the document's manifest entry (SegmentCache),
so a restarted process reads them back instead of rebuilding, and a stale one is never used: its
key no longer matches the manifest.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from ingest.records import Chunk

from .text import tokens

log = logging.getLogger(__name__)


def indexed_text(chunk: Chunk) -> str:
    # The section headings count as the chunk's words: a question naming a chapter finds its articles.
    return f"{' '.join(chunk.section)}\n{chunk.text}"


@dataclass
class Segment:
    """One document's part of the index: its chunks, in order, and their raw term counts (columns
    in the process's shared vocabulary)."""

    key: str
    chunks: list[Chunk]
    counts: sparse.csr_matrix


def count_terms(texts: list[str], vocab: dict[str, int]) -> sparse.csr_matrix:
    """Raw term counts, one row per text; new terms join `vocab`."""
    rows, cols, vals = [], [], []
    for row, text in enumerate(texts):
        counts: dict[int, int] = {}
        for tok in tokens(text):
            col = vocab.setdefault(tok, len(vocab))
            counts[col] = counts.get(col, 0) + 1
        rows += [row] * len(counts)
        cols += counts.keys()
        vals += counts.values()
    return sparse.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                             shape=(len(texts), max(len(vocab), 1)))


def make_segment(key: str, chunks: list[Chunk], vocab: dict[str, int]) -> Segment:
    return Segment(key, chunks, count_terms([indexed_text(c) for c in chunks], vocab))


class BM25:
    def __init__(self, counts: sparse.csr_matrix, vocab: dict[str, int], k1: float = 1.2, b: float = 0.5):
        self.vocab = vocab
        self.k1 = k1
        self.size = counts.shape[0]
        self.tf = sparse.csc_matrix(counts, dtype=np.float32)
        self.df = np.diff(self.tf.indptr)
        self.idf = np.log(1.0 + (self.size - self.df + 0.5) / (self.df + 0.5)).astype(np.float32)
        lengths = np.asarray(counts.sum(axis=1), dtype=np.float32).ravel()
        avg = float(lengths.mean()) if self.size else 1.0
        self.norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))

    @classmethod
    def from_texts(cls, texts: list[str]) -> BM25:
        vocab: dict[str, int] = {}
        return cls(count_terms(texts, vocab), vocab)

    @classmethod
    def from_segments(cls, segments: list[Segment], vocab: dict[str, int]) -> BM25:
        width = max(len(vocab), 1)
        parts = [sparse.csr_matrix((s.counts.data, s.counts.indices, s.counts.indptr), shape=(s.counts.shape[0], width))
                 for s in segments if s.counts.shape[0]]
        counts = sparse.vstack(parts, format="csr") if parts else sparse.csr_matrix((0, width), dtype=np.float32)
        return cls(counts, vocab)

    def _column(self, token: str) -> int | None:
        col = self.vocab.get(token)
        return col if col is not None and col < len(self.df) and self.df[col] else None

    def term_ids(self, query: str) -> list[int]:
        return sorted({c for t in tokens(query) if (c := self._column(t)) is not None})

    def scores(self, query: str) -> np.ndarray:
        ids = self.term_ids(query)
        if not ids or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        sub = self.tf[:, ids].tocoo()
        weights = sub.data * (self.k1 + 1) / (sub.data + self.norm[sub.row]) * self.idf[ids][sub.col]
        return np.bincount(sub.row, weights=weights, minlength=self.size).astype(np.float32)

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
        col = self._column(token)
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
        return bool(toks) and all(self._column(t) is not None for t in toks)

    def known(self, query: str) -> float:
        """Share of the query's tokens the corpus uses at all: low for questions from another domain."""
        toks = tokens(query)
        return sum(1 for t in toks if self._column(t) is not None) / len(toks) if toks else 0.0

    @property
    def nbytes(self) -> int:
        return self.tf.data.nbytes + self.tf.indices.nbytes + self.tf.indptr.nbytes + self.norm.nbytes + self.idf.nbytes


# What a saved segment depends on besides the document: how text is cut into terms and which text is
# indexed. A change to either gives every file a new name, so an upgraded process never reads old counts.
_SAMPLE = Chunk(id="x", source="x", title="安全生产法", section=("第一章",), article=None, article_no=None, position=0,
                text="第１条 Ａｂ 12 安全生产、三管三必须。")
FORMAT = hashlib.sha1(repr((tokens(indexed_text(_SAMPLE)), indexed_text(_SAMPLE))).encode()).hexdigest()[:10]


class SegmentCache:
    """Segments on disk, one file per document version (the file name is a hash of its key and of
    FORMAT), in the process-independent form: the segment's own terms instead of vocabulary ids. A
    file that cannot be read, or does not match its key, is rebuilt, never trusted."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / (hashlib.sha1(f"{FORMAT}|{key}".encode()).hexdigest()[:24] + ".npz")

    def load(self, key: str, vocab: dict[str, int]) -> Segment | None:
        path = self._path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                head = json.loads(str(data["head"]))
                indices, indptr = data["indices"], data["indptr"]
                if head["key"] != key:
                    return None
                if len(indptr) != len(head["chunks"]) + 1 or (len(indices) and indices.max() >= len(head["terms"])):
                    raise ValueError("counts do not match the terms and chunks")
                local = np.array([vocab.setdefault(t, len(vocab)) for t in head["terms"]], dtype=np.int32)
                counts = sparse.csr_matrix((data["data"], local[indices], indptr),
                                           shape=(len(head["chunks"]), max(len(vocab), 1)))
            chunks = [Chunk.from_store(c["id"], c["text"], c["meta"]) for c in head["chunks"]]
            return Segment(key, chunks, counts)
        except Exception as exc:  # noqa: BLE001 - a cache: whatever is wrong with the file, rebuild it
            log.warning("lexical cache %s unreadable (%s): rebuilding it", path.name, exc)
            return None

    def save(self, segment: Segment, terms: list[str]) -> None:
        """Write atomically (several app processes may share the folder)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            counts = segment.counts
            used = np.unique(counts.indices)
            local = np.searchsorted(used, counts.indices)
            head = {"key": segment.key, "terms": [terms[i] for i in used],
                    "chunks": [{"id": c.id, "text": c.text, "meta": c.metadata()} for c in segment.chunks]}
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    np.savez(f, head=np.array(json.dumps(head, ensure_ascii=False)), data=counts.data,
                             indices=local.astype(np.int32), indptr=counts.indptr)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self._path(segment.key))
            finally:
                Path(tmp).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot write the lexical cache in %s: %s", self.folder, exc)

    def keep_only(self, keys: list[str]) -> None:
        """Delete the files of document versions no longer in the manifest."""
        wanted = {self._path(k).name for k in keys}
        for path in self.folder.glob("*.npz"):
            if path.name not in wanted:
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    pass   # a read-only folder: the stale file is never read (its name no longer matches)
