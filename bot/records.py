"""What the bot hands out: an answer and the citations that back it, defined once."""
from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, field

from ingest.records import category_of


@dataclass
class Citation:
    n: int
    source: str
    title: str
    section: str
    article: str | None
    text: str
    used_sentences: list[str]
    score: float
    chunk_id: str = ""
    status: str = ""       # 「现行有效 · 2021-06-10修正」: the document's status and this version's date
    superseded: str = ""   # 「已被《…》第一百一十四条取代」 when a later provision replaced this one
    see_also: bool = False  # shown with the answer, not quoted by it (「另见」: the next best passage)

    @property
    def category(self) -> str:
        return category_of(self.source)

    @property
    def label(self) -> str:
        """《中华人民共和国安全生产法》第二十一条, or the document and its section."""
        where = self.article or (self.section.split(" › ")[-1] if self.section else "")
        if len(where) > 40:
            where = where[:39] + "…"
        return f"《{self.title}》{where}"


@dataclass
class Answer:
    question: str
    found: bool
    answer: str
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # nearest passages when nothing was found
    latency_ms: float = 0.0
    notice: str = ""           # e.g. the question was cut to the length limit
    unavailable: bool = False  # the store could not be reached
    # "answered"; "not_stated" (the topic is covered, the figure or date asked is not: `missing` says
    # which, and the citations are the closest provisions); "not_found" (nothing relevant)
    outcome: str = ""
    missing: str = ""
    revision: str = ""   # the knowledge base's revision it was drawn from (links reopen it against this)
    # opaque, unguessable: feedback on this answer and its question-log entry are keyed by it
    id: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self):
        if not self.outcome:
            self.outcome = "answered" if self.found else "not_found"

    @classmethod
    def from_json(cls, data: dict) -> Answer:
        fields = {k: v for k, v in data.items() if k not in ("citations", "related")}
        return cls(**fields, citations=[Citation(**c) for c in data.get("citations", [])],
                   related=[Citation(**c) for c in data.get("related", [])])

    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("citations", "related"):
            for item in data[key]:
                item.pop("chunk_id", None)
        data["latency_ms"] = round(self.latency_ms, 1)
        return data


@dataclass
class QuizItem:
    """A self-test question tied to the passage that answers it."""

    id: str
    kind: str              # choice | multi | judge | blank | enumeration | short
    question: str
    options: list[str]
    answer: str
    source: str
    section: str
    passage: str
    key_points: list[str] = field(default_factory=list)
    chunk_id: str = ""
    title: str = ""
    article: str = ""      # 第二十八条, when the passage is (part of) an article
    sentence: str = ""     # the blanked sentence (填空, 单选), the statement (判断) or the list's lead (多选)

    def export(self) -> dict:
        return {k: getattr(self, k) for k in ("id", "kind", "question", "options", "answer", "source",
                                               "section", "passage")}
