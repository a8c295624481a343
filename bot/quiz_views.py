"""HTML for the self-test and mock-exam tabs. Every piece of item or trainee text is escaped here."""
from __future__ import annotations

import json
import time
from datetime import datetime
from html import escape

from .exam import LETTERS, SECTION_NAMES, basis, key_text
from .generation import KIND_NAMES

VERDICT = {"correct": ("✅ 正确", "kb-correct"), "partial": ("🟡 部分正确", "kb-partial"), "wrong": ("❌ 错误", "kb-wrong")}
UNSURE = "评分不太确定：请对照下面的要点和出处自评。"
MODES = [("练习新题", "practice"), ("复习：错题和到期题优先", "review"), ("只练错题本", "wrong"),
         ("今日到期（FSRS）", "due"), ("我的收藏", "favourites")]
EMPTY = {"practice": "这个范围里没有题目，换一个范围或题型试试。", "review": "这个范围里没有题目。",
         "wrong": "错题本里没有这个范围和题型的题。", "due": "今天没有到期要复习的题。",
         "favourites": "还没有收藏这个范围和题型的题：答题后点“☆ 收藏”。"}

CSS = """
.kb-exam-q {margin: .8em 0; padding: .5em .7em; border-left: 3px solid #9db4e0; line-height: 1.7;}
.kb-exam-q label {display: block; margin: .15em 0 .15em 1em; cursor: pointer;}
.kb-exam-q textarea {width: 95%; min-height: 3em; margin-left: 1em;}
.kb-exam-head {display: flex; gap: 1.5em; align-items: baseline; font-size: 1.05em;}
.kb-timer {font-weight: 600; color: #1d4fd8;}
.kb-miss {margin: .6em 0; padding: .4em .7em; border-left: 3px solid #e8a0a0;}
"""

# The mock-exam paper is a plain HTML form; on 交卷 this collects it into the JSON the server marks
# (id → answer: the chosen option's words, a 多选's joined by ；, so the report and the 错题本 show them).
COLLECT_JS = """
(trainee, paper, answers) => {
  const out = {};
  document.querySelectorAll('#exam-paper [data-item]').forEach(q => {
    const id = q.dataset.item;
    if (q.dataset.kind === 'multi') {
      out[id] = [...q.querySelectorAll('input:checked')].map(i => i.value).join('；');
    } else if (q.querySelector('input[type=radio]')) {
      const c = q.querySelector('input:checked'); out[id] = c ? c.value : '';
    } else {
      out[id] = (q.querySelector('textarea') || {value: ''}).value;
    }
  });
  return [trainee, paper, JSON.stringify(out)];
}
"""

# A countdown the trainee sees; the server marks time over the limit in the report either way.
TIMER_JS = """
() => {
  const box = document.querySelector('#exam-paper [data-deadline]');
  if (!box) return;
  clearInterval(window.kbExamTimer);
  const deadline = Number(box.dataset.deadline) * 1000;
  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    const t = document.querySelector('#exam-paper .kb-timer');
    if (t) t.textContent = `剩余 ${Math.floor(left / 60)} 分 ${String(left % 60).padStart(2, '0')} 秒`;
    if (!left) clearInterval(window.kbExamTimer);
  };
  tick(); window.kbExamTimer = setInterval(tick, 1000);
}
"""


def question_html(item, mode: str = "practice") -> str:
    if item is None:
        return f"<div class='kb-pending'>{EMPTY.get(mode, EMPTY['practice'])}</div>"
    hint = "（多选：选出全部正确项）" if item.kind == "multi" else ""
    return (f"<div class='kb-quiz' data-item='{escape(item.id)}'><b>【{KIND_NAMES[item.kind]}】</b>"
            f"{escape(item.question)}{hint}"
            f"<br><small>出处：《{escape(item.title)}》{escape(item.section)}</small></div>")


def options_of(item) -> list[str]:
    return [f"{letter}. {option}" for letter, option in zip(LETTERS, item.options)]


