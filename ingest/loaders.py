"""One loader per file format, each turning a file into a Document of Blocks.

Word files keep their heading styles, automatic numbering (rendered as the label a
reader sees) and tables (each row carrying its header cells). Text and PDF files are
repaired with `cleaning` because they are usually extracted, not authored. Markdown is
parsed by markdown-it-py, saved web pages by lxml, Excel workbooks by openpyxl, and the
encoding of a text file is detected by charset-normalizer, so no markup or guessed
encoding reaches a chunk.
"""
from __future__ import annotations

import codecs
import hashlib
import re
import zipfile
from pathlib import Path

from . import cleaning, numerals
from .records import Block, Document

SUFFIXES = (".docx", ".pdf", ".txt", ".md", ".html", ".htm", ".xlsx")
# Formats people have and we cannot read well: the message says what to save them as.
REFUSED = {".doc": "旧版 Word 文件（.doc）无法读取，请另存为 .docx 后再上传 (old binary .doc: save it as .docx)",
           ".xls": "旧版 Excel 文件（.xls）无法读取，请另存为 .xlsx 后再上传 (old binary .xls: save it as .xlsx)",
           ".wps": "WPS 文件无法读取，请另存为 .docx 后再上传 (save it as .docx)"}


BINARY = "looks like a binary file, not text; save it as UTF-8 text"


class LoadError(ValueError):
    """A file that cannot be read; the message names the file and what to do."""


def load(path: Path, *, source: str | None = None, max_bytes: int | None = None,
         max_chars: int | None = None, max_pages: int | None = None) -> Document:
    path = Path(path)
    source = source or path.name
    suffix = path.suffix.lower()
    if suffix in REFUSED:
        raise LoadError(f"{source}: {REFUSED[suffix]}")
    if suffix not in SUFFIXES:
        raise LoadError(f"{source}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUFFIXES)}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"{source}: cannot read the file ({exc.strerror})") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise LoadError(f"{source}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit "
                        "(KB_MAX_FILE_MB); split the file or raise the limit")
    if not data.strip():
        raise LoadError(f"{source}: the file is empty")
    reader = {".docx": _docx_blocks, ".pdf": _pdf_blocks, ".txt": _txt_blocks, ".md": _md_blocks,
              ".html": _html_blocks, ".htm": _html_blocks, ".xlsx": _xlsx_blocks}[suffix]
    limits = {"max_bytes": max_bytes, "max_pages": max_pages}
    title, blocks = reader(path, data, source, limits)
    blocks = [b for b in blocks if b.text.strip()]
    if not blocks:
        raise LoadError(f"{source}: no text found in the file")
    chars = sum(len(b.text) for b in blocks)
    if max_chars is not None and chars > max_chars:
        raise LoadError(f"{source}: {chars} characters is over the {max_chars} limit (KB_MAX_CHARS); split the file")
    return Document(source=source, title=title or Path(source).stem, blocks=blocks,
                    sha256=hashlib.sha256(data).hexdigest(), size=len(data))


# --- plain text -----------------------------------------------------------------

def decode_text(data: bytes, source: str) -> str:
    """A BOM or valid UTF-8 decide at once; otherwise charset-normalizer detects the encoding (GBK,
    GB18030, Big5, UTF-16 without BOM …). Binary, or text no encoding reads cleanly, is refused."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        if _mostly_printable(text):
            return text
        raise LoadError(f"{source}: {BINARY}")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        if b"\x00" in data[:4096]:
            raise LoadError(f"{source}: {BINARY}")
        raise LoadError(f"{source}: cannot tell which encoding the text is in; save it as UTF-8")
    text = str(best)
    if b"\x00" in data[:4096] and not _mostly_script(text):
        # NUL bytes are normal only in UTF-16; junk read as UTF-16 gives a soup of unrelated scripts
        raise LoadError(f"{source}: {BINARY}")
    if not _mostly_printable(text):
        raise LoadError(f"{source}: looks like a binary file, not text ({best.encoding} gives control "
                        "characters); save it as UTF-8 text")
    return text


_SCRIPT = re.compile(r"[\s!-~\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef\u2010-\u2027]")


def _mostly_script(text: str) -> bool:
    """Almost all of the text is ASCII, CJK or their punctuation, as a real Chinese document is."""
    sample = text[:20000]
    return bool(sample) and len(_SCRIPT.findall(sample)) >= 0.95 * len(sample)


def _mostly_printable(text: str) -> bool:
    sample = text[:20000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\r\t\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad <= len(sample) * 0.01


def _txt_blocks(path, data, source, _limits):
    title, text = cleaning.clean_extracted(decode_text(data, source))
    text = cleaning.break_enumerations(cleaning.normalize_punctuation(text))
    return title, [Block("paragraph", line.strip()) for line in text.split("\n")]


def _md_blocks(path, data, source, _limits):
    """Markdown through markdown-it-py: headings give the structure; emphasis, links, list markers,
    code fences and HTML comments do not reach the text."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(decode_text(data, source))
    blocks, title, row, header = [], None, [], None
    for n, token in enumerate(tokens):
        if token.type != "inline":
            if token.type == "thead_open":
                header = None
            continue
        opener = tokens[n - 1].type
        text = _inline_text(token)
        if opener == "heading_open":
            level = int(tokens[n - 1].tag[1])
            if level == 1 and title is None:
                title = text
            else:
                blocks.append(Block("heading", text, level))
        elif opener in ("th_open", "td_open"):
            row.append(text)
            if tokens[n + 1].type in ("th_close", "td_close") and tokens[n + 2].type == "tr_close":
                if header is None:
                    header = row
                    blocks.append(Block("table_row", "；".join(c for c in row if c)))
                else:
                    blocks.append(Block("table_row", _row_text(header, row)))
                row = []
        elif text:
            blocks.append(Block("paragraph", text))
    return title, blocks


