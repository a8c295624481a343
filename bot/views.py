"""HTML for the web page, built from Answers. Every piece of document or user text is
escaped here, so markup inside a document or a question is shown, never rendered or run."""
from __future__ import annotations

import re
from html import escape
from urllib.parse import urlencode

from .export import plain_text
from .records import Answer, Citation

_MARKER = re.compile(r"\[(\d{1,2})\]")

CSS = """
.kb-turn {margin: 0 0 1.2em 0;}
.kb-q {background: #eef4ff; border-radius: 8px; padding: .6em .8em; margin-bottom: .5em; white-space: pre-wrap;}
.kb-a {padding: .2em .2em; white-space: pre-wrap; line-height: 1.7;}
.kb-notstated {background: #eef5ff; border: 1px solid #7aa7e0; border-radius: 8px; padding: .6em .8em;}
.kb-notfound {background: #fff7e0; border: 1px solid #e6c200; border-radius: 8px; padding: .6em .8em;}
.kb-notice {color: #8a5a00; font-size: .9em; margin: .3em 0; white-space: pre-wrap;}
.kb-sources {margin-top: .4em; font-size: .92em;}
.kb-sources details {border-left: 3px solid #9db4e0; padding: .2em .6em; margin: .3em 0;}
.kb-related details {border-left: 3px solid #ccc; color: #555;}
.kb-see-also details {border-left: 3px solid #ccc;}
.kb-passage {white-space: pre-wrap; line-height: 1.6;}
.kb-passage mark {background: #ffe98a;}
a.cite {text-decoration: none; font-weight: 600; color: #1d4fd8; cursor: pointer;}
.kb-pending {color: #777;}
.kb-actions {display: flex; flex-wrap: wrap; gap: .4em; align-items: center; margin-top: .4em; font-size: .88em;}
.kb-actions button, .kb-actions a.kb-link {font: inherit; border: 1px solid #ccd; border-radius: 6px; background: #fafbff;
  padding: .1em .6em; color: #333; text-decoration: none; cursor: pointer;}
.kb-actions input {border: 1px solid #ccd; border-radius: 6px; padding: .1em .4em; max-width: 14em;}
.kb-thanks {color: #107c10;}
.kb-superseded {color: #c50f1f; font-size: .9em; border: 1px solid #e8a0a0; border-radius: 4px; padding: 0 .3em;}
.kb-quiz {font-size: 1.05em; line-height: 1.7; white-space: pre-wrap;}
.kb-verdict {font-size: 1.15em; font-weight: 600; margin: .3em 0;}
.kb-correct {color: #107c10;} .kb-partial {color: #a86b00;} .kb-wrong {color: #c50f1f;}
.kb-table td, .kb-table th {padding: .15em .6em; border-bottom: 1px solid #ddd;}
.kb-tree {list-style: none; padding-left: 1.2em; margin: .2em 0;} .kb-tree li {margin: .15em 0;}
"""

