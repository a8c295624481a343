"""Mock exams (模拟考试): a paper drawn by a blueprint, answered without feedback, then marked with
every miss explained and cited; and the paper printed as Word (question paper and answer key).

The default blueprint follows company 三级安全教育 exams and the registered safety engineer's paper
(single choice 1 point, multiple choice 2 points with 0.5 per right option of an incomplete answer,
true or false, blanks and short answers; 100 points, pass at 80). A blueprint can ask for any counts
per kind, points per kind, a time limit, a pass mark and a scope (a document or category, as the
self-test's). The paper is drawn from the validated self-test items (bot/generation.py), so every
question cites its provision.
"""
from __future__ import annotations

import csv
import io
import random
import secrets
import time
from dataclasses import dataclass, field

from .grading import LETTERS, Grade, Grader, needed_points
from .records import QuizItem

# 单选 30 × 1, 多选 15 × 2, 判断 20 × 1, 填空 10 × 1, 简答 2 × 5: 100 points, pass at 80, 60 minutes.
DEFAULT_COUNTS = {"choice": 30, "multi": 15, "judge": 20, "blank": 10, "short": 2}
DEFAULT_POINTS = {"choice": 1.0, "multi": 2.0, "judge": 1.0, "blank": 1.0, "short": 5.0, "enumeration": 5.0}
SECTION_NAMES = {"choice": "单项选择题", "multi": "多项选择题", "judge": "判断题", "blank": "填空题",
                 "enumeration": "列举题", "short": "简答题"}
ORDER = ("choice", "multi", "judge", "blank", "enumeration", "short")
# an incomplete 多选 answer of right options: a quarter of the item's points per option (0.5 of 2)
MULTI_SHARE_PER_OPTION = 0.25


class BlueprintError(ValueError):
    """A blueprint the knowledge base cannot fill (says which kind and how many it has)."""


@dataclass
class Blueprint:
    counts: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_COUNTS))
    points: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_POINTS))
    minutes: int = 60
    pass_share: float = 0.8
    scope: str = "all"

    @property
    def total(self) -> float:
        return sum(n * self.points.get(kind, 1.0) for kind, n in self.counts.items())


@dataclass
class Paper:
    id: str
    blueprint: Blueprint
    items: list[QuizItem]
    created: float

    def points(self, item: QuizItem) -> float:
        return self.blueprint.points.get(item.kind, 1.0)


@dataclass
class Marked:
    item: QuizItem
    answer: str
    grade: Grade
    points: float
    earned: float


@dataclass
class Result:
    paper: Paper
    trainee: str
    marked: list[Marked]
    seconds: float

    @property
    def score(self) -> float:
        return round(sum(m.earned for m in self.marked), 1)

    @property
    def passed(self) -> bool:
        # 13.6 of 17 at 80% passes: 17 * 0.8 is 13.600000000000001 in floating point
        return self.score >= round(self.paper.blueprint.total * self.paper.blueprint.pass_share, 1)

    @property
    def overtime(self) -> bool:
        return self.seconds > self.paper.blueprint.minutes * 60

    def misses(self) -> list[Marked]:
        return [m for m in self.marked if m.earned < m.points]

    def to_json(self) -> dict:
        return {"paper": self.paper.id, "trainee": self.trainee, "score": self.score,
                "total": self.paper.blueprint.total, "passed": self.passed, "seconds": round(self.seconds),
                "overtime": self.overtime,
                "answers": [{"item": m.item.id, "kind": m.item.kind, "question": m.item.question, "answer": m.answer,
                             "verdict": m.grade.verdict, "points": m.points, "earned": m.earned,
                             "reference": m.item.answer, "basis": basis(m.item), "passage": m.item.passage}
                            for m in self.marked]}


