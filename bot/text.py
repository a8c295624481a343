"""Text as the bot reads it, in one place: tokens, content words and their rarity, sentences,
figures, the question's language and what kind of fact it asks for.

Retrieval, the composer, the "does the knowledge base answer this?" decision, the LLM check and
the quiz all read text through these functions, so a rule changes everywhere at once.
"""
from __future__ import annotations

import logging
import math
import re
import unicodedata
from functools import cache

from ingest.cleaning import split_sentences  # noqa: F401 - the bot reads sentences through this module
from ingest.numerals import from_chinese


CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{CJK}]+|[a-z0-9]+")

# The closed class of words that ask rather than say what is asked about: interrogatives, sentence
# particles and the politeness around a question. They are grammar, not topic, so they never count as
# evidence a passage must contain. (Open-class words such as 条件 or 我们 do not belong here.)
QUESTION_WORDS = (
    "什么 为什么 为何 哪些 哪个 哪几个 哪几 哪里 哪儿 哪 几个 几 多少 多久 多长时间 多大 多高 怎么样 怎么办 怎么 怎样 咋办 咋 "
    "如何 是否 能否 能不能 可不可以 可以吗 要不要 用不用 算不算 有没有 是不是 谁 何时 啥时候 啥 吗 呢 吧 啊 呀 嘛 请问 请 一下"
).split()
_QUESTION_WORD_SET = set(QUESTION_WORDS)
# Function words jieba returns as words of their own; like question words they carry no topic.
_FUNCTION_WORDS = set("的 地 得 了 着 过 是 在 和 与 及 或 对 把 被 给 就 都 也 还 又 要 会 能 有 这 那 之 其 我 你 他 她 它".split())
UNKNOWN_RARITY = 12.0


def tokens(text: str) -> list[str]:
    """Character bigrams of Chinese runs (no dictionary, so 三管三必须 or 一岗双责 are never cut the
    wrong way) and whole Latin/digit words."""
    text = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for run in _RUN.findall(text):
        if run[0].isascii() or len(run) == 1:
            out.append(run)
        else:
            out += [run[i:i + 2] for i in range(len(run) - 1)]
    return out


def is_function_word(word: str) -> bool:
    """A question word or a grammatical word: never evidence, never worth a quiz blank."""
    return word in _FUNCTION_WORDS or word in _QUESTION_WORD_SET


def strip_question_words(text: str) -> str:
    """The question with its question words replaced by a break, so no bigram spans them. Only whole
    words go (jieba's), so 申请 keeps its 请 and 统一下发 its 一下."""
    import jieba

    _general_frequencies()   # loads jieba quietly once
    return "".join(" " if word in _QUESTION_WORD_SET else word for word in jieba.lcut(text))


def content_words(text: str) -> list[str]:
    import jieba

    _general_frequencies()   # loads jieba quietly once
    return [w for w in dict.fromkeys(jieba.lcut(strip_question_words(text)))
            if w not in _FUNCTION_WORDS and re.search(f"[{CJK}]", w)]


def word_tokens(text: str) -> set[str]:
    """Bigrams inside jieba's words and whole Latin words, without function words: 「事故发生的原因和
    事故性质」 gives 原因 and 性质 but not 的原 or 因和, whose chance matches made a reworded answer
    look unlike its reference. Single-character words (罚, 查) are kept whole."""
    import jieba

    from .crosslingual import FUNCTION_WORDS as ENGLISH_FUNCTION_WORDS

    _general_frequencies()   # loads jieba quietly once
    out: set[str] = set()
    for word in jieba.lcut(unicodedata.normalize("NFKC", text).lower()):
        word = word.strip()
        if word and word not in _FUNCTION_WORDS and word not in ENGLISH_FUNCTION_WORDS:
            out.update(_stem(t) for t in (tokens(word) if len(word) > 1 else [word] if _RUN.fullmatch(word) else []))
    return out


def _stem(token: str) -> str:
    """An English word without its inflection (trained, training, trains → train; companies →
    company; measures → measure); others as they are."""
    if not (token.isascii() and token.isalpha() and len(token) > 4):
        return token
    if token.endswith("ies"):
        return token[:-3] + "y"
    if re.search(r"(?:s|x|z|ch|sh)es$", token):
        return token[:-2]
    if token.endswith("s") and not re.search(r"(?:ss|us|is)$", token):
        return token[:-1]
    return re.sub(r"(?:ing|ed)$", "", token)


def load_dictionary() -> None:
    """Load jieba's dictionary now rather than on the first question."""
    _general_frequencies()


