"""Trainee progress in the app's SQLite file beside the store: attempts, FSRS review cards, the
wrong-answer book (错题本), favourites, and mock-exam papers and results (kept in the shared
database, so any app process can mark a paper another drew).

Reviews are scheduled by FSRS (the `fsrs` package, the scheduler the open spaced-repetition benchmark
ranks first): a wrong answer rates the card Again, a partly right one Hard, a right one Good. Review
mode brings back the wrong-answer book first, then the cards that are due.
"""
from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

from fsrs import Card, Rating, Scheduler, State

from .database import connect, transaction

RATINGS = {"wrong": Rating.Again, "partial": Rating.Hard, "correct": Rating.Good}
SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, trainee TEXT NOT NULL, item_id TEXT NOT NULL, kind TEXT NOT NULL,
    source TEXT NOT NULL, section TEXT NOT NULL, verdict TEXT NOT NULL, score REAL NOT NULL,
    answer TEXT NOT NULL, answered_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_trainee ON attempts (trainee, answered_at);
CREATE TABLE IF NOT EXISTS cards (
    trainee TEXT NOT NULL, item_id TEXT NOT NULL, card TEXT NOT NULL, due REAL NOT NULL,
    PRIMARY KEY (trainee, item_id));
CREATE TABLE IF NOT EXISTS favourites (
    trainee TEXT NOT NULL, item_id TEXT NOT NULL, item TEXT NOT NULL, added REAL NOT NULL,
    PRIMARY KEY (trainee, item_id));
