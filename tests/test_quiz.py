"""Self-test questions: generated from the shipped knowledge base, validated, graded, remembered."""
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from bot.progress import Progress
from bot.grading import Grader, grade_exact, normalize
from bot.quiz import KINDS, QuizService, generate
from bot.records import QuizItem


@pytest.fixture(scope="module")
def generated(service):
    return generate(service.retriever.snapshot().chunks, seed=7)


def test_at_least_150_validated_questions_across_all_kinds(generated):
    items, report = generated
    assert len(items) >= 150
    counts = {k: sum(i.kind == k for i in items) for k in KINDS}
    assert all(counts[k] >= 5 for k in KINDS), counts
    per_document = [line for line in report.lines() if "candidates" in line]
    assert len(per_document) == 4 and sum(report.candidates.values()) >= len(items)


def test_generation_is_deterministic_for_a_seed(service, generated):
    again, _ = generate(service.retriever.snapshot().chunks, seed=7)
    assert [i.id for i in again] == [i.id for i in generated[0]]
    other, _ = generate(service.retriever.snapshot().chunks, seed=8)
    assert [i.id for i in other] != [i.id for i in generated[0]]


def test_a_sample_of_questions_checks_out_against_its_source(service, generated):
    items, _ = generated
    corpus = "\n".join(c.text for c in service.retriever.snapshot().chunks)
    texts = {c.id: c.text for c in service.retriever.snapshot().chunks}
    for item in items[::7]:
        assert texts[item.chunk_id] == item.passage
        if item.kind in ("blank", "choice"):
            sentence = item.question.split("：", 1)[1]
            assert sentence.count("____") == 1 and sentence.replace("____", item.answer) in item.passage
            assert item.answer.strip() and normalize(item.answer)
        if item.kind == "choice":
            assert len(set(item.options)) == 4 and item.answer in item.options
            true = [o for o in item.options if sentence.replace("____", o) in corpus]
            assert true == [item.answer]
        if item.kind in ("enumeration", "short"):
            assert all(p in item.passage for p in item.key_points)


def test_true_or_false_statements_are_the_provision_or_a_plausible_figure_it_does_not_say(service, generated):
    items, _ = generated
    corpus = "\n".join(c.text for c in service.retriever.snapshot().chunks)
    judged = [i for i in items if i.kind == "judge"]
    assert {i.answer for i in judged} == {"正确", "错误"}
    for item in judged:
        statement, truth = item.question.split("：", 1)[1], item.key_points[0]
        assert truth in item.passage and item.options == ["正确", "错误"]
        assert (statement in corpus) == (item.answer == "正确")
        if item.answer == "错误":   # one figure changed, to one of the same order of magnitude
            changed = [(a, b) for a, b in zip(statement, truth) if a != b]
            assert changed and len(statement) - len(truth) in (-2, -1, 0, 1, 2)


@pytest.mark.parametrize("given,verdict", [("对", "correct"), ("√", "correct"), ("A", "correct"), ("True", "correct"),
                                           ("对的", "correct"), ("错", "wrong"), ("×", "wrong"), ("B", "wrong"),
                                           ("不正确。", "wrong")])
def test_true_or_false_takes_the_usual_marks(given, verdict):
    item = QuizItem("j", "judge", "判断：处二万元以下的罚款", ["正确", "错误"], "正确", "s", "", "处二万元以下的罚款",
                    key_points=["处二万元以下的罚款"])
    assert grade_exact(item, given).verdict == verdict


def test_the_expected_questions_are_there(generated):
    questions = {i.question: i for i in generated[0]}
    three = next(i for q, i in questions.items() if q.startswith("“三个必须”具体指哪三句话"))
    assert three.key_points == ["管行业必须管安全", "管业务必须管安全", "管生产经营必须管安全"]
    duties = next(i for q, i in questions.items() if "第二十一条" in q and i.kind == "enumeration")
    assert "（列出任意四项）" in duties.question and len(duties.key_points) == 7
    assert any(i.kind == "short" and "“管业务必须管安全”明确了什么" in q for q, i in questions.items())
    assert any(i.kind == "enumeration" and "2个专题" in q for q, i in questions.items())