@cache
def _general_frequencies() -> tuple[dict, int]:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.dt.FREQ, jieba.dt.total


def word_frequency(word: str) -> int:
    """How often jieba's general-Chinese dictionary has seen the word."""
    return _general_frequencies()[0].get(word, 0)


def rarity(word: str) -> float:
    """-log of the word's frequency in jieba's general-Chinese dictionary; unknown words count as rare."""
    freq, total = _general_frequencies()
    count = freq.get(word, 0)
    return math.log(total / (count + 1)) if count else UNKNOWN_RARITY


def word_weights(text: str) -> dict[str, float]:
    """The content words of `text`, each weighted by its rarity in general Chinese."""
    return {w: rarity(w) for w in content_words(text)}


def is_english(text: str) -> bool:
    """Written mostly in English words: an English question may quote a Chinese term (「What is
    三同时?」), a Chinese one may name a product (「Python里怎么读取Excel文件？」). Words are counted,
    not letters: a Chinese word is about two characters."""
    latin = len(re.findall(r"[A-Za-z]+", text))
    return latin > len(re.findall(f"[{CJK}]", text)) / 2


# --- figures -----------------------------------------------------------------------------

_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
_FIGURE = re.compile(rf"(?:\d+(?:[.,]\d+)*|[{_NUMERAL}]+)(?:\s*[万亿])?")
# Measure words and units a figure is counted in; a numeral before one of them states a quantity.
UNITS = "个人名次起件项条日天月年周小时分钟秒元万亿倍家户处座吨米台辆层%％"
_STATED = re.compile(rf"(?:\d+|[{_NUMERAL}]+)\s*(?:多|余)?\s*(?:[{UNITS}]|小时|分钟|周岁|百分|以上|以下|以内)"
                     rf"|百分之[{_NUMERAL}]+")
_COMPARATORS = re.compile(r"^(?:以上|以下|以内|之内|之日|左右|多|余|不足|超过|至|到|、|，|,|-|—|～|~)")
# Asking for a quantity or a time: 多少 / 几 + a measure word, how many/much/long, the amount of a fine.
# English "when" asks a time only where a question word stands, first ("what must I do when …" does not).
_ASKS_QUANTITY = re.compile(r"多少|(?<![哪十百千好])几(?!乎)|多久|多长|数额|金额|how (?:many|much|long|often)|what (?:is|was|are) the (?:fine|amount|penalty|number)", re.I)
_ASKS_TIME = re.compile(r"何时|什么时候|啥时候|哪一?年|哪一?天|哪月|几月|几号|日期|时间是|^\W*when\b|what date|what year", re.I)


# Questions for a quantity in a unit (多少天, 几年, 多少名): the unit a stated figure must carry, with
# the units Chinese uses interchangeably for it. 个 is left out: it counts anything.
_ASKED_UNIT = re.compile(r"(?:多少|(?<![哪十百千好])几)\s*(小时|分钟|学时|公里|平方米|立方米|万元|亿元|周岁|方面|[名人位次起件项条种类点日天月年周岁倍家户处座吨米台辆层元钱块])")
# 几项 / 多少种 / 哪几个方面 are answered by a list as well as by a number
_COUNTED_BY_LIST = {"项", "条", "种", "类", "点", "方面"}
# A numbered item at the start of a line: （一） (1) 一、 1. ①
LIST_ITEM = re.compile(r"^\s*(?:[（(][一二三四五六七八九十\d]{1,3}[）)]|[一二三四五六七八九十]{1,3}、|\d{1,2}[、.．](?!\d)|[①-⑳])",
                       re.M)
_SAME_UNIT = {"天": "日|天|小时", "日": "日|天|小时", "名": "名|人", "人": "名|人", "位": "名|人|位", "岁": "岁|周岁",
              "周岁": "岁|周岁", "钱": "元", "块": "元", "万元": "元", "亿元": "元", "次": "次|回"}
# Money asked for without a unit word (罚多少, 奖金是多少, how much is the fine): answered only in 元.
_ASKS_MONEY = re.compile(r"罚|奖金|奖励|补助|补偿|赔偿|抚恤|费用|钱|fine|penalt|compensation|how much (?!time)", re.I)
# The kind of money asked about: an amount in 元 answers it only when the clause stating the amount
# names the same kind (the 5000万元 of an accident's economic loss is not a 补助金, 罚款 is not 奖金).
_MONEY_KINDS = [(re.compile(r"罚|fine|penalt", re.I), "罚"),
                (re.compile(r"奖|reward|bonus", re.I), "奖"),
                (re.compile(r"补助|补偿|赔偿|抚恤|compensation|subsid", re.I), "补助|补偿|赔偿|抚恤|保险"),
                (re.compile(r"费用|fee|cost", re.I), "费")]
