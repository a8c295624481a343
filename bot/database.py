"""The app's one SQLite file beside the store (quiz progress, conversations, the question log)."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path


def connect(path: Path, schema: str) -> sqlite3.Connection:
    """Autocommit connection shared by the app's threads (each caller serialises its writes);
    WAL lets readers go on while one writes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _adopt_old_name(path)
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(schema)
    return db


@contextmanager
def transaction(db: sqlite3.Connection):
    """BEGIN … COMMIT, rolled back on any error, so one failed write (a busy shared file) never
    leaves the shared connection inside an open transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _adopt_old_name(path: Path) -> None:
    # Stores made before conversations were kept hold quiz progress in quiz.sqlite3: keep it,
    # with what its write-ahead log still holds.
    old = path.with_name("quiz.sqlite3")
    if path.name == "app.sqlite3" and old.exists() and not path.exists():
        with sqlite3.connect(str(old)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        old.rename(path)
