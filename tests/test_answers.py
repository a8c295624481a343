"""What users come for: a correct, cited answer in Chinese, or an honest "not found"."""
import json
import os
import re
import subprocess
import sys

import pytest
from conftest import EVAL, ROOT

from bot.eval import read_questions
from ingest.cleaning import split_sentences

SEGMENT = re.compile(r"(.*?)\[(\d+)\]", re.S)


def assert_grounded(answer):
    """Every sentence of the answer stands word for word in the passage its marker cites."""
    texts = {c.n: c.text for c in answer.citations}
    segments = SEGMENT.findall(answer.answer)
    assert segments, answer.answer
    assert SEGMENT.sub("", answer.answer).strip() == ""          # nothing outside a cited segment
    for segment, n in segments:
        assert int(n) in texts, f"marker [{n}] cites nothing"
        for sentence in split_sentences(segment.strip()):
            assert sentence.strip() in texts[int(n)], sentence


def test_three_musts_lists_all_three(service):
    answer = service.answerer.ask("“三个必须”具体指什么？")
    assert answer.found
    for item in ("管行业必须管安全", "管业务必须管安全", "管生产经营必须管安全"):
        assert item in answer.answer
    assert answer.citations[0].title == "应急局局长安全访谈稿"
    assert_grounded(answer)


def test_two_special_topics(service):
    answer = service.answerer.ask("专项整治三年行动有哪两个专题？")
    assert "“学习宣传贯彻习近平总书记关于安全生产重要论述”“落实企业安全生产主体责任”2个专题" in answer.answer
    assert_grounded(answer)


def test_article_lookup_comes_first_and_is_whole(service):
    answer = service.answerer.ask("安全生产法第二十一条说了什么")
    first = answer.citations[0]
    assert (first.title, first.article) == ("中华人民共和国安全生产法", "第二十一条")
    assert first.label == "《中华人民共和国安全生产法》第二十一条"
    assert all(f"（{n}）" in answer.answer for n in "一二三四五六七")
    assert_grounded(answer)


def test_arabic_article_numbers_work_too(service):
    answer = service.answerer.ask("应急条例第21条")
    assert answer.citations[0].title == "生产安全事故应急条例" and answer.citations[0].article == "第二十一条"


def test_an_article_that_does_not_exist_is_not_found(service):
    answer = service.answerer.ask("安全生产法第一百五十条规定了什么？")
    assert not answer.found and answer.answer.startswith("知识库中没有找到")


@pytest.mark.parametrize("question", ["明天天气怎么样？", "红烧肉怎么做才好吃？", "What is the capital of France?",
                                      "道路交通安全法规定醉酒驾驶怎么处罚？"])
def test_unanswerable_questions_are_refused_with_related_passages_labelled(service, question):
    answer = service.answerer.ask(question)
    assert not answer.found
    assert answer.answer == f"知识库中没有找到与“{question}”相关的内容。"
    assert not answer.citations and len(answer.related) <= 3


@pytest.mark.parametrize("question,expected", [
    ("我区去年共检查了多少家企业？", None),                        # the topic is there, the figure is not
    ("特别重大事故是指造成多少人以上死亡？", "30人以上死亡"),
    ("事故调查组应当在多少日内提交事故调查报告？", "60日内"),
])
def test_a_question_for_a_figure_needs_that_figure_in_the_answer(service, question, expected):
    answer = service.answerer.ask(question)
    if expected is None:
        assert not answer.found
    else:
        assert answer.found and expected in answer.answer


def test_three_outcomes_a_user_can_tell_apart(service):
    answered = service.answerer.ask("发生事故后单位负责人应当在多长时间内向县级以上人民政府报告？")
    assert answered.outcome == "answered" and "1小时内" in answered.answer
    # the knowledge base covers the topic (the director, the bureau) but states no salary
    not_stated = service.answerer.ask("应急管理局局长的工资是多少？")
    assert (not_stated.found, not_stated.outcome, not_stated.missing) == (False, "not_stated", "具体数字")
    assert not_stated.answer.startswith("知识库的相关条文没有给出所问的具体数字")
    assert not_stated.citations and all(f"[{c.n}]" in not_stated.answer for c in not_stated.citations)
    off_domain = service.answerer.ask("消防法对商场的疏散通道有什么规定？")   # a law the knowledge base lacks
    assert (off_domain.found, off_domain.outcome) == (False, "not_found") and not off_domain.citations
    data = not_stated.to_json()
    assert data["outcome"] == "not_stated" and data["missing"] == "具体数字"


