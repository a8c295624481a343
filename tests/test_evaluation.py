"""The evaluation set's numbers, guarded. Thresholds sit a little under what the README
reports, so a regression of two or three questions fails here."""
import json
import os
import subprocess
import sys

from conftest import EVAL, ROOT

from bot.eval import evaluate, read_questions, service_pipeline


def test_evaluation_set_is_large_and_varied():
    questions = read_questions(EVAL)
    kinds = {q["kind"] for q in questions}
    assert len(questions) >= 60
    assert sum(q["source"] is None for q in questions) >= 8
    assert {"copied", "paraphrase", "colloquial", "multi", "article", "english", "unanswerable"} <= kinds


def test_quality_on_the_evaluation_set(service):
    summary, _ = evaluate(service_pipeline(service), read_questions(EVAL))
    assert summary["hit@1"] >= 0.75
    assert summary["hit@3"] >= 0.95
    assert summary["mrr"] >= 0.85
    assert summary["evidence_in_answer"] >= 0.85
    assert summary["false_refusal_rate"] <= 0.05
    assert summary["refusal_accuracy"] >= 0.83


def test_eval_cli(shipped_kb, tmp_path):
    subset = tmp_path / "three.jsonl"
    subset.write_text("\n".join(EVAL.read_text(encoding="utf-8").splitlines()[:2] + [
        json.dumps({"id": "x", "question": "明天天气怎么样？", "evidence": [], "source": None})]), encoding="utf-8")
    env = {**os.environ, "KB_STORE_DIR": str(shipped_kb.settings.store_dir), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bot.eval", str(subset), "--json"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["summary"]["hit@1"] == 1.0 and data["summary"]["refusal_accuracy"] == 1.0
    assert len(data["records"]) == 3 and data["records"][0]["answer"]["citations"]
