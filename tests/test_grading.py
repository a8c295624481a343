"""The quiz grader: figures in every form, figures bound to what they count, the question's own
words not asked again, and agreement with people on graded answers (dev: fitted; test: frozen)."""
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

from bot.grading import Grader, key_points_of, misplaced_figures, needed_points, quantities, words

GRADED = ROOT / "eval"


def grade_rows(grader, name):
    rows = [json.loads(line) for line in (GRADED / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    verdicts = []
    for row in rows:
        points = key_points_of(row["reference"])
        verdicts.append(grader.grade_text(row["question"], points, row["reference"], row["answer"],
                                          needed_points(row["question"], points)).verdict)
    return rows, verdicts


def test_figures_mean_the_same_in_every_form():
    assert quantities("二十四小时内") == quantities("24小时") == quantities("一天内") == quantities("within 1 day")
    assert quantities("两个小时") == quantities("120分钟") == quantities("two hours")
    assert quantities("within twenty-four hours") == quantities("二十四小时") and quantities("fifteen days") == quantities("15日")
    assert quantities("百分之六十的罚款") == quantities("60%的罚款")
    assert quantities("一亿元以上") == quantities("1亿元") == quantities("100000000元")
    assert quantities("12个月内") == quantities("一年内")
    assert quantities("单位罚3–5万元") == quantities("三万至五万元") == {30000, 50000}
    assert words("全年发放5万余册") == words("全年发放五万多册")


def test_a_figure_given_to_the_wrong_thing_is_an_error():
    reference = "造成10人以上30人以下死亡，或者50人以上100人以下重伤"
    assert misplaced_figures("50人以上100人以下死亡，10人以上30人以下重伤", reference)
    assert not misplaced_figures("死亡10到30人，或者重伤50到100人", reference)
    # a subject in a clause of its own still binds its figure
    reference = "重大事故、较大事故、一般事故，应当自收到报告之日起15日内做出批复；特别重大事故，30日内做出批复"
    assert not misplaced_figures("一般事故15日内；特别重大事故30日内", reference)
    assert misplaced_figures("一般事故30日内；特别重大事故15日内", reference)


def test_dates_are_dates_in_every_form():
    reference = "2019年2月17日中华人民共和国国务院令第708号公布，自2019年4月1日起施行。"
    assert quantities("二〇一九年二月十七日公布，同年四月一日起施行") == quantities(reference)
    assert quantities("2019年4月2日起施行") != quantities("2019年4月1日起施行")
    assert quantities("3个月") == quantities("三个月") != quantities("3月1日")


def test_bounds_read_before_the_figure_with_their_negation():
    from bot.grading import directions, reversed_figures

    assert directions("每级上报的时间不得超过2小时") == directions("2小时以内") == {2: {"-"}}
    assert directions("不得少于20学时") == directions("至少20学时") == {20: {"+"}}
    assert not reversed_figures("每一级不超过两个小时。", "每级上报的时间不得超过2小时")
    assert reversed_figures("每一级超过两个小时", "每级上报的时间不得超过2小时")


def test_durations_thousands_and_dates_shown_as_a_trainee_reads_them():
    assert quantities("一个月内") == quantities("1个月内") != quantities("三个月内")
    assert misplaced_figures("三个月内报告", "应当在一个月内报告")
    assert quantities("RMB 10,000 to 30,000") == {10000, 30000}
    assert not misplaced_figures("fined 10000 to 30000 yuan", "fined RMB 10,000 to 30,000; if it leads to an accident")
    assert not misplaced_figures("死亡3人以上和重伤10人以上", "死亡3人以上、重伤10人以上")
    assert misplaced_figures("2018年2月17日公布", "2019年2月17日公布") == ["2018年"]


def test_a_threshold_given_to_the_other_case_is_an_error():
    reference = ("从业人员超过一百人的，应当设置安全生产管理机构或者配备专职安全生产管理人员；"
                 "从业人员在一百人以下的，应当配备专职或者兼职的安全生产管理人员。")
    assert misplaced_figures("100人以下的设置安全生产管理机构，超过100人的配兼职", reference)
    assert not misplaced_figures("超过100人的设置安全生产管理机构，100人以下的配专职或者兼职", reference)
    # a bare figure answers the question itself: it must be one of the reference's
    assert misplaced_figures("10万元以上20万元以下", "发生一般事故的，处三十万元以上一百万元以下的罚款")


def test_a_reworded_list_is_read_by_its_words_not_chance_bigrams(embedder):
    assert {"原因", "性质"} <= words("事故发生的原因和事故性质")
    assert not {"的原", "因和"} & words("事故发生的原因和事故性质")
    reference = "事故发生单位概况；事故发生经过和事故救援情况；事故造成的人员伤亡和直接经济损失；事故发生的原因和事故性质"
    question = "事故调查报告应当包括哪些内容？"
    reworded = "单位概况，事故经过和救援情况，伤亡人数和直接经济损失，事故的性质和发生原因"
    assert Grader(embedder).grade_text(question, key_points_of(reference), reference, reworded).verdict == "correct"
    assert Grader(embedder).grade_text(question, key_points_of(reference), reference, "事故发生的时间和地点").verdict == "wrong"


def test_a_reference_in_two_languages_grades_each_answer_in_its_own(embedder):
    grader = Grader(embedder)
    reference = ("The time, content, participants and assessment results of the training. "
                 "[如实记录安全生产教育和培训的时间、内容、参加人员以及考核结果等情况]")
    question = "Under the Work Safety Law, what must a business record about its safety training?"
    chinese = grader.grade_text(question, key_points_of(reference), reference, "培训时间、内容、参加人员、考核结果")
    assert all(re.search("[\u4e00-\u9fff]", p) for p in chinese.hit + chinese.missed)
    english = grader.grade_text(question, key_points_of(reference), reference,
                                "The time, the content, who took part and the assessment results.")
    assert english.verdict == "correct" and all(p.isascii() for p in english.hit + english.missed)


def test_an_answer_need_not_repeat_the_question(embedder):
    grade = Grader(embedder).grade_text("事故调查组应当履行哪项职责来查明事故？", ["查明事故发生的经过和原因"],
                                         "查明事故发生的经过和原因", "发生的经过和原因")
    assert grade.verdict == "correct"
    assert Grader(embedder).grade_text("每级上报的时间不得超过多长？", ["每级上报的时间不得超过2小时"],
                                       "每级上报的时间不得超过2小时", "两个小时").verdict == "correct"
    swapped = Grader(embedder).grade_text(
        "区委常委会、政府常务会先后多少次专题研究安全生产工作？召开全区安全生产工作会议多少次？",
        ["区委常委会、政府常务会先后11次专题研究安全生产工作", "8次召开全区安全生产工作会议"],
        "区委常委会、政府常务会先后11次专题研究安全生产工作；8次召开全区安全生产工作会议", "专题研究8次，全区会议11次")
    assert swapped.verdict == "wrong" and swapped.wrong_figures


def test_figures_bounded_the_other_way_or_labels_and_numbering(embedder):
    grader = Grader(embedder)
    general = "造成3人以下死亡，或者10人以下重伤，或者1000万元以下直接经济损失的事故"
    assert grader.grade_text("一般事故是指什么？", [general], general, "3人以上死亡，10人以上重伤，1000万元以上").verdict == "wrong"
    report = "单位负责人接到报告后，应当于1小时内向有关部门报告"
    cited = "根据《生产安全事故报告和调查处理条例》第九条，单位负责人应当于1小时内报告"
    assert grader.grade_text("单位负责人接到报告后多长时间内报告？", [report], report, cited).verdict == "correct"
    major = "造成10人以上30人以下死亡，或者50人以上100人以下重伤"
    assert grader.grade_text("重大事故是指什么？", [major], major,
                             "1、10人以上30人以下死亡、50人以上100人以下重伤").verdict == "correct"


def test_grading_agrees_with_people_on_the_dev_answers(embedder):
    """What the fit reported (bot/calibration.json) holds: the graded dev answers, by the same grader."""
    fitted = json.loads((ROOT / "bot" / "calibration.json").read_text(encoding="utf-8"))["grader"]
    rows, verdicts = [], []
    for name in fitted["fitted_on"]:
        more_rows, more_verdicts = grade_rows(Grader(embedder), Path(name).name)
        rows, verdicts = rows + more_rows, verdicts + more_verdicts
    assert len(rows) == fitted["answers"]
    assert sum(v == r["expected"] for r, v in zip(rows, verdicts)) / len(rows) >= fitted["agreement"] - 0.02
    assert sum(r["expected"] == "wrong" and v == "correct" for r, v in zip(rows, verdicts)) <= fitted["wrong_as_correct"]


@pytest.mark.parametrize("name", ["grading-test2", "grading-test"])
def test_grading_on_the_frozen_test_answers(embedder, name):
    """Guards the numbers README reports (eval/results/<set>.json), a few answers below them."""
    rows, verdicts = grade_rows(Grader(embedder), f"{name}.jsonl")
    reported = json.loads((ROOT / "eval" / "results" / f"{name}.json").read_text(encoding="utf-8"))["summary"]
    agree = sum(v == r["expected"] for r, v in zip(rows, verdicts))
    assert agree >= round(reported["agreement"] * len(rows)) - 3
    assert sum(r["expected"] == "wrong" and v == "correct" for r, v in zip(rows, verdicts)) <= \
        reported["wrong_graded_correct"] + 1
