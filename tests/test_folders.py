"""A knowledge base in folders, as a bureau keeps one: subfolders are categories, a whole tree of
mixed formats and encodings goes in (bad files named with their reason), a moved file is not
embedded again, and questions and quizzes can be limited to a category."""
import shutil

import pytest
from conftest import DATA
import openpyxl
from docbuild import build_rules_docx, minimal_pdf

from ingest.__main__ import format_documents, main

EMERGENCY = DATA / "work_safety_accident_emergency_regulations_2019.md"
GBK_RULES = ("# 动火作业管理办法\n\n第一条 仓库区域动火作业须经安全管理部书面审批，审批单有效期为八小时。\n"
             "第二条 动火作业现场必须配备两具以上灭火器，并安排专人监护。")
BIG5_RULES = "第一條 倉庫夜間值班人員每兩小時巡查一次。\n第二條 巡查發現隱患應當立即報告值班主管。"


def build_tree(root):
    """法规/ with Chinese folder names, GBK and Big5 text, Markdown, Word, PDF, a web page, Excel, an
    old .doc, a binary file named .txt and a scan without text."""
    (root / "法律法规" / "国务院条例").mkdir(parents=True)
    (root / "本地制度" / "仓库").mkdir(parents=True)
    shutil.copyfile(EMERGENCY, root / "法律法规" / "国务院条例" / "应急条例.md")
    (root / "本地制度" / "动火作业管理办法.txt").write_bytes(GBK_RULES.replace("# ", "").encode("gbk"))
    (root / "本地制度" / "仓库" / "夜间巡查.txt").write_bytes(BIG5_RULES.encode("big5"))
    build_rules_docx(root / "本地制度" / "仓库" / "危险化学品仓库安全管理制度.docx")
    minimal_pdf(root / "本地制度" / "notice.pdf", ["Work safety notice", "Report accidents within one hour."])
    (root / "本地制度" / "有限空间作业须知.html").write_text(
        "<html><head><title>有限空间作业须知</title><script>var x='脚本';</script></head><body><nav>首页</nav>"
        "<main><h1>有限空间作业须知</h1><p>进入有限空间前必须先通风、再检测、后作业。</p></main></body></html>",
        encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.title = "厂级"
    book.active.append(["岗位", "安全职责"])
    book.active.append(["厂长", "对本厂安全生产工作全面负责"])
    book.save(root / "本地制度" / "责任清单.xlsx")
    (root / "本地制度" / "旧通知.doc").write_bytes(b"\xd0\xcf\x11\xe0 old word")
    (root / "本地制度" / "损坏.txt").write_bytes(b"\x00\x01binary" * 50)
    minimal_pdf(root / "本地制度" / "扫描件.pdf", None)
    return root


@pytest.fixture
def tree_kb(make_kb, tmp_path, monkeypatch, capsys):
    kb = make_kb()
    source = build_tree(tmp_path / "法规")
    monkeypatch.setenv("KB_DATA_DIR", str(kb.settings.data_dir))
    monkeypatch.setenv("KB_STORE_DIR", str(kb.settings.store_dir))
    code = main(["-q", str(source)])          # python -m ingest 法规/
    return kb, code, capsys.readouterr().out


def test_a_folder_tree_goes_in_with_its_categories_and_bad_files_named(tree_kb, capsys):
    kb, code, out = tree_kb
    assert code == 1                                          # something failed: say so to scripts
    sources = {r.source: r.category for r in kb.store.documents()}
    assert sources == {"法规/法律法规/国务院条例/应急条例.md": "法规 › 法律法规 › 国务院条例",
                       "法规/本地制度/动火作业管理办法.txt": "法规 › 本地制度",
                       "法规/本地制度/仓库/夜间巡查.txt": "法规 › 本地制度 › 仓库",
                       "法规/本地制度/仓库/危险化学品仓库安全管理制度.docx": "法规 › 本地制度 › 仓库",
                       "法规/本地制度/notice.pdf": "法规 › 本地制度",
                       "法规/本地制度/有限空间作业须知.html": "法规 › 本地制度",
                       "法规/本地制度/责任清单.xlsx": "法规 › 本地制度"}
    assert "法规/本地制度/旧通知.doc" in out and "另存为 .docx" in out
    assert "法规/本地制度/损坏.txt" in out
    assert "法规/本地制度/扫描件.pdf" in out and "no text layer" in out
    listing = format_documents(kb.store.documents())
    assert "法规 › 本地制度 › 仓库\n  法规/本地制度/仓库/危险化学品仓库安全管理制度.docx" in listing
    assert "应急条例.md" in listing and "现行有效 · 2019-04-01施行" in listing
    assert main(["--list"]) == 0 and "法规 › 法律法规 › 国务院条例" in capsys.readouterr().out


def test_moving_a_file_inside_the_folder_embeds_nothing(tree_kb):
    kb, _, _ = tree_kb
    data = kb.settings.data_dir
    (data / "已归档").mkdir()
    shutil.move(data / "法规" / "法律法规" / "国务院条例" / "应急条例.md", data / "已归档" / "应急条例2019.md")
    report = kb.ingest()
    assert report.added == ["已归档/应急条例2019.md"] and report.removed == ["法规/法律法规/国务院条例/应急条例.md"]
    assert report.chunks_embedded == 0 and report.chunks_reused == 37


def test_a_question_can_be_limited_to_a_category(tree_kb):
    from bot.answer import Answerer
    from bot.retrieval import Retriever

    kb, _, _ = tree_kb
    answerer = Answerer(kb, Retriever(kb))
    question = "动火作业的审批单有效期多长？"
    anywhere = answerer.ask(question)
    assert anywhere.found and "八小时" in anywhere.answer
    assert anywhere.citations[0].category == "法规 › 本地制度"
    local = answerer.ask(question, scope="法规 › 本地制度")
    assert local.found and {c.category for c in local.citations} <= {"法规 › 本地制度", "法规 › 本地制度 › 仓库"}
    assert "只在「法规 › 本地制度」中查找" in local.notice
    elsewhere = answerer.ask(question, scope="法规 › 法律法规")
    assert "八小时" not in elsewhere.answer
    assert all(c.category == "法规 › 法律法规 › 国务院条例" for c in elsewhere.citations + elsewhere.related)
    one = answerer.ask("夜间值班人员多久巡查一次？", scope="法规/本地制度/仓库/夜间巡查.txt")
    assert one.found and {c.source for c in one.citations} == {"法规/本地制度/仓库/夜间巡查.txt"}


def test_a_quiz_can_be_limited_to_a_category(tree_kb, tmp_path):
    from bot.progress import Progress
    from bot.quiz import QuizService
    from bot.retrieval import Retriever

    kb, _, _ = tree_kb
    quiz = QuizService(Retriever(kb), Progress(tmp_path / "app.sqlite3"), None)
    assert ("类别：法规 › 本地制度", "cat:法规 › 本地制度") in quiz.scopes()
    item = quiz.pick("学员", "cat:法规 › 法律法规")
    assert item is not None and item.source.startswith("法规/法律法规/")