def test_a_follow_up_looks_up_only_its_own_article(service):
    answer = service.answerer.ask("那第三条呢？", ["安全生产法第二十一条是什么"])
    assert [c.article for c in answer.citations] == ["第三条"]
    assert answer.citations[0].title == "中华人民共和国安全生产法"      # the law named before


def test_a_count_of_measures_is_not_an_article_look_up(service):
    found = service.retriever.retrieve("请列出5条防火措施", 5)
    assert not any(h.article_match for h in found.hits)


def test_question_words_are_removed_only_as_whole_words():
    from bot.text import strip_question_words

    assert "申请" in strip_question_words("如何申请安全生产许可证？")
    assert "统一下发" in strip_question_words("统一下发的文件是什么？")
    assert "什么" not in strip_question_words("统一下发的文件是什么？")


def test_figures_are_read_in_every_form():
    from bot.text import asks_for, figure_heads, figures, states_figure

    assert [v for v, _ in figures("处二十万元以上五十万元以下的罚款")] == [200000, 500000]
    assert figures("5000万元以上1亿元以下")[0][0] == 50_000_000
    assert figure_heads(figures("造成10人以上30人以下死亡")[0][1]) == "死亡"
    assert states_figure("应当在15日内作出决定", "要在多少天内决定？")
    assert not states_figure("给予奖励", "举报能拿多少奖金？")
    assert not states_figure("处五万元以下的罚款", "几年内不得担任？")
    assert states_figure("（一）建立制度；\n（二）组织培训；", "主要负责人有几项职责？")   # a list answers a count
    assert figures("千万不要违章作业") == [] and figures("万一出事") == []
    assert asks_for("When must an accident be reported?") == "time"
    assert asks_for("What must a manager do when an inspector arrives?") is None


def test_a_figure_counts_only_as_the_kind_of_figure_asked():
    from bot.text import asks_for, is_english, states_figure

    # how long / how often: a unit of time or a recurring period, not a sum of money or 定期
    assert states_figure("应当至少每2年组织1次演练", "多久要组织一次演练？")
    assert not states_figure("处三万元以上十万元以下的罚款", "电梯多久要检验一次？")
    assert not states_figure("对安全设备定期检测", "电梯多久要检验一次？")
    # 上一年 is a word, not one year
    assert not states_figure("处上一年年收入30%的罚款", "最高能判几年？")
    # money of the kind asked: an accident's economic loss is not a subsidy; a share of income is a fine
    assert not states_figure("造成1亿元以上直接经济损失的事故", "工亡补助金按多少标准给？")
    assert states_figure("处上一年年收入百分之四十的罚款", "主要负责人罚多少？")
    # a date for the event asked: the dates of amendments do not say when a law took effect
    assert not states_figure("2021年6月10日 第三次修正", "新安全生产法是从哪一天开始施行的？")
    assert states_figure("本条例自2019年4月1日起施行。", "When did the regulations take effect?")
    # English questions name their unit in words
    assert asks_for("What is the minimum distance in meters to a dormitory?") == "quantity"
    assert not states_figure("应当与员工宿舍保持安全距离", "What is the minimum distance in meters?")
    assert not states_figure("实行24小时应急值班", "How many inspectors does our county bureau have?")
    assert states_figure("设立十四个专业委员会", "How many committees were set up?")   # committees are not people
    # a contact detail is stated only by a number, an address or a web address
    assert asks_for("值班电话号码是多少？") == "contact"
    assert not states_figure("向社会公布值班电话，实行24小时值班", "值班电话号码是多少？")
    assert states_figure("举报电话：12350", "举报电话是多少？")
    # a question is English by its words, not its letters
    assert not is_english("Python里怎么读取Excel文件？") and is_english("What does 三同时 mean?")


def test_follow_up_ordinal_uses_the_conversation(service):
    history = [{"role": "user", "content": "专项整治三年行动有哪两个专题？"},
               {"role": "assistant", "content": "…"}]
    answer = service.answerer.ask("那第二个专题呢？", history)
    assert answer.answer.startswith("“落实企业安全生产主体责任”")
    assert_grounded(answer)


def test_follow_up_about_penalties_uses_the_conversation(service):
    history = [("生产经营单位的主要负责人有哪些职责？", "…")]
    answer = service.answerer.ask("违反了怎么处罚？", history)
    assert answer.found and answer.citations[0].article == "第九十四条"
    assert "罚款" in answer.answer


