"""A conversation handed on as Word, Markdown or plain text carries each question, the answer with
its markers and the numbered sources with the sentences quoted."""
import io

from docx import Document

from bot import export


def conversation(service):
    return [service.answerer.ask(q) for q in ("三个必须的具体内容是什么？", "生产经营单位的主要负责人有哪些职责？",
                                                  "明天天气怎么样？")]


def test_word_record_opens_with_questions_answers_and_sources(service):
    answers = conversation(service)
    document = Document(io.BytesIO(export.docx_bytes(answers, "安全知识库问答记录：培训")))
    text = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text == "安全知识库问答记录：培训"
    for a in answers:
        assert f"：{a.question}" in text
        for line in a.answer.split("\n"):
            assert line in text                               # markers [n] included
    for c in answers[1].citations:
        assert f"[{c.n}] {c.label}" in text
        assert all(s in text for s in c.used_sentences)        # the quoted sentences, to check against
    assert "知识库中没有找到" in text
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert quotes and all(q.text for q in quotes)


def test_markdown_and_plain_text_carry_the_same_facts(service):
    answers = conversation(service)
    md = export.markdown(answers)
    first = answers[0]
    assert md.startswith("# 安全知识库问答记录") and f"## 问题 1：{first.question}" in md
    assert f"1. {first.citations[0].label}" in md and f"   > {first.citations[0].used_sentences[0]}" in md
    text = export.plain_text(first)
    assert text.startswith(first.answer) and f"[1] {first.citations[0].label}" in text


def test_control_characters_do_not_break_the_word_record(service):
    answer = service.answerer.ask("三个必须\x01的具体内容\x08是什么？")
    document = Document(io.BytesIO(export.docx_bytes([answer])))
    assert any("三个必须" in p.text for p in document.paragraphs)
