"""Trainee self-test: questions generated from the chunks, validated, and graded.

Generation is offline and deterministic (a seed picks and orders). Every item is tied to
the passage that answers it, and is validated before anyone sees it: its answer stands in
its passage; a blank is a figure or a term, not a stop word; a multiple-choice item has
exactly one correct option (a wrong option substituted into the sentence must give a
sentence that appears nowhere in the knowledge base).

Kinds: enumeration (recall a list), blank (fill in a figure or term), choice (multiple
choice, wrong options from neighbouring provisions or sibling list items), judge (true or false:
the provision's sentence, or the same sentence with one wrong option put in) and short
(explain a provision: 「“管业务必须管安全”明确了什么？」).
"""
from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from ingest.numerals import from_chinese, to_chinese
from ingest.records import Chunk, category_of

from .exam import Blueprint, Paper, Result, draw, mark
from .grading import Grade, Grader, clauses
from .records import QuizItem
from .text import content_words, figure_value, is_function_word, rarity, split_sentences

KINDS = ("enumeration", "blank", "choice", "judge", "short")
KIND_NAMES = {"enumeration": "列举", "blank": "填空", "choice": "选择", "judge": "判断", "short": "简答"}
TRUE, FALSE = "正确", "错误"
# Sources keep their own punctuation (the interview's half-width , : ;), so patterns accept both widths.
_ITEM_LINE = re.compile(r"^\s*[（(]([一二三四五六七八九十]{1,3})[）)]\s*")
_LEAD = re.compile(r"(?P<lead>[^\n。；]*?(?:下列|以下)(?P<what>[\u4e00-\u9fff]{1,8}?)(?:之一)?)[：:]\s*$")
_QUOTED_LIST = re.compile(r"(?:^|(?<=[。\n]))(?P<term>“?[\u4e00-\u9fff]{2,8}”?)[：:]“(?P<body>[^”]{6,80}?)(?:”|。)")
_QUOTE_RUN = re.compile(r"((?:“[^“”]{2,40}”){2,})(\d+|[一二两三四五六七八九十]+)个([\u4e00-\u9fff]{1,4})")
_FIGURE = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)(人|日|小时|万元|亿元|元|天|年|个月|次|册|个|倍|%|百分之[一二三四五六七八九十百]+)")
_DEFINITION = re.compile(r"(?:[（(][一二三四五六七八九十]+[）)])?(?P<term>[\u4e00-\u9fff]{2,20})[，,]是指(?P<meaning>[^。；;]{6,120})")
_LABEL = re.compile(r"^第?[一二三四五六七八九十百零\d]+[条章节款项]$")
_CLARIFIES = re.compile(r"(?P<subject>[“”\u4e00-\u9fff]{4,16}?)(?:[，,]这就|[，,]|就)?(?:明确了|要求了)(?P<what>[^。；;]{6,80})")
_SYSTEM = re.compile(r"(?P<subject>[\u4e00-\u9fff]{2,20}?)实行(?P<what>[\u4e00-\u9fff、]{2,30}?制度?)(?=[，,。；;])")
_PUNCT = set("，。；：、？！“”（）()《》 \n")


@dataclass
class GenerationReport:
    candidates: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    reasons: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        lines = [f"{source}: {self.candidates[source]} candidates, {self.rejected[source]} rejected, "
                 f"{self.candidates[source] - self.rejected[source]} kept" for source in sorted(self.candidates)]
        if self.reasons:
            lines.append("rejected because: " + ", ".join(f"{why} ({n})" for why, n in self.reasons.most_common()))
        return lines


def _item_id(kind: str, chunk: Chunk, question: str) -> str:
    return hashlib.sha1(f"{kind}\x1f{chunk.id}\x1f{question}".encode()).hexdigest()[:12]


def _where(chunk: Chunk) -> str:
    if chunk.article:
        return f"《{chunk.title}》{chunk.article}"
    return f"《{chunk.title}》"


def _make(kind, chunk, question, answer, options=(), key_points=()) -> QuizItem:
    return QuizItem(id=_item_id(kind, chunk, question), kind=kind, question=question, options=list(options),
                    answer=answer, source=chunk.source, section=" › ".join(chunk.section),
                    passage=chunk.text, key_points=list(key_points) or [answer], chunk_id=chunk.id,
                    title=chunk.title, article=chunk.article or "")