def check(blueprint: Blueprint) -> None:
    """A blueprint a paper can be drawn and marked by; BlueprintError says which field is wrong."""
    for kind, n in blueprint.counts.items():
        if kind not in SECTION_NAMES or not isinstance(n, int) or n < 0:
            raise BlueprintError(f"counts: {kind!r}: {n!r} is not a number of questions of a known kind "
                                 f"({', '.join(SECTION_NAMES)})")
    if not 0 < blueprint.pass_share <= 1 or blueprint.minutes <= 0 or blueprint.total <= 0:
        raise BlueprintError("a paper needs questions worth points, minutes > 0 and a pass share in (0, 1]")


def draw(items: list[QuizItem], blueprint: Blueprint, seed: int | None = None) -> Paper:
    """A paper of `blueprint.counts` items per kind from `items` (already limited to the scope), in
    the order of the blueprint's sections, at most one item per passage (a blank and a true-or-false
    statement of the same sentence would give each other away). The scarcest kind is drawn first (多选
    comes from the few passages with a list) and a draw that runs short is tried again with other
    questions; BlueprintError says which kind falls short when none fills the paper."""
    check(blueprint)
    rng = random.Random(seed)
    passages = {kind: len({i.chunk_id for i in items if i.kind == kind}) for kind in blueprint.counts}
    kinds = sorted(blueprint.counts, key=lambda k: (passages[k] - blueprint.counts[k], k))
    short = None
    for _ in range(_ATTEMPTS):
        chosen, short = _draw_once(items, blueprint, kinds, rng)
        if short is None:
            order = {k: n for n, k in enumerate(ORDER)}
            chosen.sort(key=lambda i: order.get(i.kind, len(ORDER)))
            return Paper(secrets.token_hex(6), blueprint, chosen, time.time())
    kind, found = short
    raise BlueprintError(f"the scope {blueprint.scope!r} has {found} {kind} questions from different passages "
                         f"left; the blueprint asks for {blueprint.counts[kind]}")


_ATTEMPTS = 20


def _draw_once(items, blueprint, kinds, rng) -> tuple[list[QuizItem], tuple[str, int] | None]:
    chosen, used = [], set()
    for kind in kinds:
        wanted = blueprint.counts[kind]
        pool = sorted((i for i in items if i.kind == kind), key=lambda i: i.id)
        rng.shuffle(pool)
        picked = []
        for item in pool:
            if len(picked) == wanted:
                break
            if item.chunk_id not in used:
                picked.append(item)
                used.add(item.chunk_id)
        if len(picked) < wanted:
            return chosen, (kind, len(picked))
        chosen += picked
    return chosen, None


def mark(paper: Paper, answers: dict[str, str], grader: Grader, trainee: str, seconds: float) -> Result:
    """Every question graded; a free answer that is partly right earns points in proportion to the
    key points it makes (of those the question asks for), an objective one all or nothing."""
    marked = []
    for item in paper.items:
        given = answers.get(item.id) or ""
        # an API client may send a 多选 answer as a list of letters or options
        answer = ("；".join(map(str, given)) if isinstance(given, (list, tuple)) else str(given)).strip()
        grade = grader.grade(item, answer)
        points = paper.points(item)
        share = 1.0 if grade.verdict == "correct" else 0.0
        if grade.verdict == "partial" and item.kind in ("short", "enumeration"):
            share = min(len(grade.hit) / max(needed_points(item.question, item.key_points), 1), 1.0)
        if grade.verdict == "partial" and item.kind == "multi":
            share = min(MULTI_SHARE_PER_OPTION * len(grade.hit), 1 - MULTI_SHARE_PER_OPTION)
        marked.append(Marked(item, answer, grade, points, round(points * share, 1)))
    return Result(paper, trainee, marked, seconds)


def basis(item: QuizItem) -> str:
    """「依据：《中华人民共和国安全生产法》第二十八条」, as printed question banks give it."""
    return f"依据：《{item.title}》{item.article or (item.section.split(' › ')[-1] if item.section else '')}"


