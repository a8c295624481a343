"""A conversation handed on: plain text (the CLI and the copy button), Markdown and Word.

Every form carries the same facts: each question, the answer with its [n] markers and, under
it, the numbered sources (document, article, the sentences quoted), so a reader of the record
can check each sentence without the app.
"""
from __future__ import annotations

import io
import re
import time

from .records import Answer, Citation

TITLE = "安全知识库问答记录"
# Word's XML cannot hold these; a pasted question or a PDF's text may carry them
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def plain_text(answer: Answer) -> str:
    lines = [answer.notice] if answer.notice else []
    lines.append(answer.answer)
    if answer.citations:
        lines.append("\n最相关的条文：" if answer.outcome == "not_stated" else "\n来源：")
        lines += [f"[{c.n}] {_label(c)}（{_where(c, section=False)}）" for c in answer.citations]
    elif answer.related:
        lines.append("\n可能相关的段落（不是答案，仅供参考）：")
        lines += [f"- {c.label}：{c.text[:60]}…" for c in answer.related]
    return "\n".join(lines)


def _where(citation: Citation, section: bool = True) -> str:
    """File, section, status and date, and whether a later provision replaced it."""
    parts = [citation.source, citation.section if section else "", citation.status, citation.superseded]
    return " · ".join(filter(None, parts))


def _label(citation: Citation) -> str:
    return f"另见：{citation.label}" if citation.see_also else citation.label


def _heading(answer: Answer) -> str:
    return "最相关的条文" if answer.outcome == "not_stated" else "来源"


def markdown(answers: list[Answer], title: str = TITLE, now: float | None = None) -> str:
    lines = [f"# {title}", "", f"导出时间：{_date(now)}", ""]
    for i, answer in enumerate(answers, 1):
        lines += [f"## 问题 {i}：{answer.question}", ""]
        if answer.notice:
            lines += [f"*{answer.notice}*", ""]
        lines += [answer.answer.replace("\n", "  \n"), ""]
        if answer.citations:
            lines += [f"**{_heading(answer)}**", ""]
            for c in answer.citations:
                lines.append(f"{c.n}. {_label(c)}（{_where(c)}）")
                lines += [f"   > {s}" for s in c.used_sentences]
            lines.append("")
    return "\n".join(lines)


def docx_bytes(answers: list[Answer], title: str = TITLE, now: float | None = None) -> bytes:
    from docx import Document
    from docx.shared import Pt

    document = Document()

    def add(text: str, style: str | None = None):
        return document.add_paragraph(_CONTROL.sub("", text), style=style)

    document.add_heading(_CONTROL.sub("", title), level=0)
    add(f"导出时间：{_date(now)}")
    for i, answer in enumerate(answers, 1):
        document.add_heading(_CONTROL.sub("", f"问题 {i}：{answer.question}"), level=2)
        if answer.notice:
            add(answer.notice).runs[0].italic = True
        for line in answer.answer.split("\n"):
            add(line)
        if not answer.citations:
            continue
        document.add_paragraph().add_run(_heading(answer)).bold = True
        for c in answer.citations:
            add(f"[{c.n}] {_label(c)}（{_where(c)}）")
            for sentence in c.used_sentences:
                add(sentence, style="Quote").runs[0].font.size = Pt(10)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _date(now: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() if now is None else now))
