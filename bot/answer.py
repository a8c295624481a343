"""Answers: the extractive composer (default) and the checks any answer goes through.

The composer answers only with sentences copied from the retrieved passages, each
followed by the marker [n] of its passage, so every sentence of an answer can be found
word for word in a citation. A list stays whole: a lead sentence ending in "：" keeps
the numbered items that follow it (the seven duties of 第二十一条).
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

from ingest.cleaning import split_sentences
from ingest.numerals import from_chinese

from . import glossary
from .records import Answer, Citation
from .retrieval import Hit, Retriever, word_weights

log = logging.getLogger(__name__)
UNAVAILABLE = "知识库暂时无法访问（存储服务没有响应），请稍后再试。"
NOT_FOUND = "知识库中没有找到与“{question}”相关的内容。"
EMPTY_QUESTION = "请输入一个问题，例如：“三个必须”具体指什么？"
LLM_FALLBACK = "模型的回答没有通过来源核对，以下为知识库原文摘录"
CUT_NOTICE = "问题过长，只使用了前 {limit} 个字。"
_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[、.．](?!\d)|[①-⑳])")
_FOLLOW_UP = re.compile(r"^(?:那|那么|还有|另外|其中|它|其|这|该|上述|此外|再|以及)|第[一二三四五六七八九十\d]+[个项条款]?呢|呢[？?]?$"
                        r"|^(?:违反|如果违反|不履行|没有履行)|^(?:why|what about|and )", re.I)
# 「多少亿元」「几起」: the unit a quantity question asks for, and the units that answer it.
_ASKED_UNIT = re.compile(r"(?:多少|(?<!哪)几)(个|人|次|起|册|日|天|小时|年|元|万元|亿元|钱|项|条|倍|名|家)")
_UNIT_ANSWERS = {"天": "天|日", "日": "日|天", "钱": "元"}
_NUMBER = "[0-9０-９零〇一二两三四五六七八九十百千万亿]"
_ORDINAL = re.compile(r"第([一二三四五六七八九十\d]{1,3})(?:个|项|点|种)")
_QUOTED_ITEM = re.compile(r"“[^“”]{2,60}”")
MAX_PASSAGES = 3


def units(text: str) -> list[str]:
    """Sentences, with a lead sentence ending in ：kept together with the items it introduces."""
    out: list[str] = []
    for sentence in split_sentences(text):
        if out and _ITEM.match(sentence) and (out[-1].rstrip().endswith(("：", ":")) or "\n" in out[-1]
                                               and _ITEM.match(out[-1].split("\n")[-1])):
            out[-1] = f"{out[-1]}\n{sentence}"
        else:
            out.append(sentence)
    return out


def _not_found(question: str, hits: list[Hit], notice: str) -> Answer:
    """The refusal, with at most three nearest passages labelled as possibly related."""
    related = [cite(n, h, []) for n, h in enumerate(hits[:3], 1)]
    return Answer(question, False, NOT_FOUND.format(question=question), related=related, notice=notice)


def _gives_asked_quantity(question: str, text: str) -> bool:
    """A question for 「多少亿元」 is only answered by a sentence with a number in 亿元."""
    m = _ASKED_UNIT.search(question)
    if not m:
        return True
    units = _UNIT_ANSWERS.get(m.group(1), m.group(1))
    return bool(re.search(f"{_NUMBER}+(?:余|多)?\\s*(?:{units})", text))


def join_units(chosen: list[str]) -> str:
    """Sentences run on; a line that ended without punctuation keeps its line break."""
    out = ""
    for unit in chosen:
        if out and not out.rstrip().endswith(tuple("。！？；!?;”")):
            out += "\n"
        out += unit
    return out


def user_turns(history) -> list[str]:
    """The user's questions so far, from Gradio messages or (question, answer) pairs."""
    turns = []
    for item in history or []:
        if isinstance(item, dict):
            if item.get("role") == "user" and isinstance(item.get("content"), str):
                turns.append(item["content"])
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            turns.append(item[0])
    return turns


def contextualize(question: str, history) -> str:
    """A follow-up (「那第二个专题呢？」, 「违反了怎么处罚？」) is searched together with the question before it."""
    previous = user_turns(history)
    if previous and (_FOLLOW_UP.search(question.strip()) or len(question.strip()) <= 6):
        return f"{previous[-1]} {question}"
    return question


