"""Answers: the extractive composer (default), the optional LLM path, and the one relevance
decision (bot/relevance.py) both go through.

The composer answers only with sentences copied from the retrieved passages, each followed by the
marker [n] of its passage, so every sentence of an answer can be found word for word in a citation.
Sentences are chosen by meaning (the question's e5 vector against the sentence vectors stored at
ingest) together with the question's words, so a paraphrased or English question still gets the
sentence that answers it, not the one that repeats its words. The answer starts with the best
sentence and stays short: at most one or two more that score nearly as well (calibrated). A list stays whole:
a lead sentence ending in "：" keeps the numbered items that follow it (the seven duties of 第二十一条).
"""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from ingest.numerals import from_chinese

from . import glossary, relevance
from .calibration import calibration
from .records import Answer, Citation
from .retrieval import Hit, Retrieval, Retriever
from .text import (LIST_ITEM, asks_for, asks_for_list, split_sentences, stated_amounts, states_figure,
                   within_stated_range, word_weights)

log = logging.getLogger(__name__)
UNAVAILABLE = "知识库暂时无法访问（存储服务没有响应），请稍后再试。"
NOT_FOUND = "知识库中没有找到与“{question}”相关的内容。"
NOT_STATED = "知识库的相关条文没有给出所问的{missing}。最相关的条文是：{labels}。"
EMPTY_QUESTION = "请输入一个问题，例如：“三个必须”具体指什么？"
LLM_FALLBACK = "模型的回答没有通过来源核对，以下为知识库原文摘录"
CUT_NOTICE = "问题过长，只使用了前 {limit} 个字。"
SCOPE_NOTICE = "只在「{scope}」中查找"
_FOLLOW_UP = re.compile(r"^(?:那|那么|还有|另外|其中|它|其|这|该|上述|此外|再|以及)|第[一二三四五六七八九十\d]+[个项条款]?呢|呢[？?]?$"
                        r"|^(?:违反|如果违反|不履行|没有履行)|^(?:why|what about|how about|and |then |so )|\b(?:it|they|them|that|this)\b", re.I)
_ORDINAL = re.compile(r"第([一二三四五六七八九十\d]{1,3})(?:个|项|点|种)")
_QUOTED_ITEM = re.compile(r"“[^“”]{2,60}”")
MAX_PASSAGES = 3
# Sources shown with an answer: the passages it quotes, then (unquoted, as 「另见」) the next best
# passages of the search up to this many, so a reader whose answer quoted the wrong provision can
# still check the nearby ones without asking again.
SHOWN_SOURCES = 3


def units(text: str) -> list[str]:
    """Sentences, with a lead sentence ending in ：kept together with the items it introduces."""
    sentences = split_sentences(text)
    return ["\n".join(sentences[a:b]) for a, b in unit_spans(sentences)]


def unit_spans(sentences: list[str]) -> list[tuple[int, int]]:
    """(first, end) sentence indexes of each unit: a sentence, or a list lead with its items. An item
    split at its own 「；」 (「（二）…当场予以纠正；对依法应当给予行政处罚的行为，…」) keeps its
    second half in the list."""
    spans: list[tuple[int, int]] = []
    for n, sentence in enumerate(sentences):
        if spans and _continues_list(sentences, *spans[-1], n):
            spans[-1] = (spans[-1][0], n + 1)
        else:
            spans.append((n, n + 1))
    return spans


def _continues_list(sentences: list[str], a: int, b: int, n: int) -> bool:
    has_items = any(LIST_ITEM.match(s) for s in sentences[a + 1:b])
    if LIST_ITEM.match(sentences[n]):
        return sentences[a].rstrip().endswith(("：", ":")) or has_items or (b - a > 1 and LIST_ITEM.match(sentences[n - 1]))
    return has_items and sentences[n - 1].rstrip().endswith(("；", ";"))


def item_groups(sentences: list[str], a: int, b: int) -> list[tuple[int, int]]:
    """The items of the list unit (a, b) after its lead, each with the sentences that continue it."""
    groups: list[tuple[int, int]] = []
    for n in range(a + 1, b):
        if groups and not LIST_ITEM.match(sentences[n]):
            groups[-1] = (groups[-1][0], n + 1)
        else:
            groups.append((n, n + 1))
    return groups


def _not_found(question: str, hits: list[Hit], notice: str) -> Answer:
    """The refusal, with at most three nearest passages labelled as possibly related."""
    related = [cite(n, h, []) for n, h in enumerate(hits[:3], 1)]
    return Answer(question, False, NOT_FOUND.format(question=question), related=related, notice=notice)


