"""Incremental, idempotent, safe ingestion into a real embedded Chroma with the real model."""
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from conftest import DATA, ROOT
from docbuild import build_rules_docx

from ingest.kb import KnowledgeBase
from ingest.pipeline import IngestBusy, ingest_lock
from ingest.store import StoreMismatch

LAW = DATA / "work_safety_law_2021.md"
EMERGENCY = DATA / "work_safety_accident_emergency_regulations_2019.md"
INTERVIEW = DATA / "应急局局长安全访谈稿.docx"


def store_state(kb):
    return sorted((c.id, c.source, c.text, c.section, c.article, c.position) for c in kb.store.iter_chunks())


def env_for(kb):
    return {**os.environ, "KB_STORE_DIR": str(kb.settings.store_dir), "KB_DATA_DIR": str(kb.settings.data_dir),
            "PYTHONPATH": str(ROOT)}


def test_shipped_knowledge_base_lists_four_documents(shipped_kb):
    out = subprocess.run([sys.executable, "-m", "ingest", "--list"], env=env_for(shipped_kb), cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for name in ("work_safety_law_2021.md", "应急局局长安全访谈稿.docx",
                 "work_safety_accident_emergency_regulations_2019.md",
                 "work_safety_accident_reporting_investigation_regulations_2007.md"):
        assert name in out.stdout
    assert "4 documents" in out.stdout
    records = {r.source: r for r in shipped_kb.store.documents()}
    assert records["work_safety_law_2021.md"].chunks >= 119
    assert sum(r.chunks for r in records.values()) == shipped_kb.store.count()


def test_law_articles_are_in_chunk_metadata(shipped_kb):
    got = shipped_kb.store.chunks.get(where={"source": "work_safety_law_2021.md"}, include=["metadatas"])
    assert {m.get("article_no") for m in got["metadatas"]} - {None} == set(range(1, 120))


def test_no_chunk_carries_page_artefacts_or_site_boilerplate(shipped_kb):
    for chunk in shipped_kb.store.iter_chunks():
        for bad in ("优知文库", "配套讲稿", "特殊限制", "关 键 词", "谋\n2、"):
            assert bad not in chunk.text


def test_rerun_without_changes_embeds_nothing(make_kb):
    kb = make_kb([EMERGENCY, INTERVIEW])
    first = kb.ingest()
    assert sorted(first.added) == sorted([EMERGENCY.name, INTERVIEW.name]) and first.chunks_embedded > 0
    before = store_state(kb)
    second = kb.ingest()
    assert second.chunks_embedded == 0 and sorted(second.unchanged) == sorted(first.added)
    assert store_state(kb) == before


def test_new_chunking_code_re_chunks_every_file_and_embeds_only_changed_text(make_kb, monkeypatch):
    from ingest import pipeline

    kb = make_kb([EMERGENCY])
    kb.ingest()
    before = store_state(kb)
    monkeypatch.setattr(pipeline, "chunker_version", lambda: "upgraded")
    assert pipeline.out_of_date(kb.settings, kb.store, kb.settings.model)
    again = kb.ingest()
    assert again.updated == [EMERGENCY.name] and again.chunks_embedded == 0
    assert store_state(kb) == before


def test_sentence_vectors_are_stored_for_every_chunk(make_kb):
    kb = make_kb([EMERGENCY])
    kb.ingest()
    ids = [i for listed in kb.store.document_chunk_ids().values() for i in listed]
    vectors = kb.store.sentence_vectors(ids)
    chunks = {c.id: c for c in kb.store.get_chunks(ids)}
    assert set(vectors) == set(ids)
    assert all(len(vectors[i]) == len(chunks[i].sentences()) for i in ids)


def test_an_edited_file_re_embeds_only_what_changed(make_kb):
    kb = make_kb([EMERGENCY])
    kb.ingest()
    path = kb.settings.data_dir / EMERGENCY.name
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("现场指挥部实行总指挥负责制", "现场指挥部实行总指挥负责制（试行）"), encoding="utf-8")
    report = kb.ingest()
    assert report.updated == [EMERGENCY.name] and report.chunks_embedded == 1
    texts = [c.text for c in kb.store.iter_chunks()]
    assert any("总指挥负责制（试行）" in t for t in texts)
    assert not any("总指挥负责制，" in t for t in texts)   # the old version of that chunk is gone
    assert kb.store.count() == kb.store.documents()[0].chunks


