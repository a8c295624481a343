"""Conversations kept per browser, without a login.

A browser holds only an opaque random id (in its local storage); every read and write here is
scoped by it, so nothing of one browser is visible from another. Turns are stored as the
Answer JSON the page showed, so a reopened conversation looks exactly as it did.
"""
from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .database import connect, transaction
from .records import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, browser TEXT NOT NULL, title TEXT NOT NULL,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_browser ON conversations (browser, updated_at);
CREATE TABLE IF NOT EXISTS turns (
    conversation TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, answer TEXT NOT NULL, asked_at REAL NOT NULL,
    PRIMARY KEY (conversation, seq));
"""
# what a browser may present as its id: the page makes 32 hex characters; anything else is refused
BROWSER_ID = re.compile(r"[0-9a-f]{32}")
TITLE_CHARS = 40


@dataclass
class Conversation:
    id: str
    title: str
    updated_at: float
    turns: int


def valid_browser(browser: str | None) -> bool:
    return bool(browser) and BROWSER_ID.fullmatch(browser) is not None


class Conversations:
    def __init__(self, path: Path):
        self.db = connect(path, SCHEMA)
        self._lock = threading.Lock()

    def list(self, browser: str) -> list[Conversation]:
        """This browser's conversations, the latest first."""
        rows = self.db.execute(
            "SELECT c.id, c.title, c.updated_at, COUNT(t.seq) FROM conversations c "
            "LEFT JOIN turns t ON t.conversation = c.id WHERE c.browser=? "
            "GROUP BY c.id ORDER BY c.updated_at DESC", (browser,))
        return [Conversation(*row) for row in rows]

    def turns(self, browser: str, conversation: str) -> list[Answer]:
        rows = self.db.execute(
            "SELECT t.answer FROM turns t JOIN conversations c ON c.id = t.conversation "
            "WHERE c.id=? AND c.browser=? ORDER BY t.seq", (conversation, browser))
        return [Answer.from_json(json.loads(row[0])) for row in rows]

    def title(self, browser: str, conversation: str) -> str:
        row = self.db.execute("SELECT title FROM conversations WHERE id=? AND browser=?",
                              (conversation, browser)).fetchone()
        return row[0] if row else ""

    def append(self, browser: str, conversation: str | None, answer: Answer, now: float | None = None) -> str:
        """Add a turn; without a conversation (or with one of another browser) a new one is started,
        titled by its first question. Returns the conversation's id."""
        now = time.time() if now is None else now
        with self._lock, transaction(self.db):
            if not conversation or not self.title(browser, conversation):
                conversation = secrets.token_hex(8)
                title = _title(answer.question) or "新对话"
                self.db.execute("INSERT INTO conversations VALUES (?,?,?,?,?)",
                                (conversation, browser, title, now, now))
            self.db.execute("INSERT INTO turns VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM turns "
                            "WHERE conversation=?), ?, ?)",
                            (conversation, conversation, json.dumps(answer.to_json(), ensure_ascii=False), now))
            self.db.execute("UPDATE conversations SET updated_at=? WHERE id=?", (now, conversation))
        return conversation

    def rename(self, browser: str, conversation: str, title: str) -> bool:
        title = _title(title)
        if not title:
            return False
        with self._lock:
            cur = self.db.execute("UPDATE conversations SET title=? WHERE id=? AND browser=?",
                                  (title, conversation, browser))
        return cur.rowcount == 1

    def delete(self, browser: str, conversation: str) -> bool:
        with self._lock, transaction(self.db):
            cur = self.db.execute("DELETE FROM conversations WHERE id=? AND browser=?", (conversation, browser))
            if cur.rowcount:
                self.db.execute("DELETE FROM turns WHERE conversation=?", (conversation,))
        return cur.rowcount == 1


def _title(text: str) -> str:
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1] + "…"
