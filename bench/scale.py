"""How cost grows with the corpus: synthetic knowledge bases of 1k, 10k and 100k chunks.

The texts are real sentences of the corpus, recombined into numbered articles in Markdown
files (1,000 articles a file), so loading, chunking, BM25 and Chroma see text that looks
like the real thing. Embedding 100k chunks would take hours here, so their vectors come from
a stand-in, `MixEmbedder`: each synthetic chunk's vector is the normalised mean of the real
e5 vectors of the chunks its sentences were taken from, plus a little noise. Questions are
embedded by the real model.
"""
from __future__ import annotations

import hashlib
import random
import shutil
import statistics
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from bot import relevance
from bot.lexical import SegmentCache
from bot.retrieval import Retriever, Snapshot
from ingest.cleaning import split_sentences
from ingest.pipeline import ingest
from ingest.store import Store

ARTICLES_PER_FILE = 1000


class MixEmbedder:
    """Stand-in passage embedder for scale runs (see module docstring); queries use the real model."""

    def __init__(self, real, base_chunks: list[tuple[str, np.ndarray]]):
        self.real, self.name, self.dim = real, real.name, real.dim
        self.by_sentence: dict[str, np.ndarray] = {}
        for text, vector in base_chunks:
            for sentence in split_sentences(text):
                self.by_sentence.setdefault(sentence.strip(), vector)
        self.sentences = list(self.by_sentence)

    def passages(self, texts, batch_size: int = 16) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            parts = [self.by_sentence[s.strip()] for s in split_sentences(text) if s.strip() in self.by_sentence]
            seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
            noise = np.random.default_rng(seed).normal(0, 0.01, self.dim).astype(np.float32)
            vector = (np.mean(parts, axis=0) if parts else noise * 10) + noise
            out[row] = vector / np.linalg.norm(vector)
        return out

    def query(self, text: str) -> np.ndarray:
        return self.real.query(text)


