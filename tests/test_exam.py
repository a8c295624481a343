"""Mock exams: drawn by a blueprint, marked with every miss cited, kept per trainee, printed as Word."""
import csv
import io
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT
from docx import Document

from bot.exam import Blueprint, BlueprintError, basis, key_docx, paper_docx
from bot.grading import Grader
from bot.progress import Progress
from bot.quiz import QuizService

SMALL = Blueprint(counts={"choice": 4, "multi": 2, "judge": 2, "blank": 2, "short": 1})


@pytest.fixture
def quiz(tmp_path, service, embedder):
    return QuizService(service.retriever, Progress(tmp_path / "app.sqlite3"), Grader(embedder))


def test_a_paper_follows_its_blueprint(quiz):
    paper = quiz.paper(SMALL, seed=1)
    assert [i.kind for i in paper.items] == ["choice"] * 4 + ["multi"] * 2 + ["judge"] * 2 + ["blank"] * 2 + ["short"]
    assert len({i.chunk_id for i in paper.items}) == 11     # one question per passage: none gives another away
    assert SMALL.total == 4 * 1 + 2 * 2 + 2 * 1 + 2 * 1 + 5   # 单选 1, 多选 2, 判断 1, 填空 1, 简答 5 points
    assert [i.id for i in quiz.paper(SMALL, seed=1).items] == [i.id for i in paper.items]
    scoped = quiz.paper(Blueprint(counts={"choice": 3}, scope="doc:work_safety_law_2021.md"), seed=2)
    assert {i.source for i in scoped.items} == {"work_safety_law_2021.md"}
    with pytest.raises(BlueprintError, match="judge"):
        quiz.paper(Blueprint(counts={"judge": 10_000}))
    with pytest.raises(BlueprintError, match="counts"):
        quiz.paper(Blueprint(counts={"choice": -1}))


def test_handing_in_marks_every_answer_and_keeps_the_result(quiz, tmp_path, service, embedder):
    paper = quiz.paper(SMALL, seed=3)
    right = {i.id: i.answer for i in paper.items}
    result = quiz.hand_in("考生甲", paper.id, right)
    assert result.score == SMALL.total and result.passed and not result.misses()

    multi, judge = paper.items[4], paper.items[6]
    first_right = "ABCDE"[multi.options.index(multi.key_points[0])]
    wrong = {**right, paper.items[0].id: "不知道", multi.id: first_right,
             judge.id: "错" if judge.answer == "正确" else "对"}
    # another app process sharing the database, whose questions were generated otherwise (a changed
    # knowledge base), still marks the paper this one drew: the paper keeps its questions
    other = QuizService(service.retriever, Progress(tmp_path / "app.sqlite3"), Grader(embedder), seed=8)
    result = other.hand_in("考生乙", paper.id, wrong)
    # 单选 −1, 多选 with one right option of its key 0.5 of 2, 判断 −1: 13.5 of 17 fails at 80%
    assert result.score == SMALL.total - 3.5 and not result.passed
    assert [m.item.id for m in result.misses()] == [paper.items[0].id, multi.id, judge.id]
    assert [m.earned for m in result.misses()] == [0, 0.5, 0]
    assert all(basis(m.item).startswith("依据：《") for m in result.misses())
    assert quiz.progress.exams("考生乙")[0]["score"] == result.score
    assert paper.items[0].id in quiz.progress.review_order("考生乙")          # a miss comes back in review
    with pytest.raises(KeyError):
        quiz.hand_in("考生乙", "no-such-paper", {})
    with pytest.raises(KeyError, match="already handed in"):
        quiz.hand_in("考生乙", paper.id, right)                      # no second try with the answers shown
    failed = quiz.hand_in("考生丙", paper.id, {})
    assert failed.score == 0 and not failed.passed


def test_the_pass_mark_is_the_share_of_the_points_not_a_float_above_it():
    from bot.exam import Marked, Paper, Result
    from bot.grading import Grade

    # 17 points, pass at 80%: 13.6 passes (17 × 0.8 is 13.600000000000001 in floating point)
    paper = Paper("p", Blueprint(counts={"choice": 17}, points={"choice": 1.0}, pass_share=0.8), [], 0)
    earned = Marked(None, "", Grade("partial", 0.8, [], []), 13.6, 13.6)
    assert Result(paper, "t", [earned], 0).passed
    assert not Result(paper, "t", [Marked(None, "", Grade("partial", 0.8, [], []), 13.5, 13.5)], 0).passed


def test_the_printed_paper_hides_the_answers_and_the_key_cites_them(quiz):
    paper = quiz.paper(SMALL, seed=4)
    questions = "\n".join(p.text for p in Document(io.BytesIO(paper_docx(paper))).paragraphs)
    key = "\n".join(p.text for p in Document(io.BytesIO(key_docx(paper))).paragraphs)
    assert "一、单项选择题" in questions and "二、多项选择题" in questions and "满分 17 分" in questions
    for item in paper.items:
        if item.kind == "blank":
            assert item.sentence.split("____")[0] in questions
            assert item.sentence.replace("____", item.answer) not in questions
        if item.kind == "multi":   # every option printed with its letter; the key gives the letters
            assert all(f"{letter}. {option}" in questions for letter, option in zip("ABCDE", item.options))
            letters = "".join("ABCDE"[item.options.index(o)] for o in item.key_points)
            assert f"{letters}．" in key
        assert basis(item) in key and all(point in key for point in item.answer.split("；"))


def test_questions_export_as_csv_for_a_spreadsheet(shipped_kb, tmp_path):
    out = tmp_path / "questions.csv"
    env = {**os.environ, "KB_STORE_DIR": str(shipped_kb.settings.store_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bot", "quiz", "--export", str(out)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["编号", "题型", "题目", "选项", "答案", "依据", "文件"] and len(rows) > 600
    assert {r[1] for r in rows[1:]} >= {"单项选择题", "多项选择题", "判断题", "填空题", "简答题"}


def test_the_exam_in_the_terminal(shipped_kb, tmp_path):
    env = {**os.environ, "KB_STORE_DIR": str(shipped_kb.settings.store_dir), "PYTHONPATH": str(ROOT),
           "KB_APP_DB": str(tmp_path / "app.sqlite3")}
    done = subprocess.run([sys.executable, "-m", "bot", "exam", "--trainee", "终端考生", "--seed", "5",
                           "--counts", "choice=2,multi=1,judge=1"], input="A\nA\nAB\n对\n", env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "模拟考试：4 题，满分 5 分" in done.stdout and "【多选】" in done.stdout
    assert re.search(r"得分 [\d.]+ / 5，(?:不及格|及格)", done.stdout)
