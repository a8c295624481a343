"""The Gradio app: chat with visible sources and kept conversations, knowledge-base
management with the question log, self-test.

A thin layer: every handler calls plain functions of bot/ and ingest/ and renders with
bot/views.py. Named API endpoints (`/ask`, `/feedback`, `/question_log`, `/documents`, `/upload`,
`/remove`, `/reindex`, `/quiz_next`, `/quiz_answer`, `/exam_paper`, `/exam_submit`) make the same actions
usable from gradio_client.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from ingest.loaders import SUFFIXES  # noqa: E402
from ingest.metadata import (DATE_FIELDS, STATUSES, DocInfo, MetadataError, read_metadata,  # noqa: E402
                             save_document)
from ingest.pipeline import IngestBusy  # noqa: E402
from ingest.store import StoreWriteError  # noqa: E402
from ingest.settings import Settings  # noqa: E402

from . import export, quiz_views, views  # noqa: E402
from .admin import AccessDenied, AdminGate, save_uploads  # noqa: E402
from .conversations import Conversations, valid_browser  # noqa: E402
from .progress import Progress  # noqa: E402
from .questionlog import QuestionLog  # noqa: E402
from .grading import Grader  # noqa: E402
from .quiz import QuizService  # noqa: E402
from .quiz_page import QuizHandlers, exam_tab, quiz_api, self_test_tab  # noqa: E402
from .records import Answer  # noqa: E402
from .service import Service, open_service  # noqa: E402

log = logging.getLogger(__name__)
EXAMPLES = ["“三个必须”具体指什么？", "专项整治三年行动有哪两个专题？", "生产经营单位的主要负责人有哪些职责？",
            "安全生产法第二十一条说了什么", "重大事故是指什么？"]
LINK_OUTDATED = "知识库在这条链接生成后已更新，回答按当前知识库重新给出"
# The page keeps an opaque random id in the browser's local storage: its conversations are kept
# under it, with no login. crypto.getRandomValues works on plain http too (randomUUID does not).
BROWSER_ID_JS = """
(browser) => {
  let id = localStorage.getItem('kb-browser');
  if (!/^[0-9a-f]{32}$/.test(id || '')) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), b => b.toString(16).padStart(2, '0')).join('');
    localStorage.setItem('kb-browser', id);
  }
  if (window.innerWidth < 768) {   // on a phone the history opens on demand, over the chat
    document.querySelector('#sidebar.open .toggle-button')?.click();
  }
  return id;
}
"""
# A question sent before the page's load event came back still goes with the browser's id.
WITH_BROWSER_JS = "(...inputs) => { inputs[2] = inputs[2] || localStorage.getItem('kb-browser') || ''; return inputs; }"
DOC_HEADERS = ["文件", "类别", "标题", "状态", "片段数", "大小(KB)", "入库时间(UTC)"]
# the document description staff can edit on the page (metadata.toml), in the editor's order
INFO_FIELDS = [("status", "效力状态"), ("authority", "发布机关"), ("number", "文号"), ("adopted", "通过日期"),
               ("published", "公布日期"), ("amended", "最近修正日期"), ("in_force", "施行日期")]


class ChatHandlers:
    """The chat page and the /ask and /feedback API: answers, kept conversations, exports."""

    def __init__(self, service: Service, conversations: Conversations, questions: QuestionLog):
        self.service, self.conversations, self.questions = service, conversations, questions

    def ask(self, question: str, history: list | None = None, scope: str = "") -> dict:
        """Answer a question from the knowledge base; `history` is the earlier questions (strings)
        or chat messages; `scope` limits it to one document (its path) or a category (a folder:
        「法律法规 › 国务院条例」). Returns the same object as `python -m bot ask --json`; its `id`
        is the answer's, for /feedback."""
        turns = [{"role": "user", "content": h} if isinstance(h, str) else h for h in history or []]
        answer = self.service.answerer.ask(question, turns, scope=scope or "")
        self.questions.record(answer, "api")
        return answer.to_json()

    def feedback(self, answer_id: str, rating: int, comment: str = "") -> dict:
        """Mark an answer useful (rating 1) or wrong (rating -1), with an optional comment."""
        try:
            return {"recorded": self.questions.rate(answer_id, int(rating), comment)}
        except ValueError as exc:
            return {"recorded": False, "error": str(exc)}

    def rate(self, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        if data.get("answer") and data.get("rating") in (1, -1):
            self.questions.rate(str(data["answer"]), data["rating"], str(data.get("comment") or ""))

    def chat(self, question: str, turns: list[dict], browser: str, conversation: str, scope: str = ""):
        """Stream one answer into the conversation, then keep it in this browser's history.
        Yields (conversation, turns, source choices, question box, conversation id, history list)."""
        previous = [Answer.from_json(t) for t in turns]
        yield from self._chat(question, previous, [a.question for a in previous], browser, conversation, scope)

    def scopes(self):
        """The choices for limiting questions: everything, each category (subfolder), each document."""
        snap = self.service.retriever.snapshot()
        titles = {r.source: r.title for r in self.service.kb.store.documents()}
        return gr.update(choices=[("全部文档", "")] + [(f"类别：{c}", c) for c in snap.categories()]
                         + [(f"文档：{titles.get(s, s)}（{s}）", s) for s in sorted(snap.infos)])

    def _chat(self, question: str, previous: list[Answer], context: list[str], browser: str, conversation: str,
              scope: str = ""):
        shown = views.conversation_html(previous) if previous else ""
        pending = Answer(question=question or "", found=False, answer="")
        waiting = "知识库刚更新，正在载入新的索引…" if self.service.retriever.stale() else "正在检索知识库…"
        unchanged = gr.update(), "", gr.update(), gr.update()
        yield shown + views.answer_html(len(previous), pending, partial=waiting), gr.update(), *unchanged
        final = None
        history = [{"role": "user", "content": q} for q in context]
        for item in self.service.answerer.stream(question, history, scope=scope or ""):
            if isinstance(item, str):
                yield shown + views.answer_html(len(previous), pending, partial=item), gr.update(), *unchanged
            else:
                final = item[0]
        try:
            self.questions.record(final, "page")
            if final.question and valid_browser(browser):
                conversation = self.conversations.append(browser, conversation, final)
        except sqlite3.Error:   # the answer stands even if keeping it failed (a busy shared database)
            log.exception("could not keep the answer in the app database")
        yield (*self._show(previous + [final]), "", conversation, self.history_list(browser, conversation))

    def _show(self, answers: list[Answer]):
        """(conversation html, turns, source choices) for these answers."""
        last = answers[-1].citations if answers else []
        choices = [(c.label + f" [{c.n}]", i) for i, c in enumerate(last)]
        return (views.conversation_html(answers), [a.to_json() for a in answers],
                gr.update(choices=choices, value=None))

    def start(self, browser: str, request: gr.Request):
        """Page load: this browser's history; a link to an answer (?q=…&after=…&rev=…) asks it again,
        after the question it followed up, and says so when the knowledge base has changed since."""
        params = dict(request.query_params) if request else {}
        question = (params.get("q") or "").strip()
        if not question:   # leave the conversation alone: a question may already be on its way
            yield gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), self.history_list(browser, "")
            return
        context = [params["after"]] if params.get("after") else []
        out = None
        for out in self._chat(question, [], context, browser, ""):
            yield out
        answer = Answer.from_json(out[1][-1])
        if params.get("rev") and not answer.revision.startswith(params["rev"]):
            answer.notice = "；".join(filter(None, [answer.notice, LINK_OUTDATED]))
            yield (*self._show([answer]), *out[3:])

    def history_list(self, browser: str, selected: str):
        if not valid_browser(browser):
            return gr.update(choices=[], value=None)
        choices = [(f"{c.title}（{c.turns} 问 · {time.strftime('%m-%d %H:%M', time.localtime(c.updated_at))}）", c.id)
                   for c in self.conversations.list(browser)]
        return gr.update(choices=choices, value=selected or None)

    def open(self, conversation: str, browser: str):
        if not conversation or not valid_browser(browser):
            return gr.update(), gr.update(), gr.update(), gr.update(), ""
        answers = self.conversations.turns(browser, conversation)
        return *self._show(answers), conversation, self.conversations.title(browser, conversation)

    def new(self, browser: str):
        return *self._show([]), "", "", self.history_list(browser, "")

    def rename(self, title: str, browser: str, conversation: str):
        if conversation and valid_browser(browser):
            self.conversations.rename(browser, conversation, title)
        return self.history_list(browser, conversation)

    def delete(self, browser: str, conversation: str):
        if conversation and valid_browser(browser):
            self.conversations.delete(browser, conversation)
        return self.new(browser)

    def export(self, kind: str, turns: list[dict], title: str):
        """The shown conversation as a Word or Markdown file to download."""
        answers = [Answer.from_json(t) for t in turns]
        if not answers:
            return gr.update(value=None, visible=False), "先提一个问题，再导出对话。"
        heading = f"{export.TITLE}：{title}" if title else export.TITLE
        folder = Path(tempfile.mkdtemp(prefix="kb-export-"))
        path = folder / f"问答记录-{time.strftime('%Y%m%d-%H%M')}.{kind}"
        if kind == "docx":
            path.write_bytes(export.docx_bytes(answers, heading))
        else:
            path.write_text(export.markdown(answers, heading), encoding="utf-8")
        return gr.update(value=str(path), visible=True), f"已导出 {len(answers)} 问，点击下方文件下载。"

    @staticmethod
    def show_source(index, turns: list[dict]) -> str:
        if index is None or not turns:
            return "<div class='kb-pending'>选择一条来源，在这里查看完整原文。</div>"
        citation = Answer.from_json(turns[-1]).citations[int(index)]
        return (f"<b>{views.escape(citation.label)}</b><br><small>{views.escape(citation.source)} · "
                f"{views.escape(citation.section)}</small>{views.passage_html(citation)}")


