"""One writer at a time: a file lock for an embedded store, a lease on the server for a Chroma server.

An embedded store lives in one folder on one host, so an `fcntl` lock on that folder serialises
every writer. A Chroma server is shared by processes on several hosts (or containers) that share
nothing else, so there the lock lives with the data: a lease record (owner, expiry) in the
`<name>_lease` collection, renewed while the ingestion runs and taken over by another writer only
after it has expired (its holder was killed or lost the network).

Chroma has no compare-and-set, so taking the lease is write-then-verify: a writer that finds the
lease free writes its own record, waits `SETTLE_SECONDS`, and holds the lease only if the record is
still its own. Two writers racing both see the last record written, and only its owner goes on.
"""
from __future__ import annotations

import fcntl
import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)
LEASE_ID = "ingest"
SETTLE_SECONDS = 0.5


class IngestBusy(RuntimeError):
    """Another ingestion holds the store."""


BUSY = "another ingestion is running on this store; try again when it ends"


@contextmanager
def ingest_lock(settings, wait_seconds: float = 0.0):
    """Hold the store's writer lock for the duration; a second writer waits up to `wait_seconds`,
    then gets IngestBusy. Yields a function the writer calls before each write: it raises
    IngestBusy when the lock was lost (a lease taken over after this writer stalled past its expiry)."""
    if settings.chroma_host:
        with lease(settings, wait_seconds) as held:
            yield lambda: _still_held(held)
    else:
        with _folder_lock(Path(settings.store_dir), wait_seconds):
            yield lambda: None


def _still_held(held: Lease) -> None:
    if held.lost:
        raise IngestBusy("another writer took over this ingestion's lease (it stalled past its expiry); "
                         "run the ingestion again")


@contextmanager
def _folder_lock(folder: Path, wait_seconds: float):
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "ingest.lock", "a+") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestBusy(BUSY) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Lease:
    def __init__(self, settings):
        from .store import open_client

        self.seconds = settings.lease_seconds
        self.lost = False   # set when another writer took the lease over: this one must stop writing
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.collection = open_client(settings).get_or_create_collection(
            f"{settings.collection}_lease", embedding_function=None)

    def holder(self) -> tuple[str, float] | None:
        got = self.collection.get(ids=[LEASE_ID], include=["metadatas"])
        if not got["ids"]:
            return None
        meta = got["metadatas"][0]
        return meta["owner"], float(meta["expires"])

    def _write(self) -> None:
        self.collection.upsert(ids=[LEASE_ID], documents=[self.owner], embeddings=[[0.0]],
                               metadatas=[{"owner": self.owner, "expires": time.time() + self.seconds}])

    def try_take(self) -> bool:
        current = self.holder()
        if current and current[0] != self.owner and current[1] > time.time():
            return False
        if current and current[0] != self.owner:
            log.warning("taking over the ingest lease of %s, which expired", current[0])
        self._write()
        time.sleep(SETTLE_SECONDS)
        current = self.holder()
        return bool(current) and current[0] == self.owner

    def renew(self) -> bool:
        current = self.holder()
        if not current or current[0] != self.owner:
            log.error("the ingest lease was taken over by %s; stopping", current[0] if current else "nobody")
            self.lost = True
            return False
        self._write()
        return True

    def release(self) -> None:
        current = self.holder()
        if current and current[0] == self.owner:
            self.collection.delete(ids=[LEASE_ID])


@contextmanager
def lease(settings, wait_seconds: float = 0.0):
    held = Lease(settings)
    deadline = time.monotonic() + wait_seconds
    while not held.try_take():
        if time.monotonic() >= deadline:
            raise IngestBusy(BUSY)
        time.sleep(min(1.0, max(held.seconds / 4, 0.2)))
    stop = threading.Event()

    def keep_renewing():
        while not stop.wait(held.seconds / 3):
            try:
                held.renew()
            except Exception:  # noqa: BLE001 - a brief network error must not end the renewals
                log.exception("could not renew the ingest lease; retrying")

    renewer = threading.Thread(target=keep_renewing, name="ingest-lease", daemon=True)
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join()
        held.release()
