"""The app's one SQLite file beside the store (quiz progress, conversations, the question log)."""
from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Autocommit connection shared by the app's threads (each caller serialises its writes);
    WAL lets readers go on while one writes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _adopt_old_name(path)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db


def _adopt_old_name(path: Path) -> None:
    # Stores made before conversations were kept hold quiz progress in quiz.sqlite3: keep it.
    old = path.with_name("quiz.sqlite3")
    if path.name == "app.sqlite3" and old.exists() and not path.exists():
        old.rename(path)
