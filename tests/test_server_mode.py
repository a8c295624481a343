"""The same pipeline and retrieval against a Chroma server (`chroma run` on loopback), and the
writer lease that serialises ingestions from hosts that share only that server."""
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import DATA, ROOT

from bot.retrieval import Retriever
from ingest.kb import KnowledgeBase
from ingest.locking import Lease
from ingest.store import StoreUnavailable


@pytest.fixture
def server_kb(chroma_server, make_kb, request):
    local = make_kb([DATA / "work_safety_accident_emergency_regulations_2019.md", DATA / "应急局局长安全访谈稿.docx"])
    settings = replace(local.settings, chroma_host="127.0.0.1", chroma_port=chroma_server.port,
                       collection=f"t_{request.node.name[:40]}".replace("[", "_").replace("]", "_"))
    return KnowledgeBase(settings, embedder=local.embedder)


def test_ingest_and_search_through_the_server(server_kb):
    report = server_kb.ingest()
    assert report.ok and len(report.added) == 2
    assert {r.source for r in server_kb.store.documents()} == {
        "work_safety_accident_emergency_regulations_2019.md", "应急局局长安全访谈稿.docx"}
    hits = Retriever(server_kb).search("现场指挥部实行什么制度？", 3)
    assert "总指挥负责制" in hits[0].chunk.text
    # idempotent over the wire too
    assert server_kb.ingest().chunks_embedded == 0


def test_lexical_index_follows_the_server_store(server_kb):
    server_kb.ingest()
    retriever = Retriever(server_kb, refresh_seconds=0)
    assert len(retriever.snapshot().chunks) == server_kb.store.count()
    server_kb.remove("应急局局长安全访谈稿.docx")
    snap = retriever.snapshot()
    assert {c.source for c in snap.chunks} == {"work_safety_accident_emergency_regulations_2019.md"}
    assert snap.bm25.size == len(snap.chunks) == server_kb.store.count()


def test_an_unreachable_server_is_a_clear_error(make_kb):
    kb = make_kb()
    settings = replace(kb.settings, chroma_host="127.0.0.1", chroma_port=1)
    with pytest.raises(StoreUnavailable, match="127.0.0.1:1"):
        KnowledgeBase(settings, load_embedder=False)


# --- one writer across hosts: the lease lives on the server --------------------------------------

def _writer(server, collection, data, store, lease_seconds=6):
    """The environment of an ingest process on another host: it shares only the Chroma server."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(server.port),
            "KB_COLLECTION": collection, "KB_DATA_DIR": str(data), "KB_STORE_DIR": str(store),
            "KB_LEASE_SECONDS": str(lease_seconds)}


def _wait_for_lease(settings, process, timeout=180):
    lease = Lease(settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the first ingestion ended before it held the lease: {process.args}"
        if lease.holder():
            return lease.holder()
        time.sleep(0.2)
    raise AssertionError("the first ingestion never took the lease")


@pytest.fixture
def two_hosts(chroma_server, make_kb, request, tmp_path):
    local = make_kb([DATA / "work_safety_law_2021.md", DATA / "应急局局长安全访谈稿.docx"])
    collection = f"lease_{request.node.name[:30]}".strip("_")
    settings = replace(local.settings, chroma_host="127.0.0.1", chroma_port=chroma_server.port, collection=collection)
    hosts = [_writer(chroma_server, collection, local.settings.data_dir, tmp_path / f"host{n}") for n in (1, 2)]
    return settings, hosts


def test_two_hosts_sharing_only_the_server_take_turns_and_rebuild_waits(two_hosts):
    settings, (first, second) = two_hosts
    a = subprocess.Popen([sys.executable, "-m", "ingest", "-q"], env=first, cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_lease(settings, a)
    # separate store folders, so only the lease on the server can stop the second writer
    refused = subprocess.run([sys.executable, "-m", "ingest", "-q", "--rebuild"], env=second, cwd=ROOT,
                             capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "another ingestion is running" in refused.stderr
    assert a.wait(timeout=600) == 0, a.stderr
    kb = KnowledgeBase(settings, load_embedder=False)
    assert {r.source for r in kb.store.documents()} == {"work_safety_law_2021.md", "应急局局长安全访谈稿.docx"}
    assert kb.store.count() == sum(r.chunks for r in kb.store.documents())   # the refused rebuild dropped nothing
    again = subprocess.run([sys.executable, "-m", "ingest"], env=second, cwd=ROOT, capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0 and "unchanged 2" in again.stdout
    assert Lease(settings).holder() is None                                   # released at the end


def test_a_killed_lease_holder_is_taken_over_after_it_expires(two_hosts):
    settings, (first, second) = two_hosts
    log = open(Path(first["KB_STORE_DIR"]).parent / "first.log", "w")
    a = subprocess.Popen([sys.executable, "-m", "ingest", "-q"], env=first, cwd=ROOT, stdout=log, stderr=log)
    owner, _ = _wait_for_lease(settings, a)
    time.sleep(2)
    a.send_signal(signal.SIGKILL)
    a.wait()
    assert Lease(settings).holder()[0] == owner                               # the dead writer's lease is still there
    b = subprocess.run([sys.executable, "-m", "ingest", "-q", "--wait", "60"], env=second, cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    assert b.returncode == 0, b.stderr
    kb = KnowledgeBase(settings, load_embedder=False)
    assert {r.source for r in kb.store.documents()} == {"work_safety_law_2021.md", "应急局局长安全访谈稿.docx"}
    assert kb.store.count() == sum(r.chunks for r in kb.store.documents())


def test_a_writer_that_lost_its_lease_stops_before_its_next_write(chroma_server, make_kb):
    from ingest.locking import IngestBusy, ingest_lock

    local = make_kb()
    settings = replace(local.settings, chroma_host="127.0.0.1", chroma_port=chroma_server.port,
                       collection="lease_lost", lease_seconds=3)
    with pytest.raises(IngestBusy, match="took over"):
        with ingest_lock(settings) as still_held:
            still_held()                       # held: writing may go on
            Lease(settings)._write()           # another host took the lease over (this one had stalled)
            time.sleep(2.5)                    # the next renewal (every second here) finds that out
            still_held()
