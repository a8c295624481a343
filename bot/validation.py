"""Is a generated item fit to show? Its answer stands in its passage, a blank is a figure or a term
and not a function word, and objective items have exactly the key they claim: a wrong option put
into the sentence gives a sentence the knowledge base nowhere says."""
from __future__ import annotations

import re

from .records import QuizItem
from .text import is_function_word

TRUE, FALSE = "正确", "错误"
BLANK = "____"
# 判断 on a list: 「“…负有下列职责”所列的各项中包括：…」
LIST_CLAIM = "”所列的各项中包括："
# 单选 on a list: three of its items and one from elsewhere, the one asked for
NOT_LISTED = "下列不属于该条所列的是"
_PUNCT = set("，。；：、？！“”（）()《》 \n")


def says(text: str, source: str) -> bool:
    """The source says the text word for word. A list's item is asked after its lead (「…处以罚款：发生
    一般事故的，处…」): each side of that colon must stand in the source."""
    return all(part in source for part in text.split("：") if part)


def validate(item: QuizItem, corpus: str) -> str | None:
    """None when the item may be shown, else the reason it is rejected."""
    check = _CHECKS.get(item.kind)
    return check(item, corpus) if check else f"unknown kind {item.kind}"


def _blank(item: QuizItem, corpus: str) -> str | None:
    answer = item.answer
    if not answer or set(answer) <= _PUNCT or is_function_word(answer):
        return "trivial blank"
    if len(answer) == 1 and not re.fullmatch(r"\d|[一二两三四五六七八九十]", answer):
        return "trivial blank"
    if item.sentence.count(BLANK) != 1 or not says(item.sentence.replace(BLANK, answer), item.passage):
        return "answer not in passage"
    return None


def _choice(item: QuizItem, corpus: str) -> str | None:
    if NOT_LISTED in item.question:
        outside = [o for o in item.options if o not in item.passage]
        return None if outside == [item.answer] and len(set(item.options)) == 4 else "not exactly one correct option"
    reason = _blank(item, corpus)
    if reason:
        return reason
    truths = [o for o in item.options if says(item.sentence.replace(BLANK, o), corpus)]
    if truths != [item.answer] or len(set(item.options)) != 4:
        return "not exactly one correct option"
    return None


def _multi(item: QuizItem, corpus: str) -> str | None:
    key, options = item.key_points, item.options
    if not 4 <= len(set(options)) == len(options) <= 5 or not 2 <= len(key) <= 4 or not set(key) < set(options):
        return "not 2–4 correct of 4–5 options"
    if not all(o in item.passage for o in key):
        return "key point not in passage"
    if any(o in item.passage for o in options if o not in key):
        return "a wrong option the passage says"
    return None


def _judge(item: QuizItem, corpus: str) -> str | None:
    statement = item.sentence
    if LIST_CLAIM in statement:
        said = statement.split(LIST_CLAIM, 1)[1]
        if (item.answer == TRUE) != (said in item.passage):
            return "a false statement the knowledge base says"
        return None
    if not says(item.key_points[0], item.passage):
        return "answer not in passage"
    if (item.answer == FALSE) == says(statement, corpus):
        return "a false statement the knowledge base says"
    return None


def _free(item: QuizItem, corpus: str) -> str | None:
    if not all(point in item.passage for point in item.key_points):
        return "key point not in passage"
    if item.kind == "enumeration" and len(item.key_points) < 2:
        return "fewer than two items"
    return None


_CHECKS = {"blank": _blank, "choice": _choice, "multi": _multi, "judge": _judge, "enumeration": _free,
           "short": _free}
