"""HTML for the web page, built from Answers. Every piece of document or user text is
escaped here, so markup inside a document or a question is shown, never rendered or run."""
from __future__ import annotations

import re
from html import escape

from .records import Answer, Citation

_MARKER = re.compile(r"\[(\d{1,2})\]")

CSS = """
.kb-turn {margin: 0 0 1.2em 0;}
.kb-q {background: #eef4ff; border-radius: 8px; padding: .6em .8em; margin-bottom: .5em; white-space: pre-wrap;}
.kb-a {padding: .2em .2em; white-space: pre-wrap; line-height: 1.7;}
.kb-notstated {background: #eef5ff; border: 1px solid #7aa7e0; border-radius: 8px; padding: .6em .8em;}
.kb-notfound {background: #fff7e0; border: 1px solid #e6c200; border-radius: 8px; padding: .6em .8em;}
.kb-notice {color: #8a5a00; font-size: .9em; margin: .3em 0;}
.kb-sources {margin-top: .4em; font-size: .92em;}
.kb-sources details {border-left: 3px solid #9db4e0; padding: .2em .6em; margin: .3em 0;}
.kb-related details {border-left: 3px solid #ccc; color: #555;}
.kb-passage {white-space: pre-wrap; line-height: 1.6;}
.kb-passage mark {background: #ffe98a;}
a.cite {text-decoration: none; font-weight: 600; color: #1d4fd8; cursor: pointer;}
.kb-pending {color: #777;}
.kb-quiz {font-size: 1.05em; line-height: 1.7; white-space: pre-wrap;}
.kb-verdict {font-size: 1.15em; font-weight: 600; margin: .3em 0;}
.kb-correct {color: #107c10;} .kb-partial {color: #a86b00;} .kb-wrong {color: #c50f1f;}
.kb-table td, .kb-table th {padding: .15em .6em; border-bottom: 1px solid #ddd;}
"""

# Clicking a marker [n] opens its source right below the answer, keeping the conversation.
MARKER_JS = """
element.addEventListener('click', function (event) {
  const link = event.target.closest('a.cite');
  if (!link) return;
  event.preventDefault();
  const target = element.querySelector('#' + link.dataset.target);
  if (target) { target.open = true; target.scrollIntoView({block: 'nearest'}); }
});
"""


def passage_html(citation: Citation) -> str:
    """The passage, escaped, with the sentences the answer used highlighted."""
    text = escape(citation.text)
    for sentence in sorted(set(citation.used_sentences), key=len, reverse=True):
        marked = escape(sentence)
        if marked and marked in text:
            text = text.replace(marked, f"<mark>{marked}</mark>", 1)
    return f'<div class="kb-passage">{text}</div>'


def _source(turn: int, citation: Citation, related: bool = False) -> str:
    anchor = f"src-{turn}-{'r' if related else ''}{citation.n}"
    where = escape(citation.section or "")
    head = f"[{citation.n}] {escape(citation.label)}" if not related else f"{escape(citation.label)}"
    return (f'<details id="{anchor}"><summary>{head}<br><small>{escape(citation.source)}'
            f'{" · " + where if where else ""}</small></summary>{passage_html(citation)}</details>')


def answer_html(turn: int, answer: Answer, partial: str | None = None) -> str:
    question = f'<div class="kb-q">{escape(answer.question)}</div>' if answer.question else ""
    notice = f'<div class="kb-notice">{escape(answer.notice)}</div>' if answer.notice else ""
    if partial is not None:
        return f'<div class="kb-turn">{question}<div class="kb-a kb-pending">{escape(partial)}▍</div></div>'
    if answer.unavailable:
        return (f'<div class="kb-turn">{question}<div class="kb-notfound">{escape(answer.answer)}</div></div>')
    if answer.outcome == "not_stated":
        # the topic is covered, the figure asked is not: say so, and show the closest provisions
        body = _MARKER.sub(lambda m: f'<a class="cite" href="#" data-target="src-{turn}-{m.group(1)}">[{m.group(1)}]</a>',
                           escape(answer.answer))
        sources = "".join(_source(turn, c) for c in answer.citations)
        return (f'<div class="kb-turn">{question}{notice}<div class="kb-notstated">ⓘ {body}</div>'
                f'<div class="kb-sources"><b>最相关的条文</b>{sources}</div></div>')
    if not answer.found:
        related = ""
        if answer.related:
            related = ('<div class="kb-sources kb-related"><b>可能相关的段落（不是答案，仅供参考）</b>'
                       + "".join(_source(turn, c, related=True) for c in answer.related) + "</div>")
        return (f'<div class="kb-turn">{question}{notice}<div class="kb-notfound">⚠ {escape(answer.answer)}</div>'
                f"{related}</div>")
    body = _MARKER.sub(lambda m: f'<a class="cite" href="#" data-target="src-{turn}-{m.group(1)}">[{m.group(1)}]</a>',
                       escape(answer.answer))
    sources = "".join(_source(turn, c) for c in answer.citations)
    return (f'<div class="kb-turn">{question}{notice}<div class="kb-a">{body}</div>'
            f'<div class="kb-sources"><b>来源</b>{sources}</div></div>')


