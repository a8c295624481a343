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


def test_without_configuration_no_model_is_used(service):
    assert service.answerer.llm is None
    assert service.kb.settings.llm_base_url is None
