"""Incremental, idempotent ingestion of the knowledge-base folder.

Per file: hash it; skip it when its hash and the chunking settings are unchanged;
otherwise load and chunk it. Changed files are written in groups: embed only the chunks
whose ids the store lacks, switch the group's manifest entries to the new chunk lists in
one write, then delete the chunks no longer listed.
A crash at any point leaves the previous version readable and the next run finishes
the job (chunks a killed run wrote but never listed are swept at the end of every run). A file that fails to load is reported and its previous version kept.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, UTC
from pathlib import Path

import numpy as np

from .chunking import chunk_document
from .loaders import REFUSED, SUFFIXES, LoadError, load
from .metadata import METADATA_FILE, FolderMetadata, MetadataError, from_text, read_metadata
from .locking import IngestBusy, ingest_lock  # noqa: F401 - IngestBusy is part of this module's interface
from .records import Chunk, DocRecord, IngestReport
from .settings import Settings

log = logging.getLogger(__name__)
# sentence-transformers sorts a call's texts by length before batching, so larger calls pad less
EMBED_BATCH = 128
# Small files are written together: a store transaction costs about 10 ms whatever its size
FILES_PER_WRITE = 500
Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _message: str) -> None:
    pass


def kb_files(folder: Path) -> list[Path]:
    """The supported files of the knowledge-base folder and its subfolders (a subfolder is a
    category); hidden files and folders, and links leading outside it, are left out."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        return []
    files = []
    for root, dirs, names in os.walk(folder):   # does not descend into linked folders
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            # formats we refuse (.doc) are listed too, so the report names them with what to do
            if name.startswith(".") or path.suffix.lower() not in (*SUFFIXES, *REFUSED) or not path.is_file():
                continue
            if path.is_symlink() and folder not in path.resolve().parents:
                log.warning("skipping %s: it links outside the knowledge-base folder", path)
                continue
            files.append(path)
    return files


def source_of(data_dir: Path, path: Path) -> str:
    """A document's key: its path inside the knowledge-base folder (法律法规/安全生产法.md). A link
    inside the folder keeps its own path, not its target's."""
    folder = Path(data_dir).resolve()
    for candidate in (Path(os.path.abspath(path)), path.resolve()):
        if candidate.is_relative_to(folder):
            return candidate.relative_to(folder).as_posix()
    return path.name


# The code that turns a file into chunks and sentences. Its fingerprint is part of every manifest
# entry, so an upgraded project re-chunks what it must by itself; chunk ids hash their text, so only
# chunks whose text changed are embedded again.
CHUNKING_CODE = ("loaders.py", "cleaning.py", "chunking.py", "records.py", "numerals.py", "metadata.py")


@functools.cache
def chunker_version() -> str:
    digest = hashlib.sha1()
    for name in CHUNKING_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:12]


def config_key(settings: Settings, embedder_name: str) -> str:
    return f"chunker={chunker_version()};chars={settings.chunk_chars};overlap={settings.overlap_sentences};embedder={embedder_name}"


