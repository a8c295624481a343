"""Repairs for text extracted from PDFs and document-sharing sites. Pure functions on text.

Document-sharing sites (the shipped interview came from one) export each page's text
on one line led by the page number (`2、幸福作为…`), cutting sentences in two, put a
"shared by a member" banner on top and a block of site notices at the bottom.
"""
from __future__ import annotations

import re

# Banner lines a sharing site puts above the text.
_BANNER = re.compile(r"由会员分享|可在线阅读|更多相关|请在.{1,12}上搜索|文档分享平台|原创力文档|点击下载")
# The first of the site's notices below the text; everything from it on is dropped.
_TRAILER = re.compile(r"^\s*-?\s*(配套讲稿|特殊限制|关\s*键\s*词|温馨提示|版权声明|下载提示|特别提醒)\s*[:：]")
_FILE_TITLE = re.compile(r"^\s*《?(?P<title>[^《》\n]{2,80}?)\.(?:docx?|pdf|pptx?|txt|wps)》?\s*$", re.I)
_PAGE_LINE = re.compile(r"^(\d{1,3})、")
_LONE_PAGE_NO = re.compile(r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4})\s*$")
_SENTENCE_END = "。！？；!?;…"
_CLOSERS = "”’」』）)》】"
PAGE_LINE_MIN_CHARS = 60

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HALF_TO_FULL = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", "(": "（", ")": "）"}
_PUNCT_NEAR_CJK = re.compile(rf"(?<=[{CJK}“”）)])([,?!:;])|([,?!:;])(?=[{CJK}“”（(])")
_PAREN_NEAR_CJK = re.compile(rf"\((\s*[0-9一二三四五六七八九十]{{1,3}}\s*)\)(?=[{CJK}“])|(?<=[{CJK}])\(([^()\n]{{0,40}})\)")


def clean_extracted(text: str) -> tuple[str | None, str]:
    """Return (title found in a site banner or None, the cleaned text)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title, lines = _strip_banner(lines)
    lines = _strip_trailer(lines)
    lines = _join_page_lines(lines)
    lines = _drop_lone_page_numbers(lines)
    return title, "\n".join(lines).strip()


def _strip_banner(lines: list[str]) -> tuple[str | None, list[str]]:
    title, keep = None, []
    for i, line in enumerate(lines):
        if i < 4 and (m := _FILE_TITLE.match(line)) and title is None:
            title = m.group("title").strip()
            continue
        if i < 4 and _BANNER.search(line):
            continue
        keep.append(line)
    return title, keep


def _strip_trailer(lines: list[str]) -> list[str]:
    # A notice heading is a short line of its own, and no page of the body follows it;
    # a sentence of the body that happens to start with 关键词： is left alone.
    for i, line in enumerate(lines):
        if _TRAILER.match(line) and len(line.strip()) <= 20 and not any(
                _PAGE_LINE.match(rest) and len(rest) >= PAGE_LINE_MIN_CHARS for rest in lines[i + 1:]):
            return lines[:i]
    return lines


def _join_page_lines(lines: list[str]) -> list[str]:
    """Rejoin pages exported one per line as `N、text`, numbered 1, 2, 3… in order."""
    pages = [(i, int(m.group(1))) for i, line in enumerate(lines)
             if (m := _PAGE_LINE.match(line)) and len(line) >= PAGE_LINE_MIN_CHARS]
    numbers = [n for _, n in pages]
    if len(pages) < 2 or numbers != list(range(numbers[0], numbers[0] + len(numbers))) or numbers[0] > 2:
        return lines
    page_rows = {i for i, _ in pages}
    out: list[str] = []
    joining = False
    for i, line in enumerate(lines):
        if i in page_rows:
            body = _PAGE_LINE.sub("", line, count=1)
            if joining and out:
                out[-1] += body     # the page break cut a sentence: no break in the text
            else:
                out.append(body)
            joining = True
        elif line.strip():
            out.append(line)
            joining = False
    return out


def _drop_lone_page_numbers(lines: list[str]) -> list[str]:
    """Drop page-number lines (`- 3 -`, `第3页`) and rejoin a sentence they cut."""
    out: list[str] = []
    cut = False
    for line in lines:
        if _LONE_PAGE_NO.match(line):
            cut = bool(out) and not _ends_sentence(out[-1])
            continue
        if cut and out and line.strip():
            out[-1] = out[-1].rstrip() + line.strip()
        else:
            out.append(line)
        cut = False
    return out


def _ends_sentence(text: str) -> bool:
    text = text.rstrip().rstrip(_CLOSERS)
    return not text or text[-1] in _SENTENCE_END or text[-1] in "：:"


def normalize_punctuation(text: str) -> str:
    """Half-width , ? ! : ; ( ) between Chinese characters become full-width, as in print."""
    text = _PUNCT_NEAR_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1) or m.group(2)], text)
    return _PAREN_NEAR_CJK.sub(lambda m: f"（{(m.group(1) or m.group(2) or '').strip()}）", text)


_SENTENCE = re.compile(rf"[^{_SENTENCE_END}\n]*(?:[{_SENTENCE_END}]+[{_CLOSERS}]*|\n|$)")


def split_sentences(text: str) -> list[str]:
    """Sentences ending at 。！？；(and their closing quotes), or at a line break. Exact pieces:
    joining the result gives back the text minus line breaks."""
    return [s.rstrip("\n") for s in _SENTENCE.findall(text) if s.strip()]


_INLINE_ENUMERATION = re.compile(
    rf"(?<=[。？！；?!;])\s*(?=(?:\d{{1,2}}[、.．](?!\d)|（\d{{1,2}}）|[一二三四五六七八九十]{{1,3}}、)[{CJK}“])")


def break_enumerations(text: str) -> str:
    """Start a new line where a numbered item (1、 / 2. / （3） / 四、) follows a sentence end.

    Extraction runs a whole page into one line; the numbering is what is left of the
    document's structure, so it is where paragraphs begin again.
    """
    return _INLINE_ENUMERATION.sub("\n", text)
