"""Blocks → Chunks that follow the document's own structure.

Headings come from Word styles and Markdown first, then from Chinese numbering,
ranked from the outside in: 第X编 › 第X章 › 第X节 › 第X条 › 一、 › （一） › 1、 › （1）.
A law article is one chunk unless it is long; long sections split at sentence ends
with a small sentence overlap, never mid-sentence (a sentence longer than a chunk is
cut at a comma, and only failing that at the size limit).

Inside an article, enumerated lines (（一）…（七）) are the article's content, not headings:
that is how the seven duties of 第二十一条 stay together.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .cleaning import split_sentences
from .numerals import CHINESE_NUMERAL_CHARS, from_chinese
from .records import Chunk, Document

_N = f"[{CHINESE_NUMERAL_CHARS}0-9０-９]+"
ARTICLE = re.compile(rf"^第({_N})条")
ARTICLE_RANK = 13
# (pattern, rank); a numbered line is a heading only when it reads like one (see _is_heading_line).
_NUMBERED = [
    (re.compile(rf"^第{_N}编"), 10),
    (re.compile(rf"^第{_N}章"), 11),
    (re.compile(rf"^第{_N}节"), 12),
    (re.compile(r"^[一二三四五六七八九十]{1,3}[、.．]"), 14),
    (re.compile(r"^[（(][一二三四五六七八九十]{1,3}[）)]"), 15),
    (re.compile(r"^\d{1,2}[、.．](?!\d)"), 16),
    (re.compile(r"^[（(]\d{1,2}[）)]"), 17),
]
HEADING_MAX_CHARS = 40
QUESTION_MAX_CHARS = 120


@dataclass
class _Unit:
    path: tuple[str, ...]
    article: str | None
    lines: list[str] = field(default_factory=list)
    heading_only: bool = False


def chunk_document(doc: Document, max_chars: int = 400, overlap: int = 1) -> list[Chunk]:
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    units = list(_units(doc))
    # A heading with nothing under it is content too; one with sections below lives in their paths.
    parents = {u.path[:i] for u in units if not u.heading_only for i in range(1, len(u.path) + 1)}
    for unit in units:
        if unit.heading_only and unit.path in parents:
            continue
        text = "\n".join(unit.lines)
        for piece in split_text(text, max_chars, overlap):
            key = "\x1f".join((doc.source, *unit.path, piece))
            seen[key] = seen.get(key, 0) + 1
            digest = hashlib.sha1(f"{key}\x1f{seen[key]}".encode()).hexdigest()[:20]
            article_no = from_chinese(ARTICLE.match(unit.article).group(1)) if unit.article else None
            chunks.append(Chunk(id=digest, source=doc.source, title=doc.title, section=unit.path,
                                article=unit.article, article_no=article_no,
                                position=len(chunks), text=piece))
    return chunks


def _units(doc: Document):
    stack: list[tuple[int, str]] = []
    unit = _Unit((), None)
    for block in doc.blocks:
        text = block.text.strip()
        rank = block.level if block.kind == "heading" else _heading_rank(text, stack)
        article = ARTICLE.match(text) if block.kind == "paragraph" else None
        if rank is None and article:
            rank = ARTICLE_RANK
        if rank is None:
            unit.lines.append(text)
            continue
        if unit.lines:
            yield unit
        elif unit.path:
            yield _Unit(unit.path, unit.article, [unit.path[-1]], heading_only=True)
        while stack and stack[-1][0] >= rank:
            stack.pop()
        if article:
            stack.append((rank, article.group(0)))
            unit = _Unit(tuple(h for _, h in stack), article.group(0), [text])
        else:
            stack.append((rank, text))
            unit = _Unit(tuple(h for _, h in stack), _current_article(stack))
    if unit.lines:
        yield unit
    elif unit.path:
        yield _Unit(unit.path, unit.article, [unit.path[-1]], heading_only=True)


def _current_article(stack) -> str | None:
    return next((h for r, h in reversed(stack) if r == ARTICLE_RANK), None)


def _heading_rank(text: str, stack) -> int | None:
    in_article = any(r == ARTICLE_RANK for r, _ in stack)
    for pattern, rank in _NUMBERED:
        if pattern.match(text):
            if in_article and rank > ARTICLE_RANK:
                return None
            return rank if _is_heading_line(text) else None
    return None


def _is_heading_line(text: str) -> bool:
    if len(text) <= HEADING_MAX_CHARS and not re.search(r"[。；;]$", text) and "。" not in text:
        return True
    return len(text) <= QUESTION_MAX_CHARS and text.rstrip().endswith(("？", "?"))


def split_text(text: str, max_chars: int, overlap: int = 1) -> list[str]:
    """Exact slices of `text`, each ≤ max_chars where sentences allow, consecutive ones
    sharing up to `overlap` sentences. Slices start and end on sentence boundaries."""
    return [text[a:b].strip("\n") for a, b in split_spans(text, max_chars, overlap)]


def split_spans(text: str, max_chars: int, overlap: int = 1) -> list[tuple[int, int]]:
    if len(text) <= max_chars:
        return [(0, len(text))]
    spans = _sentence_spans(text, max_chars)
    pieces, start = [], 0
    while start < len(spans):
        end = start
        while end + 1 < len(spans) and spans[end + 1][1] - spans[start][0] <= max_chars:
            end += 1
        pieces.append((spans[start][0], spans[end][1]))
        if end + 1 >= len(spans):
            break
        back = min(overlap, end - start)
        # Overlap only when the shared sentences leave room for something new.
        while back and spans[end + 1][1] - spans[end + 1 - back][0] > max_chars:
            back -= 1
        start = end + 1 - back
    return pieces


def _sentence_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for sentence in split_sentences(text):
        start = text.index(sentence, pos)
        end = start + len(sentence)
        spans += _cut_long(text, start, end, max_chars)
        pos = end
    return spans


def _cut_long(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    if end - start <= max_chars:
        return [(start, end)]
    out, a = [], start
    while end - a > max_chars:
        window = text[a:a + max_chars]
        comma = max(window.rfind("，"), window.rfind(","), window.rfind("、"))
        b = a + (comma + 1 if comma > max_chars // 3 else max_chars)
        out.append((a, b))
        a = b
    out.append((a, end))
    return out
