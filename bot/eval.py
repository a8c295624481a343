"""python -m bot.eval FILE.jsonl [--json] [--store DIR] [-k 5]

Each line: {"id", "question", "evidence": [exact substrings a correct passage contains],
"source": file name or null (null = the knowledge base cannot answer it), optionally "history":
[the user's earlier questions in the conversation]}.

Scored by what the user sees, as ../shared/eval/score.py scores the held-out sets: hit@k and MRR
are over the citations shown with the answer (a hit = a cited passage that contains an evidence
string), and a refused answerable question scores zero; evidence-in-answer is the share of evidence
strings in the answer text itself (whitespace ignored); refusal accuracy is over the unanswerable
lines, the false-refusal rate over the answerable ones. `retrieval_hit@k` is over the ranked
passages behind the answer, whatever was shown; `quoted_hit@5` over the sources the answer quotes
(without its unquoted 「另见」 ones).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from .records import Answer

Pipeline = Callable[[str, list[str] | None], tuple[Answer, list[str]]]


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


def squash(text: str | None) -> str:
    """Whitespace ignored, as the held-out sets are scored."""
    return re.sub(r"\s+", "", text or "")


def holds_evidence(text: str, evidence: list[str]) -> bool:
    text = squash(text)
    return any(squash(e) in text for e in evidence)


def _first_rank(texts: list[str], evidence: list[str], k: int) -> int | None:
    return next((i + 1 for i, text in enumerate(texts[:k]) if any(e in text for e in evidence)), None)


def evaluate(pipeline: Pipeline, questions: list[dict], k: int = 5) -> tuple[dict, list[dict]]:
    records, latencies = [], []
    for q in questions:
        started = time.perf_counter()
        answer, ranked = pipeline(q["question"], q.get("history"))
        latencies.append((time.perf_counter() - started) * 1000)
        evidence = [squash(e) for e in q["evidence"]]
        cited = [squash(c.text) for c in answer.citations]
        text = squash(answer.answer)
        records.append({"id": q["id"], "question": q["question"], "answerable": q.get("source") is not None,
                        "kind": q.get("kind", ""), "rank": _first_rank(cited, evidence, k),
                        "quoted_rank": _first_rank([squash(c.text) for c in answer.citations if not c.see_also],
                                                   evidence, k),
                        "retrieval_rank": _first_rank([squash(t) for t in ranked], evidence, k),
                        "found": answer.found, "outcome": answer.outcome,
                        "evidence_in_answer": sum(e in text for e in evidence) / max(len(evidence), 1),
                        "answer_chars": len(re.sub(r"\[\d+\]", "", answer.answer)) if answer.found else None,
                        "latency_ms": round(latencies[-1], 1), "answer": _scorable(answer)})
    return summarize(records, latencies), records


def _scorable(answer: Answer) -> dict:
    """The answer's JSON without its own `id`: scorers merge the answer into its record and key
    records by `id`, so the answer's feedback id must not take the question's place."""
    data = answer.to_json()
    data["answer_id"] = data.pop("id")
    return data


def summarize(records: list[dict], latencies: list[float]) -> dict:
    answerable = [r for r in records if r["answerable"]]
    unanswerable = [r for r in records if not r["answerable"]]

    def share(items, test):
        return round(sum(1 for r in items if test(r)) / len(items), 3) if items else None

    def ranked_within(key, n):
        return share(answerable, lambda r: r[key] is not None and r[key] <= n)

    lengths = [r["answer_chars"] for r in answerable if r["answer_chars"] is not None]
    return {
        "questions": len(records), "answerable": len(answerable), "unanswerable": len(unanswerable),
        "hit@1": ranked_within("rank", 1), "hit@3": ranked_within("rank", 3), "hit@5": ranked_within("rank", 5),
        "quoted_hit@5": ranked_within("quoted_rank", 5),
        "mrr": round(sum(1 / r["rank"] for r in answerable if r["rank"]) / len(answerable), 3) if answerable else None,
        "evidence_in_answer": round(sum(r["evidence_in_answer"] for r in answerable) / len(answerable), 3)
        if answerable else None,
        "refusal_accuracy": share(unanswerable, lambda r: not r["found"]),
        "false_refusal_rate": share(answerable, lambda r: not r["found"]),
        "retrieval_hit@1": ranked_within("retrieval_rank", 1), "retrieval_hit@5": ranked_within("retrieval_rank", 5),
        "not_stated": sum(r["outcome"] == "not_stated" for r in records),
        "answer_chars_p50": float(np.percentile(lengths, 50)) if lengths else None,
        "latency_p50_ms": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_p95_ms": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
    }


def service_pipeline(service, k: int = 5) -> Pipeline:
    """The project's own pipeline: the answer, and the ranked passages behind it."""
    def run(question: str, history: list[str] | None = None):
        answer, hits = service.answerer.respond(question, history, k=k)
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
    if not service.kb.store.documents():
        where = settings.chroma_host or settings.store_dir
        raise SystemExit(f"error: the knowledge base at {where} is empty; run `python -m ingest` first "
                         "(or pass --store DIR of an ingested store)")
    summary, records = evaluate(service_pipeline(service, args.k), read_questions(args.file), args.k)
    if args.json:
        print(json.dumps({"summary": summary, "records": records}, ensure_ascii=False, indent=1))
    else:
        print(format_summary(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
