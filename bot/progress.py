"""Trainee progress in SQLite next to the store: attempts, scores, Leitner boxes, and mock-exam
papers and results (kept in the shared database, so any app process can mark a paper another drew).

Each item sits in a box from 1 to 5. A correct answer moves it up a box, a wrong one back
to box 1, a partial one leaves it; an item is due again after 0, 1, 3, 7 or 14 days by box.
Review mode brings back box-1 items (the ones missed) first, then those due.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from .database import connect, transaction

INTERVAL_DAYS = {1: 0, 2: 1, 3: 3, 4: 7, 5: 14}
SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, trainee TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL,
    source TEXT NOT NULL, section TEXT NOT NULL, verdict TEXT NOT NULL, score REAL NOT NULL,
    answer TEXT NOT NULL, answered_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_trainee ON attempts (trainee, answered_at);
CREATE TABLE IF NOT EXISTS boxes (
    trainee TEXT NOT NULL, item_id TEXT NOT NULL, box INTEGER NOT NULL, due REAL NOT NULL,
    PRIMARY KEY (trainee, item_id));
CREATE TABLE IF NOT EXISTS exam_papers (
    id TEXT PRIMARY KEY, blueprint TEXT NOT NULL, items TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS exams (
    id INTEGER PRIMARY KEY, trainee TEXT NOT NULL, paper_id TEXT NOT NULL, score REAL NOT NULL,
    total REAL NOT NULL, passed INTEGER NOT NULL, seconds REAL NOT NULL, taken_at REAL NOT NULL,
    details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exams_trainee ON exams (trainee, taken_at);
"""


class Progress:
    def __init__(self, path: Path):
        self.db = connect(path, SCHEMA)
        self._lock = threading.Lock()

    def record(self, trainee: str, item, verdict: str, score: float, answer: str, now: float | None = None) -> int:
        """Store an attempt and move the item's box; returns the new box."""
        now = time.time() if now is None else now
        with self._lock:
            row = self.db.execute("SELECT box FROM boxes WHERE trainee=? AND item_id=?", (trainee, item.id)).fetchone()
            box = row[0] if row else 1
            box = min(box + 1, 5) if verdict == "correct" else 1 if verdict == "wrong" else box
            with transaction(self.db):
                self.db.execute("INSERT INTO attempts (trainee, item_id, kind, source, section, verdict, score, "
                                "answer, answered_at) VALUES (?,?,?,?,?,?,?,?,?)",
                                (trainee, item.id, item.kind, item.source, item.section, verdict, score, answer, now))
                self.db.execute("INSERT OR REPLACE INTO boxes VALUES (?,?,?,?)",
                                (trainee, item.id, box, now + INTERVAL_DAYS[box] * 86400))
        return box

    def scores(self, trainee: str) -> dict:
        def rows(group: str):
            return [{"name": name, "answered": n, "correct": c, "score": round(s / n, 3)}
                    for name, n, c, s in self.db.execute(
                        f"SELECT {group}, COUNT(*), SUM(verdict='correct'), SUM(score) FROM attempts "
                        f"WHERE trainee=? GROUP BY {group} ORDER BY {group}", (trainee,))]
        total = self.db.execute("SELECT COUNT(*), COALESCE(SUM(verdict='correct'),0), COALESCE(SUM(score),0) "
                                "FROM attempts WHERE trainee=?", (trainee,)).fetchone()
        return {"answered": total[0], "correct": total[1], "score": round(total[2] / total[0], 3) if total[0] else 0.0,
                "by_document": rows("source"), "by_section": rows("source || ' › ' || section")}

    def history(self, trainee: str, limit: int = 20) -> list[dict]:
        cur = self.db.execute("SELECT item_id, kind, verdict, score, answer, answered_at FROM attempts "
                              "WHERE trainee=? ORDER BY answered_at DESC, id DESC LIMIT ?", (trainee, limit))
        return [dict(zip(("item_id", "kind", "verdict", "score", "answer", "answered_at"), r)) for r in cur]

    def review_order(self, trainee: str, now: float | None = None) -> list[str]:
        """Missed items (box 1) first, then the others that are due, most overdue first."""
        now = time.time() if now is None else now
        cur = self.db.execute("SELECT item_id FROM boxes WHERE trainee=? AND (box=1 OR due<=?) "
                              "ORDER BY box, due", (trainee, now))
        return [r[0] for r in cur]

    def seen(self, trainee: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT item_id FROM boxes WHERE trainee=?", (trainee,))}

    def save_paper(self, paper_id: str, blueprint: dict, items: list[dict], created: float) -> None:
        with self._lock, transaction(self.db):
            self.db.execute("INSERT INTO exam_papers VALUES (?,?,?,?)",
                            (paper_id, json.dumps(blueprint), json.dumps(items, ensure_ascii=False), created))

    def paper(self, paper_id: str) -> tuple[dict, list[dict], float] | None:
        row = self.db.execute("SELECT blueprint, items, created FROM exam_papers WHERE id=?", (paper_id,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1]), row[2]) if row else None

    def record_exam(self, trainee: str, paper_id: str, score: float, total: float, passed: bool, seconds: float,
                    details: dict, now: float | None = None) -> None:
        with self._lock, transaction(self.db):
            self.db.execute("INSERT INTO exams (trainee, paper_id, score, total, passed, seconds, taken_at, details) "
                            "VALUES (?,?,?,?,?,?,?,?)", (trainee, paper_id, score, total, int(passed), seconds,
                                                         time.time() if now is None else now,
                                                         json.dumps(details, ensure_ascii=False)))

    def exams(self, trainee: str, limit: int = 20) -> list[dict]:
        cur = self.db.execute("SELECT paper_id, score, total, passed, seconds, taken_at FROM exams WHERE trainee=? "
                              "ORDER BY taken_at DESC, id DESC LIMIT ?", (trainee, limit))
        return [dict(zip(("paper", "score", "total", "passed", "seconds", "taken_at"), r)) for r in cur]
