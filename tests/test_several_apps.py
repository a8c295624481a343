"""How a bureau serves many users: several app processes behind one `chroma run` server, sharing one
app database (KB_APP_DB), started together. Each answers alike, what is asked or rated on one is in
the other's question log, and a document uploaded through one is answered by the other."""
import shutil
import time

import pytest
from conftest import DATA, AppServer
from docbuild import build_rules_docx
from gradio_client import Client, handle_file


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory, chroma_server):
    root = tmp_path_factory.mktemp("two-apps")
    shutil.copytree(DATA, root / "shared" / "data")
    # what the processes share: the Chroma server, the knowledge-base folder and the app database
    env = {"KB_CHROMA_HOST": "127.0.0.1", "KB_CHROMA_PORT": str(chroma_server.port), "KB_COLLECTION": "two_apps",
           "KB_DATA_DIR": str(root / "shared" / "data"), "KB_APP_DB": str(root / "shared" / "app.sqlite3")}
    apps = [AppServer(root / name, password="pw", env=env, wait=False) for name in ("a", "b")]
    try:
        for app in apps:          # started together: one ingests, the other serves meanwhile
            app.wait()
        yield apps
    finally:
        for app in apps:
            app.stop()


def ask_until_found(client, question, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        data = client.predict(question, None, api_name="/ask")
        if data["found"] or time.monotonic() > deadline:
            return data
        time.sleep(1)


def test_both_processes_answer_alike_and_share_the_question_log(two_apps):
    a, b = (Client(app.url, verbose=False) for app in two_apps)
    first = ask_until_found(a, "三个必须的具体内容是什么？")
    second = ask_until_found(b, "三个必须的具体内容是什么？")
    assert first["found"] and first["answer"] == second["answer"]
    assert a.predict("单位年会的抽奖环节怎么安排比较好？", None, api_name="/ask")["outcome"] == "not_found"
    assert b.predict(first["id"], -1, "另一个进程上的意见", api_name="/feedback") == {"recorded": True}
    log = b.predict("pw", api_name="/question_log")
    assert "单位年会的抽奖环节怎么安排比较好？" in [g["question"] for g in log["unanswered"]]
    assert ["另一个进程上的意见"] in [g["comments"] for g in log["marked_wrong"]]


def test_a_document_uploaded_through_one_is_answered_by_the_other(two_apps, tmp_path):
    a, b = (Client(app.url, verbose=False) for app in two_apps)
    docx = build_rules_docx(tmp_path / "危险化学品仓库安全管理制度.docx")
    message, *_ = a.predict([handle_file(str(docx))], "pw", api_name="/upload")
    assert "新增 1 个" in message
    data = ask_until_found(b, "过氧化氢的最大储量是多少？", seconds=30)
    assert data["found"] and "2吨" in data["answer"]
    assert data["citations"][0]["source"] == "危险化学品仓库安全管理制度.docx"