def join_units(chosen: list[str]) -> str:
    """Sentences run on; a line that ended without punctuation, and a list item, keep their line break."""
    out = ""
    for unit in chosen:
        if out and (not out.rstrip().endswith(tuple("。！？；!?;”")) or LIST_ITEM.match(unit)):
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
        elif isinstance(item, str):
            turns.append(item)
    return turns


def contextualize(question: str, history) -> str:
    """A follow-up (「那第二个专题呢？」, 「违反了怎么处罚？」) is searched together with the question before it."""
    previous = user_turns(history)
    if previous and (_FOLLOW_UP.search(question.strip()) or len(question.strip()) <= 4):
        return f"{previous[-1]} {question}"
    return question


class Answerer:
    def __init__(self, kb, retriever: Retriever | None = None, llm=None):
        self.kb = kb
        self.retriever = retriever or Retriever(kb)
        self.llm = llm

    def ask(self, question: str, history=None, k: int | None = None, scope: str = "") -> Answer:
        return self.respond(question, history, k, scope)[0]

    def respond(self, question: str, history=None, k: int | None = None, scope: str = ""
                ) -> tuple[Answer, list[Hit]]:
        """The answer and the ranked passages it was drawn from."""
        *_, final = self.stream(question, history, k, scope)
        return final

    def stream(self, question: str, history=None, k: int | None = None, scope: str = ""
               ) -> Iterator[str | tuple[Answer, list[Hit]]]:
        """Yield the answer's text as it grows (an LLM's reply), then (Answer, ranked passages).
        `scope` limits the answer to one document or category."""
        started = time.perf_counter()
        question, notice = self.prepare(question)
        if scope and question:
            notice = "；".join(filter(None, [notice, SCOPE_NOTICE.format(scope=scope)]))
        if not question:
            yield Answer(question="", found=False, answer=EMPTY_QUESTION, notice=notice), []
            return
        query = contextualize(question, history)
        try:
            found = self.retriever.retrieve(query, k or self.kb.settings.top_k, asked=question, scope=scope)
            verdict = relevance.decide(found)
        except Exception:  # noqa: BLE001 - a down Chroma server must not take the page with it
            log.exception("retrieval failed")
            yield Answer(question, False, UNAVAILABLE, notice=notice, unavailable=True), []
            return
        hits = found.hits
        if not verdict.found:
            answer = _not_found(question, hits, notice)
        elif self.llm is not None:
            passages, reply = self._passages(hits), ""
            for delta in self.llm.stream(question, passages):
                reply += delta
                yield reply
            answer = self.llm.check(question, reply, passages, notice) or self.compose(
                question, found, "；".join(filter(None, [notice, LLM_FALLBACK])))
        else:
            answer = self.compose(question, found, notice)
        if answer.found:
            verdict = relevance.check_stated(question, verdict, answer.answer)
            if verdict.outcome == "not_stated":
                answer = _not_stated(question, answer, verdict.missing)
        in_force(answer, self.retriever.snapshot())
        log.debug("relevance: %s (%s)", verdict.outcome, verdict.reason)
        answer.latency_ms = (time.perf_counter() - started) * 1000
        answer.revision = found.revision
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
        """The passages an answer may draw on: the articles asked for, else the best few (how many is
        calibrated: the best sentence is often in the second or third passage)."""
        articles = [h for h in hits if h.article_match]
        if articles:
            return articles[:MAX_PASSAGES]
        return hits[:calibration()["composer"]["passages"]]

    def compose(self, question: str, found: Retrieval, notice: str = "") -> Answer:
        passages = self._passages(found.hits)
        if passages[0].article_match:
            # The user named the article: it is the answer, whole.
            chosen = {id(h): units(h.chunk.text) for h in passages[:2]}
            order = passages[:2]
        else:
            chosen, order = self._choose(question, found, passages)
        citations, parts = [], []
        for hit in order:
            n = len(citations) + 1
            citations.append(cite(n, hit, chosen[id(hit)]))
            parts.append(join_units(chosen[id(hit)]) + f"[{n}]")
        if picked := self._pick_ordinal(question, citations[0]):
            return Answer(question, True, f"{picked}[1]", citations[:1], notice=notice)
        if not passages[0].article_match:   # an article asked for by number is the answer alone
            shown = {_provision(h) for h in order}
            for hit in found.hits:
                if len(citations) < SHOWN_SOURCES and _provision(hit) not in shown:
                    shown.add(_provision(hit))
                    citations.append(replace(cite(len(citations) + 1, hit, []), see_also=True))
        return Answer(question, True, "\n".join(parts), citations, notice=notice)

    def _choose(self, question: str, found: Retrieval, passages: list[Hit]) -> tuple[dict, list[Hit]]:
        """The best unit by meaning and words, and at most one more that scores nearly as well."""
        weights = self._term_weights(found.query)
        params = calibration()["composer"]
        figure_asked = asks_for(question) is not None
        # A question about one case of a list (「没培训就上岗怎么罚？」) gets the list's lead and the items
        # about it; a question for the list, or for its n-th item, gets it whole.
        margin = params.get("items", 1.0)
        whole_lists = asks_for_list(question) or _ORDINAL.search(question) is not None
        vectors = self._sentence_vectors(passages)
        amounts_stated = bool(stated_amounts(question))
        top = passages[0].score or 1.0
        scored = []   # (score, passage rank, first sentence, the pieces quoted)
        for rank, hit in enumerate(passages):
            sentences = hit.chunk.sentences()
            sims = vectors[hit.chunk.id] @ found.vector if found.vector is not None else np.zeros(len(sentences))
            if amounts_stated:   # the tier of a provision the question's own amount falls in
                sims = sims + params.get("range", 0.0) * np.array([within_stated_range(question, s) for s in sentences])
            for a, b in unit_spans(sentences):
                # a unit as quoted: whole, or a list cut to its lead and some items (each a piece of its own,
                # so every piece stays word for word in the passage)
                pieces = (["\n".join(sentences[a:b])] if whole_lists or b - a < 3
                          else _relevant_items(sentences, a, b, sims, margin))
                text = "\n".join(pieces)
                score = (float(sims[a:b].max()) + params["lexical"] * _coverage(text, weights)
                         + params["passage"] * hit.score / top
                         + params["figure"] * (figure_asked and states_figure(text, question)))
                scored.append((score, rank, a, pieces))
        if not scored:   # passages without sentences (only whitespace): quote the best one as it is
            return {id(passages[0]): [passages[0].chunk.text]}, passages[:1]
        scored.sort(key=lambda s: -s[0])
        best = scored[0]
        # the same words in two passages (「属于国家工作人员的，并依法给予处分；」) are quoted once
        seen: set[tuple[str, ...]] = set()
        unique = []
        for s in scored:
            if tuple(s[3]) not in seen:
                seen.add(tuple(s[3]))
                unique.append(s)
        keep = [best] + [s for s in unique[1:1 + params["extra"]] if s[0] >= best[0] - params["margin"]]
        order: list[Hit] = []
        for s in keep:
            if passages[s[1]] not in order:
                order.append(passages[s[1]])
        chosen = {id(h): [piece for s in sorted(keep, key=lambda s: s[2]) if passages[s[1]] is h for piece in s[3]]
                  for h in order}
        if len(order[0].chunk.text) <= params.get("whole", 0):
            # a short provision is quoted whole: its other sentence is often the rest of the answer
            # (「…必须出示有效的行政执法证件」 and, in the next one, 「…应当予以配合」)
            chosen[id(order[0])] = units(order[0].chunk.text)
        return chosen, order

    def _sentence_vectors(self, passages: list[Hit]) -> dict[str, np.ndarray]:
        """Stored at ingest (a whole article takes its parts' vectors); a passage without them (an
        old store) is embedded here once."""
        stored = self.kb.store.sentence_vectors([p.id for h in passages for p in h.parts or (h.chunk,)])
        out = {}
        for hit in passages:
            by_text = {s: v for p in hit.parts or (hit.chunk,) if len(stored.get(p.id, ())) == len(p.sentences())
                       for s, v in zip(p.sentences(), stored[p.id])}
            sentences = hit.chunk.sentences()
            out[hit.chunk.id] = (np.array([by_text[s] for s in sentences]) if all(s in by_text for s in sentences)
                                 else self.kb.embedder.passages(hit.chunk.sentence_embedding_texts()))
        return out

    @staticmethod
    def _pick_ordinal(question: str, citation: Citation) -> str | None:
        """「那第二个专题呢？」: the second item of the list the cited sentence gives."""
        m = _ORDINAL.search(question)
        n = from_chinese(m.group(1)) if m else None
        if not n:
            return None
        for unit in citation.used_sentences:
            items = _QUOTED_ITEM.findall(unit) or [line for line in unit.split("\n") if LIST_ITEM.match(line)]
            if len(items) >= max(n, 2):
                return items[n - 1]
        return None

    @staticmethod
    def _term_weights(query: str) -> dict[str, float]:
        """The question's own words, plus (at half weight) the source wording of any slogan it
        uses, so 「三个必须」 finds the sentence that spells the three out."""
        own = word_weights(query)
        expansion = word_weights(glossary.expand(query)[len(query):])
        return {**{w: v / 2 for w, v in expansion.items()}, **own} if own else expansion