def ingest(settings: Settings, embedder, store, *, files: list[Path] | None = None, prune: bool = True,
           progress: Progress = _quiet, wait_seconds: float = 0.0, rebuild: bool = False) -> IngestReport:
    """Bring the store in line with `files` (default: the whole knowledge-base folder).

    `prune` removes documents whose file is gone; it only applies to a whole-folder run.
    `rebuild` empties the store first, under the same lock, so no other writer sees it half-built.
    """
    started = time.monotonic()
    report = IngestReport()
    with ingest_lock(settings, wait_seconds) as still_held:
        if rebuild:
            store.drop_all()
            store.open_collections()
        whole_folder = files is None
        files = kb_files(settings.data_dir) if whole_folder else [Path(f) for f in files]
        known = {r.source: r for r in store.documents()}
        config = config_key(settings, embedder.name)
        described = _folder_metadata(settings, report)
        # A renamed or moved file is the same content under a new name, not a duplicate.
        sources = {source_of(settings.data_dir, p) for p in files}
        by_hash = {r.sha256: r.source for r in known.values() if not whole_folder or r.source in sources}
        batch: list[_Pending] = []
        for n, path in enumerate(files):
            progress(n / max(len(files), 1), source_of(settings.data_dir, path))
            if pending := _prepare(settings, path, known, by_hash, config, report, described):
                batch.append(pending)
            if batch and (sum(len(p.chunks) for p in batch) >= EMBED_BATCH or len(batch) >= FILES_PER_WRITE):
                still_held()
                _write(embedder, store, batch, report, lambda f, m, n=n: progress((n + f) / max(len(files), 1), m))
                batch = []
        if batch:
            still_held()
            _write(embedder, store, batch, report, lambda f, m: progress(1.0, m))
        if prune and whole_folder:
            for source in sorted(set(known) - sources):
                remove(store, source)
                report.removed.append(source)
        _sweep_orphans(store)
        report.chunks_total = store.count()
    report.seconds = time.monotonic() - started
    progress(1.0, "done")
    log.info("ingest: %s", report.summary().splitlines()[0])
    return report


@dataclass
class _Pending:
    """A loaded and chunked file waiting to be written with others in one group of store writes."""

    record: DocRecord
    chunks: list[Chunk]
    previous: DocRecord | None


def _folder_metadata(settings, report) -> FolderMetadata | None:
    """metadata.toml; when it is broken, None: every document keeps its description until it is fixed."""
    try:
        return read_metadata(settings.data_dir)
    except MetadataError as exc:
        report.failed[METADATA_FILE] = str(exc).removeprefix(f"{METADATA_FILE}: ")
        log.warning("ingest: %s", exc)
        return None


def _prepare(settings, path, known, by_hash, config, report, described: FolderMetadata | None) -> _Pending | None:
    source = source_of(settings.data_dir, path)
    previous = known.get(source)
    meta_key = described.key(source) if described else previous.meta_key if previous else ""
    # An unchanged file is recognised by its hash alone, without parsing it again.
    if (previous and previous.config == config and previous.meta_key == meta_key
            and _sha256(path) == previous.sha256):
        report.unchanged.append(source)
        return None
    try:
        doc = load(path, source=source, max_bytes=settings.max_file_mb * 1_000_000, max_chars=settings.max_chars,
                   max_pages=settings.max_pages)
    except LoadError as exc:
        report.failed[source] = str(exc).removeprefix(f"{source}: ")
        log.warning("ingest: %s", exc)
        return None
    except Exception as exc:  # noqa: BLE001 - a parser's own error in one file must not stop the others
        report.failed[source] = f"could not read the file ({type(exc).__name__}: {exc}); re-save it and try again"
        log.exception("ingest: %s", source)
        return None
    twin = by_hash.get(doc.sha256)
    if twin and twin != source:
        report.failed[source] = f"same content as {twin}, which is already in the knowledge base; not added twice"
        return None
    by_hash[doc.sha256] = source
    chunks = chunk_document(doc, settings.chunk_chars, settings.overlap_sentences)
    if described is not None:
        info = described.describe(source, doc).to_json()
    else:
        info = previous.info if previous else from_text(doc).to_json()
    record = DocRecord(source=source, title=doc.title, sha256=doc.sha256, size=doc.size, chunks=len(chunks),
                       ingested_at=datetime.now(UTC).isoformat(timespec="seconds"), config=config,
                       info=info, meta_key=meta_key)
    return _Pending(record, chunks, previous)