# --- candidates -------------------------------------------------------------------

def enumeration_candidates(chunk: Chunk) -> list[QuizItem]:
    items = []
    lines = chunk.text.split("\n")
    for i, line in enumerate(lines):
        lead = _LEAD.search(line)
        listed = [_ITEM_LINE.sub("", x).rstrip("；;。") for x in lines[i + 1:] if _ITEM_LINE.match(x)]
        if not lead or len(listed) < 2:
            continue
        ask = re.sub(r"^第[一二三四五六七八九十百零]+条\s*", "", lead.group("lead"))
        ask = ask.replace("下列", "哪些").replace("以下", "哪些")
        n = len(listed)
        need = n if n <= 3 else min(4, n - 1)
        extra = f"（列出任意{to_chinese(need)}项）" if need < n else ""
        question = f"{_where(chunk)}规定：{ask}？{extra}"
        items.append(_make("enumeration", chunk, question, "；".join(listed), key_points=listed))
    for m in _QUOTED_LIST.finditer(chunk.text):
        parts = [p for p in re.split(r"[、，]", m.group("body")) if len(p) >= 2]
        if len(parts) >= 2:
            term = m.group("term").strip("“”")
            question = f"“{term}”具体指哪{to_chinese(len(parts))}句话？"
            items.append(_make("enumeration", chunk, question, "；".join(parts), key_points=parts))
    for m in _QUOTE_RUN.finditer(chunk.text):
        parts = re.findall(r"“([^“”]+)”", m.group(1))
        count, what = m.group(2), m.group(3)
        if (from_chinese(count) or 0) == len(parts):
            question = f"{_where(chunk)}中提到的{count}个{what}分别是什么？"
            items.append(_make("enumeration", chunk, question, "；".join(parts), key_points=parts))
    return items


