"""python -m bot ask|serve|quiz — the bot's command line."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from ingest.settings import Settings


def _settings(args) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "store", None):
        settings = replace(settings, store_dir=Path(args.store))
    return settings


def cmd_ask(args) -> int:
    from .service import open_service

    service = open_service(_settings(args), ingest_if_needed=False)
    answer = service.answerer.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0 if answer.found else 3


def format_answer(answer) -> str:
    lines = [answer.notice] if answer.notice else []
    lines.append(answer.answer)
    if answer.citations:
        lines.append("\n来源：")
        lines += [f"[{c.n}] {c.label}（{c.source}）" for c in answer.citations]
    elif answer.related:
        lines.append("\n可能相关的段落（不是答案，仅供参考）：")
        lines += [f"- {c.label}：{c.text[:60]}…" for c in answer.related]
    return "\n".join(lines)


def cmd_serve(args) -> int:
    from .app import serve

    serve(_settings(args), host=args.host, port=args.port)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question with its sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--store", help="Chroma folder (KB_STORE_DIR)")
    ask.set_defaults(func=cmd_ask)
    serve = sub.add_parser("serve", help="start the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--store", help="Chroma folder (KB_STORE_DIR)")
    serve.set_defaults(func=cmd_serve)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        return args.func(args)
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        from ingest.store import StoreMismatch, StoreUnavailable
        if isinstance(exc, (StoreUnavailable, StoreMismatch)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
