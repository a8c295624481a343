"""python -m ingest: bring the knowledge base in line with its folder, or list it.

    python -m ingest                 ingest data/ (only what changed) and print a summary
    python -m ingest --list          the documents in the store with their chunk counts
    python -m ingest PATH…           add or update these files and folders (copied into the folder first)
    python -m ingest --remove PATH   remove a document (its path in the folder, as --list shows it) and its file
    python -m ingest --rebuild       drop the store and ingest everything again
"""
from __future__ import annotations

import argparse
import logging
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from .settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, metavar="PATH",
                        help="files or folders to add (default: the whole knowledge-base folder)")
    parser.add_argument("--list", action="store_true", help="list the ingested documents")
    parser.add_argument("--remove", metavar="PATH", help="remove a document by its path in the folder")
    parser.add_argument("--rebuild", action="store_true", help="drop the store and ingest everything")
    parser.add_argument("--store", type=Path, help="Chroma folder (KB_STORE_DIR)")
    parser.add_argument("--data", type=Path, help="knowledge-base folder (KB_DATA_DIR)")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another ingestion")
    parser.add_argument("-q", "--quiet", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(levelname)s %(message)s")

    settings = Settings.from_env()
    if args.store:
        settings = replace(settings, store_dir=args.store)
    if args.data:
        settings = replace(settings, data_dir=args.data)

    from . import pipeline
    from .store import StoreMismatch, StoreUnavailable, StoreWriteError
    from .kb import KnowledgeBase

    try:
        kb = KnowledgeBase(settings, load_embedder=not args.list, check_embedder=not args.rebuild)
        if args.list:
            print(format_documents(kb.store.documents()))
            return 0
        if args.remove:
            found = pipeline.remove_file(settings, kb.store, args.remove, args.wait)
            print(f"removed {args.remove}" if found else f"{args.remove} was not in the knowledge base")
            return 0 if found else 1
        files = [f for arg in args.files for f in bring_in(settings.data_dir, arg)] or None
        if args.files and files is None:
            print(f"error: no supported files ({', '.join(pipeline.SUFFIXES)}) in {', '.join(map(str, args.files))}",
                  file=sys.stderr)
            return 2
        report = kb.ingest(files=files, wait_seconds=args.wait, progress=_print_progress(args.quiet),
                           rebuild=args.rebuild)
    except (StoreUnavailable, StoreMismatch, StoreWriteError, pipeline.IngestBusy, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


def bring_in(folder: Path, path: Path) -> list[Path]:
    """The files to ingest for one argument: a file or a folder (recursively). Anything outside
    the knowledge-base folder is copied in first, a folder keeping its name and subfolders (its
    category); what is already inside is ingested where it is."""
    from .pipeline import kb_files

    folder = Path(folder)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    inside = folder.resolve() == path.resolve() or folder.resolve() in path.resolve().parents
    if path.is_dir():
        files = kb_files(path)
        if inside:
            return files
        return [_copy(f, folder / path.resolve().name / f.relative_to(path.resolve())) for f in files]
    return [path if inside else _copy(path, folder / path.name)]


def _copy(path: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return target


def format_documents(records) -> str:
    """The documents under their categories (subfolders), each by its path (what --remove takes),
    with status, chunks and ingestion time."""
    from .metadata import DocInfo

    if not records:
        return "the knowledge base is empty"
    width = max(len(r.source) for r in records) + 2
    lines = []
    for category in sorted({r.category for r in records}):
        lines.append(f"{category or '(top level)'}")
        for r in sorted((r for r in records if r.category == category), key=lambda r: r.source):
            info = DocInfo.from_json(r.info)
            replaced = f" · {len(info.superseded)} provision(s) superseded" if info.superseded else ""
            lines.append(f"  {r.source:<{width}}{r.chunks:>5} chunks {r.size / 1000:>7.1f} KB  "
                         f"{r.ingested_at}  {' · '.join(filter(None, [r.title, info.dated()]))}{replaced}")
    lines.append(f"{len(records)} documents, {sum(r.chunks for r in records)} chunks")
    return "\n".join(lines)


def _print_progress(quiet: bool):
    last = [""]

    def show(fraction: float, message: str) -> None:
        if not quiet and message != last[0]:
            print(f"[{fraction:4.0%}] {message}", file=sys.stderr)
            last[0] = message
    return show


if __name__ == "__main__":
    sys.exit(main())
