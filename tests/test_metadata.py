"""Which version of a document this is and whether a provision is still in force: read from the
laws' own header lines and from metadata.toml, shown in citations, answers and the quiz."""
import shutil

from conftest import DATA

from ingest.__main__ import format_documents
from ingest.loaders import load
from ingest.metadata import DocInfo, from_text

REGULATION_2007 = DATA / "work_safety_accident_reporting_investigation_regulations_2007.md"
LAW = DATA / "work_safety_law_2021.md"


def info_of(kb, source) -> DocInfo:
    return DocInfo.from_json({r.source: r for r in kb.store.documents()}[source].info)


def test_dates_and_decree_numbers_come_from_the_text():
    regulation = from_text(load(REGULATION_2007, source=REGULATION_2007.name))
    assert (regulation.authority, regulation.number) == ("国务院", "国务院令第493号")
    assert (regulation.adopted, regulation.published, regulation.in_force) == ("2007-03-28", "2007-04-09", "2007-06-01")
    law = from_text(load(LAW, source=LAW.name))
    assert (law.adopted, law.amended, law.authority) == ("2002-06-29", "2021-06-10", "全国人民代表大会常务委员会")
    assert law.in_force == "2002-11-01"      # its own 「本法自…起施行」, which metadata.toml corrects
    assert law.status == "现行有效"


def test_the_shipped_metadata_file_applies(shipped_kb):
    law = info_of(shipped_kb, LAW.name)
    assert law.in_force == "2021-09-01" and law.dated() == "现行有效 · 2021-06-10修正 · 2021-09-01施行"
    regulation = info_of(shipped_kb, REGULATION_2007.name)
    assert regulation.superseded["第三十七条"]["by_articles"] == ["第一百一十四条"]
    listing = format_documents(shipped_kb.store.documents())
    assert "生产安全事故报告和调查处理条例 · 现行有效 · 2007-06-01施行 · 3 provision(s) superseded" in listing


def test_an_answer_quoting_a_superseded_fine_cites_the_provision_in_force(service):
    answer = service.answerer.ask("生产安全事故报告和调查处理条例第三十七条规定的罚款是多少？")
    old = answer.citations[0]
    assert (old.title, old.article) == ("生产安全事故报告和调查处理条例", "第三十七条")
    assert old.superseded == "已被《中华人民共和国安全生产法》第一百一十四条取代"
    [now] = [c for c in answer.citations if c.article == "第一百一十四条"]
    assert "一千万元以上二千万元以下" in now.text and now.status.startswith("现行有效")
    assert f"现行规定见 [{now.n}]" in answer.notice
    assert answer.answer.endswith(f"{now.text}[{now.n}]")          # what applies now is quoted, not only linked
    plain = service.answerer.ask("生产安全事故报告和调查处理条例第三条")   # a provision still in force
    assert not plain.notice and all(not c.superseded for c in plain.citations)
    assert plain.citations[0].status == "现行有效 · 2007-06-01施行"


def test_editing_metadata_re_describes_without_embedding_and_a_broken_file_keeps_the_old(make_kb):
    kb = make_kb([REGULATION_2007])
    kb.ingest()
    assert info_of(kb, REGULATION_2007.name).status == "现行有效"
    meta = kb.settings.data_dir / "metadata.toml"
    meta.write_text(f'[documents."{REGULATION_2007.name}"]\nstatus = "已废止"\n', encoding="utf-8")
    report = kb.ingest()
    assert report.chunks_embedded == 0 and report.updated == [REGULATION_2007.name]
    assert info_of(kb, REGULATION_2007.name).status == "已废止"
    meta.write_text(f'[documents."{REGULATION_2007.name}"]\nstatus = "作废了"\n', encoding="utf-8")
    report = kb.ingest()
    assert "metadata.toml" in report.failed and "现行有效 / 已修订 / 已废止" in report.failed["metadata.toml"]
    assert info_of(kb, REGULATION_2007.name).status == "已废止"          # kept until the file is fixed
    meta.write_text("[documents\n", encoding="utf-8")
    assert "not valid TOML" in kb.ingest().failed["metadata.toml"]
    shutil.copyfile(DATA / "metadata.toml", meta)
    kb.ingest()
    assert info_of(kb, REGULATION_2007.name).status == "现行有效"


def test_a_quiz_item_from_a_superseded_provision_says_what_applies_now(service, tmp_path):
    from bot.progress import Progress
    from bot.grading import Grader
    from bot.quiz import QuizService

    quiz = QuizService(service.retriever, Progress(tmp_path / "app.sqlite3"), Grader(service.kb.embedder))
    snap = service.retriever.snapshot()
    item = next(i for i in quiz.items().values()
                if snap.chunks[snap.index[i.chunk_id]].article == "第三十七条" and i.source == REGULATION_2007.name)
    feedback = quiz.submit("学员", item.id, "不知道")
    assert "已被后来的规定取代" in feedback.superseded
    assert "《中华人民共和国安全生产法》第一百一十四条" in feedback.superseded


def test_the_page_editor_writes_metadata_toml_keeping_its_comments(tmp_path):
    from ingest.metadata import MetadataError, read_metadata, save_document

    shutil.copyfile(DATA / "metadata.toml", tmp_path / "metadata.toml")
    save_document(tmp_path, REGULATION_2007.name, {"status": "已修订", "number": " 国务院令第493号 ", "adopted": ""})
    text = (tmp_path / "metadata.toml").read_text(encoding="utf-8")
    assert "# the third amendment's effective date" in text           # staff's comments stay
    described = read_metadata(tmp_path)
    assert described.documents[REGULATION_2007.name] == {"status": "已修订", "number": "国务院令第493号"}
    assert described.superseded[REGULATION_2007.name]["第三十七条"]["by_articles"] == ["第一百一十四条"]
    for bad in ({"in_force": "2021年9月1日"}, {"status": "作废"}):
        try:
            save_document(tmp_path, REGULATION_2007.name, bad)
            raise AssertionError(f"{bad} was accepted")
        except MetadataError as exc:
            assert "YYYY-MM-DD" in str(exc) or "现行有效 / 已修订 / 已废止" in str(exc)
    save_document(tmp_path, REGULATION_2007.name, {"status": ""})       # emptied: the text decides again
    assert REGULATION_2007.name not in read_metadata(tmp_path).documents


def test_removing_by_name_never_deletes_metadata_toml_or_a_folder(make_kb):
    kb = make_kb([REGULATION_2007])
    shutil.copyfile(DATA / "metadata.toml", kb.settings.data_dir / "metadata.toml")
    (kb.settings.data_dir / "归档").mkdir()
    assert kb.remove("metadata.toml") is False and (kb.settings.data_dir / "metadata.toml").exists()
    assert kb.remove("归档") is False and (kb.settings.data_dir / "归档").is_dir()
    assert kb.remove("../metadata.toml") is False
