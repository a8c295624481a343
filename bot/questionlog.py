"""What users asked and how it went: the questions the knowledge base could not answer and the
answers people marked wrong tell the bureau which document to add or fix next.

Each entry holds the question as typed, its outcome, latency, the provisions cited and the
answer text; nothing about who asked. `KB_QUESTION_LOG=off` stops logging.
"""
from __future__ import annotations

import csv
import io
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .database import connect
from .records import Answer
from .text import content_words

SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY, asked_at REAL NOT NULL, channel TEXT NOT NULL, question TEXT NOT NULL,
    outcome TEXT NOT NULL, missing TEXT NOT NULL, latency_ms REAL NOT NULL, cited TEXT NOT NULL,
    answer TEXT NOT NULL, revision TEXT NOT NULL,
    rating INTEGER, comment TEXT, rated_at REAL);
CREATE INDEX IF NOT EXISTS questions_outcome ON questions (outcome, asked_at);
"""
OUTCOME_NAMES = {"answered": "已回答", "not_stated": "未写明所问细节", "not_found": "没有找到"}
# Two wordings are "the same question" when half of their content words (question words and
# particles left out) are shared: 「要办什么手续」/「需要办哪些手续」 join, different topics do not.
SAME_WORDING = 0.5
COMMENT_CHARS = 500


@dataclass
class Group:
    """Questions worded alike; the latest wording stands for them, the others are its variants."""

    question: str
    count: int = 0
    last_asked: float = 0.0
    outcome: str = ""
    variants: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    answer: str = ""
    cited: str = ""


class QuestionLog:
    def __init__(self, path: Path, enabled: bool = True):
        self.enabled = enabled
        self.db = connect(path, SCHEMA)
        self._lock = threading.Lock()

    def record(self, answer: Answer, channel: str) -> None:
        if not self.enabled or not answer.question or answer.unavailable:
            return
        cited = "；".join(c.label for c in answer.citations if not c.see_also)
        with self._lock:
            self.db.execute("INSERT OR IGNORE INTO questions (id, asked_at, channel, question, outcome, missing, "
                            "latency_ms, cited, answer, revision) VALUES (?,?,?,?,?,?,?,?,?,?)",
                            (answer.id, time.time(), channel, answer.question, answer.outcome, answer.missing,
                             round(answer.latency_ms, 1), cited, answer.answer, answer.revision))

    def rate(self, answer_id: str, rating: int, comment: str = "") -> bool:
        """👍 (1) or 👎 (-1) with an optional comment; False when no such answer was logged."""
        if rating not in (1, -1):
            raise ValueError("rating must be 1 (useful) or -1 (wrong)")
        comment = re.sub(r"\s+", " ", comment or "").strip()[:COMMENT_CHARS]
        with self._lock:
            cur = self.db.execute("UPDATE questions SET rating=?, comment=?, rated_at=? WHERE id=?",
                                  (rating, comment, time.time(), answer_id))
        return cur.rowcount == 1

    def unanswered(self, limit: int = 50) -> list[Group]:
        """Questions not answered (nothing found, or the detail asked not stated), most asked first."""
        rows = self.db.execute("SELECT question, asked_at, outcome, '', answer, cited FROM questions "
                               "WHERE outcome != 'answered' ORDER BY asked_at DESC LIMIT 5000")
        return group(rows)[:limit]

    def marked_wrong(self, limit: int = 50) -> list[Group]:
        rows = self.db.execute("SELECT question, asked_at, outcome, comment, answer, cited FROM questions "
                               "WHERE rating = -1 ORDER BY asked_at DESC LIMIT 5000")
        return group(rows)[:limit]

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT outcome, COUNT(*) FROM questions GROUP BY outcome")
        counts = {outcome: 0 for outcome in OUTCOME_NAMES} | dict(rows.fetchall())
        counts["marked_wrong"] = self.db.execute("SELECT COUNT(*) FROM questions WHERE rating=-1").fetchone()[0]
        return counts

    def csv(self) -> str:
        """Both lists as one CSV (UTF-8 with BOM, so Excel opens the Chinese right)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["类别", "问题", "次数", "最近提问(UTC)", "结果", "相近问法", "意见", "回答", "引用"])
        for kind, groups in (("未能回答", self.unanswered(10_000)), ("标为有误", self.marked_wrong(10_000))):
            for g in groups:
                writer.writerow([_cell(v) for v in (
                    kind, g.question, g.count, _when(g.last_asked), OUTCOME_NAMES.get(g.outcome, ""),
                    " | ".join(g.variants), " | ".join(g.comments), g.answer, g.cited)])
        return "\ufeff" + out.getvalue()

    def clear(self) -> int:
        with self._lock:
            return self.db.execute("DELETE FROM questions").rowcount


def group(rows) -> list[Group]:
    """Greedy grouping by shared content words, each question joining the first group whose
    wording it resembles; groups come out most asked first, then latest first."""
    groups: list[tuple[set[str], Group]] = []
    for question, asked_at, outcome, comment, answer, cited in rows:
        words = set(content_words(question)) or {question}
        home = next((g for w, g in groups if _similarity(w, words) >= SAME_WORDING), None)
        if home is None:
            home = Group(question, outcome=outcome, answer=answer, cited=cited)
            groups.append((words, home))
        home.count += 1
        home.last_asked = max(home.last_asked, asked_at)
        if question not in home.variants and question != home.question:
            home.variants.append(question)
        if comment:
            home.comments.append(comment)
    return sorted((g for _, g in groups), key=lambda g: (-g.count, -g.last_asked))


def _similarity(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def _cell(value):
    """Anyone can type a question: one starting like a formula (=, +, -, @) must stay text in Excel."""
    return f"'{value}" if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))