def blank(answer):
    return QuizItem("x", "blank", "填空：____", [], answer, "s", "", "____")


@pytest.mark.parametrize("answer,given", [("10", "１０"), ("二万", "20000"), ("30人", "三十人"),
                                          ("一〇", "一零"), ("安全第一", " 安全 第一 "), ("十万", "10万"),
                                          ("二十四小时", "24小时")])
def test_exact_grading_tolerates_width_spaces_and_numerals(answer, given):
    assert grade_exact(blank(answer), given).verdict == "correct"


@pytest.mark.parametrize("answer,given", [("十万", "20万"), ("30人以上", "30人以下"), ("二十四小时", "24天")])
def test_exact_grading_still_tells_other_figures_apart(answer, given):
    assert grade_exact(blank(answer), given).verdict == "wrong"


def test_choice_accepts_the_letter():
    item = QuizItem("x", "choice", "选择：____", ["甲", "乙", "丙", "丁"], "丙", "s", "", "____")
    assert grade_exact(item, "c").verdict == "correct" and grade_exact(item, "A").verdict == "wrong"


def test_progress_persists_and_review_brings_misses_first(tmp_path, service):
    items = {f"i{n}": QuizItem(f"i{n}", "blank", f"q{n}", [], "a", "doc.md", "第一章", "a") for n in range(3)}
    progress = Progress(tmp_path / "quiz.sqlite3")
    progress.record("王五", items["i0"], "correct", 1.0, "a", now=1000)
    progress.record("王五", items["i1"], "wrong", 0.0, "b", now=1001)
    progress.record("王五", items["i2"], "partial", 0.5, "c", now=1002)
    reopened = Progress(tmp_path / "quiz.sqlite3")        # a restart loses nothing
    scores = reopened.scores("王五")
    assert (scores["answered"], scores["correct"]) == (3, 1)
    assert scores["by_document"][0]["name"] == "doc.md"
    assert reopened.review_order("王五", now=1003)[:2] == ["i1", "i2"]   # box 1 first; i0 moved up a box
    assert "i0" not in reopened.review_order("王五", now=1003)
    assert reopened.scores("别人")["answered"] == 0


def test_quiz_service_scopes_and_review(tmp_path, service, embedder):
    quiz = QuizService(service.retriever, Progress(tmp_path / "q.sqlite3"), Grader(embedder))
    scopes = dict((v, k) for k, v in quiz.scopes())
    assert "doc:work_safety_law_2021.md" in scopes
    item = quiz.pick("赵六", "doc:应急局局长安全访谈稿.docx", ("blank",))
    assert item.source == "应急局局长安全访谈稿.docx" and item.kind == "blank"
    assert quiz.submit("赵六", item.id, "不知道").grade.verdict == "wrong"
    assert quiz.pick("赵六", "doc:应急局局长安全访谈稿.docx", ("blank",), review=True).id == item.id


def test_cli_export_and_grade(shipped_kb, tmp_path):
    env = {**os.environ, "KB_STORE_DIR": str(shipped_kb.settings.store_dir), "PYTHONPATH": str(ROOT)}
    out = tmp_path / "questions.jsonl"
    done = subprocess.run([sys.executable, "-m", "bot", "quiz", "--export", str(out)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 150 and set(rows[0]) == {"id", "kind", "question", "options", "answer", "source",
                                                 "section", "passage"}
    assert "candidates" in done.stderr and "rejected" in done.stderr
    lines = tmp_path / "answers.jsonl"
    lines.write_text(json.dumps({"question": "安全生产工作坚持什么方针？", "reference": "安全第一、预防为主、综合治理",
                                 "answer": "安全第一，预防为主"}, ensure_ascii=False), encoding="utf-8")
    graded = subprocess.run([sys.executable, "-m", "bot", "quiz", "--grade", str(lines)], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    result = json.loads(graded.stdout)
    assert result["verdict"] == "partial" and result["missed"] == ["综合治理"]
