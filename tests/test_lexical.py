"""The lexical index is kept per document: an update reads only what changed, a restart reads the
segments saved beside the store, and neither ever serves a stale document."""
from pathlib import Path

import numpy as np
import pytest

from bot.lexical import BM25, SegmentCache, indexed_text
from bot.retrieval import Snapshot

DOCS = {
    "fire.md": "# 消防规定\n\n第一条 仓库应当配备灭火器。\n\n第二条 疏散通道不得堵塞。\n",
    "gas.md": "# 燃气规定\n\n第一条 餐馆使用燃气应当安装报警器。\n\n第二条 燃气管道应当定期检查。\n",
    "height.md": "# 高处作业规定\n\n第一条 高处作业应当系安全带。\n",
}


class CountingStore:
    """The real store, counting the chunks read from it."""

    def __init__(self, store):
        self.store, self.read = store, 0

    def get_chunks(self, ids):
        self.read += len(ids)
        return self.store.get_chunks(ids)

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.fixture
def kb(make_kb):
    kb = make_kb()
    for name, text in DOCS.items():
        (kb.settings.data_dir / name).write_text(text, encoding="utf-8")
    assert kb.ingest().ok
    return kb


def chunk_texts(snapshot: Snapshot, source: str) -> list[str]:
    return [c.text for c in snapshot.chunks if c.source == source]


def test_an_update_reads_only_the_changed_document(kb, tmp_path):
    store = CountingStore(kb.store)
    cache = SegmentCache(tmp_path / "lexical")
    first = Snapshot.build(store, cache=cache)
    assert store.read == len(first.chunks)

    (kb.settings.data_dir / "gas.md").write_text(DOCS["gas.md"].replace("报警器", "可燃气体报警装置"), encoding="utf-8")
    (kb.settings.data_dir / "height.md").unlink()
    kb.ingest()
    store.read = 0
    second = Snapshot.build(store, first, cache)

    assert store.read == len(second.segments["gas.md"].chunks)       # only the changed document was read
    assert second.segments["fire.md"] is first.segments["fire.md"]
    assert "height.md" not in second.segments and not chunk_texts(second, "height.md")
    best = second.bm25.top("可燃气体报警装置", 1)[0][0]
    assert "可燃气体报警装置" in second.chunks[best].text
    assert not second.bm25.uses("安全带")        # the removed document's words are gone from the index
    assert not second.bm25.uses("警器")          # nor the changed document's old words


def test_the_stacked_index_scores_as_one_built_from_every_text(kb):
    snapshot = Snapshot.build(kb.store)
    whole = BM25.from_texts([indexed_text(c) for c in snapshot.chunks])
    for query in ("燃气报警器", "疏散通道堵塞", "高处作业安全带"):
        assert np.allclose(snapshot.bm25.scores(query), whole.scores(query))


def test_a_restart_reads_the_saved_segments_and_never_a_stale_one(kb, tmp_path):
    cache = SegmentCache(tmp_path / "lexical")
    built = Snapshot.build(kb.store, cache=cache)
    store = CountingStore(kb.store)
    restarted = Snapshot.build(store, cache=cache)               # a new process: nothing in memory
    assert store.read == 0
    assert [c.id for c in restarted.chunks] == [c.id for c in built.chunks]
    assert np.allclose(restarted.bm25.scores("燃气报警器"), built.bm25.scores("燃气报警器"))

    # the file changed while no process ran: its saved segment no longer matches the manifest
    (kb.settings.data_dir / "fire.md").write_text(DOCS["fire.md"].replace("灭火器", "消火栓"), encoding="utf-8")
    kb.ingest()
    store.read = 0
    after = Snapshot.build(store, cache=cache)
    assert store.read == len(after.segments["fire.md"].chunks)
    assert any("消火栓" in t for t in chunk_texts(after, "fire.md"))
    assert len(list((tmp_path / "lexical").glob("*.npz"))) == len(DOCS)   # the old version's file is gone


@pytest.mark.parametrize("damage", [b"not a segment", b"", b"PK\x03\x04 truncated zip"])
def test_an_unreadable_segment_file_is_rebuilt(kb, tmp_path, caplog, damage):
    cache = SegmentCache(tmp_path / "lexical")
    built = Snapshot.build(kb.store, cache=cache)
    for path in (tmp_path / "lexical").glob("*.npz"):
        path.write_bytes(damage)
    store = CountingStore(kb.store)
    rebuilt = Snapshot.build(store, cache=cache)
    assert store.read == len(built.chunks)
    assert [c.id for c in rebuilt.chunks] == [c.id for c in built.chunks]
    assert "unreadable" in caplog.text


def test_a_read_only_cache_folder_still_serves(kb, tmp_path, monkeypatch):
    folder = tmp_path / "lexical"
    Snapshot.build(kb.store, cache=SegmentCache(folder))
    (kb.settings.data_dir / "height.md").unlink()
    kb.ingest()

    def refuse(path, missing_ok=False):   # a read-only mount (chmod does not stop root, who runs CI)
        raise PermissionError(13, "Read-only file system", str(path))

    monkeypatch.setattr(Path, "unlink", refuse)
    after = Snapshot.build(kb.store, cache=SegmentCache(folder))    # the stale file cannot be deleted
    assert "height.md" not in after.segments and after.bm25.top("燃气报警器", 1)