def _write(embedder, store, batch: list[_Pending], report, progress) -> None:
    """Write a group of files with a few store calls: new chunks (sentences first), then their
    manifest entries in one upsert, then the chunks no entry lists any more. A crash before the
    manifest write leaves the previous versions listed; orphans are swept at the end of a run."""
    chunks = [c for p in batch for c in p.chunks]
    ids = [c.id for c in chunks]
    # A chunk counts as present only with its sentence vectors (a store from before they existed lacks them).
    have = store.existing_ids(ids) & store.ids_with_sentences(ids)
    fresh = _reuse_vectors(store, [c for c in chunks if c.id not in have], report)
    for start in range(0, len(fresh), EMBED_BATCH):
        part = fresh[start:start + EMBED_BATCH]
        progress(start / max(len(fresh), 1), f"{batch[0].record.source}: embedding {start + len(part)}/{len(fresh)}")
        store.add_sentences(part, embedder.passages([t for c in part for t in c.sentence_embedding_texts()]))
        store.add_chunks(part, embedder.passages([c.embedding_text() for c in part]))
    store.update_metadata([c for c in chunks if c.id in have])
    replaced = [p.record.source for p in batch if p.previous]
    listed_before = store.document_chunk_ids(replaced) if replaced else {}
    store.commit_documents([(p.record, [c.id for c in p.chunks]) for p in batch])
    store.delete_chunks({i for listed in listed_before.values() for i in listed} - set(ids))
    report.chunks_embedded += len(fresh)
    for p in batch:
        (report.updated if p.previous else report.added).append(p.record.source)


def _reuse_vectors(store, fresh: list[Chunk], report) -> list[Chunk]:
    """Write the chunks whose text is already stored (a moved or renamed file) with the stored
    vectors; returns the ones left to embed."""
    donors = store.vectors_by_text_key([c.text_key for c in fresh]) if fresh else {}
    if not donors:
        return fresh
    sentences = store.sentence_vectors([donors[c.text_key][0] for c in fresh if c.text_key in donors])
    reused = [c for c in fresh if c.text_key in donors
              and len(sentences.get(donors[c.text_key][0], ())) == len(c.sentences())]
    if reused:
        store.add_sentences(reused, np.vstack([sentences[donors[c.text_key][0]] for c in reused]))
        store.add_chunks(reused, np.asarray([donors[c.text_key][1] for c in reused], dtype=np.float32))
        report.chunks_reused += len(reused)
    reused_ids = {c.id for c in reused}
    return [c for c in fresh if c.id not in reused_ids]


def _sweep_orphans(store) -> None:
    """Delete chunks no manifest entry lists: left by a run killed between its writes. One pass
    over the ids per run, instead of a metadata query per file."""
    listed = {i for ids in store.document_chunk_ids().values() for i in ids}
    orphans = (store.all_ids() | store.all_sentence_chunk_ids()) - listed
    if orphans:
        log.info("removing %d chunks left by an interrupted run", len(orphans))
        store.delete_chunks(orphans)


def out_of_date(settings: Settings, store, embedder_name: str) -> bool:
    """True when the store is empty or any file differs from its manifest entry (hash or chunking
    settings), or the folder gained or lost a file: the same test `ingest` applies per file."""
    known = {r.source: r for r in store.documents()}
    files = {source_of(settings.data_dir, p): p for p in kb_files(settings.data_dir)}
    if not known or set(files) != set(known):
        return True
    config = config_key(settings, embedder_name)
    try:
        described = read_metadata(settings.data_dir)
    except MetadataError:
        described = None   # ingest reports it; until it is fixed, descriptions stay as they are
    return any(known[s].config != config or _sha256(p) != known[s].sha256
               or described is not None and known[s].meta_key != described.key(s) for s, p in files.items())


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def remove(store, source: str) -> None:
    """Forget a document: manifest entry first, so readers stop seeing it at once."""
    store.forget_document(source)
    store.delete_chunks(store.ids_of_source(source))


def remove_file(settings: Settings, store, source: str, wait_seconds: float = 0.0) -> bool:
    """Remove a document from the store and its file from the knowledge-base folder."""
    with ingest_lock(settings, wait_seconds):
        known = {r.source for r in store.documents()}
        folder = Path(settings.data_dir).resolve()
        path = folder / source
        if folder not in path.resolve().parents:   # 「../x」: never a file outside the folder
            return False
        # only a document file goes: never metadata.toml, a folder or anything else found there
        document_file = path.is_file() and path.suffix.lower() in (*SUFFIXES, *REFUSED)
        existed = source in known or document_file
        remove(store, source)
        if document_file:
            os.unlink(path)
        return existed
