"""Chunks follow the documents' structure and carry where they come from."""
import re

from conftest import DATA
from docbuild import build_rules_docx
from hypothesis import given, settings, strategies as st

from ingest.chunking import chunk_document, split_spans
from ingest.loaders import load
from ingest.numerals import to_chinese
from ingest.records import Block, Document


def chunks_of(name, **kw):
    return chunk_document(load(DATA / name), **kw)


def test_every_article_of_the_work_safety_law_is_findable_by_number():
    chunks = chunks_of("work_safety_law_2021.md")
    numbers = {c.article_no for c in chunks if c.article_no}
    assert numbers == set(range(1, 120))
    for c in chunks:
        if c.article_no:
            assert c.article == f"第{to_chinese(c.article_no)}条"


def test_article_21_is_one_chunk_with_all_seven_duties_and_its_path():
    [art21] = [c for c in chunks_of("work_safety_law_2021.md") if c.article_no == 21]
    assert art21.path == "中华人民共和国安全生产法 › 第二章 生产经营单位的安全生产保障 › 第二十一条"
    assert all(f"（{n}）" in art21.text for n in "一二三四五六七")


def test_long_sections_split_at_sentence_ends_with_overlap():
    chunks = chunks_of("应急局局长安全访谈稿.docx", max_chars=150, overlap=1)
    section = [c for c in chunks if c.section and c.section[-1].startswith("(1)")]   # the source's own punctuation
    assert len(section) >= 3
    for c in section:
        assert len(c.text) <= 150
        # a sentence end, or a comma where one sentence alone is longer than a chunk
        assert re.search(r"[。！？；;?!”]$", c.text) or (re.search(r"[，、,]$", c.text) and "。" not in c.text), c.text
    # consecutive chunks share a sentence
    first, second = section[0].text, section[1].text
    assert second.split("。")[0] in first


def test_interview_questions_are_sections():
    chunks = chunks_of("应急局局长安全访谈稿.docx")
    three_musts = [c for c in chunks if "管行业必须管安全、管业务必须管安全" in c.text]
    assert three_musts and three_musts[0].section[0].startswith("2、习近平总书记提出的“三个必须”")
    assert not any("优知文库" in c.text or "配套讲稿" in c.text or "谋\n2、" in c.text for c in chunks)


def test_chinese_numbering_hierarchy_from_plain_text():
    doc = Document("plan.txt", "工作方案", [Block("paragraph", t) for t in [
        "一、总体要求", "坚持人民至上。", "（一）工作目标", "到年底隐患清零。",
        "1、重点任务", "开展排查。", "（1）危化品", "逐企检查。", "二、保障措施", "加强领导。"]])
    paths = {c.text: c.section for c in chunk_document(doc)}
    assert paths["逐企检查。"] == ("一、总体要求", "（一）工作目标", "1、重点任务", "（1）危化品")
    assert paths["加强领导。"] == ("二、保障措施",)


def test_a_numbered_sentence_or_a_slogan_is_not_a_heading():
    doc = Document("t.txt", "t", [Block("paragraph", t) for t in [
        "一、总体要求", "三个必须是管行业必须管安全、管业务必须管安全、管生产经营必须管安全。",
        "1、各单位要严格落实责任，确保隐患按期整改到位，坚决遏制重特大事故发生。"]])
    [chunk] = chunk_document(doc)
    assert chunk.section == ("一、总体要求",)


def test_items_inside_an_article_stay_in_the_article(tmp_path):
    chunks = chunk_document(load(build_rules_docx(tmp_path / "r.docx")))
    [art2] = [c for c in chunks if c.article == "第二条"]
    assert "（三）发现泄漏立即报告值班领导。" in art2.text
    [art3] = [c for c in chunks if c.article == "第三条"]
    assert "品名：乙醇；最大储量：5吨" in art3.text   # the table stays in its section


def test_chunk_ids_are_stable_and_unique():
    a, b = chunks_of("work_safety_law_2021.md"), chunks_of("work_safety_law_2021.md")
    assert [c.id for c in a] == [c.id for c in b]
    assert len({c.id for c in a}) == len(a)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["第一条 ", "安全", "生产", "。", "；", "，", "\n", "（一）", "检查", "？"]),
                max_size=400).map("".join),
       st.integers(min_value=10, max_value=120))
def test_split_covers_the_text_exactly(text, max_chars):
    spans = split_spans(text, max_chars, overlap=1)
    if not text.strip("\n"):
        return
    covered = set()
    for (a, b), (c, _) in zip(spans, spans[1:] + [(len(text), None)]):
        assert c <= b or not text[b:c].strip("\n"), "a gap between chunks lost text"
        covered.update(range(a, b))
    lost = [i for i in range(len(text)) if i not in covered and text[i] != "\n"]
    assert not lost
    # never longer than the limit unless a single unbreakable run is
    assert all(b - a <= max_chars for a, b in spans)