class LibraryHandlers:
    """The knowledge-base page; every action passes the admin gate first."""

    def __init__(self, service: Service, gate: AdminGate):
        self.service, self.gate = service, gate

    def rows(self) -> list[list]:
        """One row per document, grouped by category (its folder)."""
        records = sorted(self.service.kb.store.documents(), key=lambda r: (r.category, r.source))
        return [[r.source, r.category, r.title, DocInfo.from_json(r.info).dated(), r.chunks, round(r.size / 1000, 1),
                 r.ingested_at.replace("+00:00", "")] for r in records]

    def documents(self, password: str = "") -> list[dict]:
        """The documents in the knowledge base with their category, status and date, chunk counts,
        size and ingestion time."""
        self.gate.check(password)
        keys = ("source", "category", "title", "status", "chunks", "size_kb", "ingested_at")
        return [dict(zip(keys, row)) for row in self.rows()]

    def _run(self, password, action):
        """(message, table, remove choices); a refused password shows no documents."""
        denied = False
        try:
            self.gate.check(password)
            message = action()
        except AccessDenied as exc:
            denied, message = True, f"❌ {exc}（多次输错会变慢）"
        except IngestBusy:
            message = "⏳ 另一个入库任务正在进行，请稍后再试。"
        except StoreWriteError as exc:
            log.error("%s", exc)
            message = "❌ 写入知识库失败（磁盘已满或没有写权限？），已入库的内容没有受影响。请检查后重试。"
        table = [] if denied else self.rows()
        return message, table, gr.update(choices=[r[0] for r in table], value=None)

    def upload(self, files, password: str, progress=gr.Progress()):
        def action():
            uploads = [(Path(f).name, Path(f)) for f in (files or [])]
            if not uploads:
                return f"请先选择要上传的文件（{' '.join(SUFFIXES)}）。"
            max_bytes = self.service.kb.settings.max_file_mb * 1_000_000
            saved, refused = save_uploads(self.service.kb.settings.data_dir, uploads, max_bytes)
            report = self.service.kb.ingest(files=saved, progress=_progress(progress)) if saved else None
            return _summary(report, refused)
        return self._run(password, action)

    def remove(self, name: str, password: str):
        def action():
            if not name:
                return "请先选择要删除的文档。"
            found = self.service.kb.remove(name)
            return f"已删除 {name}" if found else f"{name} 不在知识库中"
        return self._run(password, action)

    def reindex(self, password: str, progress=gr.Progress()):
        return self._run(password, lambda: _summary(self.service.kb.ingest(progress=_progress(progress)), {}))

    def remove_document(self, name: str, password: str = "") -> str:
        """Remove a document (by its path in the knowledge-base folder) from the knowledge base and the folder."""
        return self.remove(name, password)[0]

    def reindex_all(self, password: str = "") -> str:
        """Bring the knowledge base in line with its folder; returns the ingestion summary."""
        return self._run(password, lambda: _summary(self.service.kb.ingest(), {}))[0]

    def unlock(self, password: str):
        return self._run(password, lambda: "✅ 已解锁" if not self.gate.open else "知识库管理未设置密码")

    def refresh(self, password: str):
        """(folder tree, editor's document choices) after an action on the page, which has
        already counted a wrong password."""
        try:
            self.gate.check(password, count=False)
        except AccessDenied:
            return views.document_tree_html([]), gr.update(choices=[], value=None)
        rows = self.rows()
        return views.document_tree_html(rows), gr.update(choices=[r[0] for r in rows])

    def info_fields(self, source: str, password: str) -> list:
        """The editor's fields (INFO_FIELDS order): what metadata.toml says, with what the document's
        own text says as the placeholder, so saving one field never freezes the text's dates."""
        try:
            self.gate.check(password)
            given = read_metadata(self.service.kb.settings.data_dir).documents.get(source, {})
        except (AccessDenied, MetadataError):
            return [gr.update(value="")] * len(INFO_FIELDS)
        record = next((r for r in self.service.kb.store.documents() if r.source == source), None)
        shown = DocInfo.from_json(record.info) if record else DocInfo()
        return [gr.update(value=given.get(name, "")) if name == "status"
                else gr.update(value=given.get(name, ""), placeholder=getattr(shown, name) or "")
                for name, _ in INFO_FIELDS]

    def save_info(self, source: str, password: str, *values: str):
        """Write the document's description to metadata.toml and apply it (nothing is embedded)."""
        def action():
            if not source:
                return "请先选择文档。"
            try:
                save_document(self.service.kb.settings.data_dir, source,
                              dict(zip((name for name, _ in INFO_FIELDS), values)))
            except MetadataError as exc:
                return f"❌ 文档信息没有保存：日期请写成 YYYY-MM-DD，状态只能是 {' / '.join(STATUSES)}。（{exc}）"
            return f"已保存 {source} 的文档信息。\n" + _summary(self.service.kb.ingest(), {})
        return self._run(password, action)


