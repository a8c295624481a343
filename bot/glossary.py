"""Domain slogans and abbreviations users type, mapped to the words the sources use.

Only what no general method can know lives here: 「三个必须」 is what trainees say,
「管行业必须管安全…」 is what the law and the interview say. The entries, each with its reason,
are in `glossary.tsv`; paraphrase and other languages go through the embedder instead.
"""
from __future__ import annotations

import re
from functools import cache
from pathlib import Path

FILE = Path(__file__).with_name("glossary.tsv")

# Short names users give the documents (article look-ups such as 「应急条例第五条」).
ALIASES: dict[str, str] = {
    "安全生产法": "中华人民共和国安全生产法",
    "安法": "中华人民共和国安全生产法",
    "应急条例": "生产安全事故应急条例",
    "708号令": "生产安全事故应急条例",
    "事故报告和调查处理条例": "生产安全事故报告和调查处理条例",
    "调查处理条例": "生产安全事故报告和调查处理条例",
    "493号令": "生产安全事故报告和调查处理条例",
    "访谈稿": "应急局局长安全访谈稿",
    # the English names users give the shipped documents (matched as whole words, any case)
    "work safety law": "中华人民共和国安全生产法",
    "production safety law": "中华人民共和国安全生产法",
    "emergency response regulations": "生产安全事故应急条例",
    "regulations on emergency response": "生产安全事故应急条例",
    "regulation on emergency response": "生产安全事故应急条例",
    "emergency regulations": "生产安全事故应急条例",
    "accident reporting and investigation regulations": "生产安全事故报告和调查处理条例",
    "regulations on the reporting and investigation": "生产安全事故报告和调查处理条例",
    "accident reporting regulations": "生产安全事故报告和调查处理条例",
    "reporting and investigation regulations": "生产安全事故报告和调查处理条例",
}


@cache
def terms() -> dict[str, str]:
    out = {}
    for line in FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            term, words, _why = line.split("\t")
            out[term] = words
    return out


def _uses(question: str, term: str) -> bool:
    if term.isascii():   # English terms as whole words: "fine" must not fire inside "define"
        return re.search(rf"\b{re.escape(term)}\b", question, re.I) is not None
    return term in question


def expand(question: str) -> str:
    """The question followed by the source wording of every glossary term it uses."""
    extra = [words for term, words in terms().items() if _uses(question, term)]
    return " ".join([question, *extra])
