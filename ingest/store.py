"""Chroma, embedded or a server, holding the chunks and the manifest of documents.

Three collections: `<name>` holds every chunk (its text, metadata and vector);
`<name>_sentences` holds a vector per sentence of every chunk (id `<chunk id>/<n>`), so
answers can pick sentences by meaning and search can go from a sentence to its passage;
`<name>_docs` is the manifest, one entry per document, whose text is the list of the
document's chunk ids. A document is switched to a new version by rewriting its
manifest entry, after the new chunks are in and before the stale ones go, so a
reader that follows the manifest always sees one whole version of every document.
The lexical index (bot/lexical.py) is built from these same chunks, never kept apart.
"""
from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from .records import Chunk, DocRecord
from .settings import Settings

log = logging.getLogger(__name__)
PAGE = 1000
# How wide the HNSW graph search looks. Chroma's default (100) misses about one of the 60 nearest
# sentences per question, and which one changes from run to run: the same question got a different
# answer in two processes. At 400 the search finds the exact neighbours of a knowledge base this
# size for the same cost (measured: 3.5 ms either way); large stores pay a little more per search.
SEARCH_EF = 400


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached, or the store folder cannot be opened."""


class StoreMismatch(RuntimeError):
    """The store was built with another embedder than the configured one."""


class StoreWriteError(RuntimeError):
    """A write to the store failed (disk full, read-only folder, server gone); nothing half-done is visible."""


def _writes(method):
    """Turn the store's own write errors into one clear StoreWriteError naming the store."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # chromadb raises InternalError, httpx errors, OSError …
            where = f"{self.settings.chroma_host}:{self.settings.chroma_port}" if self.settings.chroma_host \
                else self.settings.store_dir
            raise StoreWriteError(f"cannot write to the store at {where} ({type(exc).__name__}: {exc}); "
                                  "check free disk space and write permission, then run the ingestion again") from exc
    return wrapper


def open_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port,
                                       settings=chroma_settings)
        Path(settings.store_dir).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store_dir), settings=chroma_settings)
    except Exception as exc:  # chromadb raises bare Exceptions for both cases
        where = f"{settings.chroma_host}:{settings.chroma_port}" if settings.chroma_host else settings.store_dir
        raise StoreUnavailable(f"cannot open the Chroma store at {where}: {exc}") from exc