class LogHandlers:
    """The admin view of the question log, behind the same password as the knowledge-base page."""

    def __init__(self, questions: QuestionLog, gate: AdminGate):
        self.questions, self.gate = questions, gate

    def report(self, password: str = "") -> dict:
        """Questions the knowledge base did not answer and answers marked wrong, grouped by
        similar wording, most asked first; with counts per outcome."""
        self.gate.check(password)
        return {"enabled": self.questions.enabled, "counts": self.questions.counts(),
                "unanswered": [asdict(g) for g in self.questions.unanswered()],
                "marked_wrong": [asdict(g) for g in self.questions.marked_wrong()]}

    def ui_show(self, password: str):
        try:
            self.gate.check(password)
        except AccessDenied as exc:
            return f"<div class='kb-notfound'>❌ {views.escape(str(exc))}</div>"
        return views.question_log_html(self.questions.enabled, self.questions.counts(),
                                       self.questions.unanswered(), self.questions.marked_wrong())

    def ui_csv(self, password: str):
        try:
            self.gate.check(password)
        except AccessDenied:
            return gr.update(value=None, visible=False)
        path = Path(tempfile.mkdtemp(prefix="kb-log-")) / f"提问记录-{time.strftime('%Y%m%d-%H%M')}.csv"
        path.write_text(self.questions.csv(), encoding="utf-8")
        return gr.update(value=str(path), visible=True)