# --- printed papers -----------------------------------------------------------------

def paper_docx(paper: Paper, title: str = "安全生产知识模拟考试") -> bytes:
    """The question paper: sections by kind with their points, a line for each answer."""
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    bp = paper.blueprint
    doc.add_paragraph(f"满分 {bp.total:g} 分，{bp.pass_share * bp.total:g} 分及格；考试时间 {bp.minutes} 分钟。"
                      f"试卷编号 {paper.id}。")
    doc.add_paragraph("姓名：____________　　得分：________")
    for number, (kind, items) in enumerate(_sections(paper), 1):
        doc.add_heading(f"{_chinese_ordinal(number)}、{SECTION_NAMES.get(kind, kind)}"
                        f"（每题 {paper.blueprint.points.get(kind, 1.0):g} 分，共 {len(items)} 题）", level=2)
        for n, item in items:
            doc.add_paragraph(f"{n}. {_stem(item)}")
            for letter, option in zip(LETTERS, item.options):
                doc.add_paragraph(f"{letter}. {option}")
            if item.kind in ("short", "enumeration"):
                doc.add_paragraph("答：" + "_" * 40)
    return _save(doc)


def key_docx(paper: Paper, title: str = "安全生产知识模拟考试　参考答案") -> bytes:
    """The answer key: each answer with its 依据 and the provision's words."""
    from docx import Document

    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_paragraph(f"试卷编号 {paper.id}")
    for number, (kind, items) in enumerate(_sections(paper), 1):
        doc.add_heading(f"{_chinese_ordinal(number)}、{SECTION_NAMES.get(kind, kind)}", level=2)
        for n, item in items:
            doc.add_paragraph(f"{n}. {key_text(item)}")
            doc.add_paragraph(f"{basis(item)}：{item.key_points[0] if item.kind == 'judge' else _sentence(item)}")
    return _save(doc)


def items_csv(items: list[QuizItem]) -> str:
    """Questions for a spreadsheet (UTF-8 with BOM so Excel reads the Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["编号", "题型", "题目", "选项", "答案", "依据", "文件"])
    for item in items:
        writer.writerow([item.id, SECTION_NAMES.get(item.kind, item.kind), _safe(_stem(item)),
                         _safe(" | ".join(item.options)), _safe(item.answer), basis(item), item.source])
    return out.getvalue()


def _safe(text: str) -> str:
    # a cell starting with = + - @ would run as a formula in Excel
    return "'" + text if text[:1] in "=+-@" else text


def _sections(paper: Paper):
    n = 0
    for kind in dict.fromkeys(i.kind for i in paper.items):
        items = []
        for item in (i for i in paper.items if i.kind == kind):
            n += 1
            items.append((n, item))
        yield kind, items


def key_text(item: QuizItem) -> str:
    """「C. 二十四」, 「ABD」 with the options, or the answer itself."""
    if item.kind == "multi":
        return "".join(LETTERS[item.options.index(o)] for o in item.key_points) + "．" + "；".join(item.key_points)
    if item.answer in item.options and item.kind != "judge":
        return f"{LETTERS[item.options.index(item.answer)]}. {item.answer}"
    return item.answer


def _stem(item: QuizItem) -> str:
    """The question without its kind's prefix (「单选（…）：」 → the sentence; the source stays)."""
    if "：" in item.question and item.kind in ("blank", "choice", "judge", "multi"):
        where, sentence = item.question.split("：", 1)
        source = where[where.find("（") + 1:-1] if "（" in where else ""
        return f"{sentence}（{source}）" if source else sentence
    return item.question


def _sentence(item: QuizItem) -> str:
    if item.kind in ("blank", "choice") and item.sentence:
        return item.sentence.replace("____", item.answer)
    return item.answer


def _chinese_ordinal(n: int) -> str:
    return "一二三四五六七八九十"[n - 1] if n <= 10 else str(n)


def _save(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
