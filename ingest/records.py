"""The records that move through ingestion, defined once."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from .cleaning import split_sentences


def category_of(source: str) -> str:
    """The folders a document sits in, as its category: 「法律法规 › 国务院条例」 ("" at the top)."""
    return " › ".join(source.split("/")[:-1])


@dataclass(frozen=True)
class Block:
    """One unit of a loaded document, in reading order.

    kind is "heading" (level 1 = top), "paragraph" or "table_row". A table row's
    text already carries its header cells ("列名：值；…") so it reads alone.
    """

    kind: str
    text: str
    level: int = 0


@dataclass
class Document:
    source: str          # path inside the knowledge-base folder (法律法规/安全生产法.md), the document's key
    title: str
    blocks: list[Block]
    sha256: str = ""
    size: int = 0


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    title: str
    section: tuple[str, ...]   # heading path below the title
    article: str | None        # "第二十一条" when the chunk is (part of) a law article
    article_no: int | None
    position: int              # order within the document
    text: str                  # the exact source text

    @property
    def path(self) -> str:
        return " › ".join((self.title, *self.section))

    def embedding_text(self) -> str:
        # The heading path gives short articles the context their own words lack.
        return f"{self.path}\n{self.text}"

    def sentences(self) -> list[str]:
        """The chunk's sentences as answers quote them; sentence vectors are stored in this order."""
        return split_sentences(self.text)

    def sentence_embedding_texts(self) -> list[str]:
        # A sentence alone often lacks its subject (本法, 该单位): its document and article supply it.
        where = self.article or (self.section[-1] if self.section else "")
        return [f"{self.title} {where}：{s}" for s in self.sentences()]

    @property
    def text_key(self) -> str:
        """The same text under the same headings has the same vectors: a moved or renamed file
        reuses them instead of being embedded again."""
        return hashlib.sha1(self.embedding_text().encode()).hexdigest()[:20]

    def metadata(self) -> dict:
        meta = {"source": self.source, "title": self.title, "section": " › ".join(self.section),
                "position": self.position, "text_key": self.text_key}
        if self.article:
            meta["article"] = self.article
            meta["article_no"] = self.article_no
        return meta

    @classmethod
    def from_store(cls, id: str, text: str, meta: dict) -> Chunk:
        section = tuple(s for s in meta.get("section", "").split(" › ") if s)
        return cls(id=id, source=meta["source"], title=meta["title"], section=section,
                   article=meta.get("article"), article_no=meta.get("article_no"),
                   position=int(meta.get("position", 0)), text=text)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    chunks_embedded: int = 0
    chunks_reused: int = 0    # vectors taken from the same text already stored (a moved or renamed file)
    chunks_total: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        lines = [
            f"added {len(self.added)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"removed {len(self.removed)}, failed {len(self.failed)}; "
            f"{self.chunks_embedded} chunks embedded, {f'{self.chunks_reused} reused, ' if self.chunks_reused else ''}"
            f"{self.chunks_total} in the store; "
            f"{self.seconds:.1f} s"
        ]
        lines += [f"  failed: {name}: {why}" for name, why in self.failed.items()]
        return "\n".join(lines)


@dataclass(frozen=True)
class DocRecord:
    """What the store remembers of an ingested file (the manifest entry)."""

    source: str
    title: str
    sha256: str
    size: int
    chunks: int
    ingested_at: str
    config: str   # chunking settings + embedder it was built with; a change re-chunks
    info: str = ""       # DocInfo as JSON: authority, dates, status, superseded provisions
    meta_key: str = ""   # what metadata.toml said of it; a change re-describes it (nothing re-embedded)

    def metadata(self) -> dict:
        return {"title": self.title, "sha256": self.sha256, "size": self.size, "chunks": self.chunks,
                "ingested_at": self.ingested_at, "config": self.config, "info": self.info,
                "meta_key": self.meta_key}

    @property
    def category(self) -> str:
        return category_of(self.source)

    @classmethod
    def from_store(cls, source: str, meta: dict) -> DocRecord:
        return cls(source=source, title=meta["title"], sha256=meta["sha256"], size=int(meta["size"]),
                   chunks=int(meta["chunks"]), ingested_at=meta["ingested_at"], config=meta.get("config", ""),
                   info=meta.get("info", ""), meta_key=meta.get("meta_key", ""))
