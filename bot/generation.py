"""Self-test items generated from the chunks: what an exam asks, with distractors by meaning.

Generation is offline and deterministic (a seed picks and orders). Every item is tied to the passage
that answers it and is validated (bot/validation.py) before anyone sees it.

Kinds, after the question banks trainees use:
- 单选 choice: a figure or a term of a provision blanked; three wrong options of the same role (a
  figure people confuse with it, a term from a neighbouring provision), nearest to the answer first.
- 多选 multi: a provision's list (「负有下列职责：（一）…」); 2–3 of its items and wrong options: its own
  items with a figure changed, and items of lists of the same role, nearest to the list first.
- 判断 judge: a figure's sentence as the provision says it or with a confusable figure put in, and a
  list's item said to belong to its list, or an item of another list said to.
- 填空 blank, 列举 enumeration (recall a list), 简答 short (a definition, what a slogan makes clear).
"""
from __future__ import annotations

import functools
import hashlib
import math
import os
import random
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ingest.numerals import from_chinese, to_chinese
from ingest.records import Chunk

from .grading import clauses
from .records import QuizItem
from .retrieval import join_articles
from .text import content_words, figure_value, split_sentences
from .validation import BLANK, FALSE, LIST_CLAIM, NOT_LISTED, TRUE, says, validate

KINDS = ("choice", "multi", "judge", "blank", "enumeration", "short")
KIND_NAMES = {"choice": "单选", "multi": "多选", "judge": "判断", "blank": "填空", "enumeration": "列举", "short": "简答"}
# Sources keep their own punctuation (the interview's half-width , : ;), so patterns accept both widths.
_ITEM_LINE = re.compile(r"^\s*[（(]([一二三四五六七八九十]{1,3})[）)]\s*")
_ARTICLE_LABEL = re.compile(r"^第[一二三四五六七八九十百零]+条\s*")
_CONDUCT_LEAD = re.compile(r"(?P<who>[^，,：:]{2,40}?)有下列(?P<what>[\u4e00-\u9fff]{1,4}?)之一的[，,](?P<then>[^：:]{4,200}?)[：:]?\s*$")
_LEAD = re.compile(r"(?P<lead>[^\n。；]*?(?:下列|以下)(?P<what>[\u4e00-\u9fff]{1,8}?)(?:之一)?)[：:]\s*$")
# where a list is introduced: 下列 always; 以下 not as a bound (十万元以下) nor in 「以下简称」
_INTRODUCES = re.compile(r"下列|(?<![\d一二两三四五六七八九十百千万元人日年月天时])以下(?!简称)")
_QUOTED_LIST = re.compile(r"(?:^|(?<=[。\n]))(?P<term>“?[\u4e00-\u9fff]{2,8}”?)[：:]“(?P<body>[^”]{6,80}?)(?:”|。)")
_QUOTE_RUN = re.compile(r"((?:“[^“”]{2,40}”){2,})(\d+|[一二两三四五六七八九十]+)个([\u4e00-\u9fff]{1,4})")
_FIGURE = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九十百千万]+)(人|日|小时|万元|亿元|元|天|年|个月|次|册|个|倍|%|百分之[一二三四五六七八九十百]+)")
_DEFINITION = re.compile(r"(?:[（(][一二三四五六七八九十]+[）)])?(?P<term>[\u4e00-\u9fff]{2,20})[，,]是指(?P<meaning>[^。；;]{6,120})")
# what every law opens with: its purpose (为了…，制定本法) and its scope (…，适用本法 / 本条例适用于…)
_PURPOSE = re.compile(r"为了(?P<what>[^。；]{6,150}?)，(?:根据[^。；]{2,80}?，)?制定本(?:法|条例|规定|办法)")
_SCOPE = re.compile(r"(?:^|[。；\s])(?:(?P<before>[^。；]{6,120}?)，适用本(?:法|条例|规定)|本(?:法|条例|规定)适用于(?P<after>[^。；]{4,120}))")
_LABEL = re.compile(r"^第?[一二三四五六七八九十百零\d]+[条章节款项]$")
_SYSTEM = re.compile(r"(?P<subject>[\u4e00-\u9fff]{2,20}?)实行(?P<what>[\u4e00-\u9fff、]{2,30}?制度?)(?=[，,。；;])")
# Who is responsible or reported to: 「由县级以上人民政府负责调查」, 「向…安全生产监督管理部门报告」
_PARTY = re.compile(r"(?:由|向)(?P<party>[\u4e00-\u9fff]{2,30}?(?:人民政府|部门|单位|机构|机关|调查组|委员会|人民检察院"
                    r"|公安机关|工会|负责人))(?:和|或者|及其|对|报告|负责(?!人)|组织|会同|依照|依法|按照|提出|通报|备案|批准|审查|责令|指定"
                    r"|决定|给予|予以|作出|实施|进行|核查|统一)")
# Who bears a duty: the subject a clause opens with, before 应当 / 不得 / 负责 (「从业人员有权拒绝…」)
_SUBJECT = re.compile(r"(?:^|(?<=[，；。]))(?P<party>[\u4e00-\u9fff、]{2,30}?(?:人民政府|部门|单位|机构|机关|调查组|委员会"
                      r"|人民检察院|公安机关|工会|负责人|人员|队伍))(?=应当|不得|必须|负责|有权|可以)")
