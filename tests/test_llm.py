"""The optional LLM path against a scripted OpenAI-compatible stand-in server on loopback."""
from dataclasses import replace

import pytest
from llm_standin import StandInLLM

from bot.answer import LLM_FALLBACK, Answerer
from bot.llm import LLMAnswerer


@pytest.fixture(scope="module")
def standin():
    server = StandInLLM()
    yield server
    server.close()


def llm_answerer(service, standin, model):
    settings = replace(service.kb.settings, llm_base_url=standin.url, llm_model=model, llm_api_key="sk-test")
    return Answerer(service.kb, service.retriever, LLMAnswerer(settings))


def test_a_faithful_model_streams_and_keeps_its_citations(service, standin):
    answer = llm_answerer(service, standin, "faithful").ask("现场指挥部实行什么制度？")
    assert answer.found and answer.answer.endswith("[1]")
    assert answer.citations[0].article == "第二十一条" and "总指挥负责制" in answer.answer
    assert not answer.notice
    sent = standin.requests[-1]
    assert sent["stream"] is True and sent["max_tokens"] == 700          # limit passed for servers that need it
    assert "总指挥负责制" in sent["messages"][-1]["content"]             # the passages went to the model


def test_an_invented_marker_is_repointed_or_dropped(service, standin):
    answer = llm_answerer(service, standin, "inventor").ask("现场指挥部实行什么制度？")
    assert "[7]" not in answer.answer
    assert all(f"[{c.n}]" in answer.answer for c in answer.citations)
    assert "已删除" in answer.notice


def test_a_model_that_ignores_the_passages_falls_back_to_the_sources(service, standin):
    answer = llm_answerer(service, standin, "ignorer").ask("现场指挥部实行什么制度？")
    assert "保证金" not in answer.answer and "消防队" not in answer.answer
    assert LLM_FALLBACK in answer.notice
    assert "总指挥负责制" in answer.answer


def test_an_unsupported_sentence_is_removed_and_the_reader_told(service, standin):
    answer = llm_answerer(service, standin, "mixed").ask("现场指挥部实行什么制度？")
    assert "月球" not in answer.answer and "总指挥负责制" in answer.answer
    assert "已删除模型回答中1处" in answer.notice


def test_the_refusal_comes_before_the_model_is_called(service, standin):
    before = len(standin.requests)
    answer = llm_answerer(service, standin, "ignorer").ask("明天天气怎么样？")
    assert not answer.found and answer.answer.startswith("知识库中没有找到")
    assert len(standin.requests) == before


def test_open_service_uses_a_model_only_when_one_is_configured(shipped_kb, standin):
    from bot.service import open_service

    plain = open_service(shipped_kb.settings, ingest_if_needed=False)
    assert plain.answerer.llm is None
    configured = open_service(replace(shipped_kb.settings, llm_base_url=standin.url, llm_model="faithful"),
                              ingest_if_needed=False)
    assert isinstance(configured.answerer.llm, LLMAnswerer)
    assert configured.answerer.ask("现场指挥部实行什么制度？").found


def test_a_figure_bound_to_the_wrong_thing_is_not_supported(service):
    from bot.llm import check

    passages = [h for h in service.retriever.search("重大事故是指造成多少人死亡", 3)
                if "重大事故，是指造成10人以上30人以下死亡" in h.chunk.text]
    assert passages
    # 100 is in the article, but as 重伤, not 死亡: the sentence must go
    assert check("重大事故是什么？", "重大事故是指造成100人以上死亡的事故[1]。", passages) is None
    kept = check("重大事故是什么？", "重大事故是指造成10人以上30人以下死亡的事故[1]。", passages)
    assert kept is not None and "10人以上30人以下死亡" in kept.answer


def test_the_page_shows_the_reply_as_it_is_written_then_the_checked_answer(service, standin, tmp_path):
    from bot.app import ChatHandlers
    from bot.conversations import Conversations
    from bot.questionlog import QuestionLog
    from bot.service import Service

    answerer = llm_answerer(service, standin, "ignorer")
    chat = ChatHandlers(Service(service.kb, service.retriever, answerer), Conversations(tmp_path / "app.sqlite3"),
                        QuestionLog(tmp_path / "app.sqlite3"))
    shown = [out[0] for out in chat.chat("现场指挥部实行什么制度？", [], "c" * 32, "")]
    partial = [html for html in shown if "kb-pending" in html]
    assert "正在" in partial[0]                                   # something shows before the first token
    assert len(partial) >= 3 and len(partial[-1]) > len(partial[1])   # the reply grows token by token
    assert LLM_FALLBACK in shown[-1] and "总指挥负责制" in shown[-1]    # replaced by the checked fallback, with a note
    assert "kb-pending" not in shown[-1]
