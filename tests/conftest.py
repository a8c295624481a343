"""Shared fixtures: the real model, real Chroma (embedded and a `chroma run` server on loopback)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("KB_THREADS", "2")

from ingest.chroma_server import ChromaServer, free_port  # noqa: E402
from ingest.embedding import load_embedder  # noqa: E402
from ingest.kb import KnowledgeBase  # noqa: E402
from ingest.settings import Settings  # noqa: E402

DATA = ROOT / "data"
FIXTURES = ROOT / "tests" / "fixtures"   # copies of what the tests read, so a clone needs nothing beside it
EVAL = ROOT / "eval" / "test.jsonl"   # the frozen test split
DEV = ROOT / "eval" / "dev.jsonl"
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def embedder(base_settings):
    return load_embedder(base_settings)


@pytest.fixture
def make_kb(tmp_path, base_settings, embedder):
    """A fresh knowledge base (its own folder and embedded store) sharing the loaded model."""
    def make(files: list[Path] = (), name: str = "kb", **overrides) -> KnowledgeBase:
        data = tmp_path / name / "data"
        data.mkdir(parents=True, exist_ok=True)
        for f in files:
            shutil.copyfile(f, data / Path(f).name)
        settings = replace(base_settings, data_dir=data, store_dir=tmp_path / name / "store", **overrides)
        return KnowledgeBase(settings, embedder=embedder)
    return make


@pytest.fixture(scope="session")
def shipped_kb(tmp_path_factory, base_settings, embedder) -> KnowledgeBase:
    """The shipped data/ ingested once into an embedded store for the whole session."""
    store = tmp_path_factory.mktemp("shipped") / "store"
    kb = KnowledgeBase(replace(base_settings, data_dir=DATA, store_dir=store), embedder=embedder)
    report = kb.ingest()
    assert report.ok, report.summary()
    return kb


@pytest.fixture(scope="session")
def service(shipped_kb):
    from bot.answer import Answerer
    from bot.retrieval import Retriever
    from bot.service import Service

    retriever = Retriever(shipped_kb)
    return Service(shipped_kb, retriever, Answerer(shipped_kb, retriever))


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    yield server
    server.stop()


class AppServer:
    """`python -m bot serve` in a subprocess on a free loopback port, on a copy of the shipped
    folder (so uploads never touch data/) and an empty store, which it ingests on start."""

    def __init__(self, root: Path, password: str | None = None, env: dict | None = None, wait: bool = True):
        self.data = root / "data"
        shutil.copytree(DATA, self.data)
        self.store = root / "store"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.password = password
        self.log = root / "app.log"
        env = {**os.environ, "KB_DATA_DIR": str(self.data), "PYTHONPATH": str(ROOT), **(env or {})}
        env.pop("KB_ADMIN_PASSWORD", None)
        if password:
            env["KB_ADMIN_PASSWORD"] = password
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(self.port), "--store", str(self.store)],
            env=env, cwd=ROOT, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        if wait:
            self.wait()

    def wait(self) -> None:
        import urllib.request

        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the app did not come up within 300 s")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    server = AppServer(tmp_path_factory.mktemp("app"), password="test-secret")
    yield server
    server.stop()
