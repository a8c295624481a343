"""Rebuild the shipped Word file 《应急局局长安全访谈稿》 from the sharing-site extract.

    python -m ingest.interview ../shared/corpus/interview_director_raw.txt data/应急局局长安全访谈稿.docx

The generic repairs (page cuts, site boilerplate) come from `cleaning`. The source's own
punctuation (half-width commas and colons, as the extract has them) is kept, so a phrase
quoted from the source is found in the knowledge base character for character.
What the extract lost and only a reader can restore, which lines are the questions
and where paragraphs start, is written down below; every entry must be found in the
cleaned text, so the outline cannot silently drift from the source.
"""
from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from . import cleaning

TITLE = "应急局局长安全访谈稿"
SUBTITLE = "谈话提纲222应急管理局局长"  # the source's own slip "222" is kept
HEADINGS = [
    (1, "1、请谈谈对习近平总书记提出的“生命至上,安全至上”的理解以及本她区如何结合实际贯彻落实?"),
    (2, "(1)对“生命至上,安全至上”的理解"),
    (2, "(2)结合我区实际贯彻落实情况"),
    (1, "2、习近平总书记提出的“三个必须”,请回答具体内容。结合分管行业领域实际,谈谈“三个必须”对促进工作的重要意义以及贯彻落实“三个必须”面临的困难。"),
    (1, "3.请谈谈对国务院开展安全生产专项整治三年行动主要任务的理解。分管行业领域的重大风险隐患有哪些?突出问题有哪些?主要的特点是什么?"),
]
PARAGRAPH_STARTS = [
    "安全发展作为一种先进理念", "强化组织领导", "坚持健全责任建体系", "坚持筑牢思想强防线",
    "三个必须:", "“三个必须”明确了", "同时,“三个必须”", "面临的困难:",
    "我区安全生产专项整治工作", "安全生产专项整治行动,",
]


def outline(raw: str) -> list[tuple[int, str]]:
    """(level, text) pairs: level 1–2 for headings, 0 for body paragraphs."""
    _, text = cleaning.clean_extracted(raw)
    text = text.replace("\n", "")
    if not text.startswith(SUBTITLE):
        raise ValueError("the extract no longer starts with the expected subtitle")
    text = text[len(SUBTITLE):]
    marks = [(text.find(h), level, h) for level, h in HEADINGS]
    marks += [(text.find(p), 0, "") for p in PARAGRAPH_STARTS]
    missing = [h or p for (pos, _, h), p in zip(marks, [h for _, h in HEADINGS] + PARAGRAPH_STARTS) if pos < 0]
    if missing:
        raise ValueError(f"outline entries not found in the extract: {missing}")
    marks.sort()
    items: list[tuple[int, str]] = []
    for i, (pos, level, heading) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if level:
            items.append((level, heading))
            if body := text[pos + len(heading):end]:
                items.append((0, body))
        else:
            items.append((0, text[pos:end]))
    return items


def build(raw_path: Path, out_path: Path) -> Path:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title, props.author = TITLE, ""
    props.created = props.modified = datetime(2021, 1, 1)
    document.add_paragraph(TITLE, style="Title")
    document.add_paragraph(SUBTITLE)
    for level, text in outline(raw_path.read_text(encoding="utf-8")):
        if level:
            document.add_heading(text, level=level)
        else:
            document.add_paragraph(text)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(out_path))
    return out_path


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m ingest.interview RAW.txt OUT.docx")
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))