def feedback_html(feedback, now: float | None = None) -> str:
    grade, item = feedback.grade, feedback.item
    word, css = VERDICT[grade.verdict]
    rows = [f"<div class='kb-verdict {css}'>{word}</div>"]
    if feedback.superseded:
        rows.append(f"<div class='kb-notice kb-quiz-superseded'>{escape(feedback.superseded)}</div>")
    if grade.wrong_figures:
        rows.append("<div>数字与原文不符：" + "、".join(escape(f) for f in grade.wrong_figures) + "</div>")
    if not grade.sure:
        rows.append(f"<div class='kb-notice'>{UNSURE}</div>")
    if item.kind in ("enumeration", "short", "multi"):
        if grade.hit:
            rows.append("<div>答到的要点：" + "；".join(escape(p) for p in grade.hit) + "</div>")
        if grade.missed:
            rows.append("<div>漏掉的要点：" + "；".join(escape(p) for p in grade.missed) + "</div>")
    rows.append(f"<div><b>参考答案：</b>{escape(key_text(item))}</div>")
    rows.append(f"<div class='kb-basis'>{escape(basis(item))}</div>")
    rows.append(f"<div class='kb-due'>下次复习：{escape(when(feedback.due, now))}</div>")
    rows.append(passage_html(item))
    return "<div class='kb-feedback'>" + "".join(rows) + "</div>"


def passage_html(item) -> str:
    """The item's passage with what it asks about highlighted (the whole sentence of a blank, not
    the first place its word occurs)."""
    passage = escape(item.passage)
    marks = item.key_points
    if item.kind in ("blank", "choice") and item.sentence:
        marks = [item.sentence.replace("____", item.answer)]
    for point in sorted(set(marks), key=len, reverse=True):
        if escape(point) in passage:
            passage = passage.replace(escape(point), f"<mark>{escape(point)}</mark>", 1)
    return (f"<details open><summary>出处：《{escape(item.title)}》{escape(item.section)}</summary>"
            f"<div class='kb-passage'>{passage}</div></details>")


def when(due: float, now: float | None = None) -> str:
    """「10 分钟后」, 「3 天后（12月2日）」: when FSRS brings an item back."""
    seconds = due - (time.time() if now is None else now)
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} 分钟后"
    if seconds < 86400:
        return f"{round(seconds / 3600)} 小时后"
    date = datetime.fromtimestamp(due)
    return f"{round(seconds / 86400)} 天后（{date.month}月{date.day}日）"


def scores_html(trainee: str, scores: dict, history: list[dict] = (), due_today: int = 0, wrong: int = 0,
                readiness: dict | None = None) -> str:
    if not scores["answered"]:
        return f"<div class='kb-pending'>{escape(trainee)}：还没有答题记录。</div>"
    rows = "".join(f"<tr><td>{escape(name)}</td><td>{r['answered']}</td><td>{r['correct']}</td>"
                   f"<td>{r['score']:.0%}</td></tr>"
                   for name, r in [(f"题型：{KIND_NAMES.get(r['name'], r['name'])}", r) for r in scores["by_kind"]]
                   + [(r["name"], r) for r in scores["by_document"] + scores["by_section"]])
    recent = "、".join(VERDICT[h["verdict"]][0].split()[0] for h in history)
    ready = ""
    if readiness:
        ready = (f"<br>考试准备度：最近 {readiness['papers']} 次模拟考试平均得分率 {readiness['mean_share']:.0%}，"
                 f"通过 {readiness['passed']} 次；估计通过概率约 {readiness['pass_chance']:.0%}")
    return (f"<div id='kb-score'><b>{escape(trainee)}</b>：已答 <span class='kb-answered'>{scores['answered']}</span> 题，"
            f"答对 <span class='kb-right'>{scores['correct']}</span> 题，得分率 {scores['score']:.0%}"
            f"<br>错题本 <span class='kb-wrong-count'>{wrong}</span> 题，今日到期 <span class='kb-due-count'>{due_today}</span> 题"
            f"{ready}{'<br>最近：' + recent if recent else ''}"
            f"<table class='kb-table'><tr><th>题型 / 文档 / 章节</th><th>已答</th><th>答对</th><th>得分率</th></tr>{rows}"
            "</table></div>")


