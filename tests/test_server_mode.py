"""The same pipeline and retrieval against a Chroma server (`chroma run` on loopback)."""
from dataclasses import replace

import pytest
from conftest import DATA

from bot.retrieval import Retriever
from ingest.kb import KnowledgeBase
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