def write_corpus(folder: Path, n_chunks: int, sentences: list[str], seed: int = 11) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for f in range((n_chunks + ARTICLES_PER_FILE - 1) // ARTICLES_PER_FILE):
        count = min(ARTICLES_PER_FILE, n_chunks - f * ARTICLES_PER_FILE)
        lines = [f"# 合成规章第{f + 1}号", ""]
        for a in range(1, count + 1):
            if a % 50 == 1:
                lines += [f"## 第{(a - 1) // 50 + 1}章", ""]
            body = "".join(rng.sample(sentences, rng.randint(2, 3)))[:380]
            lines += [f"第{a}条 {body}", ""]
        (folder / f"synthetic_{f + 1:03d}.md").write_text("\n".join(lines), encoding="utf-8")


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6


def run_size(base_settings, real_embedder, base_chunks, sentences, n_chunks: int, work: Path,
             questions: list[str], server=None) -> dict:
    """Ingest, re-ingest, snapshot and query one synthetic knowledge base; returns the numbers."""
    mode = "server" if server else "embedded"
    root = work / f"{mode}-{n_chunks}"
    shutil.rmtree(root, ignore_errors=True)
    write_corpus(root / "data", n_chunks, sentences)
    settings = replace(base_settings, data_dir=root / "data", store_dir=root / "store",
                       collection=f"scale_{n_chunks}", chunk_chars=400)
    if server:
        settings = replace(settings, chroma_host="127.0.0.1", chroma_port=server.port)
    embedder = MixEmbedder(real_embedder, base_chunks)
    store = Store(settings, settings.model)
    store.drop_all()
    store = Store(settings, settings.model)

    report, ingest_s, again, reingest_s = ingest_twice(settings, embedder, store)

    kb = _KB(settings, real_embedder, store)
    cache = SegmentCache(root / "lexical")
    started = time.perf_counter()
    snapshot = Snapshot.build(store, cache=cache)          # a first start: every chunk read and counted
    snapshot_s = time.perf_counter() - started
    started = time.perf_counter()
    Snapshot.build(store, cache=cache)                     # a restart: the segments saved beside the store
    restart_s = time.perf_counter() - started
    update_s = time_one_document_update(settings, embedder, store, snapshot, cache)
    snapshot = Snapshot.build(store, snapshot, cache)
    bm25_mb = (snapshot.bm25.nbytes + len(snapshot.bm25.vocab) * 120) / 1e6

    retriever = Retriever(kb, refresh_seconds=3600)
    retriever._snapshot, retriever._checked = snapshot, time.monotonic()
    for q in questions[:3]:
        retriever.search(q, 5)                                   # warm up
    timings = []
    for q in questions:
        started = time.perf_counter()
        relevance.decide(retriever.retrieve(q, 5))
        timings.append((time.perf_counter() - started) * 1000)
    store_path = server.path if server else settings.store_dir
    result = {
        "mode": mode, "chunks": store.count(), "ingest_s": round(ingest_s, 1),
        "ingest_chunks_per_s": round(report.chunks_embedded / ingest_s, 1), "reingest_s": round(reingest_s, 2),
        "reingest_embedded": again.chunks_embedded, "store_mb": round(folder_mb(store_path), 1),
        "snapshot_s": round(snapshot_s, 2), "restart_s": round(restart_s, 2), "update_s": round(update_s, 2),
        "bm25_mb": round(bm25_mb, 1),
        "retrieval_p50_ms": round(statistics.median(timings), 1),
        "retrieval_p95_ms": round(float(np.percentile(timings, 95)), 1),
    }
    if server:
        store.drop_all()
    shutil.rmtree(root, ignore_errors=True)
    return result


def ingest_twice(settings, embedder, store):
    """(report, seconds) of a first ingest and of an unchanged re-run."""
    started = time.perf_counter()
    report = ingest(settings, embedder, store)
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    again = ingest(settings, embedder, store)
    return report, ingest_s, again, time.perf_counter() - started


def small_files(base_settings, n: int, work: Path) -> dict:
    """Ingest `n` one-article files (an office's many short notices), then run again unchanged.
    Their vectors come from MixEmbedder without base vectors (noise): this measures file handling
    and the grouped Chroma writes, not the model."""
    root = work / "small-files"
    shutil.rmtree(root, ignore_errors=True)
    data = root / "data"
    data.mkdir(parents=True)
    for i in range(n):
        (data / f"notice_{i:05d}.md").write_text(
            f"# 第{i}号仓库巡查通知\n\n第一条 第{i}号仓库夜间每两小时巡查一次，发现隐患立即报告值班主管。\n", encoding="utf-8")
    settings = replace(base_settings, data_dir=data, store_dir=root / "store", collection="small_files")
    embedder = MixEmbedder(SimpleNamespace(name=settings.model, dim=384), [])
    report, ingest_s, again, reingest_s = ingest_twice(settings, embedder, Store(settings, settings.model))
    result = {"files": n, "ingest_s": round(ingest_s, 1), "files_per_s": round(n / ingest_s),
              "reingest_s": round(reingest_s, 1), "failed": len(report.failed),
              "unchanged_on_rerun": len(again.unchanged)}
    shutil.rmtree(root, ignore_errors=True)
    return result


def time_one_document_update(settings, embedder, store, snapshot, cache) -> float:
    """Change one article of one file, ingest it, and time the lexical snapshot's update."""
    path = sorted(settings.data_dir.glob("*.md"))[0]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("第1条 ", "第1条 （修订）", 1), encoding="utf-8")
    ingest(settings, embedder, store, files=[path], prune=False)
    started = time.perf_counter()
    updated = Snapshot.build(store, snapshot, cache)
    elapsed = time.perf_counter() - started
    assert any("（修订）" in c.text for c in updated.chunks), "the update was not indexed"
    return elapsed


class _KB:
    """The parts of a KnowledgeBase the retriever uses, around an already-open store."""

    def __init__(self, settings, embedder, store):
        self.settings, self.embedder, self.store = settings, embedder, store
