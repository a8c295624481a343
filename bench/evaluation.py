"""python -m bench.evaluation [--store DIR]

Runs the frozen test split through the answer pipeline twice — with the fitted relevance decision
(bot/relevance.py) and with the first session's gate (coverage of the question's words ≥ 0.6 and
dense similarity ≥ 0.86, on the same retrieval and composer) — writes both results files to
eval/results/, and regenerates the evaluation tables in README.md and bench/results.md from them.
Nothing in those tables is typed by hand.
"""
from __future__ import annotations

import argparse
import json
import re
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = ROOT / "eval" / "test.jsonl"
RESULTS = ROOT / "eval" / "results"
START, END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"
OLD_MIN_COVERAGE, OLD_MIN_DENSE = 0.6, 0.86


def old_gate(retrieval):
    """The first session's decision: word coverage of the top three passages and dense similarity."""
    from bot.relevance import Verdict
    from bot.text import word_weights

    hits = retrieval.hits
    if not hits or retrieval.missing_article:
        return Verdict("not_found", 0.0, "old gate")
    if hits[0].article_match:
        return Verdict("answered", 1.0, "old gate: article")
    weights = word_weights(retrieval.query)
    text = "\n".join(f"{h.chunk.path}\n{h.chunk.text}" for h in hits[:3])
    coverage = sum(w for word, w in weights.items() if word in text) / sum(weights.values()) if weights else 1.0
    dense = max((h.dense or h.sentence or 0.0) for h in hits[:3])
    found = coverage >= OLD_MIN_COVERAGE and dense >= OLD_MIN_DENSE
    return Verdict("answered" if found else "not_found", float(found), "old gate")


@contextmanager
def gate(decide):
    from bot import answer, relevance

    original = relevance.decide
    relevance.decide = decide
    answer.relevance.decide = decide
    try:
        yield
    finally:
        relevance.decide = original


def run(service) -> dict[str, dict]:
    from bot.eval import evaluate, read_questions, service_pipeline

    questions = read_questions(TEST)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, decide in (("test", None), ("test-old-gate", old_gate)):
        if decide is None:
            summary, records = evaluate(service_pipeline(service), questions)
        else:
            with gate(decide):
                summary, records = evaluate(service_pipeline(service), questions)
        (RESULTS / f"{name}.json").write_text(json.dumps({"summary": summary, "records": records},
                                                         ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        out[name] = summary
    return out


ROWS = [("answerable questions answered 「没有找到」 (false refusals)", "false_refusal_rate"),
        ("unanswerable questions refused (not found or not stated)", "refusal_accuracy"),
        ("hit@1 (first citation holds the evidence)", "hit@1"), ("hit@5", "hit@5"), ("MRR", "mrr"),
        ("evidence inside the answer text", "evidence_in_answer"),
        ("median answer length (characters)", "answer_chars_p50"),
        ("retrieval hit@1 / hit@5 (ranked passages, shown or not)", None),
        ("warm answer p50 / p95 (ms, this 2-core machine)", None)]


def table(results: dict[str, dict]) -> str:
    new, old = results["test"], results["test-old-gate"]

    def cell(summary, key):
        if key is None:
            return ""
        return str(summary[key])

    lines = [f"On the frozen test split (`eval/test.jsonl`, {new['answerable']} answerable and "
             f"{new['unanswerable']} unanswerable questions written without the code), from "
             "`eval/results/test.json` and `eval/results/test-old-gate.json` (`python -m bench.evaluation`):", "",
             "| measured on the test split | fitted decision (default) | first session's gate |", "| --- | --- | --- |"]
    for label, key in ROWS:
        if key:
            lines.append(f"| {label} | {cell(new, key)} | {cell(old, key)} |")
        elif "retrieval" in label:
            lines.append(f"| {label} | {new['retrieval_hit@1']} / {new['retrieval_hit@5']} | "
                         f"{old['retrieval_hit@1']} / {old['retrieval_hit@5']} |")
        else:
            lines.append(f"| {label} | {new['latency_p50_ms']} / {new['latency_p95_ms']} | "
                         f"{old['latency_p50_ms']} / {old['latency_p95_ms']} |")
    lines += ["", f"Outcomes on the test split: {new['not_stated']} answers said the knowledge base covers the "
              "topic but does not state the figure or date asked."]
    return "\n".join(lines)


def load_results() -> dict[str, dict]:
    return {n: json.loads((RESULTS / f"{n}.json").read_text(encoding="utf-8"))["summary"]
            for n in ("test", "test-old-gate")}


def write_between_markers(path: Path, text: str) -> None:
    content = path.read_text(encoding="utf-8")
    block = f"{START}\n{text}\n{END}"
    if START in content:
        content = re.sub(f"{re.escape(START)}.*?{re.escape(END)}", lambda _m: block, content, flags=re.S)
    else:
        content = content.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluation", description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path)
    parser.add_argument("--tables-only", action="store_true", help="regenerate the tables from the results files")
    args = parser.parse_args(argv)
    if args.tables_only:
        results = load_results()
    else:
        from bot.service import open_service
        from ingest.settings import Settings

        settings = Settings.from_env()
        if args.store:
            settings = replace(settings, store_dir=args.store)
        results = run(open_service(settings))
    text = table(results)
    for path in (ROOT / "README.md", ROOT / "bench" / "results.md"):
        write_between_markers(path, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
