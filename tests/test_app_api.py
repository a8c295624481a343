"""The running app through gradio_client: the same answers as the CLI, and the knowledge-base actions."""
import time

import pytest
from docbuild import build_rules_docx
from gradio_client import Client, handle_file


@pytest.fixture(scope="module")
def client(app_server):
    return Client(app_server.url, verbose=False)


def test_the_app_ingested_the_shipped_folder_on_start(app_server, client):
    names = {d["source"] for d in client.predict("test-secret", api_name="/documents")}
    assert names == {"work_safety_law_2021.md", "应急局局长安全访谈稿.docx",
                     "work_safety_accident_emergency_regulations_2019.md",
                     "work_safety_accident_reporting_investigation_regulations_2007.md"}
    assert "ingest" in app_server.log.read_text()


def test_ask_returns_the_cli_json_object(client):
    data = client.predict("三个必须的具体内容是什么？", None, api_name="/ask")
    assert data["found"] is True and "管生产经营必须管安全" in data["answer"]
    assert data["citations"][0]["source"] == "应急局局长安全访谈稿.docx"
    assert set(data["citations"][0]) >= {"n", "source", "title", "section", "article", "text", "used_sentences", "score"}


def test_ask_with_the_conversation_so_far(client):
    data = client.predict("那第二个专题呢？", ["专项整治三年行动有哪两个专题？"], api_name="/ask")
    assert data["answer"].startswith("“落实企业安全生产主体责任”")


def test_unanswerable_through_the_api(client):
    data = client.predict("明天天气怎么样？", None, api_name="/ask")
    assert data["found"] is False and data["answer"].startswith("知识库中没有找到")
    assert data["outcome"] == "not_found"


def test_the_three_outcomes_through_the_api(client):
    answered = client.predict("三个必须的具体内容是什么？", None, api_name="/ask")
    not_stated = client.predict("应急管理局局长的工资是多少？", None, api_name="/ask")
    assert answered["outcome"] == "answered" and answered["missing"] == ""
    assert (not_stated["found"], not_stated["outcome"], not_stated["missing"]) == (False, "not_stated", "具体数字")
    assert not_stated["citations"]


def test_wrong_password_is_refused_and_slowed(client, tmp_path, app_server):
    note = tmp_path / "note.txt"
    note.write_text("第一条 测试。", encoding="utf-8")
    started = time.monotonic()
    message, *_ = client.predict([handle_file(str(note))], "wrong", api_name="/upload")
    assert not (app_server.data / "note.txt").exists()
    assert "密码错误" in message
    message = client.predict("work_safety_law_2021.md", "wrong-again", api_name="/remove")
    assert "密码错误" in message
    assert time.monotonic() - started >= 1.0   # 0.5 s, then 1 s: repeated failures wait longer


def test_files_of_other_types_are_refused_by_the_upload(client, tmp_path):
    script = tmp_path / "evil.py"
    script.write_text("print('x')")
    with pytest.raises(Exception, match="Invalid file type"):
        client.predict([handle_file(str(script))], "test-secret", api_name="/upload")


def test_upload_then_ask_about_it(client, tmp_path, app_server):
    docx = build_rules_docx(tmp_path / "危险化学品仓库安全管理制度.docx")
    bad = tmp_path / "notes.txt"
    bad.write_bytes(b"\x00\x01binary" * 50)
    message, table, _ = client.predict([handle_file(str(docx)), handle_file(str(bad))], "test-secret",
                                       api_name="/upload")
    assert "新增 1 个" in message and "❌ notes.txt" in message and "binary" in message   # Chinese first
    assert "危险化学品仓库安全管理制度.docx" in [row[0] for row in table["data"]]
    assert (app_server.data / "危险化学品仓库安全管理制度.docx").exists()
    time.sleep(2.5)   # the retriever picks up a new revision within two seconds
    data = client.predict("过氧化氢的最大储量是多少？", None, api_name="/ask")
    assert data["found"] and "2吨" in data["answer"]
    assert data["citations"][0]["source"] == "危险化学品仓库安全管理制度.docx"
    message = client.predict("危险化学品仓库安全管理制度.docx", "test-secret", api_name="/remove")
    assert "已删除" in message
    assert not (app_server.data / "危险化学品仓库安全管理制度.docx").exists()


def test_quiz_through_the_api(client):
    question = client.predict("接口学员", "doc:应急局局长安全访谈稿.docx", ["enumeration"], False, api_name="/quiz_next")
    assert question["kind"] == "enumeration" and question["source"] == "应急局局长安全访谈稿.docx"
    result = client.predict("接口学员", question["id"], "不知道", api_name="/quiz_answer")
    assert result["verdict"] == "wrong" and result["missed"] and result["passage"]
    assert result["progress"]["answered"] == 1 and result["progress"]["correct"] == 0
    assert result["basis"].startswith("依据：《") and result["due"]    # FSRS says when it comes back
    review = client.predict("接口学员", "doc:应急局局长安全访谈稿.docx", ["enumeration"], True, api_name="/quiz_next")
    assert review["id"] == question["id"]      # the miss comes back first in review mode
    book = client.predict("接口学员", api_name="/quiz_wrong_book")
    assert [b["id"] for b in book] == [question["id"]] and book[0]["your_answer"] == "不知道"
    assert client.predict("接口学员", question["id"], api_name="/quiz_favourite") == {"favourite": True}
    favourite = client.predict("接口学员", "all", None, False, "favourites", api_name="/quiz_next")
    assert favourite["id"] == question["id"]
    progress = client.predict("接口学员", api_name="/quiz_progress")
    assert progress["wrong_book"] == 1 and progress["by_kind"][0]["name"] == "enumeration"


def test_a_mock_exam_through_the_api(client):
    paper = client.predict("all", {"choice": 2, "multi": 1, "judge": 1}, 30, 0.6, api_name="/exam_paper")
    assert paper["total"] == 5 and len(paper["questions"]) == 4       # 单选 1, 多选 2, 判断 1 point
    assert all("answer" not in q for q in paper["questions"])       # nothing given away before hand-in
    first = paper["questions"][0]
    result = client.predict("接口考生", paper["paper"], {first["id"]: "A"}, api_name="/exam_submit")
    assert result["total"] == 5 and len(result["answers"]) == 4
    unanswered = [a for a in result["answers"] if a["answer"] == ""]
    assert len(unanswered) == 3 and all(a["earned"] == 0 and a["basis"].startswith("依据：") for a in unanswered)
    assert "error" in client.predict("all", {"judge": 100_000}, 30, 0.6, api_name="/exam_paper")


def test_questions_not_answered_and_answers_marked_wrong_reach_the_admin_log(client):
    missed = client.predict("单位年会的抽奖环节怎么安排比较好？", None, api_name="/ask")
    assert missed["outcome"] == "not_found"
    answered = client.predict("生产经营单位的主要负责人有哪些职责？", None, api_name="/ask")
    assert client.predict(answered["id"], -1, "漏了第七项", api_name="/feedback") == {"recorded": True}
    assert client.predict("no-such-answer", -1, "", api_name="/feedback")["recorded"] is False
    log = client.predict("test-secret", api_name="/question_log")
    assert "单位年会的抽奖环节怎么安排比较好？" in [g["question"] for g in log["unanswered"]]
    [marked] = [g for g in log["marked_wrong"] if g["question"] == "生产经营单位的主要负责人有哪些职责？"]
    assert marked["comments"] == ["漏了第七项"] and "第二十一条" in marked["cited"]
    with pytest.raises(Exception):
        client.predict("wrong", api_name="/question_log")     # the log is behind the admin password
