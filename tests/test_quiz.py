"""Self-test questions: generated from the shipped knowledge base, validated, graded, remembered."""
import json
import os
import sqlite3
import subprocess
import threading
import sys

import pytest
from conftest import ROOT

import re
from collections import Counter

from bot.exam import Blueprint, mark
from bot.grading import Grader, chosen, grade_exact, normalize
from bot.progress import Progress
from bot.quiz import KINDS, QuizService, generate
from bot.records import QuizItem
from bot.text import is_function_word
from bot.retrieval import join_articles
from bot.validation import LIST_CLAIM, NOT_LISTED, says


@pytest.fixture(scope="module")
def generated(service):
    return generate(service.retriever.snapshot().chunks, seed=7, embedder=service.kb.embedder)


@pytest.fixture(scope="module")
def corpus(service):
    return "\n".join(c.text for c in service.retriever.snapshot().chunks)


def test_an_exam_bank_of_every_kind_that_asks_every_article(service, generated):
    items, report = generated
    counts = {k: sum(i.kind == k for i in items) for k in KINDS}
    assert len(items) >= 600 and all(counts[k] >= 100 for k in ("choice", "multi", "judge")), counts
    assert all(counts[k] >= 5 for k in KINDS), counts
    articles = {(c.source, c.article) for c in service.retriever.snapshot().chunks if c.article}
    assert articles and articles <= {(i.source, i.article) for i in items}
    per_document = [line for line in report.lines() if "candidates" in line]
    assert len(per_document) == 4 and sum(report.candidates.values()) >= len(items)


def test_generation_is_deterministic_for_a_seed(service, generated):
    again, _ = generate(service.retriever.snapshot().chunks, seed=7, embedder=service.kb.embedder)
    assert [i.id for i in again] == [i.id for i in generated[0]]
    other, _ = generate(service.retriever.snapshot().chunks, seed=8, embedder=service.kb.embedder)
    assert [i.id for i in other] != [i.id for i in generated[0]]


def test_every_objective_item_has_exactly_the_key_it_claims(service, generated, corpus):
    items, _ = generated
    # an article stored as several chunks is asked whole, under its first chunk's id
    texts = {whole.id: whole.text for whole, _ in join_articles(service.retriever.snapshot().chunks)}
    for item in items:
        assert texts[item.chunk_id] == item.passage
        if item.kind == "choice" and NOT_LISTED in item.question:   # three of a list's items and one from elsewhere
            assert [o for o in item.options if o not in item.passage] == [item.answer] and len(set(item.options)) == 4
            continue
        if item.kind in ("blank", "choice"):
            assert item.sentence.count("____") == 1 and says(item.sentence.replace("____", item.answer), item.passage)
            assert item.answer.strip() and normalize(item.answer) and item.sentence in item.question
        if item.kind == "choice":
            assert len(set(item.options)) == 4 and item.answer in item.options
            assert [o for o in item.options if says(item.sentence.replace("____", o), corpus)] == [item.answer]
        if item.kind == "multi":
            assert 4 <= len(set(item.options)) == len(item.options) <= 5 and 2 <= len(item.key_points) <= 4
            assert all((o in item.key_points) == (o in item.passage) for o in item.options)
        if item.kind in ("enumeration", "short"):
            assert all(p in item.passage for p in item.key_points)


def test_true_or_false_is_the_provision_or_one_fact_changed(generated, corpus):
    items, _ = generated
    judged = [i for i in items if i.kind == "judge"]
    assert {i.answer for i in judged} == {"正确", "错误"} and all(i.options == ["正确", "错误"] for i in judged)
    for item in judged:
        if LIST_CLAIM in item.sentence:   # an item said to be in a provision's list: its own, another list's,
            said = item.sentence.split(LIST_CLAIM, 1)[1]   # or its own with a figure changed
            assert (said in item.passage) == (item.answer == "正确") and (said in corpus or item.answer == "错误")
            continue
        truth = item.key_points[0]
        assert says(truth, item.passage) and says(item.sentence, corpus) == (item.answer == "正确")
        if item.answer == "错误":   # one fact changed: the rest of the sentence stays as the provision says it
            prefix = len(os.path.commonprefix([item.sentence, truth]))
            suffix = len(os.path.commonprefix([item.sentence[::-1], truth[::-1]]))
            assert len(truth) - prefix - suffix <= 8 and len(item.sentence) - prefix - suffix <= 8   # one figure