def test_english_question_is_answered_from_the_chinese_sources(service):
    answer = service.answerer.ask("How many deaths make an accident a major accident?")
    assert answer.found and "10人以上30人以下死亡" in answer.answer


def test_english_words_are_searched_in_the_chinese_words_they_translate_to(service):
    from bot.crosslingual import to_chinese

    bm25 = service.retriever.snapshot().bm25
    chinese, share = to_chinese("Who must report the accident?", bm25.uses)
    assert "报告" in chinese and "事故" in chinese and share == 1.0
    assert to_chinese("define", bm25.uses)[0] != to_chinese("fine", bm25.uses)[0]   # whole words only


def test_every_answer_of_the_evaluation_set_is_grounded(service):
    for q in read_questions(EVAL):
        answer = service.answerer.ask(q["question"])
        if answer.found:
            assert_grounded(answer)
            assert all(set(c.used_sentences) and all(s in c.text for s in c.used_sentences)
                       for c in answer.citations if not c.see_also)
            # an unquoted 另见 source is never what a marker points at
            markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
            assert not any(c.see_also and c.n in markers for c in answer.citations)


def test_long_and_empty_questions(service):
    empty = service.answerer.ask("   ")
    assert not empty.found and "请输入" in empty.answer
    long = service.answerer.ask("三个必须" + "啊" * 20000)
    assert "问题过长" in long.notice and len(long.question) == service.kb.settings.max_question_chars


def test_ask_cli_prints_the_json_object(shipped_kb):
    env = {**os.environ, "KB_STORE_DIR": str(shipped_kb.settings.store_dir), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "bot", "ask", "三个必须的具体内容是什么？", "--json"],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"question", "found", "answer", "citations", "latency_ms"}
    assert data["found"] is True
    assert set(data["citations"][0]) >= {"n", "source", "title", "section", "article", "text",
                                         "used_sentences", "score"}
    assert data["citations"][0]["source"] == "应急局局长安全访谈稿.docx"


def test_sentence_search_finds_the_exact_nearest_sentences(service):
    """The approximate index must not drop sentences: which ones it dropped changed from run to run,
    and with them the answer to the same question."""
    import numpy as np

    store = service.kb.store
    stored = store.sentences.get(include=["embeddings"])
    vectors, ids = np.asarray(stored["embeddings"]), np.asarray(stored["ids"])
    missed = total = 0
    for q in read_questions(EVAL)[:40]:
        v = service.kb.embedder.query(q["question"])
        exact = set(ids[np.argsort(-(vectors @ v))[:60]])
        found = {f"{cid}/{n}" for cid, n, _ in store.search_sentences(v, 60)}
        missed += len(exact - found)
        total += len(exact)
    assert missed / total < 0.002


def test_sources_the_answer_does_not_quote_are_shown_as_see_also(service):
    """Beside the passages it quotes, an answer shows the next best ones (up to three sources), so a
    reader can check the neighbouring provisions; they are labelled as not quoted, never cited by a marker."""
    from bot.export import plain_text

    answer = service.answerer.ask("事故发生后单位负责人要在多长时间内报告？")
    assert answer.found and len(answer.citations) == 3, answer.answer
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)}
    also = [c for c in answer.citations if c.see_also]
    assert also and all(c.n not in markers and not c.used_sentences for c in also)
    assert all(c.n in markers for c in answer.citations if not c.see_also)
    assert len({(c.source, c.article or c.text) for c in answer.citations}) == 3   # three provisions, none twice
    text = plain_text(answer)
    assert all(f"[{c.n}] 另见：{c.label}" in text for c in also)
    assert all(c["see_also"] for c in answer.to_json()["citations"] if c["n"] in {a.n for a in also})
    # an article asked for by number is shown alone
    assert not any(c.see_also for c in service.answerer.ask("安全生产法第二十一条是什么？").citations)


def test_an_old_store_is_widened_to_exact_search(tmp_path, base_settings):
    """A store made with Chroma's default search width is widened when opened."""
    from dataclasses import replace

    from ingest.store import SEARCH_EF, Store, open_client

    settings = replace(base_settings, store_dir=tmp_path / "old")
    client = open_client(settings)
    client.get_or_create_collection(f"{settings.collection}_sentences", embedding_function=None,
                                    configuration={"hnsw": {"space": "cosine"}})
    del client
    store = Store(settings, "e5")
    assert store.sentences.configuration_json["hnsw"]["ef_search"] == SEARCH_EF
    assert store.chunks.configuration_json["hnsw"]["ef_search"] == SEARCH_EF