# An amount of money: in 元, or a share of an income (处上一年年收入百分之四十的罚款).
_AMOUNT = re.compile(rf"(?:\d+|[{_NUMERAL}]+)\s*(?:万|亿)?元|百分之[{_NUMERAL}]+|\d+(?:\.\d+)?\s*[%％]")
# How long or how often (多久, 多长时间, how often): answered by a figure in a unit of time, or by a
# recurring period (每年, 每季度).
_ASKS_DURATION = re.compile(r"多久|多长时间|多少时间|多长期限|how long|how often|how much time", re.I)
_TIME_UNITS = "小时|分钟|工作日|日|天|周|星期|个月|月|季度|年"
_STATES_PERIOD = re.compile(r"每(?:个)?(?:年|季度|月|周|星期|日|天)")   # 定期 says no how often
# A date asked for an event (施行, 通过, 公布, 修正): the date counts only in a sentence naming that
# event; the dates a law's header lists belong to the other events.
_DATE_EVENTS = [(re.compile(r"施行|实施|生效|take effect|took effect|effective|in force", re.I), "施行|实施|生效"),
                (re.compile(r"通过|adopted|passed", re.I), "通过"),
                (re.compile(r"公布|发布|颁布|promulgat|publish|issued", re.I), "公布|发布|颁布"),
                (re.compile(r"修正|修订|修改|amend|revis", re.I), "修正|修订|修改")]
# English questions name the unit in words (how many days, the distance in meters).
_ENGLISH_UNITS = [(re.compile(r"\b(?:days?)\b", re.I), "日|天"), (re.compile(r"\bhours?\b", re.I), "小时|学时"),
                  (re.compile(r"\b(?:years?)\b", re.I), "年"), (re.compile(r"\bmonths?\b", re.I), "月"),
                  (re.compile(r"\b(?:met(?:er|re)s?)\b", re.I), "米"), (re.compile(r"\b(?:tons?|tonnes?)\b", re.I), "吨"),
                  (re.compile(r"\b(?:yuan|rmb)\b", re.I), "元"),
                  (re.compile(r"\bhow many (?:\w+ ){0,2}(?:people|persons|workers|employees|staff|personnel|"
                              r"inspectors|officers|officials|members|trainees|managers|rescuers|deaths|fatalities)\b",
                              re.I), "人|名")]
_ENGLISH_UNIT_ASK = re.compile(r"how (?:many|much|long)|in (?:days|hours|years|months|met(?:er|re)s|tons|yuan)", re.I)
_DATE_ASKED = {"day": re.compile(r"哪一?天|几月几[日号]|什么日子|what date|which day", re.I),
               "year": re.compile(r"哪一?年|what year|which year", re.I)}
_DATE_STATED = {"day": re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日"),
                "year": re.compile(r"\d{4}\s*年")}


# A contact detail (a phone number, an address, an e-mail or a website) of some office: a fact only a
# text that prints it can give, and one the laws never do for a particular bureau.
_ASKS_CONTACT = re.compile(r"(?:电话|号码|手机|热线|地址|邮箱|网址|网站)(?:是|是什么|是多少|多少|在哪|在哪里|呢|[？?])"
                           r"|\b(?:phone|telephone) number|\bhotline\b|\be-?mail address|\baddress of\b|\bwebsite\b",
                           re.I)
# a number long enough to dial, a short one next to 电话 or 拨打 (119, 12350), an e-mail or web address
_STATES_CONTACT = re.compile(r"\d{5,}|\d{3,4}-\d{4,}|(?:电话|拨打|热线|报警)\D{0,4}\d{3,}|@|https?://|www\.|[路街]\d+号")


def asks_for(question: str) -> str | None:
    """"contact", "time", "quantity" or None: the kind of figure a question asks for."""
    if _ASKS_CONTACT.search(question):
        return "contact"
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_QUANTITY.search(question) or _ENGLISH_UNIT_ASK.search(question):
        return "quantity"
    return None


# Asking for a list as a whole: which ones, how many kinds, what duties (a list's lead and all its items
# answer it, not the one item nearest the question's words).
_ASKS_LIST = re.compile(r"哪些|哪几|几项|几种|几类|几个方面|几条|几点|列举|列出|分别|包括|有什么|有啥|都有"
                        r"|\b(?:what are|which|list|name)\b|\b(?:duties|obligations|responsibilities|rights|measures)\b",
                        re.I)


