"""A trainee's self-test session: items from the current knowledge base, picked by scope, kind and
what is due, graded, and remembered (bot/progress.py). Items are made by bot/generation.py and
graded by bot/grading.py; mock exams are drawn by bot/exam.py.
"""
from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass

from ingest.records import category_of

from .exam import Blueprint, Paper, Result, draw, mark
from .generation import KIND_NAMES, KINDS, GenerationReport, generate
from .grading import Grade, Grader
from .progress import AlreadyHandedIn
from .records import QuizItem

__all__ = ["KINDS", "KIND_NAMES", "AlreadyHandedIn", "Feedback", "NoSuchPaper", "QuizService", "generate"]


class NoSuchPaper(KeyError):
    """No paper of that id in the shared database."""


@dataclass
class Feedback:
    item: QuizItem
    grade: Grade
    due: float             # when FSRS brings the item back (epoch seconds)
    superseded: str = ""   # the item quotes a provision a later one replaced: which, and what applies now

    def summary(self) -> str:
        return {"correct": "✅ 正确", "partial": "🟡 部分正确", "wrong": "❌ 错误"}[self.grade.verdict]


class QuizService:
    """Items from the current knowledge base, graded answers and progress, for the page and the CLI."""

    def __init__(self, retriever, progress, grader: Grader | None, seed: int = 7):
        self.retriever, self.progress, self.grader, self.seed = retriever, progress, grader, seed
        self._items: dict[str, QuizItem] = {}
        self._revision = None
        self._lock = threading.Lock()   # generation takes seconds: one thread does it, the others wait
        self.report: GenerationReport | None = None

    def items(self) -> dict[str, QuizItem]:
        snap = self.retriever.snapshot()
        with self._lock:
            if snap.revision != self._revision:
                items, self.report = generate(snap.chunks, self.seed, embedder=self.retriever.kb.embedder)
                self._items, self._revision = {i.id: i for i in items}, snap.revision
            return self._items

    def scopes(self) -> list[tuple[str, str]]:
        """(label, value) pairs: everything, each category (subfolder), each document, each chapter
        or interview question."""
        out = [("全部", "all")] + [(f"类别：{c}", f"cat:{c}") for c in self.retriever.snapshot().categories()]
        sections: dict[str, set[str]] = {}
        for item in self.items().values():
            sections.setdefault(item.source, set()).add(item.section.split(" › ")[0] if item.section else "")
        for source in sorted(sections):
            out.append((f"文档：{source}", f"doc:{source}"))
            out += [(f"　{source} › {s[:30]}", f"sec:{source}|{s}") for s in sorted(sections[source]) if s]
        return out

    def pick(self, trainee: str, scope: str = "all", kinds=KINDS, review: bool = False,
             mode: str = "") -> QuizItem | None:
        """The next item in the scope and kinds. Modes: practice (unseen items first), review (the
        wrong-answer book, then due cards, then practice), wrong (the book only), due (today's FSRS
        queue only), favourites."""
        mode = mode or ("review" if review else "practice")
        pool = self.items()
        if mode == "favourites":
            pool = {i.id: pool.get(i.id, i) for i in self.favourites(trainee)}
        candidates = [i for i in pool.values() if i.kind in kinds and _in_scope(i, scope)]
        if mode in ("review", "wrong", "due"):
            queue = {"review": self.progress.review_order, "due": self.progress.due_today,
                     "wrong": lambda t: [r["item_id"] for r in self.progress.wrong_book(t)][::-1]}[mode](trainee)
            order = {item_id: n for n, item_id in enumerate(queue)}
            queued = sorted((i for i in candidates if i.id in order), key=lambda i: order[i.id])
            if queued or mode != "review":
                return queued[0] if queued else None
        if not candidates:
            return None
        seen = self.progress.seen(trainee)
        fresh = sorted((i for i in candidates if i.id not in seen), key=lambda i: i.id) or candidates
        # seeded by the answers given so far, so a scope answered through moves on after each answer
        return random.Random(f"{self.seed}:{trainee}:{self.progress.answered(trainee)}").choice(fresh)

    def submit(self, trainee: str, item_id: str, answer: str) -> Feedback:
        item = self._item(trainee, item_id)
        grade = self.grader.grade(item, answer)
        due = self.progress.record(trainee, item, grade.verdict, grade.score, answer)
        return Feedback(item, grade, due, self._superseded(item))

    def wrong_book(self, trainee: str) -> list[tuple[QuizItem, dict]]:
        """错题本: each missed item (still in the knowledge base) with the trainee's last answer."""
        items = self.items()
        return [(items[row["item_id"]], row) for row in self.progress.wrong_book(trainee) if row["item_id"] in items]

    def favourites(self, trainee: str) -> list[QuizItem]:
        return [QuizItem(**i) for i in self.progress.favourites(trainee)]

    def toggle_favourite(self, trainee: str, item_id: str) -> bool:
        return self.progress.toggle_favourite(trainee, self._item(trainee, item_id))

    def is_favourite(self, trainee: str, item_id: str) -> bool:
        return any(i.id == item_id for i in self.favourites(trainee))

    def _item(self, trainee: str, item_id: str) -> QuizItem:
        """An item of the knowledge base, or the trainee's saved copy of a favourite it no longer makes."""
        item = self.items().get(item_id) or next((i for i in self.favourites(trainee) if i.id == item_id), None)
        if item is None:
            raise KeyError(f"question {item_id} no longer exists (the knowledge base changed)")
        return item

    def paper(self, blueprint: Blueprint, seed: int | None = None) -> Paper:
        """A mock exam drawn from the items in the blueprint's scope, kept so it can be handed in
        (to this process or another sharing the database)."""
        snap = self.retriever.snapshot()
        paper = draw([i for i in in_force(self.items().values(), snap) if _in_scope(i, blueprint.scope)], blueprint, seed)
        # the questions themselves are kept: a changed knowledge base must not void a paper being answered
        self.progress.save_paper(paper.id, asdict(blueprint), [asdict(i) for i in paper.items], paper.created)
        return paper

    def hand_in(self, trainee: str, paper_id: str, answers: dict[str, str]) -> Result:
        """Mark a paper: every answer graded, kept as an attempt (misses come back in review) and the
        result kept per trainee."""
        paper = self.saved_paper(paper_id)
        result = mark(paper, answers, self.grader, trainee, time.time() - paper.created)
        self.progress.hand_in(trainee, paper_id, [(m.item, m.grade.verdict, m.grade.score, m.answer) for m in result.marked],
                              result.score, paper.blueprint.total, result.passed, result.seconds, result.to_json())
        return result

    def handed_in(self, trainee: str, paper_id: str) -> bool:
        return self.progress.handed_in(trainee, paper_id)

    def saved_paper(self, paper_id: str) -> Paper:
        saved = self.progress.paper(paper_id)
        if saved is None:
            raise NoSuchPaper(f"no exam paper {paper_id}")
        blueprint, items, created = saved
        return Paper(paper_id, Blueprint(**blueprint), [QuizItem(**i) for i in items], created)

    def _superseded(self, item: QuizItem) -> str:
        snap = self.retriever.snapshot()
        chunk = snap.chunks[snap.index[item.chunk_id]] if item.chunk_id in snap.index else None
        relation = snap.superseded(chunk.source, chunk.article) if chunk else None
        if not relation:
            return ""
        from .answer import replacement_citation

        now = replacement_citation(1, relation, snap)
        in_force = f"现行规定是{now.label}：{now.text}" if now else "现行规定不在知识库中"
        return f"注意：这道题出自{chunk.article}，该条已被后来的规定取代（{relation['note']}）。{in_force}"


def in_force(items, snapshot) -> list[QuizItem]:
    """Items whose provision no later one replaced: an exam does not ask the 2007 fines the 2021 law
    raised (practice still shows them, with what applies now)."""
    return [i for i in items if not snapshot.superseded(i.source, i.article)]


def _in_scope(item: QuizItem, scope: str) -> bool:
    if scope == "all":
        return True
    if scope.startswith("cat:"):
        category = category_of(item.source)
        return category == scope[4:] or category.startswith(scope[4:] + " › ")
    if scope.startswith("doc:"):
        return item.source == scope[4:]
    if scope.startswith("sec:"):
        source, _, section = scope[4:].partition("|")
        return item.source == source and (item.section == section or item.section.startswith(section + " › "))
    return False