# a clause's opening that holds a verb or a preposition is not a body's name (「保证安全生产的责任仍由本单位」)
_NOT_A_NAME = re.compile(r"由|向|依照|按照|应当|可以|设立|建立|制定|设置|配备|提供|采取|责任|规定|认为")
# 有关部门, 其他有关单位: a party that names no body or level is no fact to ask, and as a wrong option
# it is often as right as the key
_VAGUE_PARTY = re.compile(r"^(?:有关|其他|相关|本|各|该|其(?!他)|下列|以下)")   # 「其上级机关」 names no one out of its sentence
# A sentence that leans on another for its subject or its conduct (「逾期未改正的，…」, 「有前款违法行为…」,
# 「这必须作为…」) cannot be asked on its own.
_LEANS = re.compile(r"^(?:上述|以上|这|该|此|其(?!他)|逾期|情节|并|但|同时|确需|拒不改正)|有前款")
# the term a definition defines: 「重大事故隐患，是指…」
_DEFINED = re.compile(r"(?:^|[。；\n）)])\s*(?P<term>[\u4e00-\u9fff]{2,12})[，,]是指")
_PUNCT = set("，。；：、？！“”（）()《》 \n")   # an option of punctuation alone is no option
# Figures people confuse with one another, by the unit that follows them (the hours of a deadline,
# the days of a time limit, head counts of an accident grade, fine bounds in 万元, shares of an income):
# the values a wrong figure may take besides the neighbouring provisions' own.
_CONFUSABLE = {"小时": (1, 2, 4, 12, 24, 48, 72), "日": (3, 5, 7, 10, 15, 20, 30, 60, 90),
               "天": (3, 5, 7, 10, 15, 20, 30, 60, 90), "个月": (1, 3, 6, 12), "年": (1, 2, 3, 5, 10),
               "人": (3, 10, 30, 50, 100), "元": (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000),
               "%": (20, 30, 40, 50, 60, 80, 100), "倍": (1, 2, 3, 5), "次": (1, 2, 3, 4, 5)}


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


@dataclass
class Listing:
    """A provision's list: the sentence that introduces it and its items, word for word."""

    chunk: Chunk
    lead: str          # 「生产经营单位的主要负责人对本单位安全生产工作负有下列职责」
    items: list[str]
    clause: str = ""   # the clause with 下列 alone (「生产经营单位有下列行为之一的」), which other provisions may share
    complete: bool = True   # False when the passage ends inside the list (the rest is in the next passage)


class Nearness:
    """Cosine similarity by the embedder, each text encoded once per generation; without an
    embedder (scripts that only export) every candidate is equally near and the seed decides."""

    def __init__(self, embedder=None):
        self.embedder, self._vectors = embedder, {}

    def rank(self, anchors: list[str], candidates: list[str], seed: int) -> list[str]:
        """Candidates nearest the anchors' mean first (a list's items stand for the list: one long
        text of them all would cost more to encode and blur them)."""
        candidates = list(dict.fromkeys(candidates))
        _rng(seed, *anchors).shuffle(candidates)    # the seed breaks ties
        if self.embedder is None or not candidates:
            return candidates
        self._encode([*anchors, *candidates])
        centre = np.mean([self._vectors[a] for a in anchors], axis=0)
        near = {c: float(centre @ self._vectors[c]) for c in candidates}
        return sorted(candidates, key=lambda c: -near[c])

    def _encode(self, texts: list[str]) -> None:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, np.asarray(self.embedder.passages(missing, batch_size=64))):
                self._vectors[text] = vector


def _rng(seed: int, *keys: str) -> random.Random:
    """A random source for one decision, keyed by what it decides about: an item stays the same
    when other documents change, and when the embedder's last digits differ between processes."""
    return random.Random("\x1f".join((str(seed), *keys)))


def _item_id(kind: str, chunk: Chunk, question: str, options=()) -> str:
    # options count only for a list's 多选 and 「不属于」 单选: one list gives several items that differ by them
    by_options = kind == "multi" or NOT_LISTED in question
    key = f"{kind}\x1f{chunk.id}\x1f{question}" + ("\x1f" + "\x1f".join(options) if by_options else "")
    return hashlib.sha1(key.encode()).hexdigest()[:12]


def where(chunk: Chunk) -> str:
    return f"《{chunk.title}》{chunk.article}" if chunk.article else f"《{chunk.title}》"


def _make(kind, chunk, question, answer, options=(), key_points=(), sentence="") -> QuizItem:
    return QuizItem(id=_item_id(kind, chunk, question, options), kind=kind, question=question, options=list(options),
                    answer=answer, source=chunk.source, section=" › ".join(chunk.section), passage=chunk.text,
                    key_points=list(key_points) or [answer], chunk_id=chunk.id, title=chunk.title,
                    article=chunk.article or "", sentence=sentence)


# --- lists ------------------------------------------------------------------------

def listings(chunk: Chunk, following: Chunk | None = None) -> list[Listing]:
    """Every list the passage holds: a line ending in a colon followed by numbered item lines. The
    lead is the whole sentence before the colon (「…有下列行为之一的，责令限期改正，处十万元以下的罚款」
    tells the list from another of the same opening), or its clause with 下列 when that is long. A
    list that runs to the passage's end goes on when the following passage, of the same article,
    opens with an item."""
    goes_on = bool(following and following.article and following.article == chunk.article
                   and _ITEM_LINE.match(following.text.lstrip()))
    found = []
    lines = [x for x in chunk.text.split("\n") if x.strip()]
    for i, line in enumerate(lines):
        if not re.search(r"[：:]\s*$", line) or _ITEM_LINE.match(line):
            continue
        items = []
        for next_line in lines[i + 1:]:
            if not _ITEM_LINE.match(next_line):
                break
            items.append(_ITEM_LINE.sub("", next_line).rstrip("；;。 "))
        clause, sentence = _lead_clause(_ARTICLE_LABEL.sub("", line.strip())), _lead_sentence(line)
        lead = sentence if len(sentence) <= 200 else clause
        if clause and len(items) >= 2:
            found.append(Listing(chunk, lead, items, clause, complete=i + 1 + len(items) < len(lines) or not goes_on))
    return found


def _lead_clause(line: str) -> str:
    """The clause that introduces the list (「生产经营单位有下列行为之一的」), with the clause before it
    when it is too short to say whose list it is (「采取下列…措施」)."""
    m = _INTRODUCES.search(line)
    if not m:
        return ""
    parts = re.split(r"(?<=[，,；;。])", line[:m.start()])
    end = re.search(r"[，,；;：:]|$", line[m.end():])
    lead = parts[-1] + line[m.start():m.end() + end.start()]
    if len(lead) < 14 and len(parts) > 1:
        lead = parts[-2] + lead
    return lead.strip("，,；; ")


