"""Which version of a document this is and whether it is in force.

Two sources, the second winning: what a law or regulation states under its title (the lines or
the parenthesised note giving the dates it was adopted, promulgated, amended and put in force,
and the decree number), and `metadata.toml` in the knowledge-base folder, which staff edit:

    [documents."生产安全事故报告和调查处理条例.md"]
    authority = "国务院"
    status = "现行有效"              # 现行有效 | 已修订 | 已废止
    in_force = "2007-06-01"

    [[superseded]]                   # provisions a later one replaced
    document = "生产安全事故报告和调查处理条例.md"
    articles = ["第三十七条"]
    by = "安全生产法.md"
    by_articles = ["第一百一十四条"]
    note = "事故罚款按安全生产法（2021年修正）执行"
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .numerals import CHINESE_NUMERAL_CHARS
from .records import Document

METADATA_FILE = "metadata.toml"
STATUSES = ("现行有效", "已修订", "已废止")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DECREE = re.compile(r"((?:国务院|[\u4e00-\u9fff]{1,12}(?:部|委员会|局|总局|政府))令?第\s*\d+\s*号)")
_ARTICLE = re.compile(rf"^第[{CHINESE_NUMERAL_CHARS}\d]+条$")
# how a dated clause says what happened on that date
_EVENTS = (("amended", ("修正", "修订", "修改")), ("adopted", ("通过",)), ("published", ("公布", "发布")),
           ("in_force", ("施行", "实施")))
_IN_FORCE_CLAUSE = re.compile(r"本(?:法|条例|规定|办法|细则|决定)自(\d{4}年\d{1,2}月\d{1,2}日)起(?:施行|实施)")
_AUTHORITIES = ("全国人民代表大会常务委员会", "全国人民代表大会", "国务院")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_FIELDS = ("adopted", "published", "amended", "in_force")
HEADER_BLOCKS = 12
_SAVING = threading.Lock()   # the dated lines sit right under the title, before the first chapter or article


class MetadataError(ValueError):
    """metadata.toml cannot be used; the message names the file, the entry and what to fix."""


@dataclass
class DocInfo:
    authority: str = ""
    number: str = ""        # 国务院令第708号
    adopted: str = ""       # ISO dates
    published: str = ""
    amended: str = ""       # the latest amendment
    in_force: str = ""
    status: str = ""        # 现行有效 | 已修订 | 已废止; a dated law or regulation is 现行有效 unless told
    # article → {"by": source, "by_articles": [...], "note": ...}
    superseded: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DocInfo:
        return cls(**json.loads(text)) if text else cls()

    def dated(self) -> str:
        """「现行有效 · 2021-06-10修正 · 2021-09-01施行」: status and the dates of this version, for citations."""
        dates = [f"{self.amended}修正" if self.amended else ""]
        if self.in_force and self.in_force > self.amended:   # an amended text keeps its first in-force date
            dates.append(f"{self.in_force}施行")
        elif not self.amended and self.published:
            dates.append(f"{self.published}公布")
        return " · ".join(filter(None, [self.status, *dates]))


def from_text(doc: Document) -> DocInfo:
    """What the document says about itself under its title, and its own in-force clause."""
    info = DocInfo()
    header = []
    for block in doc.blocks[:HEADER_BLOCKS]:
        if block.kind == "heading" and header or _ARTICLE.match(block.text.split(" ")[0]):
            break
        header.append(block.text)
    for clause in _dated_clauses(" ".join(header)):
        date, text = clause
        for name, words in _EVENTS:
            if any(w in text for w in words):
                if name == "amended" or not getattr(info, name):
                    setattr(info, name, date)
                break
        info.authority = info.authority or next((a for a in _AUTHORITIES if a in text), "")
        if m := _DECREE.search(text):
            info.number = info.number or re.sub(r"\s+", "", m.group(1)).removeprefix("中华人民共和国")
    if info.adopted or info.published:
        info.status = STATUSES[0]
    if not info.in_force:
        body = "\n".join(b.text for b in doc.blocks[-HEADER_BLOCKS:])
        if m := _IN_FORCE_CLAUSE.search(body):
            info.in_force = _iso(_DATE.search(m.group(1)))
    return info


def _dated_clauses(text: str) -> list[tuple[str, str]]:
    """(ISO date, the words after it up to the next date)."""
    matches = list(_DATE.finditer(text))
    return [(_iso(m), text[m.end():matches[i + 1].start() if i + 1 < len(matches) else len(text)])
            for i, m in enumerate(matches)]


def _iso(m: re.Match) -> str:
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


@dataclass
class FolderMetadata:
    """metadata.toml, read and checked: per-document overrides and superseded provisions."""

    documents: dict[str, dict] = field(default_factory=dict)
    superseded: dict[str, dict[str, dict]] = field(default_factory=dict)   # source → article → relation

    def key(self, source: str) -> str:
        """Changes when what the file says about `source` changes: the document is then re-described."""
        entry = {"doc": self.documents.get(source, {}), "superseded": self.superseded.get(source, {})}
        return hashlib.sha1(json.dumps(entry, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]

    def describe(self, source: str, doc: Document) -> DocInfo:
        info = from_text(doc)
        for name, value in self.documents.get(source, {}).items():
            setattr(info, name, value)
        info.superseded = self.superseded.get(source, {})
        return info


def read_metadata(folder: Path) -> FolderMetadata:
    """The folder's metadata.toml (none: nothing to override)."""
    path = Path(folder) / METADATA_FILE
    if not path.is_file():
        return FolderMetadata()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MetadataError(f"{METADATA_FILE}: not valid TOML ({exc}); fix it and ingest again") from None
    allowed = {f.name for f in fields(DocInfo)} - {"superseded"}
    documents = {}
    for source, entry in (raw.get("documents") or {}).items():
        unknown = set(entry) - allowed
        if unknown:
            raise MetadataError(f"{METADATA_FILE}: [documents.\"{source}\"] has unknown field(s) "
                                f"{', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}")
        documents[source] = _checked(source, {k: str(v) for k, v in entry.items()})
    superseded: dict[str, dict[str, dict]] = {}
    for n, rel in enumerate(raw.get("superseded") or [], 1):
        missing = [k for k in ("document", "articles", "by", "by_articles") if not rel.get(k)]
        if missing:
            raise MetadataError(f"{METADATA_FILE}: [[superseded]] entry {n} lacks {', '.join(missing)}")
        for key in ("articles", "by_articles"):
            if not isinstance(rel[key], list) or not all(isinstance(a, str) for a in rel[key]):
                raise MetadataError(f'{METADATA_FILE}: [[superseded]] entry {n}: {key} must be a list, '
                                    f'e.g. {key} = ["第三十七条"]')
        for article in rel["articles"]:
            superseded.setdefault(rel["document"], {})[article] = {
                "by": rel["by"], "by_articles": list(rel["by_articles"]), "note": rel.get("note", "")}
    return FolderMetadata(documents, superseded)