def conversation_html(turns: list[Answer]) -> str:
    if not turns:
        return ('<div class="kb-pending">请在下方输入问题，例如：“三个必须”具体指什么？'
                "答案只引用知识库原文，每句后标注来源编号。</div>")
    return "".join(answer_html(i, a) for i, a in enumerate(turns))


VERDICT = {"correct": ("✅ 正确", "kb-correct"), "partial": ("🟡 部分正确", "kb-partial"), "wrong": ("❌ 错误", "kb-wrong")}
KIND_LABEL = {"enumeration": "列举题", "blank": "填空题", "choice": "选择题", "short": "简答题"}


def quiz_question_html(item) -> str:
    if item is None:
        return "<div class='kb-pending'>这个范围里没有题目，换一个范围或题型试试。</div>"
    return (f"<div class='kb-quiz'><b>【{KIND_LABEL[item.kind]}】</b>{escape(item.question)}"
            f"<br><small>出处：《{escape(item.title)}》{escape(item.section)}</small></div>")


def feedback_html(feedback) -> str:
    grade, item = feedback.grade, feedback.item
    word, css = VERDICT[grade.verdict]
    rows = [f"<div class='kb-verdict {css}'>{word}</div>"]
    if item.kind in ("enumeration", "short"):
        if grade.hit:
            rows.append("<div>答到的要点：" + "；".join(escape(p) for p in grade.hit) + "</div>")
        if grade.missed:
            rows.append("<div>漏掉的要点：" + "；".join(escape(p) for p in grade.missed) + "</div>")
    rows.append(f"<div><b>参考答案：</b>{escape(item.answer)}</div>")
    passage = escape(item.passage)
    marks = item.key_points
    if item.kind in ("blank", "choice"):   # the whole sentence, not the first place the word occurs
        marks = [item.question.split("：", 1)[1].replace("____", item.answer)]
    for point in sorted(set(marks), key=len, reverse=True):
        if escape(point) in passage:
            passage = passage.replace(escape(point), f"<mark>{escape(point)}</mark>", 1)
    rows.append(f"<details open><summary>出处：《{escape(item.title)}》{escape(item.section)}</summary>"
                f"<div class='kb-passage'>{passage}</div></details>")
    return "<div class='kb-feedback'>" + "".join(rows) + "</div>"


def scores_html(trainee: str, scores: dict, history: list[dict] = ()) -> str:
    if not scores["answered"]:
        return f"<div class='kb-pending'>{escape(trainee)}：还没有答题记录。</div>"
    rows = "".join(f"<tr><td>{escape(r['name'])}</td><td>{r['answered']}</td><td>{r['correct']}</td>"
                   f"<td>{r['score']:.0%}</td></tr>" for r in scores["by_document"] + scores["by_section"])
    recent = "、".join(VERDICT[h["verdict"]][0].split()[0] for h in history)
    return (f"<div id='kb-score'><b>{escape(trainee)}</b>：已答 <span class='kb-answered'>{scores['answered']}</span> 题，"
            f"答对 <span class='kb-right'>{scores['correct']}</span> 题，得分率 {scores['score']:.0%}"
            f"{'<br>最近：' + recent if recent else ''}"
            f"<table class='kb-table'><tr><th>文档 / 章节</th><th>已答</th><th>答对</th><th>得分率</th></tr>{rows}"
            "</table></div>")