def enumeration_candidates(chunk: Chunk, found: list[Listing], others: list[Listing] = ()) -> list[QuizItem]:
    items = []
    for line in chunk.text.split("\n"):
        lead = _LEAD.search(line)
        listing = next((x for x in found if lead and x.clause and x.clause in line), None)
        if not lead or listing is None or not listing.complete:
            continue
        lead_text = _ARTICLE_LABEL.sub("", lead.group("lead"))
        at = max(lead_text.rfind("下列"), lead_text.rfind("以下"))   # not 「(以下简称事故)」 earlier on
        ask = lead_text[:at] + "哪些" + lead_text[at + 2:]
        n = len(listing.items)
        need = n if n <= 3 else min(4, n - 1)
        extra = f"（共{to_chinese(n)}项，列出任意{to_chinese(need)}项）" if need < n else f"（共{to_chinese(n)}项）"
        question = f"{where(chunk)}规定：{ask}？{extra}"
        items.append(_make("enumeration", chunk, question, "；".join(listing.items), key_points=listing.items))
    for listing in found:   # 「…有下列行为之一的，责令限期改正，处…罚款：」: which conduct draws the penalty
        m = _CONDUCT_LEAD.match(_ARTICLE_LABEL.sub("", listing.lead))
        # another article with the same penalty (Art. 97 and 101 of the law) would make either list an answer
        here = (chunk.source, chunk.article)
        if not m or not listing.complete or any((o.chunk.source, o.chunk.article) != here and _first_penalty(o.lead)
                                                 == _first_penalty(m.group("then")) for o in others):
            continue
        n = len(_askable(listing.items))
        need = n if n <= 3 else min(4, n - 1)
        count = f"共{to_chinese(n)}项，列出任意{to_chinese(need)}项" if need < n else f"共{to_chinese(n)}项"
        question = f"{where(chunk)}规定：{m.group('who')}有哪些{m.group('what')}的，{m.group('then')}？（{count}）"
        items.append(_make("enumeration", chunk, question, "；".join(_askable(listing.items)),
                           key_points=_askable(listing.items)))
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
            question = f"{where(chunk)}中提到的{count}个{what}分别是什么？"
            items.append(_make("enumeration", chunk, question, "；".join(parts), key_points=parts))
    return items


def _first_penalty(lead: str) -> str:
    """What a list's lead does first to who acts as its items say (「责令限期改正，处十万元以下的罚款」)."""
    return re.split(r"[；;：:]", lead.split("之一的", 1)[-1])[0].strip("，, ")