def _checked(source: str, entry: dict[str, str]) -> dict[str, str]:
    where = f'{METADATA_FILE}: [documents."{source}"]'
    if entry.get("status", STATUSES[0]) not in STATUSES:
        raise MetadataError(f"{where} status = {entry['status']!r}; use one of {' / '.join(STATUSES)}")
    for name in DATE_FIELDS:
        if entry.get(name) and not _ISO_DATE.fullmatch(entry[name]):
            raise MetadataError(f"{where} {name} = {entry[name]!r}; write dates as YYYY-MM-DD")
    return entry


def save_document(folder: Path, source: str, values: dict[str, str]) -> None:
    """Set what metadata.toml says of one document (empty values are dropped, so the text's own
    dates apply again); the rest of the file, comments included, stays as staff wrote it."""
    with _SAVING:   # two staff saving at once: one after the other, neither lost
        _save(Path(folder), source, values)


def _save(folder: Path, source: str, values: dict[str, str]) -> None:
    import tomlkit

    allowed = {f.name for f in fields(DocInfo)} - {"superseded"}
    entry = _checked(source, {k: v.strip() for k, v in values.items() if k in allowed and v and v.strip()})
    path = folder / METADATA_FILE
    document = tomlkit.parse(path.read_text(encoding="utf-8")) if path.is_file() else tomlkit.document()
    tables = document.setdefault("documents", tomlkit.table(is_super_table=True))
    if entry:
        table = tomlkit.table()
        table.update(entry)
        table.add(tomlkit.nl())
        tables[source] = table
    elif source in tables:
        del tables[source]
    handle, temporary = tempfile.mkstemp(prefix=f".{METADATA_FILE}.", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(tomlkit.dumps(document))
    os.replace(temporary, path)