def asks_for_list(question: str) -> bool:
    return _ASKS_LIST.search(question) is not None


_ORDINAL_LABEL = re.compile(rf"第[\d{_NUMERAL}]+[条款项章节编]")


# Documents in traditional characters (a Big5 file) write figures with 兩, 時, 萬: read as simplified.
_TRADITIONAL_FIGURES = str.maketrans("兩時個週鐘萬億項條點歲臺層", "两时个周钟万亿项条点岁台层")


def states_figure(text: str, question: str = "") -> bool:
    """The text states the figure `question` asks for: a number in the unit asked (多少天 → 15日),
    money in 元, a date as precise as asked; with no question, any quantity or date. Labels such as
    第十八条 are not figures."""
    text = _ORDINAL_LABEL.sub(" ", text.translate(_TRADITIONAL_FIGURES))
    if not question:
        return bool(_STATED.search(text) or any(date.search(text) for date in _DATE_STATED.values()))
    asked = asks_for(question)
    if asked == "contact":
        return _STATES_CONTACT.search(text) is not None
    if m := _ASKED_UNIT.search(question):
        if m.group(1) in _COUNTED_BY_LIST and len(LIST_ITEM.findall(text)) >= 2:
            return True
        return _in_unit(text, _SAME_UNIT.get(m.group(1), m.group(1)))
    if _ASKS_DURATION.search(question):   # before money: 「多长时间内缴纳罚款」 asks a time
        return _in_unit(text, _TIME_UNITS) or _STATES_PERIOD.search(text) is not None
    if asked == "quantity" and _ASKS_MONEY.search(question):
        kind = next((words for pattern, words in _MONEY_KINDS if pattern.search(question)), "")
        return any(_AMOUNT.search(clause) and re.search(kind, clause) for clause in _clauses(text))
    if _ENGLISH_UNIT_ASK.search(question):
        for pattern, units in _ENGLISH_UNITS:
            if pattern.search(question):
                return _in_unit(text, units)
    if asked == "time":
        event = next((words for pattern, words in _DATE_EVENTS if pattern.search(question)), "")
        text = "\n".join(s for s in _clauses(text, "[。；;\n]") if re.search(event, s))
        for precision, wanted in _DATE_ASKED.items():
            if wanted.search(question):
                return _DATE_STATED[precision].search(text) is not None
    return bool(_STATED.search(text) or any(date.search(text) for date in _DATE_STATED.values()))


# What a stated amount counts, so a question's 「死了5个人」 meets 「3人以上10人以下死亡」 and its
# 「被罚了3万」 meets 「二万元以上十万元以下」. The class served: scenario questions that state their own
# headcount, toll, fine or delay and ask which tier of a provision applies.
_COUNTS = {"人": "person", "名": "person", "位": "person", "工人": "person", "员工": "person", "元": "money",
           "块": "money", "日": "day", "天": "day", "小时": "hour", "个月": "month", "吨": "ton", "米": "metre"}
_AMOUNT_AT = (rf"(\d+(?:\.\d+)?|[{_NUMERAL}]{{2,}}|[一二两三四五六七八九十])\s*([万亿])?\s*(?:多|余|来|几)?\s*(?:个(?!月))?\s*"
              rf"({'|'.join(sorted(_COUNTS, key=len, reverse=True))})?")
_AMOUNT_STATED = re.compile(_AMOUNT_AT)
_BOUNDED = re.compile(rf"(超过|不满|不足|未满)?{_AMOUNT_AT}\s*(以上|以下|以内|内)?"
                      rf"(?:[^，。；,;]{{0,3}}?{_AMOUNT_AT}\s*(以下|以内|不满))?")


def _amount(number: str, scale: str | None) -> float | None:
    value = figure_value(number)
    return None if value is None else value * {"万": 1e4, "亿": 1e8}.get(scale or "", 1)


def stated_amounts(question: str) -> list[tuple[float, str]]:
    """The amounts a question states with what they count: 「四十来个工人」 → (40, "person")."""
    out = []
    text = question.translate(_TRADITIONAL_FIGURES)
    for m in _AMOUNT_STATED.finditer(text):
        unit = m.group(3) or ("元" if m.group(2) else None)
        value = _amount(m.group(1), m.group(2))
        if unit in ("日", "天") and text[:m.start()].rstrip().endswith("月"):
            continue   # 5月15日 is a date, not fifteen days
        if unit and value is not None:
            out.append((value, _COUNTS[unit]))
    return out