def test_items_ask_what_an_exam_asks(generated):
    items, _ = generated
    for item in items:
        assert "哪些简称" not in item.question and "（以下简称" not in item.question.split("：")[0]
        if NOT_LISTED in item.question:   # a list's lead with options from its items: checked with the keys
            continue
        if item.kind in ("blank", "choice", "judge") and LIST_CLAIM not in item.sentence:
            # a whole sentence that stands on its own: not a clause that leans on the one before, not a
            # list's lead without its list, not the article's label
            assert not re.match(r"(?:逾期|这|该|此|有前款|以上)", item.sentence)
            assert "：" in item.sentence or not re.search(r"下列", item.sentence)
            assert not re.match(r"第[一二三四五六七八九十百零]+条", item.sentence)
        if item.kind in ("blank", "choice"):
            assert not is_function_word(item.answer)
            assert len(item.answer) >= 2 or re.fullmatch(r"\d|[一二两三四五六七八九十]", item.answer)
            assert not re.search(r"(?:同|第|上)____", item.sentence)   # 同一, 第三人, 上一年 are no figures
        if item.kind == "choice":
            figures = [o for o in item.options if re.fullmatch(r"[\d.]+|[一二两三四五六七八九十百千万]+", o)]
            if figures:   # a figure among figures written the same way, none the same value as another
                assert len(figures) == 4 and len({bool(re.search(r"\d", o)) for o in figures}) == 1
            else:         # no option inside another: 「安全」 beside 「安全生产」 gives the key away
                assert not any(a != b and a in b for a in item.options for b in item.options)
                assert not any(re.match(r"有关|其他", o) for o in item.options)   # no vague party
    # a list's lead with its fine is asked once, not once per item of the list
    asked = Counter(i.question for i in items if i.kind in ("choice", "blank"))
    assert max(asked.values()) <= 2


def test_wrong_options_are_nearer_in_meaning_than_chance(service, generated):
    """多选's wrong options are other lists' items nearest the list, by the embedder: nearer to the
    list's items than the other lists' items are on average."""
    from bot.generation import listings

    lists = [x for c in service.retriever.snapshot().chunks for x in listings(c)]
    embed = service.kb.embedder.passages
    gains = []
    for item in [i for i in generated[0] if i.kind == "multi"][:40]:
        wrong = [o for o in item.options if o not in item.key_points]
        pool = [x for lst in lists if lst.chunk.source == item.source and not set(lst.items) & set(item.key_points)
                for x in lst.items]
        centre = embed(item.key_points).mean(axis=0)
        gains.append(float((embed(wrong) @ centre).mean() - (embed(pool) @ centre).mean()))
    assert len(gains) >= 20 and sum(g > 0 for g in gains) >= 0.8 * len(gains)


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
    assert "（共七项，列出任意四项）" in duties.question and len(duties.key_points) == 7
    assert any(i.kind == "enumeration" and "2个专题" in q for q, i in questions.items())
    asked = [i for i in generated[0] if i.kind == "multi" and i.article == "第二十一条" and "安全生产法" in i.title]
    assert asked and all(set(i.key_points) <= set(duties.key_points) for i in asked)
    assert any(i.kind == "short" and "第一条规定的立法目的是什么" in q for q, i in questions.items())


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


