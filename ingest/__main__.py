"""python -m ingest: bring the knowledge base in line with its folder, or list it.

    python -m ingest                 ingest data/ (only what changed) and print a summary
    python -m ingest --list          the documents in the store with their chunk counts
    python -m ingest FILE…           add or update these files (copied into the folder first)
    python -m ingest --remove NAME   remove a document and its file
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
    parser.add_argument("files", nargs="*", type=Path, help="files to add (default: the whole folder)")
    parser.add_argument("--list", action="store_true", help="list the ingested documents")
    parser.add_argument("--remove", metavar="NAME", help="remove a document by file name")
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
        files = [copy_into(settings.data_dir, f) for f in args.files] or None
        report = kb.ingest(files=files, wait_seconds=args.wait, progress=_print_progress(args.quiet),
                           rebuild=args.rebuild)
    except (StoreUnavailable, StoreMismatch, StoreWriteError, pipeline.IngestBusy, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


def copy_into(folder: Path, path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    target = Path(folder) / path.name
    if path.resolve() != target.resolve():
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return target


def format_documents(records) -> str:
    if not records:
        return "the knowledge base is empty"
    width = max(len(r.source) for r in records)
    lines = [f"{'document':<{width}}  chunks  size(KB)  ingested (UTC)             title"]
    lines += [f"{r.source:<{width}}  {r.chunks:>6}  {r.size / 1000:>8.1f}  {r.ingested_at:<25}  {r.title}"
              for r in records]
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