def _blank_targets(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of what may be blanked: figures with their unit's number, quoted
    terms, and rare content words."""
    targets = [(m.start(1), m.end(1), "figure") for m in _FIGURE.finditer(sentence)]
    for m in re.finditer(r"“([^“”]{2,12})”", sentence):
        targets.append((m.start(1), m.end(1), "term"))
    for word in content_words(sentence):
        if len(word) >= 2 and rarity(word) >= 11.0 and not is_function_word(word) and not _LABEL.match(word):
            start = sentence.find(word)
            targets.append((start, start + len(word), "term"))
    return targets


def blank_candidates(chunk: Chunk, rng: random.Random) -> list[QuizItem]:
    items = []
    for sentence in split_sentences(chunk.text):
        sentence = sentence.strip()
        # a list item alone lacks the context that makes it answerable
        if not 15 <= len(sentence) <= 160 or _ITEM_LINE.match(sentence):
            continue
        targets = _blank_targets(sentence)
        if not targets:
            continue
        figures = [t for t in targets if t[2] == "figure"]
        start, end, _ = figures[0] if figures else rng.choice(sorted(targets))
        answer = sentence[start:end]
        blanked = sentence[:start] + "____" + sentence[end:]
        items.append(_make("blank", chunk, f"填空（{_where(chunk)}）：{blanked}", answer))
    return items


def short_candidates(chunk: Chunk) -> list[QuizItem]:
    items = []
    for m in _DEFINITION.finditer(chunk.text):
        term = m.group("term")
        items.append(_make("short", chunk, f"{_where(chunk)}所称“{term}”是指什么？", m.group("meaning"),
                           key_points=clauses(m.group("meaning"))))
    for m in _CLARIFIES.finditer(chunk.text):
        subject = m.group("subject").strip("，")
        items.append(_make("short", chunk, f"“{subject.strip('“”')}”明确了什么？", m.group("what"),
                           key_points=clauses(m.group("what"))))
    for m in _SYSTEM.finditer(chunk.text):
        subject = re.sub(r"^第[一二三四五六七八九十百零]+条\s*", "", m.group("subject"))
        if len(subject) >= 2:
            items.append(_make("short", chunk, f"{_where(chunk)}规定，{subject}实行什么制度？", m.group("what")))
    return items


_FIGURE_ANSWER = re.compile(r"[\d.]+|[一二两三四五六七八九十百千万]+")


def choice_candidates(chunk: Chunk, neighbours: list[Chunk], corpus: str, rng: random.Random) -> list[QuizItem]:
    """Blank a figure or term and offer three wrong options taken from neighbouring provisions."""
    items = []
    for blank in blank_candidates(chunk, rng):
        answer = blank.answer
        sentence = blank.question.split("：", 1)[1]
        kind = "figure" if _FIGURE_ANSWER.fullmatch(answer) else "term"
        pool = []
        for other in neighbours:
            for s in split_sentences(other.text):
                pool += [s[a:b] for a, b, k in _blank_targets(s) if k == kind]
        wrong = [o for o in dict.fromkeys(pool) if o != answer and _plausible(o, answer, kind)]
        if len(wrong) < 3:
            continue
        options = rng.sample(wrong, 3) + [answer]
        rng.shuffle(options)
        question = f"选择（{_where(chunk)}）：{sentence}"
        items.append(_make("choice", chunk, question, answer, options=options))
    return items


def judge_candidates(chunk: Chunk, choices: list[QuizItem], rng: random.Random) -> list[QuizItem]:
    """True or false (判断): a figure's sentence as the provision says it, or with a neighbouring
    provision's figure put in (validated: a sentence the knowledge base nowhere says). Only figures:
    a term swapped into a sentence mostly makes it ungrammatical, false at a glance."""
    items = []
    for choice in choices:
        if not _FIGURE_ANSWER.fullmatch(choice.answer):
            continue
        sentence = choice.question.split("：", 1)[1]
        truth = sentence.replace("____", choice.answer)
        wrong = [o for o in choice.options if o != choice.answer]
        statement = truth if not wrong or rng.random() < 0.5 else sentence.replace("____", rng.choice(wrong))
        items.append(_make("judge", chunk, f"判断（{_where(chunk)}）：{statement}", TRUE if statement == truth else FALSE,
                           options=[TRUE, FALSE], key_points=[truth]))
    return items


def _plausible(option: str, answer: str, kind: str) -> bool:
    """A wrong option must look like the right one: a figure for a figure, a term of the same length."""
    if _LABEL.match(option) or set(option) <= _PUNCT:
        return False
    if kind == "term":
        return abs(len(option) - len(answer)) <= 1
    # a figure people could confuse with the right one: the same order of magnitude (2019年 is not 2年),
    # never the same value written otherwise (10 for 十)
    mine, theirs = figure_value(answer), figure_value(option)
    return bool(mine and theirs) and theirs != mine and 0.1 <= theirs / mine <= 10



# --- validation -------------------------------------------------------------------

def validate(item: QuizItem, corpus: str) -> str | None:
    """None when the item may be shown, else the reason it is rejected."""
    if item.kind == "blank" or item.kind == "choice":
        if len(item.answer) < 1 or set(item.answer) <= _PUNCT or is_function_word(item.answer):
            return "trivial blank"
        sentence = item.question.split("：", 1)[1]
        if sentence.replace("____", item.answer) not in item.passage:
            return "answer not in passage"
        if len(item.answer) == 1 and not re.fullmatch(r"\d|[一二两三四五六七八九十]", item.answer):
            return "trivial blank"
    if item.kind == "choice":
        truths = [o for o in item.options if sentence.replace("____", o) in corpus]
        if truths != [item.answer] or len(set(item.options)) != 4:
            return "not exactly one correct option"
    if item.kind == "judge":
        truth, statement = item.key_points[0], item.question.split("：", 1)[1]
        if truth not in item.passage:
            return "answer not in passage"
        if (item.answer == FALSE) != (statement not in corpus):
            return "a false statement the knowledge base says"
    if item.kind in ("enumeration", "short"):
        if not all(point in item.passage for point in item.key_points):
            return "key point not in passage"
        if item.kind == "enumeration" and len(item.key_points) < 2:
            return "fewer than two items"
    return None


def generate(chunks: list[Chunk], seed: int = 7, kinds=KINDS) -> tuple[list[QuizItem], GenerationReport]:
    """Every validated question the chunks yield, in a seed-determined order."""
    rng = random.Random(seed)
    report = GenerationReport()
    corpus = "\n".join(c.text for c in chunks)
    by_source: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    items, seen = [], set()
    for source, group in sorted(by_source.items()):
        group.sort(key=lambda c: c.position)
        for i, chunk in enumerate(group):
            neighbours = group[max(0, i - 4):i] + group[i + 1:i + 5]
            candidates = []
            if "enumeration" in kinds:
                candidates += enumeration_candidates(chunk)
            if "blank" in kinds:
                candidates += blank_candidates(chunk, rng)
            if "choice" in kinds or "judge" in kinds:
                choices = choice_candidates(chunk, neighbours, corpus, rng)
                candidates += choices if "choice" in kinds else []
                candidates += judge_candidates(chunk, choices, rng) if "judge" in kinds else []
            if "short" in kinds:
                candidates += short_candidates(chunk)
            for item in candidates:
                report.candidates[source] += 1
                reason = validate(item, corpus) or ("duplicate" if item.id in seen else None)
                if reason:
                    report.rejected[source] += 1
                    report.reasons[reason] += 1
                    continue
                seen.add(item.id)
                items.append(item)
    rng.shuffle(items)
    return items, report


# --- a trainee's session ----------------------------------------------------------

@dataclass
class Feedback:
    item: QuizItem
    grade: Grade
    box: int
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
                items, self.report = generate(snap.chunks, self.seed)
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

    def pick(self, trainee: str, scope: str = "all", kinds=KINDS, review: bool = False) -> QuizItem | None:
        candidates = [i for i in self.items().values() if i.kind in kinds and _in_scope(i, scope)]
        if not candidates:
            return None
        if review:
            order = {item_id: n for n, item_id in enumerate(self.progress.review_order(trainee))}
            due = sorted((i for i in candidates if i.id in order), key=lambda i: order[i.id])
            if due:
                return due[0]
        seen = self.progress.seen(trainee)
        fresh = sorted((i for i in candidates if i.id not in seen), key=lambda i: i.id) or candidates
        return random.Random(f"{self.seed}:{trainee}:{len(seen)}").choice(fresh)

    def submit(self, trainee: str, item_id: str, answer: str) -> Feedback:
        item = self.items().get(item_id)
        if item is None:
            raise KeyError(f"question {item_id} no longer exists (the knowledge base changed)")
        grade = self.grader.grade(item, answer)
        box = self.progress.record(trainee, item, grade.verdict, grade.score, answer)
        return Feedback(item, grade, box, self._superseded(item))

    def paper(self, blueprint: Blueprint, seed: int | None = None) -> Paper:
        """A mock exam drawn from the items in the blueprint's scope, kept so it can be handed in
        (to this process or another sharing the database)."""
        paper = draw([i for i in self.items().values() if _in_scope(i, blueprint.scope)], blueprint, seed)
        # the questions themselves are kept: a changed knowledge base must not void a paper being answered
        self.progress.save_paper(paper.id, asdict(blueprint), [asdict(i) for i in paper.items], paper.created)
        return paper

    def hand_in(self, trainee: str, paper_id: str, answers: dict[str, str]) -> Result:
        """Mark a paper: every answer graded, kept as an attempt (misses come back in review) and the
        result kept per trainee."""
        saved = self.progress.paper(paper_id)
        if saved is None:
            raise KeyError(f"no exam paper {paper_id}")
        if any(e["paper"] == paper_id for e in self.progress.exams(trainee, limit=1000)):
            raise KeyError(f"paper {paper_id} was already handed in by {trainee}")
        blueprint, items, created = saved
        paper = Paper(paper_id, Blueprint(**blueprint), [QuizItem(**i) for i in items], created)
        result = mark(paper, answers, self.grader, trainee, time.time() - created)
        for m in result.marked:
            self.progress.record(trainee, m.item, m.grade.verdict, m.grade.score, m.answer)
        self.progress.record_exam(trainee, paper_id, result.score, paper.blueprint.total, result.passed,
                                  result.seconds, result.to_json())
        return result

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