class Store:
    def __init__(self, settings: Settings, embedder_name: str, dim: int | None = None, check_embedder: bool = True):
        self.settings = settings
        self.client = open_client(settings)
        self.embedder_name, self.dim = embedder_name, dim
        self.open_collections()
        built_with = (self.chunks.metadata or {}).get("embedder")
        if check_embedder and built_with and built_with != embedder_name and self.chunks.count():
            raise StoreMismatch(
                f"the store at {settings.chroma_host or settings.store_dir} was built with {built_with}, "
                f"not {embedder_name}; run `python -m ingest --rebuild` or use another KB_STORE_DIR")

    def open_collections(self) -> None:
        settings, embedder_name, dim = self.settings, self.embedder_name, self.dim
        try:
            hnsw = {"hnsw": {"space": "cosine", "ef_search": SEARCH_EF}}
            self.chunks = self.client.get_or_create_collection(
                settings.collection, embedding_function=None, configuration=hnsw,
                metadata={"embedder": embedder_name, **({"dim": dim} if dim else {})})
            self.sentences = self.client.get_or_create_collection(
                f"{settings.collection}_sentences", embedding_function=None, configuration=hnsw)
            self.docs = self.client.get_or_create_collection(
                f"{settings.collection}_docs", embedding_function=None)
            for collection in (self.chunks, self.sentences):
                _widen_search(collection)
        except Exception as exc:
            raise StoreUnavailable(f"cannot open collection {settings.collection!r}: {exc}") from exc

    # --- manifest ---------------------------------------------------------------

    def documents(self) -> list[DocRecord]:
        got = self.docs.get(include=["metadatas"])
        records = [DocRecord.from_store(i, m) for i, m in zip(got["ids"], got["metadatas"])]
        return sorted(records, key=lambda r: r.source)

    def document_chunk_ids(self, sources: Iterable[str] | None = None) -> dict[str, list[str]]:
        got = self.docs.get(ids=list(sources) if sources is not None else None, include=["documents"])
        return {i: (d or "").split() for i, d in zip(got["ids"], got["documents"])}

    def revision(self) -> str:
        """Changes whenever any document is added, changed or removed."""
        return revision_of(self.documents())

    def manifest(self) -> tuple[list[DocRecord], dict[str, list[str]], str]:
        """Every document's record and chunk ids, and the revision they make, from one read."""
        got = self.docs.get(include=["metadatas", "documents"])
        records = sorted((DocRecord.from_store(i, m) for i, m in zip(got["ids"], got["metadatas"])),
                         key=lambda r: r.source)
        lists = {i: (d or "").split() for i, d in zip(got["ids"], got["documents"])}
        return records, lists, revision_of(records)

    @_writes
    def commit_documents(self, entries: list[tuple[DocRecord, list[str]]]) -> None:
        """Switch several documents to their new chunk lists in one write."""
        for part in _batches(entries, PAGE):
            self.docs.upsert(ids=[r.source for r, _ in part], documents=[" ".join(ids) for _, ids in part],
                             metadatas=[r.metadata() for r, _ in part], embeddings=[[0.0]] * len(part))

    @_writes
    def forget_document(self, source: str) -> None:
        self.docs.delete(ids=[source])

    # --- chunks -----------------------------------------------------------------

    def existing_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(ids, PAGE):
            found.update(self.chunks.get(ids=batch, include=[])["ids"])
        return found

    def all_ids(self) -> set[str]:
        return set(_all_ids(self.chunks))

    def ids_of_source(self, source: str) -> set[str]:
        return set(self.chunks.get(where={"source": source}, include=[])["ids"])

    @_writes
    def add_chunks(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for start in range(0, len(chunks), PAGE):
            part = chunks[start:start + PAGE]
            self.chunks.upsert(ids=[c.id for c in part], documents=[c.text for c in part],
                               metadatas=[c.metadata() for c in part],
                               embeddings=vectors[start:start + PAGE].tolist())

    @_writes
    def add_sentences(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """`vectors` holds one row per sentence of `chunks`, in order (Chunk.sentences())."""
        rows = [(f"{c.id}/{n}", s, {"chunk_id": c.id, "n": n}) for c in chunks for n, s in enumerate(c.sentences())]
        for start in range(0, len(rows), PAGE):
            part = rows[start:start + PAGE]
            self.sentences.upsert(ids=[r[0] for r in part], documents=[r[1] for r in part],
                                  metadatas=[r[2] for r in part], embeddings=vectors[start:start + PAGE].tolist())

    def vectors_by_text_key(self, keys: list[str]) -> dict[str, tuple[str, list[float]]]:
        """{text key: (a stored chunk's id, its vector)} for the keys some stored chunk has."""
        found: dict[str, tuple[str, list[float]]] = {}
        for batch in _batches(sorted(set(keys)), PAGE):
            got = self.chunks.get(where={"text_key": {"$in": batch}}, include=["embeddings", "metadatas"])
            for i, meta, vector in zip(got["ids"], got["metadatas"], got["embeddings"]):
                found.setdefault(meta["text_key"], (i, vector))
        return found

    def ids_with_sentences(self, chunk_ids: list[str]) -> set[str]:
        """The chunks whose sentence vectors are in the store (their first sentence is)."""
        found: set[str] = set()
        for batch in _batches(chunk_ids, PAGE):
            got = self.sentences.get(ids=[f"{i}/0" for i in batch], include=[])["ids"]
            found.update(i.rsplit("/", 1)[0] for i in got)
        return found

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, np.ndarray]:
        """Each chunk's sentence vectors, one row per sentence in order."""
        if not chunk_ids:
            return {}
        rows: dict[str, list[tuple[int, np.ndarray]]] = {}
        for batch in _batches(list(chunk_ids), PAGE):
            got = self.sentences.get(where={"chunk_id": {"$in": batch}}, include=["embeddings", "metadatas"])
            for meta, vector in zip(got["metadatas"], got["embeddings"]):
                rows.setdefault(meta["chunk_id"], []).append((int(meta["n"]), vector))
        return {cid: np.asarray([v for _, v in sorted(items, key=lambda r: r[0])], dtype=np.float32)
                for cid, items in rows.items()}

    def search_sentences(self, vector: np.ndarray, k: int, chunk_ids: list[str] | None = None
                         ) -> list[tuple[str, int, float]]:
        """(chunk id, sentence number, cosine similarity), best first; only of `chunk_ids` if given."""
        n = self.sentences.count()
        if n == 0 or chunk_ids == []:
            return []
        where = {"chunk_id": {"$in": chunk_ids}} if chunk_ids is not None else None
        got = self.sentences.query(query_embeddings=[vector.tolist()], n_results=min(k, n), where=where,
                                   include=["distances", "metadatas"])
        return [(m["chunk_id"], int(m["n"]), 1.0 - d) for m, d in zip(got["metadatas"][0], got["distances"][0])]

    def all_sentence_chunk_ids(self) -> set[str]:
        return {i.rsplit("/", 1)[0] for i in _all_ids(self.sentences)}

    @_writes
    def update_metadata(self, chunks: list[Chunk]) -> None:
        for part in _batches(chunks, PAGE):
            self.chunks.update(ids=[c.id for c in part], metadatas=[c.metadata() for c in part])

    @_writes
    def delete_chunks(self, ids: Iterable[str]) -> None:
        for batch in _batches(list(ids), PAGE):
            self.chunks.delete(ids=batch)
            self.sentences.delete(where={"chunk_id": {"$in": batch}})

    def get_chunks(self, ids: list[str]) -> list[Chunk]:
        out: list[Chunk] = []
        for batch in _batches(ids, PAGE):
            got = self.chunks.get(ids=batch, include=["documents", "metadatas"])
            out += [Chunk.from_store(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])]
        return out

    def iter_chunks(self) -> Iterator[Chunk]:
        offset = 0
        while True:
            got = self.chunks.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
            if not got["ids"]:
                return
            for i, d, m in zip(got["ids"], got["documents"], got["metadatas"]):
                yield Chunk.from_store(i, d, m)
            offset += len(got["ids"])

    def count(self) -> int:
        return self.chunks.count()

    def search(self, vector: np.ndarray, k: int, sources: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first; only of the documents `sources` if given."""
        n = self.count()
        if n == 0 or sources == []:
            return []
        where = {"source": {"$in": sources}} if sources is not None else None
        got = self.chunks.query(query_embeddings=[vector.tolist()], n_results=min(k, n), where=where,
                                include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(got["ids"][0], got["distances"][0])]

    def drop_all(self) -> None:
        for name in (self.settings.collection, f"{self.settings.collection}_sentences",
                     f"{self.settings.collection}_docs"):
            try:
                self.client.delete_collection(name)
            except Exception:  # absent already
                pass


def _widen_search(collection) -> None:
    """A store made before SEARCH_EF (get_or_create keeps its old configuration) is widened once.
    Only an HNSW index has the setting; a store that cannot take the change (read-only, a server that
    refuses it) still serves, at Chroma's default, with a warning."""
    configured = (collection.configuration_json or {}).get("hnsw")
    if configured is None or configured.get("ef_search", 0) >= SEARCH_EF:
        return
    try:
        collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
    except Exception as exc:  # noqa: BLE001 - any refusal leaves a working, if less exact, search
        log.warning("could not widen the search of %s to ef_search %d (%s); answers may vary between runs",
                    collection.name, SEARCH_EF, exc)


def revision_of(records: list[DocRecord]) -> str:
    key = "|".join(f"{r.source}:{r.sha256}:{r.ingested_at}:{r.chunks}" for r in records)
    return hashlib.sha1(key.encode()).hexdigest()


def _all_ids(collection) -> Iterator[str]:
    offset = 0
    while batch := collection.get(include=[], limit=PAGE * 10, offset=offset)["ids"]:
        yield from batch
        offset += len(batch)


def _batches(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
