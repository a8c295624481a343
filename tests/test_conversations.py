"""Conversations kept per browser: nothing of one browser reaches another, and a restart loses nothing."""
from bot.conversations import Conversations, valid_browser
from bot.records import Answer, Citation

A, B = "a" * 32, "b" * 32


def answer(question: str) -> Answer:
    cite = Citation(1, "law.md", "中华人民共和国安全生产法", "第三章", "第二十八条", "全文", ["句子。"], 0.9)
    return Answer(question, True, "句子。[1]", [cite], revision="abc")


def test_turns_come_back_as_they_were_shown_after_a_restart(tmp_path):
    store = Conversations(tmp_path / "app.sqlite3")
    first = store.append(A, None, answer("新员工要培训多少学时？"))
    assert store.append(A, first, answer("那违反了怎么罚？")) == first
    reopened = Conversations(tmp_path / "app.sqlite3")
    [listed] = reopened.list(A)
    assert (listed.id, listed.title, listed.turns) == (first, "新员工要培训多少学时？", 2)
    turns = reopened.turns(A, first)
    assert [t.question for t in turns] == ["新员工要培训多少学时？", "那违反了怎么罚？"]
    assert turns[0].citations[0].article == "第二十八条" and turns[0].revision == "abc"


def test_another_browser_sees_reads_renames_and_deletes_nothing(tmp_path):
    store = Conversations(tmp_path / "app.sqlite3")
    mine = store.append(A, None, answer("三个必须是什么？"))
    assert store.list(B) == [] and store.turns(B, mine) == []
    assert not store.rename(B, mine, "偷改") and not store.delete(B, mine)
    theirs = store.append(B, mine, answer("别人的问题"))   # a foreign id starts B's own conversation
    assert theirs != mine
    assert [t.question for t in store.turns(A, mine)] == ["三个必须是什么？"]
    assert store.list(A)[0].title == "三个必须是什么？"


def test_rename_delete_and_latest_first(tmp_path):
    store = Conversations(tmp_path / "app.sqlite3")
    old = store.append(A, None, answer("旧问题"), now=1.0)
    new = store.append(A, None, answer("新问题" * 30), now=2.0)
    assert [c.id for c in store.list(A)] == [new, old]
    assert len(store.list(A)[0].title) == 40                    # long questions make short titles
    assert store.rename(A, old, "  培训  学时 ") and store.list(A)[1].title == "培训 学时"
    assert not store.rename(A, old, "   ")                       # an empty name keeps the old one
    assert store.delete(A, new) and [c.id for c in store.list(A)] == [old]
    assert store.turns(A, new) == []


def test_only_the_ids_the_page_makes_are_accepted():
    assert valid_browser("0123456789abcdef" * 2)
    for bad in ("", None, "short", "0123456789ABCDEF" * 2, "' OR 1=1 --" + "a" * 21):
        assert not valid_browser(bad)
