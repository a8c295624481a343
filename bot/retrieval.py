"""Hybrid retrieval: dense e5 search in Chroma fused with BM25 over character bigrams,
article look-ups that win whatever their scores, and the "nothing relevant" decision.

The retriever serves a snapshot of the knowledge base: the manifest's chunk lists at one
revision, their texts and the BM25 index built from them. Dense hits outside the snapshot
(chunks of a document being re-ingested right now) are ignored, so an answer never mixes
two versions of a document. A new revision is picked up within `refresh_seconds`.
"""
from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from functools import cache

from ingest.numerals import CHINESE_NUMERAL_CHARS, from_chinese
from ingest.records import Chunk

from . import glossary
from .lexical import BM25

log = logging.getLogger(__name__)
RRF_K = 60
CANDIDATES = 30
# Words that ask, rather than say what is asked about; they must not count as evidence.
STOP_WORDS = set(
    "什么 哪些 哪个 哪几个 哪一条 哪几 哪 几 几个 几次 多少 多久 多长时间 怎么 怎么样 怎样 如何 是否 能不能 不能 "
    "可不可以 吗 呢 请问 具体 内容 具体内容 意思 一下 请 谈谈 回答 要求 规定 说 指 是 有 的 了 在 和 与 对 要 会 能 可以 "
    "应当 需要 时候 开始 分别 包括 一次 里 中 后 时 没有 做到 条件 实现 面对 才 我们 一个".split())
UNKNOWN_RARITY = 12.0
_ARTICLE_QUERY = re.compile(rf"第\s*([{CHINESE_NUMERAL_CHARS}0-9]+)\s*条")


@dataclass
class Hit:
    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float = 0.0
    article_match: bool = False


@dataclass
class Snapshot:
    revision: str
    chunks: list[Chunk]
    index: dict[str, int]
    bm25: BM25
    titles: list[str]

    @classmethod
    def build(cls, store, revision: str) -> Snapshot:
        lists = store.document_chunk_ids()
        ids = [i for source in sorted(lists) for i in lists[source]]
        chunks = store.get_chunks(ids)
        chunks.sort(key=lambda c: (c.source, c.position))
        bm25 = BM25([f"{' '.join(c.section)}\n{c.text}" for c in chunks])
        titles = sorted({c.title for c in chunks})
        return cls(revision, chunks, {c.id: n for n, c in enumerate(chunks)}, bm25, titles)


@dataclass
class Relevance:
    found: bool
    coverage: float
    dense: float
    reason: str