def _provision(hit: Hit) -> tuple[str, str]:
    """What a source shows: an article (its chunks overlap) or a passage of a document without articles."""
    return hit.chunk.source, hit.chunk.article or hit.chunk.id


def _relevant_items(sentences: list[str], a: int, b: int, sims: np.ndarray, margin: float) -> list[str]:
    """A list unit (lead sentence, items) cut to its lead and the items whose similarity to the
    question is within `margin` of the best item's."""
    groups = item_groups(sentences, a, b)
    best = max(float(sims[i:j].max()) for i, j in groups)
    return [sentences[a]] + ["".join(sentences[i:j]) for i, j in groups if float(sims[i:j].max()) >= best - margin]


def _coverage(text: str, weights: dict[str, float]) -> float:
    total = sum(weights.values())
    return sum(w for word, w in weights.items() if word in text) / total if total else 0.0


def _not_stated(question: str, composed: Answer, missing: str) -> Answer:
    """The topic is covered, the figure or date asked is not: say so and cite the closest provisions."""
    labels = "、".join(f"{c.label}[{c.n}]" for c in composed.citations)
    closest = [replace(c, see_also=False) for c in composed.citations]   # all of them, none quoted
    return Answer(question, False, NOT_STATED.format(missing=missing, labels=labels), closest,
                  notice=composed.notice, outcome="not_stated", missing=missing)


