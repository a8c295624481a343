"""Every setting of the project, read once from the environment.

`bot` imports this module too, so there is exactly one place to look for a knob.
Secrets (admin password, LLM key) may be given as a value or as a path to a file
outside the repository (`*_FILE`), and are never logged.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLED_MODEL = "bundled:multilingual-e5-small"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _number(name: str, default, kind=int):
    raw = _env(name)
    if raw is None:
        return default
    try:
        return kind(raw)
    except ValueError:
        raise SystemExit(f"setting {name}={raw!r} is not a {'whole ' if kind is int else ''}number") from None


def _choice(name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = _env(name, default)
    if value not in allowed:
        raise SystemExit(f"setting {name}={value!r} must be one of {', '.join(allowed)}")
    return value


def _secret(name: str) -> str | None:
    value = _env(name)
    if value is None and (path := _env(f"{name}_FILE")):
        try:
            value = Path(path).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise SystemExit(f"cannot read {name}_FILE ({path}): {exc.strerror}") from None
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    store_dir: Path
    model: str
    model_dir: Path
    backend: str
    collection: str
    chroma_host: str | None
    chroma_port: int
    chunk_chars: int
    overlap_sentences: int
    threads: int
    max_file_mb: int
    max_chars: int
    max_pages: int
    max_question_chars: int
    top_k: int
    lease_seconds: float
    llm_base_url: str | None
    llm_model: str | None
    llm_api_key: str | None = field(repr=False)
    admin_password: str | None = field(repr=False)
    question_log: bool = True
    app_db_path: Path | None = None

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        var = Path(_env("KB_VAR_DIR", str(ROOT / "var")))
        settings = cls(
            data_dir=Path(_env("KB_DATA_DIR", str(ROOT / "data"))),
            store_dir=Path(_env("KB_STORE_DIR", str(var / "store"))),
            model=_env("KB_EMBED_MODEL", BUNDLED_MODEL),
            model_dir=Path(_env("KB_MODEL_DIR", str(var / "models" / "multilingual-e5-small"))),
            backend=_choice("KB_EMBED_BACKEND", "onnx", ("onnx", "torch")),
            collection=_env("KB_COLLECTION", "safety_kb"),
            chroma_host=_env("KB_CHROMA_HOST"),
            chroma_port=_number("KB_CHROMA_PORT", 8000),
            chunk_chars=_number("KB_CHUNK_CHARS", 400),
            overlap_sentences=_number("KB_OVERLAP_SENTENCES", 1),
            threads=_number("KB_THREADS", 1),
            max_file_mb=_number("KB_MAX_FILE_MB", 20),
            max_chars=_number("KB_MAX_CHARS", 2_000_000),
            max_pages=_number("KB_MAX_PAGES", 1000),
            max_question_chars=_number("KB_MAX_QUESTION_CHARS", 500),
            top_k=_number("KB_TOP_K", 5),
            # server mode: how long an ingest lease lasts unless renewed (a killed writer's is taken over after it)
            lease_seconds=_number("KB_LEASE_SECONDS", 60.0, float),
            llm_base_url=_env("KB_LLM_BASE_URL"),
            llm_model=_env("KB_LLM_MODEL"),
            llm_api_key=_secret("KB_LLM_API_KEY"),
            admin_password=_secret("KB_ADMIN_PASSWORD"),
            # what users ask and how it was answered, for the admin view (KB_QUESTION_LOG=off stops it)
            question_log=_choice("KB_QUESTION_LOG", "on", ("on", "off")) == "on",
            # several app processes on one host share one (SQLite allows one writer at a time, in WAL mode)
            app_db_path=Path(p) if (p := _env("KB_APP_DB")) else None,
        )
        return replace(settings, **overrides) if overrides else settings

    @property
    def model_path(self) -> str:
        """What sentence-transformers loads: the converted bundled model or a configured one."""
        return str(self.model_dir) if self.model == BUNDLED_MODEL else self.model

    @property
    def app_db(self) -> Path:
        """The app's own SQLite: quiz progress, conversations, the question log (beside the store
        unless KB_APP_DB says where)."""
        return self.app_db_path or self.store_dir / "app.sqlite3"
