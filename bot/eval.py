"""python -m bot.eval FILE.jsonl [--json] [--store DIR] [-k 5]

Each line: {"id", "question", "evidence": [exact substrings a correct passage contains],
"source": file name or null (null = the knowledge base cannot answer it)}.

hit@k and MRR are over the ranked passages retrieval returns (a hit = a passage that
contains an evidence string); evidence-in-answer is the share of evidence strings that
appear in the answer text itself; refusal accuracy is over the unanswerable lines, the
false-refusal rate over the answerable ones.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from .records import Answer

Pipeline = Callable[[str], tuple[Answer, list[str]]]


def read_questions(path: Path) -> list[dict]:
    items = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            _ = item["question"], item["evidence"], item["id"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise SystemExit(f"{path}:{n}: not a question line ({exc}); expected "
                             '{"id", "question", "evidence": [...], "source"}') from None
        items.append(item)
    return items


def evaluate(pipeline: Pipeline, questions: list[dict], k: int = 5) -> tuple[dict, list[dict]]:
    records, latencies = [], []
    for q in questions:
        started = time.perf_counter()
        answer, ranked = pipeline(q["question"])
        latencies.append((time.perf_counter() - started) * 1000)
        rank = next((i + 1 for i, text in enumerate(ranked[:k]) if any(e in text for e in q["evidence"])), None)
        in_answer = [e for e in q["evidence"] if e in answer.answer] if answer.found else []
        records.append({"id": q["id"], "question": q["question"], "answerable": q.get("source") is not None,
                        "kind": q.get("kind", ""), "rank": rank, "found": answer.found,
                        "evidence_in_answer": len(in_answer) / max(len(q["evidence"]), 1),
                        "latency_ms": round(latencies[-1], 1), "answer": answer.to_json()})
    return summarize(records, latencies), records


def summarize(records: list[dict], latencies: list[float]) -> dict:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]

    def share(items, test):
        return round(sum(1 for r in items if test(r)) / len(items), 3) if items else None

    return {
        "questions": len(records), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "hit@1": share(answerable, lambda r: r["rank"] == 1),
        "hit@3": share(answerable, lambda r: r["rank"] is not None and r["rank"] <= 3),
        "hit@5": share(answerable, lambda r: r["rank"] is not None and r["rank"] <= 5),
        "mrr": round(sum(1 / r["rank"] for r in answerable if r["rank"]) / len(answerable), 3) if answerable else None,
        "evidence_in_answer": round(sum(r["evidence_in_answer"] for r in answerable) / len(answerable), 3)
        if answerable else None,
        "refusal_accuracy": share(unanswerable, lambda r: not r["found"]),
        "false_refusal_rate": share(answerable, lambda r: not r["found"]),
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def service_pipeline(service, k: int = 5) -> Pipeline:
    """The project's own pipeline: the answer, and the ranked passages behind it."""
    def run(question: str):
        answer, hits = service.answerer.respond(question, k=k)
        return answer, [h.chunk.text for h in hits]
    return run


def format_summary(summary: dict) -> str:
    return "\n".join(f"{key:>20}: {value}" for key, value in summary.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.eval", description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--json", action="store_true", help="print the summary and one record per question")
    parser.add_argument("--store", type=Path)
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args(argv)

    from ingest.settings import Settings

    from .service import open_service

    settings = Settings.from_env()
    if args.store:
        settings = replace(settings, store_dir=args.store)
    service = open_service(settings, ingest_if_needed=False)
    summary, records = evaluate(service_pipeline(service, args.k), read_questions(args.file), args.k)
    if args.json:
        print(json.dumps({"summary": summary, "records": records}, ensure_ascii=False, indent=1))
    else:
        print(format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
