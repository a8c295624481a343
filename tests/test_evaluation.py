"""The frozen test split's numbers, guarded: each threshold sits a few questions under what
eval/results/test.json (and so README) reports, so a regression of the method fails here. The
split itself is never used to fit anything (bot/calibrate.py refuses it)."""
import json
import os
import subprocess
import sys

import pytest
from conftest import DEV, EVAL, ROOT

from bot.eval import evaluate, read_questions, service_pipeline

SCORER = ROOT / "tests" / "fixtures" / "score.py"


def test_the_splits_are_large_varied_and_apart():
    test, dev, dev3 = read_questions(EVAL), read_questions(DEV), read_questions(DEV.with_name("dev3.jsonl"))
    assert len(test) + len(dev) >= 300
    for split in (test, dev, dev3):
        kinds = [q["kind"] for q in split]
        assert sum(q["source"] is None for q in split) >= 0.15 * len(split)
        assert sum(k in ("scenario", "colloquial") for k in kinds) >= 0.4 * len(split)
        assert sum(k == "english" for k in kinds) >= 0.1 * len(split)
        assert sum(k == "copied" for k in kinds) <= 0.2 * len(split)
        assert any(q.get("history") for q in split)
    assert not {q["question"] for q in test} & {q["question"] for q in dev + dev3}


def test_quality_on_the_test_split(service):
    summary, records = evaluate(service_pipeline(service), read_questions(EVAL))
    assert summary["false_refusal_rate"] <= 0.06
    assert summary["refusal_accuracy"] >= 0.45
    assert summary["hit@1"] >= 0.68
    assert summary["hit@5"] >= 0.85
    assert summary["mrr"] >= 0.76
    assert summary["evidence_in_answer"] >= 0.66
    # an unanswerable question that still gets an answer shows where every sentence of it comes from
    for r in records:
        if not r["answerable"] and r["outcome"] == "answered":
            assert r["answer"]["citations"], r["question"]


def test_calibration_refuses_the_test_split():
    out = subprocess.run([sys.executable, "-m", "bot.calibrate", str(EVAL)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode != 0 and "test split is never used" in out.stderr


def test_eval_cli(shipped_kb, tmp_path):
    subset = tmp_path / "three.jsonl"
    lines = [json.dumps({"id": "a", "question": "“三个必须”具体指什么？", "source": "应急局局长安全访谈稿.docx",
                         "evidence": ["管行业必须管安全、管业务必须管安全、管生产经营必须管安全"]}, ensure_ascii=False),
             json.dumps({"id": "b", "question": "那第二个呢？", "history": ["“三个必须”具体指什么？"],
                         "source": "应急局局长安全访谈稿.docx", "evidence": ["管业务必须管安全"]}, ensure_ascii=False),
             json.dumps({"id": "x", "question": "红烧肉怎么做才不腻？", "evidence": [], "source": None}, ensure_ascii=False)]
    subset.write_text("\n".join(lines), encoding="utf-8")
    env = {**os.environ, "KB_STORE_DIR": str(shipped_kb.settings.store_dir), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bot.eval", str(subset), "--json"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["summary"]["hit@1"] == 1.0 and data["summary"]["refusal_accuracy"] == 1.0
    assert [r["outcome"] for r in data["records"]] == ["answered", "answered", "not_found"]

    # the held-out sets are scored by ../shared/eval/score.py (a verbatim copy in fixtures): it must
    # find every record and agree with the summary bot.eval prints
    output = tmp_path / "answers.json"
    output.write_text(out.stdout, encoding="utf-8")
    scored = subprocess.run([sys.executable, str(SCORER), str(subset), str(output)], capture_output=True, text=True)
    scores = json.loads(scored.stdout)
    assert scores["missing"] == 0
    assert (scores["hit@1"], scores["refusal"]) == (1.0, 1.0)


def test_the_scorer_copy_is_the_shared_one():
    shared = ROOT.parent / "shared" / "eval" / "score.py"
    if not shared.exists():
        pytest.skip("../shared is absent (a clone on its own)")
    assert SCORER.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")


def test_eval_on_an_empty_store_stops_with_a_clear_error(tmp_path):
    env = {**os.environ, "KB_STORE_DIR": str(tmp_path / "empty"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bot.eval", str(EVAL)], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "is empty" in out.stderr and "python -m ingest" in out.stderr
