"""The question log: what was not answered and what was marked wrong, grouped, exported, switched off."""
import csv
import io

import pytest

from bot.questionlog import QuestionLog
from bot.records import Answer, Citation


def answer(question: str, outcome: str = "answered") -> Answer:
    cite = Citation(1, "law.md", "中华人民共和国安全生产法", "第三章", "第二十八条", "全文", ["句子。"], 0.9)
    found = outcome == "answered"
    return Answer(question, found, "句子。[1]" if found else "知识库中没有找到…", [cite] if found else [],
                  outcome=outcome, latency_ms=12.34)


def test_unanswered_questions_are_grouped_by_wording_most_asked_first(tmp_path):
    log = QuestionLog(tmp_path / "app.sqlite3")
    for q in ("餐饮店用燃气要办什么手续？", "餐饮店用燃气需要办什么手续", "餐饮店使用燃气要办哪些手续？"):
        log.record(answer(q, "not_found"), "page")
    log.record(answer("安全总监的年薪是多少？", "not_stated"), "api")
    log.record(answer("三个必须是什么？"), "page")
    groups = log.unanswered()
    assert [g.count for g in groups] == [3, 1]
    assert groups[0].question.startswith("餐饮店") and len(groups[0].variants) == 2
    assert groups[1].outcome == "not_stated"
    assert log.counts() == {"answered": 1, "not_stated": 1, "not_found": 3, "marked_wrong": 0}


def test_marked_wrong_with_comment_and_csv(tmp_path):
    log = QuestionLog(tmp_path / "app.sqlite3")
    wrong, right = answer("新员工培训多少学时？"), answer("三个必须是什么？")
    for a in (wrong, right):
        log.record(a, "page")
    assert log.rate(wrong.id, -1, "  没回答学时  ") and log.rate(right.id, 1)
    assert not log.rate("no-such-answer", -1)
    with pytest.raises(ValueError):
        log.rate(right.id, 5)
    [marked] = log.marked_wrong()
    assert (marked.question, marked.comments, marked.cited) == ("新员工培训多少学时？", ["没回答学时"],
                                                               "《中华人民共和国安全生产法》第二十八条")
    rows = list(csv.reader(io.StringIO(log.csv().lstrip("\ufeff"))))
    assert rows[0][:3] == ["类别", "问题", "次数"]
    assert ["标为有误", "新员工培训多少学时？"] == rows[1][:2]


def test_switched_off_logs_nothing_and_clear_empties_it(tmp_path):
    off = QuestionLog(tmp_path / "off.sqlite3", enabled=False)
    off.record(answer("三个必须是什么？", "not_found"), "page")
    assert off.unanswered() == []
    log = QuestionLog(tmp_path / "app.sqlite3")
    log.record(answer("三个必须是什么？", "not_found"), "page")
    log.record(Answer("", False, "请输入问题"), "page")          # nothing typed: nothing to log
    assert log.clear() == 1 and log.unanswered() == []


def test_a_question_typed_as_a_formula_stays_text_in_the_csv(tmp_path):
    log = QuestionLog(tmp_path / "app.sqlite3")
    log.record(answer('=HYPERLINK("http://x","点我")', "not_found"), "page")
    rows = list(csv.reader(io.StringIO(log.csv().lstrip("\ufeff"))))
    assert rows[1][1] == '\'=HYPERLINK("http://x","点我")'
