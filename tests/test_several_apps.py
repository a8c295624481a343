"""How a bureau serves many users: several app processes behind one `chroma run` server, sharing one
app database (KB_APP_DB), started together. Each answers alike, what is asked or rated on one is in
the other's question log, a document uploaded through one is answered by the other, and nginx with
deploy/nginx.conf in front serves them at one address."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from conftest import DATA, ROOT, AppServer, free_port
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


@pytest.fixture
def proxy(two_apps):
    """nginx with the shipped deploy/nginx.conf, its upstream ports and its own port swapped for the
    test's. CI installs nginx (KB_REQUIRE_PROXY there); elsewhere the test skips without it."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if not nginx:
        if os.environ.get("KB_REQUIRE_PROXY"):
            raise RuntimeError("KB_REQUIRE_PROXY is set but nginx is missing (apt-get install nginx-light)")
        pytest.skip("nginx is not installed")
    port = free_port()
    # nginx's workers drop root: its prefix (temporary files of uploads) must be theirs to reach,
    # which pytest's private tmp_path is not
    prefix = Path(tempfile.mkdtemp(prefix="kb-nginx-"))
    prefix.chmod(0o755)
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for default, app in zip(("127.0.0.1:7861", "127.0.0.1:7862"), two_apps):
        conf = conf.replace(default, f"127.0.0.1:{app.port}")
    (prefix / "nginx.conf").write_text(conf.replace("listen 8080;", f"listen 127.0.0.1:{port};"), encoding="utf-8")
    log = open(prefix / "nginx.log", "w")
    process = subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (prefix / "nginx.log").read_text()
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        shutil.rmtree(prefix, ignore_errors=True)


def test_one_address_in_front_of_both_processes(two_apps, proxy, tmp_path):
    behind = Client(proxy, verbose=False)
    direct = ask_until_found(Client(two_apps[0].url, verbose=False), "三个必须的具体内容是什么？")
    through = ask_until_found(behind, "三个必须的具体内容是什么？")   # the answer streams back through nginx
    assert through["found"] and through["answer"] == direct["answer"]
    docx = build_rules_docx(tmp_path / "有限空间作业安全管理制度.docx")   # an upload passes through it too
    message, *_ = behind.predict([handle_file(str(docx))], "pw", api_name="/upload")
    assert "新增 1 个" in message