class Answerer:
    def __init__(self, kb, retriever: Retriever | None = None, llm=None):
        self.kb = kb
        self.retriever = retriever or Retriever(kb)
        self.llm = llm

    def ask(self, question: str, history=None, k: int | None = None) -> Answer:
        return self.respond(question, history, k)[0]

    def respond(self, question: str, history=None, k: int | None = None) -> tuple[Answer, list[Hit]]:
        """The answer and the ranked passages it was drawn from."""
        *_, final = self.stream(question, history, k)
        return final

    def stream(self, question: str, history=None, k: int | None = None) -> Iterator[str | tuple[Answer, list[Hit]]]:
        """Yield the answer's text as it grows (an LLM's reply), then (Answer, ranked passages)."""
        started = time.perf_counter()
        question, notice = self.prepare(question)
        if not question:
            yield Answer(question="", found=False, answer=EMPTY_QUESTION, notice=notice), []
            return
        query = contextualize(question, history)
        try:
            hits = self.retriever.search(query, k or self.kb.settings.top_k)
            relevance = self.retriever.relevance(query, hits)
        except Exception:  # noqa: BLE001 - a down Chroma server must not take the page with it
            log.exception("retrieval failed")
            yield Answer(question, False, UNAVAILABLE, notice=notice, unavailable=True), []
            return
        if not relevance.found:
            answer = _not_found(question, hits, notice)
        elif self.llm is not None:
            passages, reply = self._passages(hits), ""
            for delta in self.llm.stream(question, passages):
                reply += delta
                yield reply
            answer = self.llm.check(question, reply, passages, notice) or self.compose(
                question, query, hits, "；".join(filter(None, [notice, LLM_FALLBACK])))
        else:
            answer = self.compose(question, query, hits, notice)
            if not _gives_asked_quantity(question, answer.answer):
                answer = _not_found(question, hits, notice)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        yield answer, hits

    def prepare(self, question: str) -> tuple[str, str]:
        """Collapse whitespace, cut an over-long question (with a notice); nothing askable → ""."""
        question = re.sub(r"\s+", " ", question or "").strip()
        if not re.search(r"[^\W_]", question):       # only punctuation, symbols or emoji
            return "", ""
        limit = self.kb.settings.max_question_chars
        if len(question) > limit:
            return question[:limit], CUT_NOTICE.format(limit=limit)
        return question, ""

    @staticmethod
    def _passages(hits: list[Hit]) -> list[Hit]:
        """The passages an answer may draw on: the articles asked for, else those close to the best."""
        articles = [h for h in hits if h.article_match]
        if articles:
            return articles[:MAX_PASSAGES]
        keep = [h for h in hits if h.score >= 0.6 * hits[0].score]
        return keep[:MAX_PASSAGES]

    def compose(self, question: str, query: str, hits: list[Hit], notice: str = "") -> Answer:
        passages = self._passages(hits)
        weights = self._term_weights(query)
        scored = [[(self._score(u, weights), u) for u in units(h.chunk.text)] for h in passages]
        best = max((s for group in scored for s, _ in group), default=0.0)
        citations, parts = [], []
        for rank, (hit, group) in enumerate(zip(passages, scored)):
            if hit.article_match and "第" in question and "条" in question:
                chosen = [u for _, u in group]
            else:
                local = max((s for s, _ in group), default=0.0)
                floor = 0.6 * local if rank == 0 else max(0.6 * local, 0.9 * best)
                chosen = [u for s, u in group if s > 0 and s >= floor]
            if not chosen:
                continue
            n = len(citations) + 1
            citations.append(cite(n, hit, chosen))
            parts.append(join_units(chosen) + f"[{n}]")
        if citations and (picked := self._pick_ordinal(question, citations[0])):
            return Answer(question, True, f"{picked}[1]", citations[:1], notice=notice)
        if not citations:  # nothing scored: the best passage's opening is still the answer
            hit = passages[0]
            first = units(hit.chunk.text)[:2]
            citations, parts = [cite(1, hit, first)], [join_units(first) + "[1]"]
        return Answer(question, True, "\n".join(parts), citations, notice=notice)

    @staticmethod
    def _pick_ordinal(question: str, citation: Citation) -> str | None:
        """「那第二个专题呢？」: the second item of the list the cited sentence gives."""
        m = _ORDINAL.search(question)
        n = from_chinese(m.group(1)) if m else None
        if not n:
            return None
        for unit in citation.used_sentences:
            items = _QUOTED_ITEM.findall(unit) or [line for line in unit.split("\n") if _ITEM.match(line)]
            if len(items) >= max(n, 2):
                return items[n - 1]
        return None

    @staticmethod
    def _term_weights(query: str) -> dict[str, float]:
        """The question's own words, plus (at half weight) the source wording of any slogan it
        uses, so 「三个必须」 finds the sentence that spells the three out; an English question
        has only the glossary's words."""
        own = word_weights(query)
        expansion = word_weights(glossary.expand(query)[len(query):])
        return {**{w: v / 2 for w, v in expansion.items()}, **own} if own else expansion

    @staticmethod
    def _score(unit: str, weights: dict[str, float]) -> float:
        return sum(w for word, w in weights.items() if word in unit)


def cite(n: int, hit: Hit, used: list[str]) -> Citation:
    c = hit.chunk
    return Citation(n=n, source=c.source, title=c.title, section=" › ".join(c.section),
                    article=c.article, text=c.text, used_sentences=used,
                    score=round(hit.score, 4), chunk_id=c.id)