def test_a_deleted_file_is_pruned(make_kb):
    kb = make_kb([EMERGENCY, INTERVIEW])
    kb.ingest()
    (kb.settings.data_dir / INTERVIEW.name).unlink()
    report = kb.ingest()
    assert report.removed == [INTERVIEW.name]
    assert {c.source for c in kb.store.iter_chunks()} == {EMERGENCY.name}


def test_a_bad_file_is_reported_and_the_rest_go_in(make_kb, tmp_path):
    kb = make_kb([EMERGENCY])
    (kb.settings.data_dir / "broken.docx").write_bytes(b"PK\x03\x04garbage")
    build_rules_docx(kb.settings.data_dir / "rules.docx")
    report = kb.ingest()
    assert "broken.docx" in report.failed and "damaged" in report.failed["broken.docx"]
    assert sorted(report.added) == sorted([EMERGENCY.name, "rules.docx"])
    assert "failed: broken.docx" in report.summary()


def test_a_file_that_turns_bad_keeps_its_previous_version(make_kb):
    kb = make_kb([EMERGENCY])
    kb.ingest()
    before = store_state(kb)
    (kb.settings.data_dir / EMERGENCY.name).write_bytes(b"\x00\x01\x02 binary junk" * 100)
    report = kb.ingest()
    assert EMERGENCY.name in report.failed
    assert store_state(kb) == before


def test_the_same_file_under_two_names_goes_in_once(make_kb):
    kb = make_kb([EMERGENCY])
    (kb.settings.data_dir / "copy.md").write_bytes(EMERGENCY.read_bytes())
    report = kb.ingest()
    assert report.added == ["copy.md"] or report.added == [EMERGENCY.name]
    assert len(report.failed) == 1 and "same content" in next(iter(report.failed.values()))


def test_a_second_ingestion_is_refused_while_one_runs(make_kb):
    kb = make_kb([EMERGENCY])
    with ingest_lock(kb.settings):
        with pytest.raises(IngestBusy):
            kb.ingest()


def test_a_store_built_with_another_embedder_is_refused(make_kb):
    kb = make_kb([EMERGENCY])
    kb.ingest()
    with pytest.raises(StoreMismatch, match="built with"):
        KnowledgeBase(replace(kb.settings, model="some/other-model"), load_embedder=False)


@pytest.fixture(scope="module")
def clean_state(tmp_path_factory, base_settings, embedder):
    data = tmp_path_factory.mktemp("clean-data")
    for f in (LAW, INTERVIEW):
        (data / f.name).write_bytes(f.read_bytes())
    kb = KnowledgeBase(replace(base_settings, data_dir=data, store_dir=data.parent / "clean-store"), embedder=embedder)
    kb.ingest()
    return store_state(kb), {r.source: r.chunks for r in kb.store.documents()}


@pytest.mark.parametrize("kill_after", [4.0, 7.0, 10.0])
def test_a_killed_ingestion_finishes_on_the_next_run(make_kb, clean_state, kill_after):
    crashed = make_kb([LAW, INTERVIEW], name="crashed")
    proc = subprocess.Popen([sys.executable, "-m", "ingest", "-q"], env=env_for(crashed), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(kill_after)
    assert proc.poll() is None, "the ingestion ended before it could be killed: the test would prove nothing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    report = crashed.ingest()
    assert report.ok
    chunks, documents = clean_state
    assert store_state(crashed) == chunks
    assert {r.source: r.chunks for r in crashed.store.documents()} == documents
