"""python -m bench.evaluation [--store DIR]

Runs the frozen test split through the answer pipeline twice — with the fitted relevance decision
(bot/relevance.py) and with the first session's gate (coverage of the question's words ≥ 0.6 and
dense similarity ≥ 0.86, on the same retrieval and composer) — and the quiz grader over the frozen
graded answers (eval/grading-test2.jsonl, eval/grading-test.jsonl), writes the results files to
eval/results/, and regenerates the evaluation tables in README.md and bench/results.md from them. Nothing in those tables is typed
by hand. (eval/results/grading-test-previous.json is the grader before the fourth session, run once
from commit 636edf1 with `python -m bot quiz --grade`.)
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
# The grader's frozen test sets: grading-test2 was written in the sixth session and frozen before the
# grader first ran on it; grading-test has been looked at while fixing the grader since the fifth.
GRADING_TESTS = ("grading-test2", "grading-test")
GRADING_MARKERS = ("<!-- grading:start -->", "<!-- grading:end -->")
VERDICTS = ("correct", "partial", "wrong")
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
        ("hit@1 (first citation holds the evidence)", "hit@1"), ("hit@5", "hit@5"),
        ("hit@5 counting only the sources the answer quotes (not 另见)", "quoted_hit@5"), ("MRR", "mrr"),
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


def run_grading(embedder) -> None:
    """The quiz grader on each frozen set of graded answers; writes eval/results/<set>.json."""
    from bot.grading import Grader, key_points_of, needed_points

    grader = Grader(embedder)
    for name in GRADING_TESTS:
        records = []
        for line in (ROOT / "eval" / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                points = key_points_of(row["reference"])
                grade = grader.grade_text(row["question"], points, row["reference"], row["answer"],
                                          needed_points(row["question"], points))
                records.append({**row, "verdict": grade.verdict, "sure": grade.sure, "hit": grade.hit,
                                "missed": grade.missed, "wrong_figures": grade.wrong_figures})
        (RESULTS / f"{name}.json").write_text(json.dumps({"summary": grading_summary(records), "records": records},
                                                         ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def grading_summary(records: list[dict]) -> dict:
    def share(items):
        return round(sum(r["verdict"] == r["expected"] for r in items) / len(items), 3) if items else None

    sure = [r for r in records if r.get("sure", True)]
    return {"answers": len(records), "agreement": share(records),
            "wrong_graded_correct": sum(r["expected"] == "wrong" and r["verdict"] == "correct" for r in records),
            "correct_graded_wrong": sum(r["expected"] == "correct" and r["verdict"] == "wrong" for r in records),
            "unsure": len(records) - len(sure), "agreement_when_sure": share(sure),
            "confusion": {e: {v: sum(r["expected"] == e and r["verdict"] == v for r in records) for v in VERDICTS}
                          for e in VERDICTS}}


GRADING_COLUMNS = (("grading-test2", "new test set (fresh)"), ("grading-test", "first test set"),
                   ("grading-test-previous", "first test set, fourth session's grader"))


def grading_table(results: dict[str, dict]) -> str:
    columns = [(name, label) for name, label in GRADING_COLUMNS if name in results]
    new = results[columns[0][0]]
    lines = ["The quiz grader on trainee answers graded by people and never used for fitting, from "
             + ", ".join(f"`eval/results/{name}.json`" for name, _ in columns) + ". "
             "`eval/grading-test2.jsonl` was written by a helper that never saw the code and frozen before the "
             "grader first ran on it; `eval/grading-test.jsonl` has been looked at while fixing the grader.", "",
             "| | " + " | ".join(f"{label} ({results[name]['answers']} answers)" for name, label in columns) + " |",
             "| --- |" + " --- |" * len(columns)]
    for label, key in (("agrees with the people's verdict", "agreement"),
                       ("wrong answers graded correct", "wrong_graded_correct"),
                       ("correct answers graded wrong", "correct_graded_wrong"),
                       ("answers it marks unsure (the trainee checks the points)", "unsure"),
                       ("agreement on the answers it is sure of", "agreement_when_sure")):
        lines.append(f"| {label} | " + " | ".join(str(results[name].get(key, "")) for name, _ in columns) + " |")
    lines += ["", "Verdicts on the new test set (rows: people; columns: this grader):", "",
              "| | " + " | ".join(VERDICTS) + " |", "| --- |" + " --- |" * len(VERDICTS)]
    lines += [f"| {e} | " + " | ".join(str(new["confusion"][e][v]) for v in VERDICTS) + " |" for e in VERDICTS]
    return "\n".join(lines)


def load_grading() -> dict[str, dict]:
    out = {}
    for name, _ in GRADING_COLUMNS:
        path = RESULTS / f"{name}.json"
        if path.exists():
            out[name] = json.loads(path.read_text(encoding="utf-8"))["summary"]
    return out


def load_results() -> dict[str, dict]:
    return {n: json.loads((RESULTS / f"{n}.json").read_text(encoding="utf-8"))["summary"]
            for n in ("test", "test-old-gate")}


def write_between_markers(path: Path, text: str, markers: tuple[str, str] = (START, END)) -> None:
    start, end = markers
    content = path.read_text(encoding="utf-8")
    block = f"{start}\n{text}\n{end}"
    if start in content:
        content = re.sub(f"{re.escape(start)}.*?{re.escape(end)}", lambda _m: block, content, flags=re.S)
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
        service = open_service(settings)
        results = run(service)
        run_grading(service.kb.embedder)
    text, grading = table(results), grading_table(load_grading())
    for path in (ROOT / "README.md", ROOT / "bench" / "results.md"):
        write_between_markers(path, text)
        write_between_markers(path, grading, GRADING_MARKERS)
    print(text, grading, sep="\n\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
