"""Each format loads into blocks a reader would recognise; bad files get a clear message."""
import codecs
import zipfile

import pytest
from conftest import DATA
from docbuild import build_rules_docx, minimal_pdf

from ingest.loaders import LoadError, load


def test_word_headings_numbering_and_tables(tmp_path):
    doc = load(build_rules_docx(tmp_path / "rules.docx"))
    assert doc.title == "危险化学品仓库安全管理制度"
    kinds = [(b.kind, b.text) for b in doc.blocks]
    # A heading style named the Chinese way and one named the English way are both headings.
    assert ("heading", "第一章 总则") in kinds and ("heading", "第二章 储存要求") in kinds
    # Word's automatic numbering appears as the reader sees it: 第一条, （一）, …
    texts = [t for _, t in kinds]
    assert "第二条 仓库管理员应当履行下列职责：" in texts
    assert "（三）发现泄漏立即报告值班领导。" in texts
    assert "第三条 氧化剂与易燃物品不得同库储存。" in texts
    # Each table row keeps its header cells.
    assert ("table_row", "品名：乙醇；最大储量：5吨；储存条件：远离火源") in kinds


def test_shipped_interview_has_its_questions_as_headings():
    doc = load(DATA / "应急局局长安全访谈稿.docx")
    headings = [b.text for b in doc.blocks if b.kind == "heading"]
    assert len([h for h in headings if h.startswith(("1、", "2、", "3."))]) == 3
    assert "(1)对“生命至上,安全至上”的理解" in headings   # the source's own punctuation, kept
    body = "".join(b.text for b in doc.blocks)
    assert "为人民谋幸福" in body and "优知文库" not in body


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("gb18030", b""),
                                          ("utf-16-le", codecs.BOM_UTF16_LE)])
def test_text_encodings(tmp_path, encoding, bom):
    text = "第一条 生产经营单位必须遵守本法。\n第二条 从业人员有权拒绝违章指挥。"
    path = tmp_path / "law.txt"
    path.write_bytes(bom + text.encode(encoding))
    doc = load(path)
    assert [b.text for b in doc.blocks] == text.split("\n")


def test_markdown_headings_and_title():
    doc = load(DATA / "work_safety_law_2021.md")
    assert doc.title == "中华人民共和国安全生产法"
    assert doc.blocks[4].kind == "heading" and doc.blocks[4].text == "第一章 总则"


def test_pdf_text_layer(tmp_path):
    doc = load(minimal_pdf(tmp_path / "notice.pdf", ["Work safety notice", "Report accidents within one hour."]))
    assert [b.text for b in doc.blocks] == ["Work safety notice", "Report accidents within one hour."]


@pytest.mark.parametrize("name,content,message", [
    ("broken.docx", b"PK\x03\x04 not really a zip", "damaged"),
    ("empty.txt", b"", "empty"),
    ("binary.txt", bytes(range(256)) * 4, "binary"),
    ("slides.pptx", b"x", "unsupported"),
])
def test_bad_files_get_a_message_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as err:
        load(path)
    assert name in str(err.value) and message in str(err.value)


def test_pdf_without_text_layer_says_so(tmp_path):
    with pytest.raises(LoadError, match="scan.pdf: the PDF has no text layer"):
        load(minimal_pdf(tmp_path / "scan.pdf", None))


def test_zip_that_is_not_a_word_file(tmp_path):
    path = tmp_path / "fake.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(LoadError, match="fake.docx: not a Word document"):
        load(path)


def test_size_limit_is_checked_before_parsing(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("安全" * 600_000, encoding="utf-8")
    with pytest.raises(LoadError, match="over the 1 MB limit"):
        load(path, max_bytes=1_000_000)