def _inline_text(token) -> str:
    """The visible text of an inline token: no emphasis markers, link targets or inline HTML."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts).strip()


# --- saved web pages --------------------------------------------------------------------

_HTML_DROP = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "template")
_HTML_BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "tr", "pre", "blockquote", "dd", "dt"}


def _html_blocks(path, data, source, _limits):
    """A saved web page: its main text and headings; navigation, scripts and page furniture dropped."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(decode_text(data, source))
    except Exception as exc:  # lxml raises ParserError and friends
        raise LoadError(f"{source}: not a readable web page ({exc}); save the page again as HTML") from None
    for element in root.xpath("|".join(f"//{tag}" for tag in _HTML_DROP)):
        element.drop_tree()
    title = (root.findtext(".//title") or "").strip() or None
    main = next(iter(root.xpath("//main|//article")), None)
    body = main if main is not None else root.find("body") if root.find("body") is not None else root
    blocks, header, table = [], None, None
    for element in body.iter(*_HTML_BLOCKS):
        if any(parent.tag in _HTML_BLOCKS for parent in element.iterancestors()):
            continue   # its text is read with the enclosing block
        if element.tag == "tr":
            cells = [" ".join(c.text_content().split()) for c in element if c.tag in ("td", "th")]
            owner = next(element.iterancestors("table"), None)
            if owner is not table:   # each table has its own header row
                header, table = None, owner
            if header is None:
                header = cells
                blocks.append(Block("table_row", "；".join(c for c in cells if c)))
            else:
                blocks.append(Block("table_row", _row_text(header, cells)))
            continue
        text = " ".join(element.text_content().split())
        if element.tag[0] == "h" and element.tag[1:].isdigit():
            if element.tag == "h1" and not title:
                title = text
            blocks.append(Block("heading", text, int(element.tag[1:])))
        elif text:
            blocks.append(Block("paragraph", text))
    return title, blocks


# --- Excel workbooks --------------------------------------------------------------------

