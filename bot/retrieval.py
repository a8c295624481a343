"""Hybrid retrieval: dense e5 search over passages and over their sentences, fused with BM25 over
character bigrams, and article look-ups that win whatever their scores.

The fusion weights depend on the question's language: BM25 over Chinese bigrams cannot match an
English question, so its lexical side searches the Chinese words its English words translate to
(bot/crosslingual.py). The weights are fitted on the dev split (bot/calibration.json).

The retriever serves a snapshot of the knowledge base: the manifest's chunk lists at one
revision, their texts and the BM25 index over them (per document, so a new revision re-reads only
the documents it changed; bot/lexical.py). Dense hits outside the snapshot
(chunks of a document being re-ingested right now) are ignored, so an answer never mixes
two versions of a document. A new revision is picked up within `refresh_seconds`.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from ingest.numerals import CHINESE_NUMERAL_CHARS, from_chinese
from ingest.metadata import DocInfo
from ingest.records import Chunk, category_of

from . import crosslingual, glossary
from .calibration import calibration
from .lexical import BM25, Segment, SegmentCache, make_segment
from .text import is_english, strip_question_words, word_frequency

log = logging.getLogger(__name__)
CANDIDATES = 30
SENTENCE_CANDIDATES = 60
_ARTICLE_QUERY = re.compile(rf"第\s*([{CHINESE_NUMERAL_CHARS}0-9]+)\s*条|\b(?i:art(?:icles?|\.)?)\s*(\d{{1,3}})\b"
                            rf"|(?<![第\d])(\d{{1,3}})\s*条")
# 「88条讲的啥」: a bare article number is a look-up when nothing but question words surrounds it
# (「列出5条措施」 asks for five measures); with a law's name beside it, it is one anyway.
_BARE_LOOKUP = re.compile(r"^\W*(?:\d{1,3}\s*条)\s*(?:讲|说|写|规定)?(?:的|了)?(?:是)?(?:啥|什么|哪些|什么内容|啥内容|内容)?\W*$")


@dataclass
class Hit:
    chunk: Chunk
    score: float
    dense: float | None = None      # cosine of the question to the passage
    sentence: float | None = None   # cosine of the question to the passage's best sentence
    lexical: float = 0.0            # BM25
    article_match: bool = False
    parts: tuple[Chunk, ...] = ()   # the stored chunks `chunk` joins: an article longer than one chunk


@dataclass
class Retrieval:
    """What one search found, and what the answer layer needs to go on from it."""

    query: str
    hits: list[Hit]
    vector: np.ndarray | None = None          # the question's e5 vector
    english: bool = False
    dense_ranked: list[str] = field(default_factory=list)     # chunk ids by passage similarity
    lexical_ranked: list[str] = field(default_factory=list)   # chunk ids by BM25
    sentence_sims: list[float] = field(default_factory=list)  # best sentence similarities, descending
    missing_article: bool = False             # 「安全生产法第一百五十条」 when the law has no such article
    other_law: str = ""     # a law or regulation the question names that the knowledge base does not hold
    coverage: float = 0.0   # IDF-weighted share of the question's corpus-known bigrams in the best passage
    known: float = 0.0      # share of the question's bigrams the corpus uses at all
    revision: str = ""      # the knowledge base's revision searched


@dataclass
class Snapshot:
    revision: str
    chunks: list[Chunk]
    index: dict[str, int]
    bm25: BM25
    titles: list[str]
    infos: dict[str, DocInfo] = field(default_factory=dict)   # source → dates, status, superseded provisions
    segments: dict[str, Segment] = field(default_factory=dict)   # source → its part of the lexical index

    @classmethod
    def build(cls, store, previous: Snapshot | None = None, cache: SegmentCache | None = None) -> Snapshot:
        """The knowledge base as the manifest has it now. Documents whose manifest entry is unchanged
        since `previous` (or whose segment `cache` holds) are not read again: an update costs the
        documents it changed."""
        records, lists, revision = store.manifest()
        vocab = previous.bm25.vocab if previous else {}
        known = {s.key: s for s in previous.segments.values()} if previous else {}
        segments, missing = {}, []
        for record in records:
            key = segment_key(record, lists.get(record.source, []))
            segment = known.get(key) or (cache.load(key, vocab) if cache else None)
            if segment is None:
                missing.append((record.source, key))
            else:
                segments[record.source] = segment
        if missing:
            segments.update(_read_segments(store, missing, lists, vocab, cache))
        if cache and (missing or len(known) != len(records)):
            cache.keep_only([s.key for s in segments.values()])
        ordered = [segments[source] for source in sorted(segments)]
        chunks = [c for s in ordered for c in s.chunks]
        infos = {r.source: DocInfo.from_json(r.info) for r in records}
        return cls(revision, chunks, {c.id: n for n, c in enumerate(chunks)}, BM25.from_segments(ordered, vocab),
                   sorted({c.title for c in chunks}), infos, segments)

    def scope(self, name: str) -> set[str] | None:
        """The documents a question is limited to: one document (its source), or a category and
        the categories below it; None for the whole knowledge base."""
        if not name:
            return None
        return {s for s in self.infos if s == name or category_of(s) == name
                or category_of(s).startswith(name + " › ")}

    def categories(self) -> list[str]:
        """Every category and the categories above it, in order."""
        found = set()
        for source in self.infos:
            parts = category_of(source).split(" › ")
            found.update(" › ".join(parts[:n]) for n in range(1, len(parts) + 1) if parts[0])
        return sorted(found)

    def superseded(self, source: str, article: str | None) -> dict | None:
        """What replaced this provision ({"by", "by_articles", "note"}), if a later one did."""
        info = self.infos.get(source)
        return info.superseded.get(article) if info and article else None

    def whole(self, source: str, article: str) -> Chunk | None:
        """One article of one document as one passage (its chunks joined, under the first one's id)."""
        found = self._wholes.get((source, article))
        return found[0] if found else None

    def whole_articles(self, hits: list[Hit]) -> list[Hit]:
        """Each hit on part of an article stored as several chunks becomes the whole article, once,
        at the rank of its best part: a penalty article's lead (「处五万元以下的罚款」) and the item a
        question is about (「（八）…未安装可燃气体报警装置的」) often lie in different chunks."""
        out: dict[str, Hit] = {}
        for hit in hits:
            whole, parts = self._wholes.get((hit.chunk.source, hit.chunk.article), (hit.chunk, ()))
            if whole.id in out:
                out[whole.id].article_match |= hit.article_match
            else:
                out[whole.id] = replace(hit, chunk=whole, parts=parts) if parts else hit
        return list(out.values())

    @cached_property
    def _wholes(self) -> dict[tuple[str, str], tuple[Chunk, tuple[Chunk, ...]]]:
        return {(whole.source, whole.article): (whole, parts) for whole, parts in join_articles(self.chunks)
                if whole.article}


def join_articles(chunks: list[Chunk]) -> list[tuple[Chunk, tuple[Chunk, ...]]]:
    """The chunks with each article stored as several chunks joined into one (under its first
    chunk's id), with the chunks it joins; other chunks as they are, with no parts."""
    groups: dict[tuple[str, str], list[Chunk]] = {}
    for c in chunks:
        groups.setdefault((c.source, c.article or c.id), []).append(c)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.append((group[0], ()))
            continue
        group.sort(key=lambda c: c.position)
        text = group[0].text
        for part in group[1:]:
            text = _merge_overlap(text, part.text)
        out.append((replace(group[0], text=text), tuple(group)))
    return out


class Retriever:
    def __init__(self, kb, refresh_seconds: float = 2.0, mode: str = "hybrid"):
        self.kb = kb
        where = f"{kb.settings.chroma_host}-{kb.settings.chroma_port}-" if kb.settings.chroma_host else ""
        self.cache = SegmentCache(kb.settings.store_dir / "lexical" / f"{where}{kb.settings.collection}")
        self.mode = mode  # "hybrid", or "dense" / "bm25" alone (for comparisons)
        self.refresh_seconds = refresh_seconds
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._lock = threading.Lock()

    def snapshot(self, force: bool = False) -> Snapshot:
        with self._lock:
            now = time.monotonic()
            if self._snapshot is None or force or now - self._checked >= self.refresh_seconds:
                revision = self.kb.store.revision()
                if self._snapshot is None or revision != self._snapshot.revision:
                    self._snapshot = Snapshot.build(self.kb.store, self._snapshot, self.cache)
                    log.info("retrieval snapshot %s: %d chunks", revision[:8], len(self._snapshot.chunks))
                self._checked = now
            return self._snapshot

    def stale(self) -> bool:
        """True when the next search must first (re)build the lexical snapshot: a slow step worth
        telling the user about."""
        return self._snapshot is None or self.kb.store.revision() != self._snapshot.revision

    def search(self, query: str, k: int = 5, mode: str | None = None) -> list[Hit]:
        return self.retrieve(query, k, mode).hits

    def retrieve(self, query: str, k: int = 5, mode: str | None = None, asked: str | None = None,
                 scope: str = "") -> Retrieval:
        """Search for `query`; `asked` is the user's own question when `query` also carries the
        conversation (a follow-up): only its article numbers are looked up. `scope` limits the
        search to a document or a category (Snapshot.scope)."""
        mode = mode or self.mode
        snap = self.snapshot()
        if scope and not snap.scope(scope):
            snap = self.snapshot(force=True)   # a document or category added a moment ago
        sources, allowed = _scope_mask(snap, scope)
        english = is_english(query)
        result = Retrieval(query, [], english=english, revision=snap.revision)
        if not snap.chunks:
            return result
        expanded = glossary.expand(query)
        dense, sentences = [], {}
        if mode in ("hybrid", "dense"):
            result.vector = self.kb.embedder.query(expanded)
            found = self.kb.store.search(result.vector, CANDIDATES + 10, sorted(sources) if sources is not None else None)
            if any(i not in snap.index for i, _ in found[:CANDIDATES]):
                # The store moved on (a document was just re-ingested): catch up before answering.
                snap = self.snapshot(force=True)
                sources, allowed = _scope_mask(snap, scope)
            dense = [(snap.index[i], s) for i, s in found if i in snap.index][:CANDIDATES]
            in_scope = None if allowed is None else [c.id for c, ok in zip(snap.chunks, allowed) if ok]
            for cid, _n, sim in self.kb.store.search_sentences(result.vector, SENTENCE_CANDIDATES, in_scope):
                if cid in snap.index:
                    sentences.setdefault(snap.index[cid], sim)   # best sentence first
            result.sentence_sims = sorted(sentences.values(), reverse=True)
        if english:   # BM25 cannot match English: search the corpus's Chinese words it translates to
            words, translated = crosslingual.to_chinese(expanded, snap.bm25.uses)
        else:
            words = strip_question_words(expanded)
        lexical = snap.bm25.top(words, CANDIDATES, allowed) if mode in ("hybrid", "bm25") else []
        hits = self._fuse(snap, dense, sentences, lexical, english)
        if hits:
            result.coverage = snap.bm25.coverage(words, f"{hits[0].chunk.path}\n{hits[0].chunk.text}")
            result.known = translated if english else snap.bm25.known(words)
        result.dense_ranked = [snap.chunks[i].id for i, _ in dense]
        result.lexical_ranked = [snap.chunks[i].id for i, _ in lexical]
        pinned, result.missing_article = self._article_hits(asked or query, query, snap)
        if allowed is not None:
            pinned = [i for i in pinned if allowed[i]]
        result.other_law = other_law_named(query, snap.titles)
        if pinned:
            by_index = {snap.index[h.chunk.id]: h for h in hits}
            first = [by_index.get(i) or Hit(snap.chunks[i], 0.0) for i in pinned]
            for h in first:
                h.article_match = True
            hits = first + [h for h in hits if not h.article_match]
        result.hits = snap.whole_articles(hits)[:k]
        return result

    def _fuse(self, snap, dense, sentences, lexical, english: bool) -> list[Hit]:
        """A blend of min-max-scaled scores, with weights per language."""
        hits: dict[int, Hit] = {}
        for i, sim in dense:
            hits.setdefault(i, Hit(snap.chunks[i], 0.0)).dense = sim
        for i, sim in sentences.items():
            hits.setdefault(i, Hit(snap.chunks[i], 0.0)).sentence = sim
        for i, score in lexical:
            hits.setdefault(i, Hit(snap.chunks[i], 0.0)).lexical = score
        w = calibration()["fusion"]["english" if english else "chinese"]
        scales = (_scaler([s for _, s in dense]), _scaler(list(sentences.values())),
                  _scaler([s for _, s in lexical]))
        for hit in hits.values():
            hit.score = (w["dense"] * scales[0](hit.dense) + w["sentence"] * scales[1](hit.sentence)
                         + w["lexical"] * scales[2](hit.lexical or None))
        return sorted(hits.values(), key=lambda h: -h.score)

    def _article_hits(self, asked: str, context: str, snap: Snapshot) -> tuple[list[int], bool]:
        """Chunks of every article the question names (第二十一条, 第21条, 安全生产法21条), in the
        order named, and whether a named law lacks a named article. A bare 「21条」 counts only next
        to a law's name (「列出5条措施」 asks for five measures); the law may come from the conversation."""
        wanted = titles_named(asked, snap.titles) or titles_named(context, snap.titles)
        explicit = titles_named(asked, snap.titles) or _BARE_LOOKUP.match(asked)
        numbers = [from_chinese(m.group(1) or m.group(2) or m.group(3)) for m in _ARTICLE_QUERY.finditer(asked)
                   if m.group(1) or m.group(2) or explicit]
        numbers = [n for n in numbers if n]
        if not numbers:
            return [], False
        pinned = [i for n in dict.fromkeys(numbers) for i, c in enumerate(snap.chunks)
                  if c.article_no == n and (not wanted or c.title in wanted)]
        return pinned, bool(wanted) and not pinned


def _merge_overlap(text: str, following: str) -> str:
    """Two consecutive chunks of one article, without the sentences they share (the overlap)."""
    for k in range(min(len(text), len(following)), 0, -1):
        if text.endswith(following[:k]):
            return text + following[k:]
    return f"{text}\n{following}"


def segment_key(record, chunk_ids: list[str]) -> str:
    """A document's manifest entry (hash, ingestion time, description) and chunk list: any change to
    what the index holds of it changes the key."""
    entry = json.dumps([record.source, record.metadata(), chunk_ids], ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(entry.encode()).hexdigest()


def _read_segments(store, missing: list[tuple[str, str]], lists: dict, vocab: dict, cache) -> dict[str, Segment]:
    """The segments of the documents not indexed yet, from their chunks in the store."""
    read = store.get_chunks([i for source, _ in missing for i in lists.get(source, [])])
    by_source: dict[str, list[Chunk]] = {}
    for chunk in read:
        by_source.setdefault(chunk.source, []).append(chunk)
    out = {}
    for source, key in missing:
        out[source] = make_segment(key, sorted(by_source.get(source, []), key=lambda c: c.position), vocab)
    # only a document read whole is saved: one re-ingested meanwhile may have lost chunks already
    complete = [s for source, s in out.items() if {c.id for c in s.chunks} == set(lists.get(source, []))]
    if cache and complete:
        terms = [""] * len(vocab)
        for term, col in vocab.items():
            terms[col] = term
        for segment in complete:
            cache.save(segment, terms)
    return out


def _scope_mask(snap: Snapshot, scope: str) -> tuple[set[str] | None, np.ndarray | None]:
    """The documents in scope and a mask over the snapshot's chunks (None, None: everything)."""
    sources = snap.scope(scope)
    if sources is None:
        return None, None
    return sources, np.array([c.source in sources for c in snap.chunks], dtype=bool)


def _scaler(scores: list[float]):
    """Min-max scaling over one ranked list; a passage missing from the list scores 0."""
    if not scores:
        return lambda _s: 0.0
    low, high = min(scores), max(scores)
    span = high - low or 1.0
    return lambda s: 0.0 if s is None else (s - low) / span


_LAW_NAME = re.compile(r"([\u4e00-\u9fff]{2})(法(?![律人院制官典庭学])|条例)")
_NOT_A_NAME = re.compile("[这那该本此个各些法]")   # 这个条例, 该条例 (named before or not at all); 法律法规
# A two-character word ending in 法 this common in general Chinese (违法, 合法, 方法, 依法, 刑法) is a
# word, not the end of a law's name; 消防法 or 防治法 are rare as words.
COMMON_WORD_FREQUENCY = 150


def other_law_named(query: str, titles: list[str]) -> str:
    """A law or regulation the question names (…消防法…, …危险化学品安全管理条例…) that is not in the
    knowledge base: the class of near-domain questions about other laws."""
    known = [*titles, *glossary.ALIASES, *glossary.terms()]
    for m in _LAW_NAME.finditer(query):
        name = m.group(0)
        if _NOT_A_NAME.search(m.group(1)):
            continue
        if m.group(2) == "法" and word_frequency(name[1:]) >= COMMON_WORD_FREQUENCY:
            continue
        # a regulation named loosely (报告调查条例 for 生产安全事故报告和调查处理条例) is still named;
        # a law must match its own name (交通安全法 is not 安全生产法)
        loose = m.group(2) == "条例"
        if not any(name in k or loose and m.group(1) in k and k.endswith("条例") for k in known):
            return name
    return ""


def titles_named(query: str, titles: list[str]) -> set[str]:
    named = {t for t in titles if t in query or t.removeprefix("中华人民共和国") in query}
    lowered = query.lower()
    named |= {full for alias, full in glossary.ALIASES.items()
              if full in titles and (alias in query if not alias.isascii() else re.search(rf"\b{alias}\b", lowered))}
    return named | _regulations_named_loosely(query, titles)


def _regulations_named_loosely(query: str, titles: list[str]) -> set[str]:
    """A regulation named by some of its title's words in order (报告调查条例 for 生产安全事故报告和
    调查处理条例, 应急条例): the longest run before 条例 that reads, in order, inside a title. Laws are
    not matched this way: 交通安全法 reads inside 安全生产法's title too."""
    named = set()
    for m in re.finditer("条例", query):
        before = query[max(0, m.start() - 10):m.start()]
        for k in range(len(before), 1, -1):
            found = {t for t in titles if t.endswith("条例") and _reads_in(before[-k:], t)}
            if found:
                named |= found
                break
    return named


def _reads_in(words: str, title: str) -> bool:
    """Every character of `words` appears in `title`, in order."""
    rest = iter(title)
    return all(ch in rest for ch in words)