def multi(key=("甲", "丙")):
    options = ["甲", "乙", "丙", "丁", "戊"]
    return QuizItem("m", "multi", "多选：…", options, "；".join(key), "s", "", "…", key_points=list(key))


@pytest.mark.parametrize("given,verdict,score", [("AC", "correct", 1.0), ("c, a", "correct", 1.0), ("甲；丙", "correct", 1.0),
                                                 ("ＡＣ", "correct", 1.0), ("A/C。", "correct", 1.0), ("丙、甲", "correct", 1.0),
                                                 ("A", "partial", 0.5), ("ABC", "wrong", 0.0), ("B", "wrong", 0.0),
                                                 ("", "wrong", 0.0)])
def test_multi_select_is_marked_as_the_exam_marks_it(given, verdict, score):
    grade = grade_exact(multi(), given)
    assert (grade.verdict, grade.score) == (verdict, score)
    assert chosen(multi(), "ace") == ["甲", "丙", "戊"]


def test_an_incomplete_multi_select_earns_half_a_point_per_right_option():
    item = multi(("甲", "丙", "丁"))
    paper = type("P", (), {"items": [item], "blueprint": Blueprint(counts={"multi": 1}),
                           "points": lambda self, i: 2.0})()
    for given, earned in (("ACD", 2.0), ("AC", 1.0), ("A", 0.5), ("AB", 0.0)):
        assert mark(paper, {"m": given}, Grader(None), "t", 0).marked[0].earned == earned


def test_a_paper_handed_in_twice_at_once_is_kept_once(tmp_path):
    progress = Progress(tmp_path / "app.sqlite3")
    item = QuizItem("h1", "choice", "q", ["a", "b", "c", "d"], "a", "doc.md", "", "a")
    outcomes = []

    def hand_in():
        try:
            Progress(tmp_path / "app.sqlite3").hand_in("钱七", "paper-1", [(item, "correct", 1.0, "a")], 1, 1, True, 5, {})
            outcomes.append("kept")
        except KeyError:
            outcomes.append("refused")

    threads = [threading.Thread(target=hand_in) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["kept", "refused", "refused", "refused"]
    assert len(progress.exams("钱七")) == 1 and progress.answered("钱七") == 1


def test_practice_moves_on_after_each_answer_when_all_are_seen(tmp_path, service, embedder):
    quiz = QuizService(service.retriever, Progress(tmp_path / "q.sqlite3"), Grader(embedder))
    favourites = [i for i in quiz.items().values() if i.kind == "choice"][:3]
    for item in favourites:
        quiz.toggle_favourite("孙八", item.id)
        quiz.submit("孙八", item.id, item.answer)           # all seen
    asked = []
    for _ in range(6):
        item = quiz.pick("孙八", "all", KINDS, mode="favourites")
        asked.append(item.id)
        quiz.submit("孙八", item.id, item.answer)
    assert len(set(asked)) > 1


def test_fsrs_brings_a_miss_back_soon_and_a_right_answer_later(tmp_path):
    items = {f"i{n}": QuizItem(f"i{n}", "blank", f"q{n}", [], "a", "doc.md", "第一章", "a") for n in range(3)}
    progress = Progress(tmp_path / "quiz.sqlite3")
    day = 86400.0
    right = progress.record("王五", items["i0"], "correct", 1.0, "a", now=1000 * day)
    missed = progress.record("王五", items["i1"], "wrong", 0.0, "b", now=1000 * day + 1)
    half = progress.record("王五", items["i2"], "partial", 0.5, "c", now=1000 * day + 2)
    assert missed - 1000 * day < 3600 < right - 1000 * day            # Again: minutes; Good: later
    assert missed <= half <= right
    reopened = Progress(tmp_path / "quiz.sqlite3")                     # a restart loses nothing
    scores = reopened.scores("王五")
    assert (scores["answered"], scores["correct"]) == (3, 1)
    assert scores["by_document"][0]["name"] == "doc.md" and scores["by_kind"][0]["name"] == "blank"
    assert [r["item_id"] for r in reopened.wrong_book("王五")] == ["i2", "i1"]   # the latest miss first
    assert reopened.review_order("王五", now=1000 * day + 3)[:2] == ["i1", "i2"]   # the book, oldest miss first
    assert "i0" not in reopened.review_order("王五", now=1000 * day + 3)
    assert "i0" in reopened.due("王五", now=right + 1)
    reopened.record("王五", items["i1"], "correct", 1.0, "a", now=1000 * day + 4)
    assert [r["item_id"] for r in reopened.wrong_book("王五")] == ["i2"]         # answered right: out of the book
    assert reopened.card("王五", "i1").last_review is not None
    assert reopened.scores("别人")["answered"] == 0


def test_leitner_boxes_of_an_older_store_become_fsrs_cards(tmp_path):
    path = tmp_path / "app.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE boxes (trainee TEXT, item_id TEXT, box INTEGER, due REAL, PRIMARY KEY (trainee, item_id))")
        db.executemany("INSERT INTO boxes VALUES (?,?,?,?)", [("老学员", "a", 1, 5000.0), ("老学员", "b", 4, 9e9)])
    progress = Progress(path)
    assert progress.due("老学员", now=6000) == ["a"] and progress.seen("老学员") == {"a", "b"}
    card = progress.card("老学员", "b")
    assert card.stability == 7.0 and card.due.timestamp() == 9e9           # box 4: a 7-day interval, due as it was
    assert Progress(path).seen("老学员") == {"a", "b"}                     # migrated once, nothing lost on reopening
    with sqlite3.connect(path) as db:
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name='boxes'").fetchone()