def wrong_book_html(entries: list) -> str:
    """错题本: each missed item with the trainee's last answer, the key and its 依据."""
    if not entries:
        return "<div class='kb-pending'>错题本是空的。答错或部分答对的题会记在这里，答对后移出。</div>"
    rows = []
    for item, row in entries:
        rows.append(f"<div class='kb-miss'><b>【{KIND_NAMES[item.kind]}】</b>{escape(item.question)}"
                    f"<br>你上次的答案：{escape(row['answer'] or '（未答）')}（{VERDICT[row['verdict']][0]}）"
                    f"<br><b>参考答案：</b>{escape(key_text(item))}<br><small>{escape(basis(item))}</small></div>")
    return f"<div id='kb-wrong-book'><b>错题本（{len(entries)} 题）</b>{''.join(rows)}</div>"


def paper_html(paper, trainee: str) -> str:
    """The mock exam as a form: sections by kind, a countdown, no answers until it is handed in."""
    bp = paper.blueprint
    head = (f"<div class='kb-exam-head' data-deadline='{paper.created + bp.minutes * 60:.0f}'>"
            f"<span>考生：{escape(trainee)}</span><span>满分 {bp.total:g} 分，{bp.total * bp.pass_share:g} 分及格</span>"
            f"<span class='kb-timer'>限时 {bp.minutes} 分钟</span><span>试卷编号 {paper.id}</span></div>")
    parts, n = [head], 0
    for kind in dict.fromkeys(i.kind for i in paper.items):
        items = [i for i in paper.items if i.kind == kind]
        parts.append(f"<h4>{SECTION_NAMES.get(kind, kind)}（每题 {bp.points.get(kind, 1.0):g} 分，共 {len(items)} 题）</h4>")
        for item in items:
            n += 1
            parts.append(_exam_question(n, item))
    return "<div class='kb-exam'>" + "".join(parts) + "</div>"


def _exam_question(n: int, item) -> str:
    name = f"q-{item.id}"
    if item.kind in ("choice", "judge", "multi"):
        kind = "checkbox" if item.kind == "multi" else "radio"
        body = "".join(f"<label><input type='{kind}' name='{name}' value='{escape(option, quote=True)}'> "
                       f"{letter}. {escape(option)}</label>" for letter, option in zip(LETTERS, item.options))
    else:
        body = f"<textarea name='{name}' placeholder='在此作答'></textarea>"
    return (f"<div class='kb-exam-q' data-item='{item.id}' data-kind='{item.kind}'>{n}. {escape(item.question)}"
            f"{'（多选）' if item.kind == 'multi' else ''}{body}</div>")


def report_html(result) -> str:
    """The score, pass or fail, and every miss with the answer given, the key, its 依据 and passage."""
    bp = result.paper.blueprint
    verdict = "✅ 及格" if result.passed else "❌ 不及格"
    minutes = f"用时 {result.seconds / 60:.0f} 分钟" + ("（超时）" if result.overtime else "")
    parts = [f"<div class='kb-verdict {'kb-correct' if result.passed else 'kb-wrong'}'>"
             f"得分 <span class='kb-exam-score'>{result.score:g}</span> / {bp.total:g}　{verdict}</div>"
             f"<div>{minutes}；答错或未答全 {len(result.misses())} 题，已记入错题本。</div>"]
    number = {m.item.id: n for n, m in enumerate(result.marked, 1)}
    for m in result.misses():
        parts.append(f"<div class='kb-miss'>{number[m.item.id]}. {escape(m.item.question)}"
                     f"<br>你的答案：{escape(m.answer or '（未答）')}　得分 {m.earned:g} / {m.points:g}"
                     f"<br><b>参考答案：</b>{escape(key_text(m.item))}<br><small>{escape(basis(m.item))}</small>"
                     f"{passage_html(m.item).replace('<details open>', '<details>')}</div>")
    return "<div id='kb-exam-report'>" + "".join(parts) + "</div>"


def answers_of(raw: str) -> dict[str, str]:
    """The answers the page collected; anything else is no answer at all."""
    try:
        answers = json.loads(raw or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in answers.items()} if isinstance(answers, dict) else {}
