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


@pytest.mark.parametrize("encoding", ["big5", "gbk", "utf-16-le"])
def test_encodings_without_a_bom_are_detected(tmp_path, encoding):
    # Traditional Chinese, as Hong Kong and Taiwan safety documents are written
    text = ("第一條 生產經營單位的主要負責人對本單位的安全生產工作全面負責。\n第二條 從業人員有權拒絕違章指揮和強令冒險作業。\n"
            "第三條 生產經營單位應當對從業人員進行安全生產教育和培訓，保證從業人員具備必要的安全生產知識。")
    if encoding == "gbk":
        text = "第一条 生产经营单位的主要负责人对本单位的安全生产工作全面负责。\n第二条 从业人员有权拒绝违章指挥和强令冒险作业。"
    path = tmp_path / "rules.txt"
    path.write_bytes(text.encode(encoding))
    assert "\n".join(b.text for b in load(path).blocks) == text


def test_markdown_markup_does_not_reach_the_text(tmp_path):
    path = tmp_path / "notice.md"
    path.write_text("# 动火作业管理规定\n\n<!-- 草稿，勿发布 -->\n\n## 一、适用范围\n\n"
                    "本规定适用于**全厂**的[动火作业](http://example.invalid/a)。\n\n"
                    "- 动火前必须办理*动火证*；\n- 现场配备灭火器。\n\n```\nprint('不是正文')\n```\n\n"
                    "| 级别 | 审批人 |\n| --- | --- |\n| 一级 | 厂长 |\n", encoding="utf-8")
    doc = load(path)
    assert doc.title == "动火作业管理规定"
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "一、适用范围"), ("paragraph", "本规定适用于全厂的动火作业。"),
        ("paragraph", "动火前必须办理动火证；"), ("paragraph", "现场配备灭火器。"),
        ("table_row", "级别；审批人"), ("table_row", "级别：一级；审批人：厂长")]


def test_a_saved_web_page_gives_its_main_text(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("<html><head><title>有限空间作业须知</title><script>var x='脚本';</script></head><body>"
                    "<nav><a href='/'>首页</a> | <a href='/news'>新闻</a></nav><main><h1>有限空间作业须知</h1>"
                    "<p>作业前应当<b>先通风、再检测、后作业</b>。</p><h2>监护</h2><ul><li>设专人监护；</li></ul>"
                    "<table><tr><th>气体</th><th>限值</th></tr><tr><td>氧气</td><td>19.5%</td></tr></table>"
                    "<table><tr><th>岗位</th><th>职责</th></tr><tr><td>监护人</td><td>全程监护</td></tr></table></main>"
                    "<footer>版权所有 © 某某网站</footer></body></html>", encoding="utf-8")
    doc = load(path)
    assert doc.title == "有限空间作业须知"
    texts = [b.text for b in doc.blocks]
    assert "作业前应当先通风、再检测、后作业。" in texts and "设专人监护；" in texts
    assert ("heading", "监护") in [(b.kind, b.text) for b in doc.blocks]
    assert "气体：氧气；限值：19.5%" in texts and "岗位：监护人；职责：全程监护" in texts   # each table its header
    assert not any(w in t for t in texts for w in ("首页", "脚本", "版权所有"))


def test_an_excel_responsibility_list_reads_row_by_row(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "厂级"
    sheet.append(["岗位", "安全职责"])
    sheet.append(["厂长", "对本厂安全生产工作全面负责"])
    sheet.append([None, None])
    other = book.create_sheet("车间级")
    other.append(["岗位", "安全职责"])
    other.append(["车间主任", "组织本车间隐患排查"])
    path = tmp_path / "责任清单.xlsx"
    book.save(path)
    doc = load(path)
    assert [(b.kind, b.text) for b in doc.blocks] == [
        ("heading", "厂级"), ("table_row", "岗位；安全职责"), ("table_row", "岗位：厂长；安全职责：对本厂安全生产工作全面负责"),
        ("heading", "车间级"), ("table_row", "岗位；安全职责"), ("table_row", "岗位：车间主任；安全职责：组织本车间隐患排查")]


def test_an_old_binary_doc_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "制度.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(LoadError, match="请另存为 .docx 后再上传"):
        load(path)


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