def test_favourites_and_readiness(tmp_path):
    progress = Progress(tmp_path / "quiz.sqlite3")
    item = QuizItem("f1", "choice", "q", ["a", "b", "c", "d"], "a", "doc.md", "", "a")
    assert progress.toggle_favourite("赵六", item) and progress.favourites("赵六")[0]["id"] == "f1"
    assert not progress.toggle_favourite("赵六", item) and progress.favourites("赵六") == []
    assert progress.readiness("赵六") is None
    for n, (score, passed) in enumerate(((70, False), (85, True), (90, True))):
        progress.hand_in("赵六", f"p{n}", [(item, "correct", 1.0, "a")], score, 100, passed, 600, {}, now=n)
    ready = progress.readiness("赵六")
    assert ready["papers"] == 3 and ready["passed"] == 2 and ready["mean_share"] == round(245 / 300, 3)
    assert ready["pass_chance"] == 0.6                                    # (2 + 1) / (3 + 2)


def test_quiz_service_scopes_and_review(tmp_path, service, embedder):
    quiz = QuizService(service.retriever, Progress(tmp_path / "q.sqlite3"), Grader(embedder))
    scopes = dict((v, k) for k, v in quiz.scopes())
    assert "doc:work_safety_law_2021.md" in scopes
    item = quiz.pick("赵六", "doc:应急局局长安全访谈稿.docx", ("judge",))
    assert item.source == "应急局局长安全访谈稿.docx" and item.kind == "judge"
    assert quiz.submit("赵六", item.id, "不知道").grade.verdict == "wrong"
    assert quiz.pick("赵六", "doc:应急局局长安全访谈稿.docx", ("judge",), review=True).id == item.id
    assert quiz.pick("赵六", "all", KINDS, mode="wrong").id == item.id          # the 错题本 alone
    assert [i.id for i, _ in quiz.wrong_book("赵六")] == [item.id]
    assert quiz.pick("新学员", "all", KINDS, mode="wrong") is None               # an empty book says so
    assert quiz.pick("赵六", "all", KINDS, mode="favourites") is None
    assert quiz.toggle_favourite("赵六", item.id)
    assert quiz.pick("赵六", "all", KINDS, mode="favourites").id == item.id


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