def _bigrams(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def _overlaps(a: str, b: str) -> bool:
    """Two list items that say nearly the same (one would be a second defensible key): one inside the
    other, most of their bigrams shared, or most of one's bigrams inside the other (「事故造成的人员伤亡和
    直接经济损失」 beside 「事故已经造成…的伤亡人数…和初步估计的直接经济损失」)."""
    x, y = _bigrams(a), _bigrams(b)
    shared = len(x & y)
    if set(re.split(r"[，,、]", a)) & set(re.split(r"[，,、]", b)):   # a clause in common: half true either way
        return True
    return a in b or b in a or shared / max(len(x | y), 1) > 0.5 or shared / max(min(len(x), len(y)), 1) >= 0.6


_ROLE_NOUN = re.compile(r"(?:下列|以下)(?:[一二三四五六七八九十]项或者多项)?(?P<what>[\u4e00-\u9fff]{1,6}?)(?:之一|[，,：:；]|$)")
_ACTOR_END = re.compile(r"有下列|在事故调查中有|履行|负有|应当|依照|采取|对本|接到|[，,]")
_ACTOR_VERB = re.compile(r"有下列|在事故调查中有|履行|应当|依照|采取|对本|接到")
_PARTY_WORD = re.compile(r"人民政府|国务院|部门|机关|机构|单位|人员|负责人|调查组|投资人|队伍")


def role(listing: Listing) -> tuple[str, str]:
    """Whose list of what: (「生产经营单位」, 「行为」), (「负有安全生产监督管理职责的部门的工作人员」, 「行为」).
    Wrong options come from lists of the same role: a supervisor's misconduct among an enterprise's
    is rejected by asking who acts, without knowing the law."""
    noun = _ROLE_NOUN.search(listing.clause)
    end = _ACTOR_END.search(listing.clause, 2)   # 「负有…的部门的工作人员，有下列…」 opens with 负有
    actor = listing.clause[:end.start() if end else 0].strip()
    if not _PARTY_WORD.search(actor):
        # the clause with 下列 comes after its actor (「有关地方人民政府及其部门接到…报告后，…，并按照…
        # 采取下列…措施」): the actor is what the whole sentence opens with, up to its verb
        verb = _ACTOR_VERB.search(listing.lead, 2)
        actor = listing.lead[:verb.start() if verb else 0].strip()
    return actor, noun.group("what") if noun else ""


_PARTY_END = re.compile(r"(?:人民政府|部门|单位|机构|机关|调查组|委员会|人民检察院|公安机关|工会|负责人|队伍)$")


def item_shape(item: str) -> str:
    """What a list item is: a body (「应急救援队伍」), a penalty (「发生一般事故的，处…的罚款」), a conduct
    (「迟报或者漏报事故的」) or a measure or fact. A wrong option of another shape than the list's is
    rejected without knowing the law."""
    # 「较大事故逐级上报至…有关部门」 ends with a body but says where something goes: a measure
    if _PARTY_END.search(item) and not re.search(r"[，,]|上报|报告|报送|通知|移送|[至向由]", item):
        return "party"
    if re.search(r"罚款|处分|拘留|吊销|没收", item):   # a person's (a share of income) or a body's
        return "income penalty" if "年收入" in item else "penalty"
    return "conduct" if item.endswith("的") else "measure"


def _sphere(actor: str) -> str:
    """Whether a body or a list's actor is on the side of government (a department, an investigation
    team) or of an enterprise (a unit, its head, its staff)."""
    return ("government" if re.search(r"人民政府|国务院|部门|机关|监察|工作人员|监督管理|调查组|参与事故调查", actor)
            else "enterprise")


def _same_consequence(a: Listing, b: Listing) -> bool:
    """Two lists whose leads say the same (Art. 97 and 101 of the law: the same conduct clause and the
    same fines, one adding a clause): an item of one is as true of the other's lead."""
    figures = lambda lead: sorted(figure_value(m.group(1)) or 0 for m in _FIGURE.finditer(lead))  # noqa: E731
    return a.lead == b.lead or (a.clause == b.clause and bool(figures(a.lead)) and figures(a.lead) == figures(b.lead))


def _foreign_items(listing: Listing, others: list[Listing], article_text: str, corpus: str, near: Nearness,
                   seed: int) -> list[str]:
    """Wrong options for a list: its own items with a figure changed to a confusable one (「处上一年年收入
    百分之五十的罚款」), then items of the knowledge base's lists of the same role (what they list, and an
    actor on the same side: a supervisor's misconduct among an enterprise's is rejected by asking who
    acts) and shape that this list does not hold, nearest to it first."""
    shape = Counter(map(item_shape, listing.items)).most_common(1)[0][0]
    actor, what = role(listing)
    # a list opening as this one does must say more than its clause (its fine), or it differs by article number only
    same_side = [o for o in others if o is not listing and _sphere(role(o)[0]) == _sphere(actor)
                 and not _same_consequence(o, listing)
                 and (o.clause != listing.clause or o.lead != listing.clause != listing.lead)]

    def pool(lists: list[Listing]) -> list[str]:
        return [item for other in lists for item in other.items
                if 4 <= len(item) <= 90 and item not in article_text and item_shape(item) == shape and _askable([item])
                and not any(_overlaps(item, mine) for mine in listing.items)
                and not ("本单位" in item and _sphere(actor) == "government")]   # an enterprise's own duty
    # lists of the same role first; where they are too few and the list is of misconduct (「…的」), the
    # misconduct another list of the same side names (行为 and 情形 read alike), nearest in meaning first
    same_role = pool([o for o in same_side if role(o)[1] == what])
    ranked = near.rank(listing.items, same_role, seed)
    if len(ranked) < 4 and shape == "conduct":
        ranked += [x for x in near.rank(listing.items, pool([o for o in same_side if role(o)[1] != what]), seed)
                   if x not in ranked][:4 - len(ranked)]
    return _perturbed(listing, corpus)[:2] + ranked


def _perturbed(listing: Listing, corpus: str) -> list[str]:
    """The list's items with figures, each with its first figure changed to the nearest confusable
    value the knowledge base does not give there."""
    out = []
    for item in listing.items:
        m = _FIGURE.search(item)
        if not m or re.search(r"[同第统唯之任上]$|\d[年月]$", item[:m.start(1)]):
            continue
        answer, unit = m.group(1), item[m.end(1):]
        pool = [t for other in listing.items for t in roles(other).get("figure", [])] + _confusable(answer, unit)
        for value in _by_value(answer, [v for v in dict.fromkeys(pool) if _plausible(v, answer, "figure")]):
            changed = item[:m.start(1)] + value + item[m.end(1):]
            if changed not in corpus and _keeps_ranges(changed) and changed not in listing.items:
                out.append(changed)
                break
    return out


# A list's closing catch-all (「法律、法规规定的其他应急救援措施」, 「其他依法应当…的」) is true of every
# list of its kind: as a key it is answered without knowing the law, as a wrong option it is defensible.
_CATCH_ALL = re.compile(r"^其他|规定的其他|^(?:有关|相关)?法律、(?:行政)?法规(?:规定)?的")


def _askable(items: list[str]) -> list[str]:
    return [i for i in items if not _CATCH_ALL.search(i)]


def multi_candidates(listing: Listing, others: list[Listing], article_text: str, corpus: str, near: Nearness,
                     seed: int) -> list[QuizItem]:
    """多选: 2–3 of the list's items among 4–5 options; a list of n items is asked up to n + 1 times
    (other items, other wrong options), as an exam bank asks a long list more than once."""
    foreign = _foreign_items(listing, others, article_text, corpus, near, seed)[:8]
    rng, askable = _rng(seed, listing.lead, *listing.items), _askable(listing.items)
    n, out = len(askable), []
    wanted = max(1, min(8, n + 1)) if n >= 2 else 0
    for _ in range(3 * wanted):   # a draw whose keys share their opening is drawn again
        if len(out) == wanted:
            break
        # at least two wrong options among five: one odd option out is found without knowing the law
        right = rng.sample(askable, rng.randint(2, min(3, n)))
        # five options where there are wrong ones enough, else four
        wrong_count = min((5 if n >= 3 else 4) - len(right), len(foreign))
        if wrong_count < 2 or len(right) + wrong_count < 4:
            break
        wrong = rng.sample(foreign, wrong_count)
        if _keys_share_opening(right, wrong):
            continue
        options = right + wrong
        rng.shuffle(options)
        chunk = listing.chunk
        question = f"多选（{where(chunk)}）：“{listing.lead}”，下列属于该条所列的有："
        key = [o for o in options if o in right]
        out.append(_make("multi", chunk, question, "；".join(key), options=options, key_points=key,
                         sentence=listing.lead))
    return out


def _keys_share_opening(right: list[str], wrong: list[str]) -> bool:
    """Every key opens with the same words (「组织制定并实施本单位…」) and no wrong option does: the
    keyed set is picked by its wording."""
    opening = os.path.commonprefix(right)
    return len(opening) >= 4 and not any(o.startswith(opening) for o in wrong)


def list_choice_candidates(listing: Listing, others: list[Listing], article_text: str, corpus: str,
                           near: Nearness, seed: int) -> list[QuizItem]:
    """单选 the way exam banks ask a list: three of its items and the nearest foreign one, 「下列不属于
    该条所列的是」; a list of six or more is asked twice (other items, another foreign one)."""
    askable, foreign = _askable(listing.items), _foreign_items(listing, others, article_text, corpus, near, seed)
    rng, chunk, out = _rng(seed, "not in", listing.lead), listing.chunk, []
    question = f"单选（{where(chunk)}）：“{listing.lead}”，{NOT_LISTED}："
    for key in foreign[:2 if len(askable) >= 6 else 1] if len(askable) >= 3 else []:
        options = rng.sample(askable, 3) + [key]
        rng.shuffle(options)
        out.append(_make("choice", chunk, question, key, options=options, sentence=listing.lead))
    return out


def list_judge_candidates(listing: Listing, others: list[Listing], article_text: str, corpus: str,
                          near: Nearness, seed: int) -> list[QuizItem]:
    """判断: one item said to belong to the list, each either the list's own or its nearest foreign one."""
    foreign = _foreign_items(listing, others, article_text, corpus, near, seed)[:4]
    chunk, out = listing.chunk, []
    for item in _askable(listing.items):
        own = _rng(seed, listing.lead, item).random() < 0.5 or not foreign
        said = item if own else foreign.pop(0)
        statement = f"“{listing.lead}{LIST_CLAIM}{said}"
        out.append(_make("judge", chunk, f"判断（{where(chunk)}）：{statement}", TRUE if own else FALSE,
                         options=[TRUE, FALSE], key_points=[item if own else listing.lead], sentence=statement))
    return out


# --- figures and terms --------------------------------------------------------------

def _blank_targets(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, role) of what an exam asks of a sentence: a figure (the number of 24小时, 30人),
    who is responsible or reported to, whether a duty is a must, a may or a must-not, a quoted or
    defined term. Never a word picked for rarity: that blanks fragments (「对本」 of 「对本单位」)."""
    # 同一, 第三人, 上一年 are no figures; nor the month and day of a date (1991年2月22日)
    # a year only where a provision takes effect (本法自2002年11月1日起施行), not a report's or a meeting's
    # a figure inside a quoted name (「“三个必须”」) is the name's, guessed by counting
    quoted = [(q.start(), q.end()) for q in re.finditer(r"“[^“”]*”", sentence)]
    targets = [(m.start(1), m.end(1), "figure") for m in _FIGURE.finditer(sentence)
               if not re.search(r"[同第统唯之任上]$|\d[年月]$", sentence[:m.start(1)])
               and not any(a < m.start(1) < b for a, b in quoted)
               and not (m.group(2) == "年" and 1900 <= (figure_value(m.group(1)) or 0) <= 2100
                        and not re.search(r"施行|生效", sentence))]
    # a party is asked where the sentence says enough of its duty to tell it (not 「____应当恪尽职守」)
    targets += [(m.start("party"), m.end("party"), "party") for pattern in (_PARTY, _SUBJECT)
                for m in pattern.finditer(sentence)
                if not _VAGUE_PARTY.match(m.group("party")) and not _NOT_A_NAME.search(m.group("party"))
                and len(sentence) - len(m.group("party")) >= 20]
    targets += [(m.start(1), m.end(1), "term") for m in re.finditer(r"“([^“”]{2,12})”", sentence)]
    targets += [(m.start("term"), m.end("term"), "term") for m in _DEFINED.finditer(sentence)]
    return sorted(set(targets))


@functools.lru_cache(maxsize=4096)
def roles(text: str) -> dict[str, list[str]]:
    """What each sentence of a passage offers to blank, by role (the pool wrong options come from)."""
    out: dict[str, list[str]] = {}
    for sentence in split_sentences(text):
        for start, end, role in _blank_targets(sentence):
            out.setdefault(role, []).append(sentence[start:end])
    return out


def stems(text: str) -> list[tuple[str, int]]:
    """Whole sentences (to 。 or a line end, not to ；) that can be asked on their own: the clause
    「逾期未改正的，处…」 keeps the conduct and the party the sentence began with, and a list's item
    is asked after its lead (「事故一般分为以下等级：重大事故，是指造成…」). Each comes with where in it
    blanks may start."""
    out, lead, items = [], "", 0
    for line in (x.strip() for x in text.split("\n")):
        if _ITEM_LINE.match(line):
            line, items = (f"{lead}：{_ITEM_LINE.sub('', line)}" if lead else ""), items + 1
        else:
            lead, items = (_lead_sentence(line) if re.search(r"[：:]$", line) else ""), 0
        for sentence in re.findall(r"[^。！？]+[。！？]?", line):
            sentence = _ARTICLE_LABEL.sub("", sentence.strip())   # the stem names the article already
            # a list's lead without its list (「有下列行为之一的，处…」) lacks what makes it answerable
            if (15 <= len(sentence) <= 240 and not _LEANS.search(sentence) and not re.search(r"[：:]$", sentence)
                    and ("：" in sentence or not _INTRODUCES.search(sentence))):
                # the lead's own facts (its fine) are asked with the first item only, not once per item
                out.append((sentence, 0 if items <= 1 else sentence.index("：") + 1))
    return out


def _lead_sentence(line: str) -> str:
    """The sentence that introduces a list: 「事故发生单位对事故发生负有责任的，依照下列规定处以罚款」, the
    one with 下列 when another sentence stands between it and the colon."""
    sentences = [x for x in re.split(r"(?<=[。])", _ARTICLE_LABEL.sub("", line.strip())) if x.strip()]
    return next((x for x in reversed(sentences) if _INTRODUCES.search(x)), sentences[-1] if sentences else "").rstrip("：:。 ")


def _blanks(chunk: Chunk, seed: int, allowed: tuple[str, ...]):
    """(sentence with the blank, answer, role): per clause (；) of a whole sentence, each of its
    figures, or else one of its other targets; the stem is the whole sentence."""
    for sentence, ask_from in stems(chunk.text):
        start_of = 0
        for clause in re.findall(r"[^；]+；?", sentence):
            offset, start_of = start_of, start_of + len(clause)
            targets = [t for t in _blank_targets(clause) if t[2] in allowed and t[0] + offset >= ask_from
                       and not (t[2] == "figure" and _given_elsewhere(sentence, t[0] + offset, t[1] + offset))]
            picked = [t for t in targets if t[2] == "figure"]   # each figure is a fact of its own
            for role in ("party", "term"):
                chosen = [t for t in targets if t[2] == role]
                if chosen and not picked:
                    picked = [_rng(seed, clause).choice(chosen)]
            for start, end, role in picked:
                start, end = start + offset, end + offset
                if role != "figure" and sentence[start:end] in sentence[:start] + sentence[end:]:
                    continue   # the stem spells its own key out elsewhere
                yield sentence[:start] + BLANK + sentence[end:], sentence[start:end], role


def _given_elsewhere(sentence: str, start: int, end: int) -> bool:
    """The stem gives the figure away: the same figure with its unit stands elsewhere in it (「处五万元以下
    的罚款；逾期未改正的，处____元以上…」 is 五万), or it is a plain once (「每2年组织____次」)."""
    unit = _FIGURE.match(sentence, start)
    unit = unit.group(2) if unit else ""
    value = figure_value(sentence[start:end])
    if value == 1 and unit in ("次", "个"):
        return True
    rest = sentence[:start] + sentence[end:]
    return any(figure_value(m.group(1)) == value and m.group(2) == unit for m in _FIGURE.finditer(rest))


def blank_candidates(chunk: Chunk, seed: int) -> list[QuizItem]:
    """填空 asks what has one answer recalled word for word: a figure. (A term or a party's name is a
    choice: free recall lets a synonym in, 「安全发展」 for 「安全第一」.)"""
    return [_make("blank", chunk, f"填空（{where(chunk)}）：{blanked}", answer, sentence=blanked)
            for blanked, answer, _ in _blanks(chunk, seed, ("figure",))]


def short_candidates(chunk: Chunk, corpus: str = "") -> list[QuizItem]:
    items = []
    for m in _DEFINITION.finditer(chunk.text):
        term = m.group("term")
        items.append(_make("short", chunk, f"{where(chunk)}所称“{term}”是指什么？", m.group("meaning"),
                           key_points=clauses(m.group("meaning"))))
    for m in _PURPOSE.finditer(chunk.text):
        items.append(_make("short", chunk, f"{where(chunk)}规定的立法目的是什么？", m.group("what"),
                           key_points=clauses(m.group("what"))))
    for m in _SCOPE.finditer(chunk.text):
        scope = _ARTICLE_LABEL.sub("", (m.group("before") or m.group("after")).strip())
        items.append(_make("short", chunk, f"{where(chunk)}规定的适用范围是什么？", scope, key_points=clauses(scope)))
    for m in _SYSTEM.finditer(chunk.text):
        subject = _ARTICLE_LABEL.sub("", m.group("subject"))
        # 「国家实行…」 opens several articles: only a subject that names one system is asked about
        if len(subject) >= 2 and corpus.count(f"{subject}实行") <= 1:
            items.append(_make("short", chunk, f"{where(chunk)}规定，{subject}实行什么制度？", m.group("what")))
    return items


@dataclass
class Fact:
    """A sentence with one thing an exam asks blanked, and wrong values for it, the most confusable first."""

    sentence: str
    answer: str
    role: str
    wrong: list[str]


def facts(chunk: Chunk, neighbours: list[Chunk], everyone: list[Chunk], corpus: str, near: Nearness,
          seed: int, addressees: set[str] = frozenset()) -> list[Fact]:
    """Each wrong value makes a sentence the knowledge base nowhere says; figures nearest in value
    first, parties and terms nearest in meaning first (parties from the whole knowledge base: a
    provision names few, its neighbours the same ones). A document's usual addressee (「生产经营单位」 in the law) is
    not asked: it is what everyone guesses."""
    out = []
    for sentence, answer, role in _blanks(chunk, seed, ("figure", "party", "term")):
        if role == "party" and answer in addressees:
            continue
        pool = [t for other in (everyone if role == "party" else neighbours) for t in roles(other.text).get(role, [])]
        pool += _confusable(answer, sentence.split(BLANK, 1)[1]) if role == "figure" else []
        wrong = [o for o in dict.fromkeys(pool) if o != answer and _plausible(o, answer, role)
                 and o not in sentence.replace(BLANK, "")   # 「由____或者监察机关」: 监察机关 is no candidate
                 and not says(sentence.replace(BLANK, o), corpus) and _keeps_ranges(sentence.replace(BLANK, o))
                 and (role != "party" or _same_kind_of_body(o, answer, sentence))]
        wrong = _by_value(answer, wrong) if role == "figure" else near.rank([answer], wrong, seed)
        out.append(Fact(sentence, answer, role, _distinct(answer, wrong)))
    return out


_RANGE_UNIT = r"(万元|亿元|元|人|日|小时|天|年|个月|%)?"
_RANGE = re.compile(rf"([\d.]+|[一二两三四五六七八九十百千万]+){_RANGE_UNIT}(?:以上|至)([\d.]+|[一二两三四五六七八九十百千万]+){_RANGE_UNIT}")


def _same_kind_of_body(option: str, answer: str, sentence: str) -> bool:
    """A wrong party must be rejected by knowing the law, not by its kind: on the same side (an
    enterprise's head is no candidate for a government's duty), not a level the key already spans
    (省级人民政府 is one of 县级以上地方各级人民政府), and not a national body for a local duty."""
    if _sphere(option) != _sphere(answer) or {_party_kind(option), _party_kind(answer)} == {"person", "body"}:
        return False
    if "事故" in option and "事故" not in sentence.replace(BLANK, ""):   # an accident's bodies where none is spoken of
        return False
    if re.search(r"以上", answer) and re.search(r"[省市县乡]级|省、|设区的市", option):
        return False
    return not (re.search(r"本行政区域|本地区|地方", sentence.replace(answer, "")) and re.search(r"国务院|国家", option))


_PERSON = re.compile(r"(?:负责人|人员|职工|工程师|队员|投资人|经营者|工作者|[^单]位人)$")
_BODY = re.compile(r"(?:人民政府|部门|单位|机构|机关|调查组|委员会|检察院|法院|工会|队伍|组织|企业|公司|指挥部)$")


def _party_kind(name: str) -> str:
    """"person" or "body" (or "" when its last word says neither): a person among bodies is picked out
    by its kind alone."""
    return "person" if _PERSON.search(name) else "body" if _BODY.search(name) else ""


def _keeps_ranges(sentence: str) -> bool:
    """A wrong bound that empties its range (「二万元以上二万元以下」) is false at a glance."""
    for m in _RANGE.finditer(sentence):
        low, high = (figure_value(n + ("万" if (u or "").startswith("万") else "")) for n, u in
                     ((m.group(1), m.group(2) or m.group(4)), (m.group(3), m.group(4))))
        if low is not None and high is not None and low >= high:
            return False
    return True


def _words_up_to(text: str, size: float) -> str:
    """The text's opening words, cut at a word's end (not 「国务院有关部门按」)."""
    import jieba

    out = ""
    for word in jieba.cut(text):
        if out and len(out) + len(word) > size:
            break
        out += word
    return out


def article_candidate(chunk: Chunk, article_text: str, others: list[str] = ()) -> QuizItem | None:
    """简答 for an article nothing else asks about: its opening words say what it is about, the
    trainee recalls the rest, whole sentences as the points (two of them when it has more). The
    opening tells the article from every other where one can (`others`: their sentences), or the item
    only asks which number goes with an opening as common as 「生产经营单位应当……」; what the opening
    shows is not asked for, and at least a fifth of the article is."""
    sentences = [_ARTICLE_LABEL.sub("", p.strip()).rstrip("。；") for p in re.split(r"(?<=[。；])|\n", article_text)]
    points = [p for p in dict.fromkeys(sentences) if len(p) >= 6][:6]   # passages of an article overlap
    if not points:
        return None
    # An article no opening tells apart is still asked (every article has an item): by its first
    # clause, or up to the force of its duty, whichever leaves enough to recall.
    first = points[0]
    duty = re.search(r"应当|不得|必须|可以|有权|给予", first)
    short = first[:duty.end()] if duty and duty.end() < 0.6 * len(first) else None
    # the last resort, for a one-sentence article that has nothing else to ask (it may cut a phrase)
    cut = _words_up_to(first, 0.4 * len(first))
    tried = [(topic, _left_to_recall(points, topic))
             for topic in filter(None, dict.fromkeys([_topic(first, others), re.split(r"[，,]", first)[0], short, cut]))]
    enough = [(topic, asked) for topic, asked in tried if sum(map(len, asked)) >= max(12, sum(map(len, points)) / 5)]
    # a one-clause article (「生产经营单位应当建立安全生产责任制」) has little to recall, but is asked
    topic, asked = enough[0] if enough else max(tried, key=lambda t: sum(map(len, t[1])), default=("", []))
    if not asked:
        return None
    need = min(2, len(asked))
    question = (f"{where(chunk)}规定：“{topic}……”。请简述该条的规定"
                + (f"（答出任意{to_chinese(need)}点）。" if need < len(asked) else "。"))
    return _make("short", chunk, question, "；".join(asked), key_points=asked)


def _left_to_recall(points: list[str], topic: str) -> list[str]:
    """The points, each without what the opening already shows."""
    asked = []
    for point in points:
        rest = point[len(topic):].lstrip("，,") if point.startswith(topic) else point
        if len(rest) >= 6 and not _mostly_within(rest, topic):
            asked.append(rest)
    return asked


def _topic(first: str, others: list[str]) -> str | None:
    """The shortest opening of the article's first sentence that names its topic: the first clause,
    grown clause by clause while a sentence of another article (`others`) holds all its words. (An
    opening quoted from later in the article leaves the trainee to splice what comes before it.)"""
    parts = re.split(r"(?<=[，,])", first)
    for n in range(1, len(parts)):   # never the whole sentence: something is left to recall
        topic = "".join(parts[:n]).rstrip("，,")
        words = content_words(topic)
        if words and not any(all(w in other for w in words) for other in others):
            return topic
    return None


def _mostly_within(point: str, topic: str) -> bool:
    """More than half of the point's wording is already in the stem."""
    bigrams = _bigrams(point)
    return bool(bigrams) and len(bigrams & _bigrams(topic)) > len(bigrams) / 2


def _addressees(document: list[Chunk]) -> set[str]:
    """The parties a document names in one sentence out of ten or more: whom it is addressed to."""
    sentences = [x for c in document for x in split_sentences(c.text)]
    named = Counter(p for c in document for p in dict.fromkeys(roles(c.text).get("party", [])))
    counts = {p: sum(p in x for x in sentences) for p in named}
    return {p for p, n in counts.items() if n >= 0.1 * len(sentences)}


def choice_candidates(chunk: Chunk, found: list[Fact], seed: int) -> list[QuizItem]:
    """单选: the blank's answer among its three most confusable wrong values."""
    items = []
    for fact in found:
        wrong = _uncued(fact)
        if len(wrong) < 3:
            continue
        options = wrong[:3] + [fact.answer]
        _rng(seed, fact.sentence).shuffle(options)
        items.append(_make("choice", chunk, f"单选（{where(chunk)}）：{fact.sentence}", fact.answer, options=options,
                           sentence=fact.sentence))
    return items


def _uncued(fact: Fact) -> list[str]:
    """Wrong options such that the stem's own words do not point at the key (「…向…部门报告，____应当
    依法及时处理」 and 「接到报告的部门」; 「上级人民政府…由____负责调查」 and 「下级人民政府」): options that
    echo the stem as the key does come first, and every word the key echoes must be echoed by one of
    the three, or there is no item."""
    stem = fact.sentence.replace(BLANK, " ")
    echo = {b for b in _bigrams(fact.answer) & _bigrams(stem) if re.fullmatch(r"[\u4e00-\u9fff]{2}", b)}
    if not echo or fact.role == "figure":   # 一千万 beside 二千万 is the range, not a cue
        return fact.wrong
    ordered = sorted(fact.wrong, key=lambda o: not _bigrams(o) & echo)   # stable: nearest first within each
    chosen = ordered[:3]
    return chosen if all(any(b in o for o in chosen) for b in echo) else []


def judge_candidates(chunk: Chunk, found: list[Fact], seed: int) -> list[QuizItem]:
    """判断: the sentence as the provision says it, or with its most confusable wrong figure put in.
    Not terms (a swapped term mostly makes the sentence ungrammatical), not parties (「当地人民政府」 for
    「县级以上人民政府」 may well be the same), not 应当 / 不得 (「学校不得协助…培训」 is false by common sense)."""
    items = []
    for fact in found:
        truth = fact.sentence.replace(BLANK, fact.answer)
        # a statement of a whole paragraph tests no one point
        if fact.role in ("term", "party") or not fact.wrong or len(truth) > 150:
            continue
        statement = truth if _rng(seed, truth).random() < 0.5 else fact.sentence.replace(BLANK, fact.wrong[0])
        items.append(_make("judge", chunk, f"判断（{where(chunk)}）：{statement}", TRUE if statement == truth else FALSE,
                           options=[TRUE, FALSE], key_points=[truth], sentence=statement))
    return items


def _distinct(answer: str, wrong: list[str]) -> list[str]:
    """No option inside another (「安全」 beside 「安全生产」 gives the key away), none naming nearly what the
    key names (「县级以上地方人民政府…」 beside 「县级以上人民政府…」 is a second key), no two the same value."""
    kept = []
    for option in wrong:
        value = figure_value(option)
        if any(option in o or o in option for o in [answer, *kept]):
            continue
        if value is None and any(_overlaps(option, o) for o in [answer, *kept]):
            continue
        if value is not None and any(figure_value(o) == value for o in [answer, *kept]):
            continue
        kept.append(option)
    return kept


def _confusable(answer: str, unit: str) -> list[str]:
    """The usual confusions for a figure with this unit, written as the answer is (digits or Chinese
    numerals, 万 kept)."""
    value = figure_value(answer)
    if not value or value != int(value):
        return []
    if 1900 <= value <= 2100:   # a year is confused with the years around it
        return [str(int(value) + d) for d in (-3, -2, -1, 1, 2, 3)]
    chinese = not re.search(r"\d", answer)
    scale = 10000 if answer.endswith("万") else 1
    base = value / scale
    unit = "元" if unit.startswith(("万元", "亿元", "元")) else next((u for u in _CONFUSABLE if unit.startswith(u)), "")
    out = []
    for v in _CONFUSABLE.get(unit, ()):
        if v != base:
            text = to_chinese(v) if chinese else str(v)
            out.append(text + ("万" if scale > 1 else ""))
    return out


def _by_value(answer: str, wrong: list[str]) -> list[str]:
    """Figures nearest the answer's value first (on a log scale: 2 and 24 hours before 2 and 200),
    the smaller first of two as near."""
    mine = figure_value(answer)
    return sorted(wrong, key=lambda o: (abs(math.log((figure_value(o) or 1e-9) / mine)), figure_value(o) or 0, o))


def _plausible(option: str, answer: str, kind: str) -> bool:
    """A wrong option must look like the right one: a figure for a figure written the same way, a term
    of about the same length."""
    if _LABEL.match(option) or set(option) <= _PUNCT:
        return False
    if kind == "term":
        return abs(len(option) - len(answer)) <= 1
    if kind == "party":   # a name much longer or shorter than the others stands out
        return abs(len(option) - len(answer)) <= max(2, len(answer) // 3)
    if bool(re.search(r"\d", option)) != bool(re.search(r"\d", answer)):
        return False   # 「30」 among 「十」「二十」「五十」 is picked out by its script alone
    # the same order of magnitude (2019年 is not 2年), never the same value written otherwise (10 for 十)
    mine, theirs = figure_value(answer), figure_value(option)
    return bool(mine and theirs) and theirs != mine and 0.1 <= theirs / mine <= 10


# --- all of it --------------------------------------------------------------------

@dataclass
class _Bank:
    """What generation reads across documents: every chunk and list, each article's whole text."""

    chunks: list[Chunk]
    seed: int
    kinds: tuple
    near: Nearness
    corpus: str = ""
    lists: list[Listing] = field(default_factory=list)
    articles: dict = field(default_factory=dict)

    def candidates(self, chunk: Chunk, neighbours: list[Chunk], addressees: set[str]) -> list[QuizItem]:
        kinds, seed, own_lists = self.kinds, self.seed, [x for x in self.lists if x.chunk is chunk]
        article_text = self.articles[(chunk.source, chunk.article or chunk.id)]
        out = enumeration_candidates(chunk, own_lists, self.lists) if "enumeration" in kinds else []
        out += blank_candidates(chunk, seed) if "blank" in kinds else []
        if {"choice", "judge"} & set(kinds):
            found = facts(chunk, neighbours, self.chunks, self.corpus, self.near, seed, addressees)
            out += choice_candidates(chunk, found, seed) if "choice" in kinds else []
            out += judge_candidates(chunk, found, seed) if "judge" in kinds else []
        for listing in own_lists:
            if "multi" in kinds:
                out += multi_candidates(listing, self.lists, article_text, self.corpus, self.near, seed)
            if "judge" in kinds:
                out += list_judge_candidates(listing, self.lists, article_text, self.corpus, self.near, seed)
            if "choice" in kinds:
                out += list_choice_candidates(listing, self.lists, article_text, self.corpus, self.near, seed)
        return out + (short_candidates(chunk, self.corpus) if "short" in kinds else [])


def generate(chunks: list[Chunk], seed: int = 7, kinds=KINDS, embedder=None) -> tuple[list[QuizItem], GenerationReport]:
    """Every validated question the chunks yield, in a seed-determined order. With an embedder,
    wrong options are the candidates nearest in meaning; without, the seed picks among them."""
    chunks = [whole for whole, _parts in join_articles(chunks)]   # a list split over two chunks is asked whole
    bank, report = _Bank(chunks, seed, tuple(kinds), Nearness(embedder), "\n".join(c.text for c in chunks)), GenerationReport()
    by_source: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    for group in by_source.values():
        group.sort(key=lambda c: c.position)
        for c in group:
            key = (c.source, c.article or c.id)
            bank.articles[key] = bank.articles.get(key, "") + "\n" + c.text
    # every list of every document: a regulation's list of an enterprise's misconduct finds its wrong
    # options in the law's lists of the same role too
    bank.lists = [x for _, group in sorted(by_source.items())
                  for n, c in enumerate(group) for x in listings(c, group[n + 1] if n + 1 < len(group) else None)]
    items, seen = [], set()
    for source, group in sorted(by_source.items()):
        has_articles, addressees = any(c.article for c in group), _addressees(group)
        for i, chunk in enumerate(group):
            if has_articles and not chunk.article:
                continue   # a law's header lines (通过, 修正, 公布 dates) are its history, not its rules
            for item in bank.candidates(chunk, group[max(0, i - 4):i] + group[i + 1:i + 5], addressees):
                report.candidates[source] += 1
                reason = validate(item, bank.corpus) or ("duplicate" if item.id in seen else None)
                if reason:
                    report.rejected[source] += 1
                    report.reasons[reason] += 1
                    continue
                seen.add(item.id)
                items.append(item)
    if "short" in kinds:
        items += _every_article_asked(bank, items, report)
    _rng(seed, "order").shuffle(items)
    return items, report


def _every_article_asked(bank: _Bank, items: list[QuizItem], report: GenerationReport) -> list[QuizItem]:
    """简答 for the articles nothing else asks about, if only to recall them."""
    asked, added = {(i.source, i.article) for i in items}, []
    sentences = {k: [x for x in re.split(r"[。；\n]", text) if x] for k, text in bank.articles.items()}
    for chunk in bank.chunks:
        key = (chunk.source, chunk.article)
        if not chunk.article or key in asked:
            continue
        others = [x for k, own in sentences.items() if k != key for x in own]
        item = article_candidate(chunk, bank.articles[key], others)
        if item and not validate(item, bank.corpus):
            asked.add((chunk.source, chunk.article))
            added.append(item)
            report.candidates[chunk.source] += 1
    return added
