"""Grading a trainee's answer: exact for blanks and choices, by key points for free answers.

A free answer is graded point by point. A point is made when the answer says it (enough of the
point's own words, bigrams inside jieba's words; for a point that states figures, those figures; a piece of the answer
close to it in meaning by the multilingual embedder, which is what grades English answers) and states
every figure of the point, whatever form it is written in (二十四小时 = 24小时 = 一天, 百分之六十 = 60%,
一亿元 = 1亿元). A figure stated for the wrong thing is an error, not an omission: each clause of the
answer is matched to the reference clause it shares most words with, and a figure that clause does
not give, or one bounded the other way (以上 for 以下), makes the answer wrong even if its other
points are right (two figures swapped between their nouns). The thresholds are fitted on
graded dev answers (`python -m bot.calibrate`); the grader reports on a frozen test set of answers
graded by people (bench/evaluation.py).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache

from ingest.numerals import from_chinese

from .calibration import calibration
from .records import QuizItem
from .text import figures_at, is_english, word_tokens

DEFAULTS = {"overlap": 0.4, "similarity": 0.93, "english_similarity": 0.85}
# Units of time as hours, so a deadline means the same in any of them (24小时 = 一天 = 24 hours).
_HOURS = {"分钟": 1 / 60, "小时": 1, "天": 24, "日": 24, "周": 168, "星期": 168, "月": 730, "年": 8760,
          "minute": 1 / 60, "hour": 1, "day": 24, "week": 168, "month": 730, "year": 8760}
_UNIT = re.compile(r"\s*(?:多|余)?\s*个?\s*(分钟|小时|星期|天|日|周|月|年|minute|hour|day|week|month|year)", re.I)
_ENGLISH_SCALE = re.compile(r"\s*(thousand|million|billion)\b", re.I)
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_ENGLISH_NUMBERS = {w: str(n) for n, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
_ENGLISH_NUMBERS.update({w: str(n) for n, w in enumerate(
    "thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(), 13)})
_ENGLISH_NUMBERS.update({"twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "hundred": "100"})
# "twenty-four", "thirty one"
_ENGLISH_TENS = re.compile(r"\b(twenty|thirty|forty|fifty|sixty)[- ](one|two|three|four|five|six|seven|eight|nine)\b", re.I)
_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
# 「3–5万元」, 「三到五万」: the first figure of a range shares the second's 万 or 亿
_RANGE = re.compile(rf"([\d.]+|[零〇一二两三四五六七八九十百千]+)\s*([-–—~～到至])\s*([\d.]+|[{_NUMERALS}]+?)\s*([万亿])")
# Not figures: an article or item number (第九条, 第二款), a list's numbering (1、 (2) （三） ③)
_LABELS = re.compile(rf"第[\d{_NUMERALS}]+[条款项章节编号]|(?:^|(?<=[\s；;，,。]))\s*(?:[(（]?\d{{1,2}}(?:[)）、]|\.(?!\d))|[(（][一二三四五六七八九十]{{1,3}}[)）]|[①-⑳])")
# A figure's direction: 30人以上 is not 30人以下
_UP = re.compile(r"^\s*(?:多|余)?\s*个?\s*(?:[^\d\s，,；;。]{0,3}?)(以上|超过|至少|不少于|不低于|起)")
_DOWN = re.compile(r"^\s*(?:多|余)?\s*个?\s*(?:[^\d\s，,；;。]{0,3}?)(以下|以内|内|不足|不超过|最多|不高于|之内)")
# ... or before it: 「超过一百人」, 「不得超过2小时」 (a negated bound is the other way), 「more than 100」
_MORE, _LESS = "超过|多于|大于|高于", "少于|小于|低于"
_NOT = "不得|不应|不能|不宜|严禁|不"
_BOUNDS_BEFORE = [(re.compile(rf"(?:{_NOT})(?:{_MORE})\s*$"), "-"), (re.compile(rf"(?:{_NOT})(?:{_LESS})\s*$"), "+"),
                  (re.compile(rf"(?:{_MORE}|至少|over|more than|at least)\s*$", re.I), "+"),
                  (re.compile(rf"(?:{_LESS}|不足|最多|不到|under|less than|at most|within)\s*$", re.I), "-")]
# The words that bound a figure: left out when a clause is matched to the reference's clause by
# its words, or an answer that bounds a figure the wrong way would match the clause it contradicts.
BOUND_WORDS = f"以上 以下 以内 之内 不足 至少 最多 不到 {_MORE} {_LESS}".replace("|", " ")
# A figure with its unit, left out of the words compared (「2小时」 and 「120分钟」 say the same)
_FIGURE_WORDS = re.compile(rf"(?:[\d.]+|[{_NUMERALS}]+)\s*(?:多|余)?\s*个?\s*(?:{'|'.join(sorted(_HOURS, key=len, reverse=True))}"
                           rf"|万元|亿元|元|人|名|次|倍|册|起|件|项|%|％)?", re.I)


def normalize(text: str) -> str:
    """Full/half width, spaces, 〇/零 and Chinese/Arabic numerals that mean the same."""
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    text = re.sub(r"[\s“”\"'。．.，,；;：:、]", "", text)
    text = text.replace("〇", "零")
    return re.sub(r"[零一二两三四五六七八九十百千万]+", lambda m: str(from_chinese(m.group(0)) or m.group(0)), text)


@dataclass
class Grade:
    verdict: str                 # correct | partial | wrong
    score: float
    hit: list[str]
    missed: list[str]
    similarity: float | None = None
    wrong_figures: list[str] = field(default_factory=list)   # 「50（死亡）」: a figure given to the wrong thing
    sure: bool = True            # False: near a threshold; the page asks the trainee to check the points


# How trainees answer true or false: 对 / 错, √ / ×, T / F, English.
_TRUE_FALSE = {**dict.fromkeys("对 正确 是 √ ✓ ✔ t true yes y".split(), "正确"),
               **dict.fromkeys("错 错误 不对 不正确 否 不是 × ✗ ✘ x f false no n".split(), "错误")}


LETTERS = "ABCDE"   # the options' letters, as papers and keys print them


def _letters(item: QuizItem, answer: str) -> str | None:
    """The option letters an answer gives (「ABD」, 「a, b, d」, 「Ａ．Ｃ」, 「A/C。」), or None when it
    is not letters alone."""
    given = unicodedata.normalize("NFKC", answer).strip().rstrip("。.!！")
    letters = LETTERS[:len(item.options)]
    if not given or not re.fullmatch(rf"[{letters}{letters.lower()}\s,，、;；./]+", given):
        return None
    return "".join(dict.fromkeys(c for c in given.upper() if c in letters))


def chosen(item: QuizItem, answer: str) -> list[str]:
    """The options a 多选 answer picks: letters, or the options' own words in any order and with any
    separators (each option whose words the answer holds)."""
    letters = _letters(item, answer)
    if letters is not None:
        return [item.options[LETTERS.index(c)] for c in letters]
    given = normalize(answer)
    return [o for o in item.options if normalize(o) and normalize(o) in given]


def grade_multi(item: QuizItem, answer: str) -> Grade:
    """As the registered safety engineer's exam marks it: any wrong option scores nothing; an
    incomplete answer of right options earns part (the exam gives 0.5 per option); all of them, all."""
    picked, key = chosen(item, answer), item.key_points
    right = [o for o in picked if o in key]
    missed = [o for o in key if o not in picked]
    if not picked or len(right) < len(picked):
        return Grade("wrong", 0.0, [], key)
    return Grade("correct" if not missed else "partial", len(right) / len(key), right, missed)


def grade_exact(item: QuizItem, answer: str) -> Grade:
    if item.kind == "multi":
        return grade_multi(item, answer)
    given = answer.strip()
    letters = _letters(item, given) if item.options else None
    if letters and len(letters) == 1:
        given = item.options[LETTERS.index(letters)]
    if item.kind == "judge":   # 「对的」, 「是的」, 「不正确。」
        given = _TRUE_FALSE.get(re.sub(r"的?[。.!！]*$", "", given).lower(), given)
    # the same figure written otherwise (10万 for 十万, 24小时 for 二十四小时) with nothing else different
    ok = normalize(given) == normalize(item.answer) or (
        bool(quantities(item.answer)) and quantities(given) == quantities(item.answer) and words(given) == words(item.answer))
    return Grade("correct" if ok else "wrong", 1.0 if ok else 0.0, [item.answer] if ok else [],
                 [] if ok else [item.answer])


def needed_points(question: str, points: list[str]) -> int:
    """「列出任意四项」 asks for four; otherwise every point."""
    m = re.search(r"(?:任意|任选|其中)([一二三四五六七八九十\d]+)(?:项|点|条|个)", question)
    return (from_chinese(m.group(1)) or len(points)) if m else len(points)


def key_points_of(reference: str) -> list[str]:
    """The points a free answer must make: a list's items, else the reference's clauses."""
    if re.search(r"[；;\n]", reference):
        return [p.strip() for p in re.split(r"[；;\n]", reference) if p.strip()]
    return clauses(reference)


_BILINGUAL = re.compile(r"^(.+?)\s*[\[［]([^\[\]［］]+)[\]］][。.]?\s*$", re.S)


def in_language_of(answer: str, reference: str) -> str:
    """A reference given in two languages (「The time, content… [如实记录…的时间、内容…]」, as a
    translated question's key is written) holds the same points twice: grade against the version in
    the answer's language, or a Chinese answer would miss every English point."""
    m = _BILINGUAL.match(reference.strip())
    if not m or not is_english(m.group(1)) or is_english(m.group(2)):
        return reference
    return m.group(1) if is_english(answer) else m.group(2)


def clauses(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[，；、]", text) if len(p.strip()) >= 4]
    return parts[:6] or [text]


_DIGIT = dict(zip("〇零一二三四五六七八九", "00123456789"))
_YEAR = r"(?:\d{4}|[〇零一二三四五六七八九]{4})\s*年"
_DAY = r"[\d一二三四五六七八九十]{1,3}"
# 「一条红线」, 「一个重要方面」: 一 before a measure word is the indefinite article, not a count (a
# count in digits, 「1个」, of times, 「一次」, or of time, 「一个月」, stays a figure)
_ARTICLE = re.compile(r"一(?=[条种项件位家批]|个(?!\s*(?:月|小时|星期|工作日|季度)))")
# A calendar date, not a duration: 「2019年4月1日」, 「二〇一九年四月一日」, 「同年四月一日」, 「2019年」.
# A month alone (「3月」) is left to the figures: it may be three months.
_DATE = re.compile(rf"({_YEAR})?\s*(?:({_DAY})\s*月\s*({_DAY})\s*[日号]|(?<=年)({_DAY})\s*月)|({_YEAR})")
# Dates are counted apart from every other figure: a year and a month-day are their own values.
_YEAR_CODE, _DAY_CODE = 1e12, 2e12


def _dates(text: str) -> tuple[str, set[float]]:
    """The text without its dates, and the dates as values (the year and the month-day apart, so
    「二〇一九年二月十七日公布，同年四月一日施行」 states what 「2019年2月17日…2019年4月1日」 does)."""
    found: set[float] = set()

    def number(raw: str) -> int:
        return int(raw) if raw.isdigit() else int(from_chinese(raw) or 0)

    def read(m: re.Match) -> str:
        year = m.group(1) or m.group(5)
        if year:
            digits = re.sub(r"\s*年$", "", year)
            found.add(_YEAR_CODE + int("".join(_DIGIT.get(c, c) for c in digits)))
        month, day = m.group(2) or m.group(4), m.group(3)
        if month:
            found.add(_DAY_CODE + number(month) * 100 + (number(day) if day else 0))
        return " "
    return _DATE.sub(read, text), found


def quantities(text: str) -> set[float]:
    """Every figure's value in a common unit: hours for time, 元 for money, a share for a percentage;
    「百分之四十」 and 「40%」 both give 40, 「二十四小时」, 「一天」 and "1 day" 24. Dates are read as
    dates (bot/grading._dates)."""
    _, found, dates = _read_figures(text)
    return {value for _, value, _ in found} | dates


def _read_figures(text: str) -> tuple[str, list[tuple[int, float, str]], set[float]]:
    """The text as figures are read in it (labels out, dates taken out and read, English number words
    as digits, a range's unit on both ends), each of its figures in a common unit with where it
    starts and what follows, and its dates."""
    text, dates = _dates(_LABELS.sub(" ", unicodedata.normalize("NFKC", text)))
    text = _ENGLISH_TENS.sub(lambda m: str(int(_ENGLISH_NUMBERS[m.group(1).lower()]) + int(_ENGLISH_NUMBERS[m.group(2).lower()])),
                             text)
    text = re.sub(r"\b[a-z]+\b", lambda m: _ENGLISH_NUMBERS.get(m.group(0).lower(), m.group(0)), text, flags=re.I)
    text = _RANGE.sub(lambda m: f"{m.group(1)}{m.group(4)}{m.group(2)}{m.group(3)}{m.group(4)}", text)
    found = []
    for start, value, after in figures_at(text):
        if _ARTICLE.match(text, start):
            continue
        if scale := _ENGLISH_SCALE.match(after):
            value *= _SCALES[scale.group(1).lower()]
        if unit := _UNIT.match(after):
            value *= _HOURS[unit.group(1).lower()]
        found.append((start, round(value, 6), after))
    return text, found, dates


@lru_cache(maxsize=4096)
def words(text: str) -> frozenset[str]:
    """The text's words (bot/text.word_tokens) with its figures left out (they are compared as values):
    「5万余册」 and 「五万多册」 say the same words. Cached: a grade reads each point's words many times."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return frozenset(word_tokens(_FIGURE_WORDS.sub(" ", re.sub(r"[\s“”\"'。．.，,；;：:、]", " ", text))))


class Grader:
    def __init__(self, embedder, **thresholds):
        self.embedder = embedder
        self.thresholds = {**DEFAULTS, **calibration().get("grader", {}), **thresholds}

    def grade(self, item: QuizItem, answer: str) -> Grade:
        if item.kind in ("blank", "choice", "judge", "multi"):
            return grade_exact(item, answer)
        return self.grade_text(item.question, item.key_points, item.answer, answer,
                               needed_points(item.question, item.key_points))

    def grade_text(self, question: str, points: list[str], reference: str, answer: str,
                   needed: int | None = None) -> Grade:
        answer = (answer or "").strip()
        if (version := in_language_of(answer, reference)) != reference:
            reference, points = version, key_points_of(version)
            needed = needed_points(question, points)
        needed = min(needed or len(points), len(points))
        if not answer:
            return Grade("wrong", 0.0, [], list(points), 0.0)
        t = self.thresholds
        # an English answer to a Chinese reference is compared by meaning alone (the multilingual
        # embedder); in the reference's own language, by its words as well
        across = is_english(answer) != is_english(reference)
        pieces = pieces_of(answer)
        vectors = self.embedder.passages(points + pieces + [answer, reference])
        point_v, piece_v = vectors[:len(points)], vectors[len(points):len(points) + len(pieces)]
        similarity = float(vectors[-2] @ vectors[-1])
        stated, said_words = quantities(answer), words(answer)
        # What the question already says need not be said again: 「两个小时」 answers 「每级上报的时间不得超过多长？」.
        given = words(question)
        hit, missed, margins = [], [], []
        for point, pv in zip(points, point_v):
            # words every other point repeats (a list's 「组织或者参与」) tell no point apart; with one
            # other point that would be all it shares (「事故责任单位」 in both halves), so it takes two
            others = [words(p) for p in points if p != point]
            own = words(point) - given - (frozenset.intersection(*others) if len(others) >= 2 else frozenset())
            closest = float((piece_v @ pv).max())
            if across:
                said, margin = closest >= t["english_similarity"], closest - t["english_similarity"]
            elif not own:
                said, margin = True, 1.0     # the point restates the question (and its figures, checked below)
            else:
                overlap = len(own & said_words) / len(own)
                said = overlap >= t["overlap"] or closest >= t["similarity"]
                margin = max(overlap - t["overlap"], closest - t["similarity"])
            figures_of_point = quantities(point)
            # a point that states figures is made by them (a fine, a deadline): the words around may differ
            said = (said or bool(figures_of_point)) and figures_of_point <= stated
            margins.append(abs(margin))
            (hit if said else missed).append(point)
        wrong = [] if across else misplaced_figures(answer, reference) + reversed_figures(answer, reference)
        coverage = min(len(hit) / max(needed, 1), 1.0)
        verdict = "wrong" if wrong else "correct" if coverage >= 1.0 else "partial" if hit else "wrong"
        score = 0.0 if wrong else round(0.8 * coverage + 0.2 * max(0.0, min(1.0, (similarity - 0.85) / 0.15)), 3)
        sure = not margins or min(margins) >= t.get("unsure_margin", 0.02) or bool(wrong)
        return Grade(verdict, score, hit, missed, round(similarity, 4), wrong, sure)


def _figure_clauses(text: str) -> list[tuple[frozenset[float], dict[float, set[str]], set[str]]]:
    """(figures, their directions, words) of each clause of `text` that states a figure. Its words
    take in the clauses without figures before it in its sentence (its subject: 「特别重大事故，30日内
    做出批复」) and, when no other figure follows in the sentence, after it (what the figure decides:
    「超过一百人的，应当设置安全生产管理机构」)."""
    out: list[tuple[frozenset[float], dict[float, set[str]], set[str]]] = []
    pending: set[str] = set()   # words since the last figure clause: the next one's subject, or its tail
    text = re.sub(r"或者|以及", "，", _LABELS.sub(" ", unicodedata.normalize("NFKC", text)))
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text)   # 10,000 is one figure
    for clause, end in re.findall(r"([^，,、；;。\n]*)([，,、；;。\n]?)", text):
        if values := quantities(clause):
            out.append((frozenset(values), directions(clause), set(words(clause) - _bound_words()) | pending))
            pending = set()
        else:
            pending |= words(clause)
        if end in ("；", ";", "。", "\n", ""):
            if out and pending:
                out[-1][2].update(pending)
            pending = set()
    return out


@cache
def _bound_words() -> frozenset[str]:
    return words(BOUND_WORDS)


def misplaced_figures(answer: str, reference: str) -> list[str]:
    """Figures the answer states about something the reference gives other figures to, or bounds the
    other way there: each clause of the answer is matched to the reference clause it shares most
    words with, and its figures must be that clause's (「专题研究8次」 against 「11次专题研究…；8次召开
    全区…会议」; 「100人以下的设置管理机构」 against 「超过一百人的，应当设置安全生产管理机构」)."""
    known = _figure_clauses(reference)
    wrong: list[float] = []
    for values, bounds, said in _figure_clauses(answer):
        # a figure with no words of its own (「10万元以上20万元以下」) answers the question itself: it
        # must be one of the reference's
        shared = [(len(said & words_r) if said else 1, values_r, bounds_r) for values_r, bounds_r, words_r in known]
        best = max((n for n, _, _ in shared), default=0)
        if best == 0:
            continue   # about nothing the reference counts: extra detail, not an error
        closest = [(v, b) for n, v, b in shared if n == best]
        allowed = frozenset().union(*(v for v, _ in closest))
        allowed_bounds: dict[float, set[str]] = {}
        for _, b in closest:
            for value, ways in b.items():
                allowed_bounds.setdefault(value, set()).update(ways)
        wrong += sorted(values - allowed)
        # figures stated together are bound to each other: 「一百八十日内四次」 against 「一百八十日内三次或者
        # 一年内四次」 pairs a period with the other period's count (each side has a figure the other lacks)
        partner = max((v for v, _ in closest), key=lambda v: len(values & v))
        if values & partner and partner - values and not any(values <= v for v, _ in closest):
            wrong += sorted(values - partner)
        wrong += [v for v, ways in bounds.items() if v in allowed and allowed_bounds.get(v) and not ways & allowed_bounds[v]]
    return _shown(wrong)


def directions(text: str) -> dict[float, set[str]]:
    """Each figure's direction, where one is stated: 「3人以下」 → {3: {"-"}}, 「10人以上」 → {10: {"+"}},
    「不得超过2小时」 → {2: {"-"}}."""
    text, found, _ = _read_figures(text)
    out: dict[float, set[str]] = {}
    for start, key, after in found:
        before = text[max(0, start - 12):start]
        way = next((way for pattern, way in _BOUNDS_BEFORE if pattern.search(before)), None)
        if _UP.match(after) or way == "+" and not _DOWN.match(after):
            out.setdefault(key, set()).add("+")
        elif _DOWN.match(after) or way == "-":
            out.setdefault(key, set()).add("-")
    return out


def reversed_figures(answer: str, reference: str) -> list[str]:
    """Figures the answer bounds the other way (「3人以上」 where the reference says 「3人以下」)."""
    given, said = directions(reference), directions(answer)
    return _shown([v for v, d in said.items() if v in given and not d & given[v]])


def _shown(values: list[float]) -> list[str]:
    """Figures as a trainee reads them in 「数字与原文不符」: once each, dates as dates."""
    out = []
    for v in dict.fromkeys(values):
        if v >= _DAY_CODE:
            month, day = divmod(int(v - _DAY_CODE), 100)
            out.append(f"{month}月{day}日" if day else f"{month}月")
        elif v >= _YEAR_CODE:
            out.append(f"{int(v - _YEAR_CODE)}年")
        else:
            out.append(f"{v:g}")
    return out


def pieces_of(answer: str) -> list[str]:
    """The answer cut at punctuation, "and" and item numbers: each piece can make one point."""
    return [p for p in re.split(r"[。；;，,、\n]|\band\b|\d+[.、)]", answer) if p.strip()] or [answer]