# Clicks inside the conversation: a marker [n] opens its source below the answer; 复制 copies the
# answer with its sources; 有用 / 有误 (with an optional comment) go to the server as a click event.
ACTIONS_JS = """
function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');   // plain http on a LAN address has no clipboard API
  area.value = text; document.body.appendChild(area); area.select();
  document.execCommand('copy'); area.remove(); return Promise.resolve();
}
element.addEventListener('click', function (event) {
  const link = event.target.closest('a.cite');
  if (link) {
    event.preventDefault();
    const target = element.querySelector('#' + link.dataset.target);
    if (target) { target.open = true; target.scrollIntoView({block: 'nearest'}); }
    return;
  }
  const bar = event.target.closest('.kb-actions');
  if (!bar) return;
  const thanks = bar.querySelector('.kb-thanks');
  if (event.target.closest('button.kb-copy')) {
    copyText(bar.querySelector('.kb-copytext').value).then(() => { thanks.textContent = '已复制'; });
  } else if (event.target.closest('button.kb-up')) {
    trigger('click', {answer: bar.dataset.answer, rating: 1, comment: ''});
    thanks.textContent = '已标记为有用，谢谢！';
  } else if (event.target.closest('button.kb-down')) {
    bar.querySelector('.kb-comment').hidden = false;
    bar.querySelector('.kb-comment input').focus();
  } else if (event.target.closest('button.kb-send-comment')) {
    const comment = bar.querySelector('.kb-comment input').value;
    trigger('click', {answer: bar.dataset.answer, rating: -1, comment: comment});
    bar.querySelector('.kb-comment').hidden = true;
    thanks.textContent = '已记下，管理员会查看。';
  }
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
    parts = (citation.category, citation.source.rsplit("/", 1)[-1], citation.section, citation.status)
    where = " · ".join(escape(part) for part in parts if part)
    head = f"[{citation.n}] {escape(citation.label)}" if not related else f"{escape(citation.label)}"
    superseded = f' <span class="kb-superseded">{escape(citation.superseded)}</span>' if citation.superseded else ""
    return (f'<details id="{anchor}"><summary>{head}{superseded}<br><small>{where}</small></summary>'
            f'{passage_html(citation)}</details>')


def _linked(turn: int, text: str) -> str:
    return _MARKER.sub(lambda m: f'<a class="cite" href="#" data-target="src-{turn}-{m.group(1)}">[{m.group(1)}]</a>',
                       escape(text))


def answer_link(answer: Answer, previous: str = "") -> str:
    """A link that asks the question again (after the question it followed up), against the
    knowledge base's revision it was answered from."""
    params = {"q": answer.question, "after": previous, "rev": answer.revision[:12]}
    return "?" + urlencode({k: v for k, v in params.items() if v})


def _actions(answer: Answer, previous: str) -> str:
    return (f'<div class="kb-actions" data-answer="{escape(answer.id)}">'
            f'<textarea class="kb-copytext" hidden>{escape(plain_text(answer))}</textarea>'
            '<button class="kb-copy" title="复制回答和来源">复制</button>'
            f'<a class="kb-link" href="{escape(answer_link(answer, previous))}" title="重新打开这条回答">链接</a>'
            '<button class="kb-up" title="这条回答有用">有用</button><button class="kb-down" title="这条回答有误">有误</button>'
            '<span class="kb-comment" hidden><input placeholder="哪里不对？（可不填）" maxlength="500">'
            '<button class="kb-send-comment">提交</button></span><span class="kb-thanks"></span></div>')


def answer_html(turn: int, answer: Answer, partial: str | None = None, previous: str = "") -> str:
    question = f'<div class="kb-q">{escape(answer.question)}</div>' if answer.question else ""
    notice = f'<div class="kb-notice">{escape(answer.notice)}</div>' if answer.notice else ""
    if partial is not None:
        return f'<div class="kb-turn">{question}<div class="kb-a kb-pending">{escape(partial)}▍</div></div>'
    if answer.unavailable or not answer.question:
        return f'<div class="kb-turn">{question}{notice}<div class="kb-notfound">{escape(answer.answer)}</div></div>'
    if answer.outcome == "not_stated":
        # the topic is covered, the figure asked is not: say so, and show the closest provisions
        sources = "".join(_source(turn, c) for c in answer.citations)
        body = (f'<div class="kb-notstated">ⓘ {_linked(turn, answer.answer)}</div>'
                f'<div class="kb-sources"><b>最相关的条文</b>{sources}</div>')
    elif not answer.found:
        body = f'<div class="kb-notfound">⚠ {escape(answer.answer)}</div>'
        if answer.related:
            body += ('<div class="kb-sources kb-related"><b>可能相关的段落（不是答案，仅供参考）</b>'
                     + "".join(_source(turn, c, related=True) for c in answer.related) + "</div>")
    else:
        quoted = "".join(_source(turn, c) for c in answer.citations if not c.see_also)
        body = f'<div class="kb-a">{_linked(turn, answer.answer)}</div><div class="kb-sources"><b>来源</b>{quoted}</div>'
        if also := [c for c in answer.citations if c.see_also]:
            body += ('<div class="kb-sources kb-see-also"><b>另见（回答没有引用，可对照查看）</b>'
                     + "".join(_source(turn, c) for c in also) + "</div>")
    return f'<div class="kb-turn">{question}{notice}{body}{_actions(answer, previous)}</div>'