class Retriever:
    def __init__(self, kb, refresh_seconds: float = 2.0, fusion: str = "weighted", dense_weight: float = 0.5,
                 mode: str = "hybrid"):
        self.kb = kb
        self.mode = mode  # "hybrid", or "dense" / "bm25" alone (for comparisons)
        self.dense_weight = dense_weight
        self.refresh_seconds = refresh_seconds
        self.fusion = fusion
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def snapshot(self, force: bool = False) -> Snapshot:
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None or force or now - self._checked >= self.refresh_seconds:
                revision = self.kb.store.revision()
                if self._snapshot is None or revision != self._snapshot.revision:
                    self._snapshot = Snapshot.build(self.kb.store, revision)
                    log.info("retrieval snapshot %s: %d chunks", revision[:8], len(self._snapshot.chunks))
                self._checked = now
            return self._snapshot

    def search(self, query: str, k: int = 5, mode: str | None = None) -> list[Hit]:
        mode = mode or self.mode
        snap = self.snapshot()
        if not snap.chunks:
            return []
        expanded = glossary.expand(query)
        dense = []
        if mode in ("hybrid", "dense"):
            found = self.kb.store.search(self.kb.embedder.query(expanded), CANDIDATES + 10)
            if any(i not in snap.index for i, _ in found[:CANDIDATES]):
                # The store moved on (a document was just re-ingested): catch up before answering.
                snap = self.snapshot(force=True)
            dense = [(snap.index[i], s) for i, s in found if i in snap.index][:CANDIDATES]
        lexical = snap.bm25.top(expanded, CANDIDATES) if mode in ("hybrid", "bm25") else []
        hits = self._fuse(snap, dense, lexical)
        pinned = self._article_hits(query, snap)
        if pinned:
            by_index = {snap.index[h.chunk.id]: h for h in hits}
            first = [by_index.get(i) or Hit(snap.chunks[i], 0.0) for i in pinned]
            for h in first:
                h.article_match = True
            hits = first + [h for h in hits if not h.article_match]
        return hits[:k]

    def _fuse(self, snap, dense, lexical) -> list[Hit]:
        """Reciprocal-rank fusion, or ("weighted") a blend of min-max-scaled scores."""
        hits: dict[int, Hit] = {}
        for i, sim in dense:
            hits.setdefault(i, Hit(snap.chunks[i], 0.0)).dense = sim
        for i, score in lexical:
            hits.setdefault(i, Hit(snap.chunks[i], 0.0)).lexical = score
        if self.fusion == "rrf":
            for ranked in (dense, lexical):
                for rank, (i, _) in enumerate(ranked):
                    hits[i].score += 1 / (RRF_K + rank)
        else:
            d_scale, l_scale = _scaler([s for _, s in dense]), _scaler([s for _, s in lexical])
            for hit in hits.values():
                hit.score = (self.dense_weight * d_scale(hit.dense)
                             + (1 - self.dense_weight) * l_scale(hit.lexical if hit.lexical else None))
        return sorted(hits.values(), key=lambda h: -h.score)

    def _article_hits(self, query: str, snap: Snapshot) -> list[int]:
        """Chunks of every article the question names (第二十一条, 第21条), in the order named."""
        numbers = [n for m in _ARTICLE_QUERY.finditer(query) if (n := from_chinese(m.group(1)))]
        wanted = _titles_named(query, snap.titles)
        return [i for n in dict.fromkeys(numbers) for i, c in enumerate(snap.chunks)
                if c.article_no == n and (not wanted or c.title in wanted)]

    # --- is anything relevant? --------------------------------------------------

    def relevance(self, query: str, hits: list[Hit]) -> Relevance:
        """Decide, before any answer is composed, whether the knowledge base answers `query`.

        Two signals must agree: the best passages' dense similarity, and coverage, the
        share of the question's content words (jieba words, weighted by how rare they are
        in general Chinese) that appear in the best three passages. A question about the
        weather or another law's fines fails coverage; an off-topic English one fails the
        dense test. Thresholds were calibrated on eval/questions.jsonl (README).
        """
        settings = self.kb.settings
        if not hits:
            return Relevance(False, 0.0, 0.0, "empty knowledge base")
        if hits[0].article_match:
            return Relevance(True, 1.0, hits[0].dense or 0.0, "article look-up")
        if self._asks_missing_article(query):
            return Relevance(False, 0.0, 0.0, "no such article")
        dense = max((h.dense or 0.0) for h in hits[:3])
        coverage = word_coverage(query, hits[:3])
        dense_ok = dense >= settings.min_dense or self.mode == "bm25"   # BM25 alone has no dense score
        found = coverage >= settings.min_coverage and dense_ok
        return Relevance(found, coverage, dense, f"coverage {coverage:.2f}, dense {dense:.3f}")

    def _asks_missing_article(self, query: str) -> bool:
        """「安全生产法第一百五十条」 when that law has no such article: nothing to answer."""
        return bool(_ARTICLE_QUERY.search(query)) and bool(_titles_named(query, self.snapshot().titles))


def word_coverage(query: str, hits: list[Hit]) -> float:
    weights = word_weights(query)
    if not weights:
        return 1.0  # nothing to check word by word (English, or only question words): dense decides
    text = "\n".join(f"{h.chunk.path}\n{h.chunk.text}" for h in hits)
    return sum(w for word, w in weights.items() if word in text) / sum(weights.values())


def word_weights(text: str) -> dict[str, float]:
    """The content words of `text`, each weighted by its rarity in general Chinese."""
    return {w: rarity(w) for w in content_words(text)}


def content_words(text: str) -> list[str]:
    import jieba

    _general_frequencies()   # loads jieba quietly once
    return [w for w in dict.fromkeys(jieba.lcut(text))
            if w not in STOP_WORDS and re.search(r"[\u4e00-\u9fff]", w)]


@cache
def _general_frequencies() -> tuple[dict, int]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt.FREQ, jieba.dt.total


def rarity(word: str) -> float:
    """-log of the word's frequency in jieba's general-Chinese dictionary; unknown words count as rare."""
    freq, total = _general_frequencies()
    count = freq.get(word, 0)
    return math.log(total / (count + 1)) if count else UNKNOWN_RARITY


def _scaler(scores: list[float]):
    """Min-max scaling over one ranked list; a passage missing from the list scores 0."""
    if not scores:
        return lambda _s: 0.0
    low, high = min(scores), max(scores)
    span = high - low or 1.0
    return lambda s: 0.0 if s is None else (s - low) / span


def _titles_named(query: str, titles: list[str]) -> set[str]:
    named = {t for t in titles if t in query or t.removeprefix("中华人民共和国") in query}
    named |= {full for alias, full in glossary.ALIASES.items() if alias in query and full in titles}
    return named

