"""One loader per file format, each turning a file into a Document of Blocks.

Word files keep their heading styles, automatic numbering (rendered as the label a
reader sees) and tables (each row carrying its header cells). Text and PDF files are
repaired with `cleaning` because they are usually extracted, not authored.
"""
from __future__ import annotations

import codecs
import hashlib
import re
import zipfile
from pathlib import Path

from . import cleaning, numerals
from .records import Block, Document

SUFFIXES = (".docx", ".pdf", ".txt", ".md")


class LoadError(ValueError):
    """A file that cannot be read; the message names the file and what to do."""


def load(path: Path, *, source: str | None = None, max_bytes: int | None = None,
         max_chars: int | None = None, max_pages: int | None = None) -> Document:
    path = Path(path)
    source = source or path.name
    suffix = path.suffix.lower()
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
    reader = {".docx": _docx_blocks, ".pdf": _pdf_blocks, ".txt": _txt_blocks, ".md": _md_blocks}[suffix]
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
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030; binary is refused."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding)
    if b"\x00" in data[:4096]:
        raise LoadError(f"{source}: looks like a binary file, not text; save it as UTF-8 text")
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _mostly_printable(text):
            return text
    raise LoadError(f"{source}: cannot decode the text (not UTF-8 or GB18030); save it as UTF-8")


def _mostly_printable(text: str) -> bool:
    sample = text[:20000]
    bad = sum(1 for c in sample if (ord(c) < 32 and c not in "\n\r\t\f") or 0xE000 <= ord(c) <= 0xF8FF)
    return bad <= len(sample) * 0.01


def _txt_blocks(path, data, source, _limits):
    title, text = cleaning.clean_extracted(decode_text(data, source))
    text = cleaning.break_enumerations(cleaning.normalize_punctuation(text))
    return title, [Block("paragraph", line.strip()) for line in text.split("\n")]


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


def _md_blocks(path, data, source, _limits):
    text = decode_text(data, source)
    blocks, title, header = [], None, None
    for line in text.splitlines():
        line = line.strip()
        if m := _MD_HEADING.match(line):
            level, heading = len(m.group(1)), m.group(2)
            if level == 1 and title is None:
                title = heading
                continue
            blocks.append(Block("heading", heading, level))
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if _MD_TABLE_RULE.match(line):
                continue
            if header is None:
                header = cells
                blocks.append(Block("table_row", "；".join(cells)))
            else:
                blocks.append(Block("table_row", _row_text(header, cells)))
            continue
        elif line:
            blocks.append(Block("paragraph", line))
        header = None
    return title, blocks


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


def check_zip(path: Path, source: str, max_bytes: int | None) -> None:
    """Refuse a broken zip or one that would inflate past the limit, before parsing it."""
    try:
        with zipfile.ZipFile(path) as zf:
            inflated = sum(info.file_size for info in zf.infolist())
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        raise LoadError(f"{source}: not a valid .docx (the zip container is damaged); re-save it in Word") from None
    if "word/document.xml" not in names:
        raise LoadError(f"{source}: not a Word document (no word/document.xml); re-save it as .docx")
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