def conversation_html(turns: list[Answer]) -> str:
    if not turns:
        return ('<div class="kb-pending">请在下方输入问题，例如：“三个必须”具体指什么？'
                "答案只引用知识库原文，每句后标注来源编号。</div>")
    return "".join(answer_html(i, a, previous=turns[i - 1].question if i else "")
                   for i, a in enumerate(turns))


def question_log_html(enabled: bool, counts: dict, unanswered: list, wrong: list) -> str:
    """The admin view: what was asked and not answered, and what was marked wrong."""
    from .questionlog import OUTCOME_NAMES

    if not enabled:
        return "<div class='kb-pending'>提问记录已关闭（KB_QUESTION_LOG=off）。</div>"
    summary = "，".join(f"{OUTCOME_NAMES[k]} {counts[k]}" for k in OUTCOME_NAMES) + f"，标为有误 {counts['marked_wrong']}"

    def table(groups, extra: str) -> str:
        if not groups:
            return "<div class='kb-pending'>暂无。</div>"
        rows = "".join(
            f"<tr><td>{escape(g.question)}"
            f"{'<br><small>相近问法：' + escape('；'.join(g.variants[:5])) + '</small>' if g.variants else ''}</td>"
            f"<td>{g.count}</td><td>{escape(OUTCOME_NAMES.get(g.outcome, ''))}</td>"
            f"<td>{escape('；'.join(g.comments[:3]) if extra == 'comments' else g.cited)}</td></tr>"
            for g in groups)
        head = "意见" if extra == "comments" else "引用的条文"
        return (f"<table class='kb-table'><tr><th>问题</th><th>次数</th><th>结果</th><th>{head}</th></tr>"
                f"{rows}</table>")

    return (f"<div id='kb-log'><div>{escape(summary)}</div>"
            f"<h4>未能回答的问题（按相近措辞归组，次数多的在前）</h4><div class='kb-unanswered'>"
            f"{table(unanswered, 'cited')}</div>"
            f"<h4>被标为有误的回答</h4><div class='kb-wrong-marked'>{table(wrong, 'comments')}</div></div>")


def document_tree_html(rows: list[list]) -> str:
    """The knowledge base as a tree of categories (folders), each document with its status,
    chunk count and time of ingestion; rows as LibraryHandlers.rows() gives them."""
    if not rows:
        return "<div class='kb-pending'>知识库是空的（或需要先输入管理员密码）。</div>"
    tree: dict = {}
    for source, category, title, status, chunks, _size, ingested in rows:
        node = tree
        for part in filter(None, category.split(" › ")):
            node = node.setdefault(part, {})
        node.setdefault("", []).append((source, title, status, chunks, ingested))

    def render(node: dict) -> str:
        docs = "".join(f"<li><b>{escape(title)}</b> <small>{escape(source.rsplit('/', 1)[-1])} · {chunks} 段 · "
                       f"{escape(status or '未标注状态')} · 入库 {escape(ingested)}</small></li>"
                       for source, title, status, chunks, ingested in node.get("", []))
        folders = "".join(f"<li><details open><summary>📁 {escape(name)}（{_count(child)} 个文档）</summary>"
                          f"{render(child)}</details></li>" for name, child in sorted(node.items()) if name)
        return f"<ul class='kb-tree'>{folders}{docs}</ul>"
    return f"<div id='kb-tree'>{render(tree)}</div>"


def _count(node: dict) -> int:
    return len(node.get("", [])) + sum(_count(child) for name, child in node.items() if name)