def _xlsx_blocks(path, data, source, limits):
    """Each sheet a section, each row with its header cells (责任清单: 「岗位：厂长；职责：…」)."""
    import openpyxl

    check_zip(path, source, limits.get("max_bytes"), member="xl/workbook.xml", kind="Excel workbook (.xlsx)")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds
        raise LoadError(f"{source}: openpyxl cannot open it ({exc}); re-save it in Excel as .xlsx") from None
    blocks = []
    try:
        for sheet in book.worksheets:
            rows = [[("" if v is None else str(v)).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
            rows = [r for r in rows if any(r)]
            if not rows:
                continue
            blocks.append(Block("heading", sheet.title, 1))
            header = rows[0]
            blocks.append(Block("table_row", "；".join(c for c in header if c)))
            blocks += [Block("table_row", _row_text(header, r)) for r in rows[1:]]
    finally:
        book.close()
    return None, blocks


def _row_text(header: list[str], cells: list[str]) -> str:
    pairs = [f"{h}：{c}" if h and h != c else c for h, c in zip(header, cells) if c]
    return "；".join(pairs)


# --- PDF ------------------------------------------------------------------------

def _pdf_blocks(path, data, source, limits):
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(f"{source}: the PDF is password-protected; save an unprotected copy")
        if limits["max_pages"] is not None and len(reader.pages) > limits["max_pages"]:
            raise LoadError(f"{source}: {len(reader.pages)} pages is over the {limits['max_pages']}-page limit "
                            "(KB_MAX_PAGES); split the file")
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise LoadError(f"{source}: not a readable PDF ({exc}); re-export it") from None
    if not "".join(pages).strip():
        raise LoadError(f"{source}: the PDF has no text layer (a scan?); run OCR on it first")
    title, text = cleaning.clean_extracted("\n".join(pages))
    meta_title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    text = cleaning.break_enumerations(cleaning.normalize_punctuation(text))
    return meta_title or title, [Block("paragraph", line.strip()) for line in text.split("\n")]


# --- Word -----------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.I)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def check_zip(path: Path, source: str, max_bytes: int | None, member: str = "word/document.xml",
              kind: str = "Word document (.docx)") -> None:
    """Refuse a broken zip, one that is not the Office file its name says, or one that would inflate
    past the limit (a zip bomb), before parsing it."""
    try:
        with zipfile.ZipFile(path) as zf:
            inflated = sum(info.file_size for info in zf.infolist())
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise LoadError(f"{source}: not a valid {kind} (the zip container is damaged); re-save it") from None
    if member not in names:
        raise LoadError(f"{source}: not a {kind} (no {member}); re-save it in the right format")
    if max_bytes is not None and inflated > max_bytes * 20:
        raise LoadError(f"{source}: unpacks to {inflated / 1e6:.0f} MB, over the limit "
                        f"({max_bytes * 20 / 1e6:.0f} MB, 20× KB_MAX_FILE_MB)")


def _docx_blocks(path, data, source, limits):
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_zip(path, source, limits["max_bytes"])
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise LoadError(f"{source}: python-docx cannot open it ({exc}); re-save it in Word") from None
    except Exception as exc:  # lxml raises its own types for broken XML
        raise LoadError(f"{source}: broken Word XML ({type(exc).__name__}); re-save it in Word") from None
    numbering = _Numbering(document)
    title = (document.core_properties.title or "").strip() or None
    blocks: list[Block] = []
    for element in document.element.body.iterchildren():
        if element.tag == f"{_W}p":
            para = docx.text.paragraph.Paragraph(element, document)
            style = para.style.name if para.style is not None else ""
            text = numbering.label(para) + para.text.strip()
            if style in ("Title", "标题"):
                title = title or text
            elif (level := _heading_level(para)) is not None:
                blocks.append(Block("heading", text, level))
            else:
                blocks.append(Block("paragraph", text))
        elif element.tag == f"{_W}tbl":
            blocks += _table_blocks(docx.table.Table(element, document))
    return title, blocks


def _heading_level(para) -> int | None:
    style = para.style
    while style is not None:
        if m := _HEADING_STYLE.match(style.name or ""):
            return int(m.group(1))
        style = style.base_style
    outline = para._p.find(f"{_W}pPr/{_W}outlineLvl")
    if outline is not None:
        level = int(outline.get(f"{_W}val", "9"))
        return level + 1 if level < 9 else None
    return None


def _table_blocks(table) -> list[Block]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:  # merged cells repeat: keep each once
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text.strip())
        rows.append(cells)
    if not rows:
        return []
    header = rows[0]
    blocks = [Block("table_row", "；".join(c for c in header if c))]
    blocks += [Block("table_row", _row_text(header, cells)) for cells in rows[1:]]
    return blocks


class _Numbering:
    """Renders Word automatic numbering (numbering.xml), which `paragraph.text` omits."""

    def __init__(self, document):
        self.levels: dict[str, dict[int, dict]] = {}
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {}
        for an in root.findall(f"{_W}abstractNum"):
            abstract[an.get(f"{_W}abstractNumId")] = {
                int(lvl.get(f"{_W}ilvl")): _level_format(lvl) for lvl in an.findall(f"{_W}lvl")}
        for num in root.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            levels = {k: dict(v) for k, v in abstract.get(ref.get(f"{_W}val") if ref is not None else "", {}).items()}
            for override in num.findall(f"{_W}lvlOverride"):
                start = override.find(f"{_W}startOverride")
                ilvl = int(override.get(f"{_W}ilvl"))
                if start is not None and ilvl in levels:
                    levels[ilvl]["start"] = int(start.get(f"{_W}val"))
            self.levels[num.get(f"{_W}numId")] = levels

    def label(self, para) -> str:
        num_id, ilvl = self._num_pr(para)
        levels = self.levels.get(num_id or "")
        if not levels or ilvl not in levels:
            return ""
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[ilvl] += 1
        for deeper in range(ilvl + 1, 9):
            counts[deeper] = 0

        def value(level: int) -> str:
            fmt = levels.get(level, {"fmt": "decimal", "start": 1})
            n = max(counts[level], 1) + fmt["start"] - 1
            return numerals.format_number(n, fmt["fmt"])

        spec = levels[ilvl]
        if spec["fmt"] == "bullet":
            return ""
        text = re.sub(r"%([1-9])", lambda m: value(int(m.group(1)) - 1), spec["text"])
        return text if not text or text[-1] in "、.．）)：:" else text + " "

    @staticmethod
    def _num_pr(para) -> tuple[str | None, int]:
        sources = [para._p.pPr]
        style = para.style
        while style is not None:
            sources.append(style.element.pPr)
            style = style.base_style
        for ppr in sources:
            num_pr = ppr.find(f"{_W}numPr") if ppr is not None else None
            if num_pr is None:
                continue
            num_id = num_pr.find(f"{_W}numId")
            ilvl = num_pr.find(f"{_W}ilvl")
            if num_id is not None:
                return num_id.get(f"{_W}val"), int(ilvl.get(f"{_W}val")) if ilvl is not None else 0
        return None, 0


def _level_format(lvl) -> dict:
    def val(tag, default):
        node = lvl.find(f"{_W}{tag}")
        return node.get(f"{_W}val", default) if node is not None else default
    return {"fmt": val("numFmt", "decimal"), "text": val("lvlText", ""), "start": int(val("start", "1"))}