def _progress(progress):
    return lambda fraction, message: progress(fraction, desc=message)


def _summary(report, refused: dict[str, str]) -> str:
    """The ingestion result in Chinese, with the same facts the CLI prints."""
    lines = []
    if report is not None:
        lines.append(f"新增 {len(report.added)} 个、更新 {len(report.updated)} 个、未变 {len(report.unchanged)} 个、"
                     f"删除 {len(report.removed)} 个、失败 {len(report.failed)} 个文档；本次嵌入 {report.chunks_embedded} "
                     f"个段落，知识库共 {report.chunks_total} 个段落；用时 {report.seconds:.1f} 秒")
        refused = {**report.failed, **refused}
    return "\n".join(lines + [f"❌ {name}：{why}" for name, why in refused.items()])


def build_app(service: Service, settings: Settings) -> gr.Blocks:
    gate = AdminGate(settings.admin_password)
    questions = QuestionLog(settings.app_db, enabled=settings.question_log)
    chat = ChatHandlers(service, Conversations(settings.app_db), questions)
    quiz = QuizHandlers(QuizService(service.retriever, Progress(settings.app_db), Grader(service.kb.embedder)))
    library = LibraryHandlers(service, gate)
    logs = LogHandlers(questions, gate)
    private = {"api_visibility": "private"}
    with gr.Blocks(title="安全知识库问答") as demo:
        gr.Markdown("## 安全知识库问答\n回答只摘录知识库原文，每句后的 [n] 指向来源；知识库里没有的，会直接说没有。")
        conversation_id, turns = gr.State(""), gr.State([])
        with gr.Sidebar(label="对话记录", width=260, elem_id="sidebar"):
            new_chat = gr.Button("＋ 新对话", elem_id="new-chat")
            history = gr.Radio(label="对话记录（保存在本浏览器）", choices=[], elem_id="history")
            title = gr.Textbox(label="对话名称", max_length=40, elem_id="chat-title")
            with gr.Row():
                rename = gr.Button("重命名", size="sm", elem_id="rename")
                delete = gr.Button("删除", size="sm", variant="stop", elem_id="delete-chat")
        # a hidden box, not a State: a State's value never comes from the page, and this one must
        browser = gr.Textbox(visible=False, elem_id="browser-id")
        with gr.Tab("问答"):
            with gr.Row():
                with gr.Column(scale=3):
                    conversation = gr.HTML(views.conversation_html([]), elem_id="conversation",
                                           js_on_load=views.ACTIONS_JS)
                    # one line that grows: Enter sends, Shift+Enter breaks the line (as in every chat app)
                    question = gr.Textbox(label="问题（Enter 发送，Shift+Enter 换行）",
                                          placeholder="例如：“三个必须”具体指什么？", lines=1, max_lines=6,
                                          max_length=settings.max_question_chars * 4, elem_id="question")
                    with gr.Row():
                        send = gr.Button("提问", variant="primary", elem_id="send", scale=2)
                        ask_scope = gr.Dropdown(label="查找范围", choices=[("全部文档", "")], value="", scale=3,
                                            elem_id="scope-pick", container=False)
                    with gr.Row(elem_id="examples"):
                        examples = [gr.Button(text, size="sm", elem_classes="kb-example") for text in EXAMPLES]
                    with gr.Row():
                        to_docx = gr.Button("导出 Word", size="sm", elem_id="export-docx")
                        to_md = gr.Button("导出 Markdown", size="sm", elem_id="export-md")
                    export_note = gr.Markdown(elem_id="export-note")
                    export_file = gr.File(label="导出的文件", visible=False, interactive=False, elem_id="export-file")
                with gr.Column(scale=2):
                    gr.Markdown("#### 原文")
                    source_pick = gr.Dropdown(label="本次回答的来源", choices=[], elem_id="source-pick")
                    source_view = gr.HTML(chat.show_source(None, []), elem_id="source-view")
            shown = [conversation, turns, source_pick, question, conversation_id, history]
            focus = "() => document.querySelector('#question textarea')?.focus()"
            for trigger in (send.click, question.submit):
                # the box is ready for the next question as soon as the answer is there
                trigger(chat.chat, [question, turns, browser, conversation_id, ask_scope], shown, js=WITH_BROWSER_JS,
                        **private).then(
                    None, None, None, js=focus)
            for button, text in zip(examples, EXAMPLES):
                button.click(lambda t=text: t, None, question, **private).then(
                    chat.chat, [question, turns, browser, conversation_id, ask_scope], shown, js=WITH_BROWSER_JS,
                    **private)
            demo.load(lambda b: b, browser, browser, js=BROWSER_ID_JS, **private).then(
                chat.start, browser, shown, **private).then(chat.scopes, None, ask_scope, **private)
            history.input(chat.open, [history, browser], [conversation, turns, source_pick, conversation_id, title],
                          **private)
            new_chat.click(chat.new, browser, shown, **private)
            rename.click(chat.rename, [title, browser, conversation_id], history, **private)
            delete.click(chat.delete, [browser, conversation_id], shown, **private)
            to_docx.click(lambda t, n: chat.export("docx", t, n), [turns, title], [export_file, export_note], **private)
            to_md.click(lambda t, n: chat.export("md", t, n), [turns, title], [export_file, export_note], **private)
            conversation.click(chat.rate, None, None, **private)
            source_pick.change(chat.show_source, [source_pick, turns], source_view, **private)
        with gr.Tab("知识库"):
            note = ("需要管理员密码。" if settings.admin_password
                    else "⚠ 未设置管理员密码（KB_ADMIN_PASSWORD），任何能打开本页的人都可以上传和删除。")
            gr.Markdown(f"上传 {' / '.join(SUFFIXES)}（单个不超过 {settings.max_file_mb} MB），"
                        f"文档保存在知识库文件夹并立即入库。{note}")
            password = gr.Textbox(label="管理员密码", type="password", visible=bool(settings.admin_password),
                                  elem_id="admin-password")
            unlock = gr.Button("解锁", visible=bool(settings.admin_password))
            tree = gr.HTML(views.document_tree_html(library.rows() if not settings.admin_password else []),
                           elem_id="document-tree")
            with gr.Accordion("文档表格", open=False):
                table = gr.Dataframe(headers=DOC_HEADERS, label="文档列表", interactive=False, elem_id="documents",
                                     value=library.rows() if not settings.admin_password else [])
            files = gr.File(label="上传文档", file_count="multiple", file_types=list(SUFFIXES))
            with gr.Row():
                upload = gr.Button("上传并入库", variant="primary")
                reindex = gr.Button("重新索引")
            with gr.Row():
                remove_pick = gr.Dropdown(label="删除文档", choices=[r[0] for r in library.rows()]
                                          if not settings.admin_password else [])
                remove = gr.Button("删除", variant="stop")
            status = gr.Textbox(label="结果", lines=4, interactive=False, elem_id="kb-status")
            gr.Markdown("#### 文档信息\n效力状态和日期写入知识库文件夹的 metadata.toml，保存后立即生效，不重新嵌入；"
                        "留空的项按文档正文中写明的为准。")
            info_doc = gr.Dropdown(label="文档", choices=[r[0] for r in library.rows()]
                                   if not settings.admin_password else [], elem_id="info-doc")
            with gr.Row():
                info = [gr.Dropdown(label=label, choices=["", *STATUSES], elem_id=f"info-{name}") if name == "status"
                        else gr.Textbox(label=label, placeholder="YYYY-MM-DD" if name in DATE_FIELDS else "",
                                        elem_id=f"info-{name}", min_width=120)
                        for name, label in INFO_FIELDS]
            info_save = gr.Button("保存文档信息", elem_id="info-save")
            results = [status, table, remove_pick]
            events = [upload.click(library.upload, [files, password], results, api_name="upload"),
                      remove.click(library.remove, [remove_pick, password], results, api_name="ui_remove",
                                   api_visibility="private"),
                      reindex.click(library.reindex, [password], results, api_name="ui_reindex", api_visibility="private"),
                      unlock.click(library.unlock, [password], results, api_name="ui_unlock", api_visibility="private"),
                      info_save.click(library.save_info, [info_doc, password, *info], results, **private)]
            for event in events:
                event.then(library.refresh, password, [tree, info_doc], **private)
            info_doc.input(library.info_fields, [info_doc, password], info, **private)
            gr.Markdown("#### 用户提问记录\n知识库没能回答的问题和被标为有误的回答，提示该补充或更正哪些文档。"
                        "只记录问题原文、结果和引用，不记录提问人。")
            with gr.Row():
                show_log = gr.Button("查看提问记录", elem_id="show-log")
                log_csv = gr.Button("导出 CSV", elem_id="log-csv")
            log_view = gr.HTML(elem_id="question-log")
            log_file = gr.File(label="CSV", visible=False, interactive=False, elem_id="log-file")
            show_log.click(logs.ui_show, password, log_view, **private)
            log_csv.click(logs.ui_csv, password, log_file, **private)
        self_test_tab(quiz, demo)
        exam_tab(quiz, demo)
        gr.api(chat.ask, api_name="ask")
        gr.api(chat.feedback, api_name="feedback")
        gr.api(logs.report, api_name="question_log")
        quiz_api(quiz)
        gr.api(library.documents, api_name="documents")
        gr.api(library.remove_document, api_name="remove")
        gr.api(library.reindex_all, api_name="reindex")
    return demo


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    logging.getLogger().setLevel(logging.INFO)
    print(f"opening the knowledge base ({settings.chroma_host or settings.store_dir})…", flush=True)
    service = open_service(settings, ingest_if_needed=True,
                           progress=lambda f, m: print(f"[{f:4.0%}] {m}", flush=True))
    demo = build_app(service, settings)
    demo.queue(default_concurrency_limit=4)
    print(f"serving on http://{host}:{port}", flush=True)
    demo.launch(server_name=host, server_port=port, show_error=False, css=views.CSS + quiz_views.CSS,
                theme=gr.themes.Default(font=["system-ui", "PingFang SC", "Noto Sans CJK SC", "sans-serif"],
                                        font_mono=["monospace"]),
                footer_links=["api"], max_file_size=f"{settings.max_file_mb}mb",
                allowed_paths=[], blocked_paths=[str(Path(settings.store_dir).resolve())])