def stated_ranges(text: str) -> list[tuple[float, float, str]]:
    """The bounds a provision states: 「10人以上30人以下」 → (10, 30, "person"), 「五万元以下」 → (0, 50000,
    "money"), 「超过一百人」 → (100, inf, "person"). 以上 and 以下 include their number, as Chinese law
    reads them unless a text says otherwise; 超过 and 不满 do not (a hair past the number stands for it)."""
    out = []
    for m in _BOUNDED.finditer(text.translate(_TRADITIONAL_FIGURES)):
        prefix, number, scale, unit, bound = m.group(1, 2, 3, 4, 5)
        unit = unit or m.group(8) or ("元" if scale or m.group(7) else None)
        value = _amount(number, scale)
        if unit is None or value is None or not (prefix or bound):
            continue
        exclusive = 1e-6 * max(value, 1)
        if prefix == "超过" or bound == "以上":
            high = _amount(m.group(6), m.group(7)) if m.group(6) else float("inf")
            if high is not None:
                out.append((value + exclusive if prefix == "超过" else value, high, _COUNTS[unit]))
        else:
            out.append((0.0, value - exclusive if prefix else value, _COUNTS[unit]))
    return out


def within_stated_range(question: str, text: str) -> bool:
    """An amount the question states falls in a range the text states for the same kind of thing."""
    amounts = stated_amounts(question)
    return bool(amounts) and any(low <= value <= high and kind == counted for value, kind in amounts
                                 for low, high, counted in stated_ranges(text))


def _in_unit(text: str, units: str) -> bool:
    """A number counted in one of `units` (「15日」, 「三十人」, 「5个工作日」). 上一年 and 同一天 are
    not quantities: the numeral there is part of a word."""
    return re.search(rf"(?<![上下同])(?:\d+|[{_NUMERAL}]+)\s*(?:多|余)?\s*个?(?:工作)?(?:{units})", text) is not None


def _clauses(text: str, breaks: str = "[。；;，,\n]") -> list[str]:
    return [c for c in re.split(breaks, text) if c.strip()]


def figure_value(raw: str) -> float | None:
    """「5000万」 → 50000000, 「二十四」 → 24, 「1.5」 → 1.5; None when it is not a number."""
    raw = raw.replace(",", "").replace(" ", "")
    scale = 1
    while raw and raw[-1] in "万亿" and len(raw) > 1:
        scale *= 10_000 if raw[-1] == "万" else 100_000_000
        raw = raw[:-1]
    try:
        number = float(raw)
    except ValueError:
        number = from_chinese(raw)
    return None if number is None else number * scale


def figures(text: str) -> list[tuple[float, str]]:
    """Every figure in `text` as (value, the words right after it): 「10人以上死亡」 → (10, "人以上死亡…").
    Digits and Chinese numerals are read alike (二十四 = 24, 5000万 = 50000000)."""
    return [(value, after) for _, value, after in figures_at(text)]


def figures_at(text: str) -> list[tuple[int, float, str]]:
    """figures(), each with where it starts in `text` (what comes before can bound it: 超过一百人)."""
    out = []
    for m in _FIGURE.finditer(text):
        raw = m.group(0)
        if re.fullmatch(f"[{_NUMERAL}]", raw) and raw not in "十百千万亿" and not _STATED.match(text, m.start()):
            continue   # a lone 一 or 三 inside a word (一般, 三同时) is not a figure
        if raw[0] in "百千万亿":
            continue   # 千万不要, 万一: words, not numbers (a numeral starts with a digit or 十)
        value = figure_value(raw)
        if value is not None:
            out.append((m.start(), value, text[m.end():m.end() + 16]))
    return out


def figure_heads(after: str) -> str:
    """The words a figure counts, skipping its unit and comparators: 「人以上30人以下死亡，」 → 「死亡」."""
    rest = after
    while rest:
        stripped = _COMPARATORS.sub("", rest)
        stripped = re.sub(rf"^(?:\d+|[{_NUMERAL}]+|[{UNITS}]|小时|分钟)", "", stripped)
        if stripped == rest:
            break
        rest = stripped
    head = re.match(f"[{CJK}]{{2}}", rest)
    return head.group(0) if head else ""


def figures_supported(claim: str, passage: str) -> bool:
    """Every figure of `claim` stands in `passage` with the same value and counting the same thing:
    「重大事故是指造成100人以上死亡」 fails against an article whose 100 counts 重伤."""
    stated = figures(passage)
    for value, after in figures(claim):
        head = figure_heads(after)
        if not any(v == value and (not head or head in a or head == figure_heads(a)) for v, a in stated):
            return False
    return True