CREATE TABLE IF NOT EXISTS exam_papers (
    id TEXT PRIMARY KEY, blueprint TEXT NOT NULL, items TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS exams (
    id INTEGER PRIMARY KEY, trainee TEXT NOT NULL, paper_id TEXT NOT NULL, score REAL NOT NULL,
    total REAL NOT NULL, passed INTEGER NOT NULL, seconds REAL NOT NULL, taken_at REAL NOT NULL,
    details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS exams_trainee ON exams (trainee, taken_at);
"""
# Leitner boxes of stores made before FSRS: each box's interval in days, read once when migrating
_LEITNER_DAYS = {1: 0, 2: 1, 3: 3, 4: 7, 5: 14}
# the last attempt per item of a trainee (the wrong-answer book is the items whose last one missed)
_LAST = ("SELECT a.item_id, a.verdict, a.answer, a.answered_at FROM attempts a JOIN "
         "(SELECT item_id, MAX(id) AS id FROM attempts WHERE trainee=? GROUP BY item_id) m ON a.id = m.id")


class AlreadyHandedIn(KeyError):
    """The trainee handed this paper in before: a second try would see the marked answers."""


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)


def _card_id(trainee: str, item_id: str) -> int:
    # fsrs numbers a card by the clock and sleeps a millisecond to keep numbers apart; ours are named
    return int(hashlib.sha1(f"{trainee}\x1f{item_id}".encode()).hexdigest()[:12], 16)


class Progress:
    def __init__(self, path):
        self.db = connect(path, SCHEMA)
        self._lock = threading.Lock()
        # One 10-minute learning step: a question answered right the first time is known, not a new
        # word to drill, so it goes to review (days) at once; a miss comes back in ten minutes.
        # Fuzzing off: the same answers on the same days give the same schedule (tests, support).
        self.scheduler = Scheduler(learning_steps=(timedelta(minutes=10),), relearning_steps=(timedelta(minutes=10),),
                                   enable_fuzzing=False)
        self._migrate_leitner()

    def record(self, trainee: str, item, verdict: str, score: float, answer: str, now: float | None = None) -> float:
        """Store an attempt and review the item's card; returns when it is due again (epoch seconds)."""
        with self._lock, transaction(self.db):
            return self._record(trainee, item, verdict, score, answer, time.time() if now is None else now)

    def hand_in(self, trainee: str, paper_id: str, attempts: list[tuple], score: float, total: float, passed: bool,
                seconds: float, details: dict, now: float | None = None) -> None:
        """A mock exam's result and every answer on it, in one transaction: a paper handed in twice at
        once (a double click, two processes) is kept once, and the second raises AlreadyHandedIn."""
        now = time.time() if now is None else now
        with self._lock, transaction(self.db):
            if self.db.execute("SELECT 1 FROM exams WHERE trainee=? AND paper_id=?", (trainee, paper_id)).fetchone():
                raise AlreadyHandedIn(f"paper {paper_id} was already handed in by {trainee}")
            for item, verdict, item_score, answer in attempts:
                self._record(trainee, item, verdict, item_score, answer, now)
            self.db.execute("INSERT INTO exams (trainee, paper_id, score, total, passed, seconds, taken_at, details) "
                            "VALUES (?,?,?,?,?,?,?,?)", (trainee, paper_id, score, total, int(passed), seconds, now,
                                                         json.dumps(details, ensure_ascii=False)))

    def _record(self, trainee: str, item, verdict: str, score: float, answer: str, now: float) -> float:
        row = self.db.execute("SELECT card FROM cards WHERE trainee=? AND item_id=?", (trainee, item.id)).fetchone()
        card = Card.from_json(row[0]) if row else Card(card_id=_card_id(trainee, item.id), due=_utc(now))
        card, _ = self.scheduler.review_card(card, RATINGS[verdict], review_datetime=_utc(now))
        due = card.due.timestamp()
        self.db.execute("INSERT INTO attempts (trainee, item_id, kind, source, section, verdict, score, "
                        "answer, answered_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        (trainee, item.id, item.kind, item.source, item.section, verdict, score, answer, now))
        self.db.execute("INSERT OR REPLACE INTO cards VALUES (?,?,?,?)", (trainee, item.id, card.to_json(), due))
        return due

    def scores(self, trainee: str) -> dict:
        def rows(group: str):
            return [{"name": name, "answered": n, "correct": c, "score": round(s / n, 3)}
                    for name, n, c, s in self.db.execute(
                        f"SELECT {group}, COUNT(*), SUM(verdict='correct'), SUM(score) FROM attempts "
                        f"WHERE trainee=? GROUP BY {group} ORDER BY {group}", (trainee,))]
        total = self.db.execute("SELECT COUNT(*), COALESCE(SUM(verdict='correct'),0), COALESCE(SUM(score),0) "
                                "FROM attempts WHERE trainee=?", (trainee,)).fetchone()
        return {"answered": total[0], "correct": total[1], "score": round(total[2] / total[0], 3) if total[0] else 0.0,
                "by_document": rows("source"), "by_section": rows("source || ' › ' || section"),
                "by_kind": rows("kind")}

    def history(self, trainee: str, limit: int = 20) -> list[dict]:
        cur = self.db.execute("SELECT item_id, kind, verdict, score, answer, answered_at FROM attempts "
                              "WHERE trainee=? ORDER BY answered_at DESC, id DESC LIMIT ?", (trainee, limit))
        return [dict(zip(("item_id", "kind", "verdict", "score", "answer", "answered_at"), r)) for r in cur]

    def wrong_book(self, trainee: str) -> list[dict]:
        """错题本: items whose last answer was not right, the latest miss first; an item leaves the
        book when it is answered right."""
        rows = self.db.execute(_LAST + " WHERE a.verdict != 'correct' ORDER BY a.answered_at DESC, a.id DESC",
                               (trainee,))
        return [dict(zip(("item_id", "verdict", "answer", "answered_at"), r)) for r in rows]

    def due(self, trainee: str, now: float | None = None) -> list[str]:
        """Cards due by `now`, the most overdue first."""
        now = time.time() if now is None else now
        cur = self.db.execute("SELECT item_id FROM cards WHERE trainee=? AND due<=? ORDER BY due", (trainee, now))
        return [r[0] for r in cur]

    def due_today(self, trainee: str, now: float | None = None) -> list[str]:
        """Cards due before the end of the local day: the day's review queue."""
        now = time.time() if now is None else now
        local = datetime.fromtimestamp(now)
        midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return self.due(trainee, midnight.timestamp())

    def review_order(self, trainee: str, now: float | None = None) -> list[str]:
        """The wrong-answer book first (the longest-standing miss first, so the one just missed is not
        asked again at once), then the other cards that are due."""
        missed = [r["item_id"] for r in self.wrong_book(trainee)][::-1]
        book = set(missed)
        return missed + [i for i in self.due(trainee, now) if i not in book]

    def handed_in(self, trainee: str, paper_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM exams WHERE trainee=? AND paper_id=?", (trainee, paper_id)).fetchone() is not None

    def answered(self, trainee: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM attempts WHERE trainee=?", (trainee,)).fetchone()[0]

    def seen(self, trainee: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT item_id FROM cards WHERE trainee=?", (trainee,))}

    def card(self, trainee: str, item_id: str) -> Card | None:
        row = self.db.execute("SELECT card FROM cards WHERE trainee=? AND item_id=?", (trainee, item_id)).fetchone()
        return Card.from_json(row[0]) if row else None

    def toggle_favourite(self, trainee: str, item) -> bool:
        """Add the item to the trainee's favourites, or take it out; True when it is now a favourite.
        The item is kept whole, so a favourite outlives a change of the knowledge base."""
        with self._lock, transaction(self.db):
            gone = self.db.execute("DELETE FROM favourites WHERE trainee=? AND item_id=?", (trainee, item.id)).rowcount
            if not gone:
                self.db.execute("INSERT INTO favourites VALUES (?,?,?,?)",
                                (trainee, item.id, json.dumps(asdict(item), ensure_ascii=False), time.time()))
        return not gone

    def favourites(self, trainee: str) -> list[dict]:
        cur = self.db.execute("SELECT item FROM favourites WHERE trainee=? ORDER BY added DESC", (trainee,))
        return [json.loads(r[0]) for r in cur]

    def save_paper(self, paper_id: str, blueprint: dict, items: list[dict], created: float) -> None:
        with self._lock, transaction(self.db):
            self.db.execute("INSERT INTO exam_papers VALUES (?,?,?,?)",
                            (paper_id, json.dumps(blueprint), json.dumps(items, ensure_ascii=False), created))

    def paper(self, paper_id: str) -> tuple[dict, list[dict], float] | None:
        row = self.db.execute("SELECT blueprint, items, created FROM exam_papers WHERE id=?", (paper_id,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1]), row[2]) if row else None

    def exams(self, trainee: str, limit: int = 20) -> list[dict]:
        cur = self.db.execute("SELECT paper_id, score, total, passed, seconds, taken_at FROM exams WHERE trainee=? "
                              "ORDER BY taken_at DESC, id DESC LIMIT ?", (trainee, limit))
        return [dict(zip(("paper", "score", "total", "passed", "seconds", "taken_at"), r)) for r in cur]

    def readiness(self, trainee: str, recent: int = 5) -> dict | None:
        """How ready for the exam, from the last few mock exams (None before the first): their mean
        share of the points and a pass chance (passes + 1) / (papers + 2), which moves with each paper."""
        exams = self.exams(trainee, recent)
        if not exams:
            return None
        passed = sum(e["passed"] for e in exams)
        return {"papers": len(exams), "passed": passed,
                "mean_share": round(sum(e["score"] / e["total"] for e in exams) / len(exams), 3),
                "pass_chance": round((passed + 1) / (len(exams) + 2), 2)}

    def _migrate_leitner(self) -> None:
        """Stores made before FSRS keep a Leitner box per item: each becomes a card due when its box
        was, a box above 1 a card in review with that box's interval as its stability."""
        with self._lock, transaction(self.db):
            if not self.db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='boxes'").fetchone():
                return
            rows = []
            for trainee, item_id, box, due in self.db.execute("SELECT trainee, item_id, box, due FROM boxes").fetchall():
                card = Card(card_id=_card_id(trainee, item_id), due=_utc(due))
                if box > 1:
                    days = _LEITNER_DAYS.get(box, 14)
                    card = Card(card_id=_card_id(trainee, item_id), state=State.Review, stability=float(days),
                                difficulty=5.0, due=_utc(due), last_review=_utc(due) - timedelta(days=days))
                rows.append((trainee, item_id, card.to_json(), due))
            self.db.executemany("INSERT OR IGNORE INTO cards VALUES (?,?,?,?)", rows)
            self.db.execute("DROP TABLE boxes")