def in_force(answer: Answer, snap) -> None:
    """Every citation carries its document's status and date; a cited provision a later one
    replaced (metadata.toml) says so, and the provision now in force is quoted after the others."""
    for c in answer.citations + answer.related:
        if info := snap.infos.get(c.source):
            c.status = info.dated()
    notes = []
    for c in list(answer.citations):
        relation = snap.superseded(c.source, c.article)
        if not relation:
            continue
        if c.see_also:   # not quoted, so neither is what replaced it: the source is only marked
            later = replacement_citation(0, relation, snap)
            c.superseded = f"已被{later.label if later else '后来的规定'}取代"
            continue
        replacement = next((r for r in answer.citations if r.source == relation["by"]
                            and r.article in relation["by_articles"]), None)   # already shown
        if replacement is None and (replacement := replacement_citation(len(answer.citations) + 1, relation, snap)):
            answer.citations.append(replacement)
        if replacement and answer.outcome == "answered" and not replacement.used_sentences:
            # what applies now, in its own words, under the old text (shown as 另见 before, quoted now)
            replacement.used_sentences, replacement.see_also = [replacement.text], False
            answer.answer += f"\n{replacement.text}[{replacement.n}]"
        c.superseded = f"已被{replacement.label if replacement else '后来的规定'}取代"
        where = f"，现行规定见 [{replacement.n}]" if replacement else ""
        notes.append(f"注意：{c.label}{c.superseded}（{relation['note']}）{where}。")
    if notes:
        answer.notice = "\n".join(filter(None, [answer.notice, *notes]))


def replacement_citation(n: int, relation: dict, snap) -> Citation | None:
    """The provision(s) in force that replaced a superseded one, as citation `n` (None when the
    replacing document is not in the knowledge base)."""
    wholes = [w for article in relation["by_articles"] if (w := snap.whole(relation["by"], article))]
    if not wholes:
        return None
    first = wholes[0]
    info = snap.infos.get(first.source)
    return Citation(n=n, source=first.source, title=first.title, section=" › ".join(first.section),
                    article="、".join(relation["by_articles"]), text="\n".join(w.text for w in wholes),
                    used_sentences=[],
                    score=0.0, chunk_id=first.id, status=info.dated() if info else "")


def cite(n: int, hit: Hit, used: list[str]) -> Citation:
    c = hit.chunk
    return Citation(n=n, source=c.source, title=c.title, section=" › ".join(c.section),
                    article=c.article, text=c.text, used_sentences=used,
                    score=round(hit.score, 4), chunk_id=c.id)
