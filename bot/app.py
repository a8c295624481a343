"""The Gradio app: chat with visible sources, knowledge-base management, self-test.

A thin layer: every handler calls plain functions of bot/ and ingest/ and renders with
bot/views.py. Named API endpoints (`/ask`, `/documents`, `/upload`, `/remove`, `/reindex`,
`/quiz_next`, `/quiz_answer`) make the same actions usable from gradio_client.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from ingest.loaders import SUFFIXES  # noqa: E402
from ingest.pipeline import IngestBusy  # noqa: E402
from ingest.store import StoreWriteError  # noqa: E402
from ingest.settings import Settings  # noqa: E402

from . import views  # noqa: E402
from .admin import AccessDenied, AdminGate, save_uploads  # noqa: E402
from .progress import Progress  # noqa: E402
from .quiz import KIND_NAMES, KINDS, Grader, QuizService  # noqa: E402
from .records import Answer  # noqa: E402
from .service import Service, open_service  # noqa: E402

log = logging.getLogger(__name__)
EXAMPLES = ["“三个必须”具体指什么？", "专项整治三年行动有哪两个专题？", "生产经营单位的主要负责人有哪些职责？",
            "安全生产法第二十一条说了什么", "重大事故是指什么？"]
DOC_HEADERS = ["文件", "标题", "片段数", "大小(KB)", "入库时间(UTC)"]


class ChatHandlers:
    def __init__(self, service: Service):
        self.service = service

    def ask(self, question: str, history: list | None = None) -> dict:
        """Answer a question from the knowledge base; `history` is the earlier questions (strings)
        or chat messages. Returns the same object as `python -m bot ask --json`."""
        turns = [{"role": "user", "content": h} if isinstance(h, str) else h for h in history or []]
        return self.service.answerer.ask(question, turns).to_json()

    def chat(self, question: str, turns: list[dict]):
        previous = [Answer.from_json(t) for t in turns]
        history = [{"role": "user", "content": a.question} for a in previous]
        shown = views.conversation_html(previous) if previous else ""
        pending = Answer(question=question or "", found=False, answer="")
        yield shown + views.answer_html(len(previous), pending, partial="正在检索知识库…"), turns, gr.update(), ""
        final = None
        for item in self.service.answerer.stream(question, history):
            if isinstance(item, str):
                yield shown + views.answer_html(len(previous), pending, partial=item), turns, gr.update(), ""
            else:
                final = item[0]
        turns = turns + [final.to_json()]
        choices = [(c.label + f" [{c.n}]", i) for i, c in enumerate(final.citations)]
        yield (views.conversation_html(previous + [final]), turns,
               gr.update(choices=choices, value=None), "")

    @staticmethod
    def show_source(index, turns: list[dict]) -> str:
        if index is None or not turns:
            return "<div class='kb-pending'>选择一条来源，在这里查看完整原文。</div>"
        citation = Answer.from_json(turns[-1]).citations[int(index)]
        return (f"<b>{views.escape(citation.label)}</b><br><small>{views.escape(citation.source)} · "
                f"{views.escape(citation.section)}</small>{views.passage_html(citation)}")

    @staticmethod
    def clear():
        return views.conversation_html([]), [], gr.update(choices=[], value=None), ""


class LibraryHandlers:
    """The knowledge-base page; every action passes the admin gate first."""

    def __init__(self, service: Service, gate: AdminGate):
        self.service, self.gate = service, gate

    def rows(self) -> list[list]:
        return [[r.source, r.title, r.chunks, round(r.size / 1000, 1), r.ingested_at.replace("+00:00", "")]
                for r in self.service.kb.store.documents()]

    def documents(self, password: str = "") -> list[dict]:
        """The documents in the knowledge base with their chunk counts, size and ingestion time."""
        self.gate.check(password)
        return [dict(zip(("source", "title", "chunks", "size_kb", "ingested_at"), row)) for row in self.rows()]

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
        """Remove a document (by file name) from the knowledge base and its folder."""
        return self.remove(name, password)[0]

    def reindex_all(self, password: str = "") -> str:
        """Bring the knowledge base in line with its folder; returns the ingestion summary."""
        return self._run(password, lambda: _summary(self.service.kb.ingest(), {}))[0]

    def unlock(self, password: str):
        return self._run(password, lambda: "✅ 已解锁" if not self.gate.open else "知识库管理未设置密码")


class QuizHandlers:
    def __init__(self, quiz: QuizService):
        self.quiz = quiz

    def next_question(self, trainee: str = "", scope: str = "all", kinds: list[str] | None = None,
                      review: bool = False) -> dict:
        """Pick the next self-test question for a trainee (review: missed and due questions first)."""
        item = self.quiz.pick(_trainee(trainee), scope or "all", tuple(kinds or KINDS), review)
        if item is None:
            return {}
        return {"id": item.id, "kind": item.kind, "question": item.question, "options": item.options,
                "source": item.source, "section": item.section}

    def answer(self, trainee: str, item_id: str, answer: str) -> dict:
        """Grade an answer; returns the verdict, key points hit and missed, reference and passage."""
        feedback = self.quiz.submit(_trainee(trainee), item_id, answer)
        return {"verdict": feedback.grade.verdict, "score": feedback.grade.score, "hit": feedback.grade.hit,
                "missed": feedback.grade.missed, "reference": feedback.item.answer,
                "passage": feedback.item.passage, "source": feedback.item.source, "box": feedback.box,
                "progress": self.quiz.progress.scores(_trainee(trainee))}

    def ui_next(self, trainee, scope, kinds, review):
        item = self.quiz.pick(_trainee(trainee), scope or "all", tuple(kinds or KINDS), review)
        is_choice = item is not None and item.kind == "choice"
        options = [f"{letter}. {o}" for letter, o in zip("ABCD", item.options)] if is_choice else []
        return (views.quiz_question_html(item), item.id if item else "",
                gr.update(choices=options, value=None, visible=is_choice),
                gr.update(value="", visible=item is not None and not is_choice), "")

    def ui_submit(self, trainee, item_id, choice, text):
        if not item_id:
            return "<div class='kb-pending'>请先点“出一题”。</div>", gr.update()
        answer = choice.split(". ", 1)[1] if choice else (text or "")
        try:
            feedback = self.quiz.submit(_trainee(trainee), item_id, answer)
        except KeyError:
            return "<div class='kb-notfound'>知识库已更新，这道题已失效，请重新出题。</div>", gr.update()
        return views.feedback_html(feedback), self.ui_scores(trainee)

    def ui_scores(self, trainee):
        name = _trainee(trainee)
        return views.scores_html(name, self.quiz.progress.scores(name), self.quiz.progress.history(name, 10))


def _trainee(name: str | None) -> str:
    return (name or "").strip()[:40] or "学员"


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
    chat = ChatHandlers(service)
    quiz = QuizHandlers(QuizService(service.retriever, Progress(settings.quiz_db), Grader(service.kb.embedder)))
    library = LibraryHandlers(service, AdminGate(settings.admin_password))
    with gr.Blocks(title="安全知识库问答") as demo:
        gr.Markdown("## 安全知识库问答\n回答只摘录知识库原文，每句后的 [n] 指向来源；知识库里没有的，会直接说没有。")
        with gr.Tab("问答"):
            turns = gr.State([])
            with gr.Row():
                with gr.Column(scale=3):
                    conversation = gr.HTML(views.conversation_html([]), elem_id="conversation",
                                           js_on_load=views.MARKER_JS)
                    # one line that grows: Enter sends, Shift+Enter breaks the line (as in every chat app)
                    question = gr.Textbox(label="问题（Enter 发送，Shift+Enter 换行）",
                                          placeholder="例如：“三个必须”具体指什么？", lines=1, max_lines=6,
                                          max_length=settings.max_question_chars * 4, elem_id="question")
                    with gr.Row():
                        send = gr.Button("提问", variant="primary", elem_id="send")
                        clear = gr.Button("清空对话", elem_id="clear")
                    gr.Examples(EXAMPLES, inputs=question, label="示例问题")
                with gr.Column(scale=2):
                    gr.Markdown("#### 原文")
                    source_pick = gr.Dropdown(label="本次回答的来源", choices=[], elem_id="source-pick")
                    source_view = gr.HTML(chat.show_source(None, []), elem_id="source-view")
            outputs = [conversation, turns, source_pick, question]
            for trigger in (send.click, question.submit):
                # the box is ready for the next question as soon as the answer is there
                trigger(chat.chat, [question, turns], outputs, api_name="ui_chat", api_visibility="private").then(
                    None, None, None, js="() => document.querySelector('#question textarea')?.focus()")
            clear.click(chat.clear, None, outputs, api_name="ui_clear", api_visibility="private")
            source_pick.change(chat.show_source, [source_pick, turns], source_view, api_name="ui_source",
                               api_visibility="private")
        with gr.Tab("知识库"):
            note = ("需要管理员密码。" if settings.admin_password
                    else "⚠ 未设置管理员密码（KB_ADMIN_PASSWORD），任何能打开本页的人都可以上传和删除。")
            gr.Markdown(f"上传 {' / '.join(SUFFIXES)}（单个不超过 {settings.max_file_mb} MB），"
                        f"文档保存在知识库文件夹并立即入库。{note}")
            password = gr.Textbox(label="管理员密码", type="password", visible=bool(settings.admin_password),
                                  elem_id="admin-password")
            unlock = gr.Button("解锁", visible=bool(settings.admin_password))
            table = gr.Dataframe(headers=DOC_HEADERS, label="文档列表", value=library.rows() if not settings.admin_password else [],
                                 interactive=False, elem_id="documents")
            files = gr.File(label="上传文档", file_count="multiple", file_types=list(SUFFIXES))
            with gr.Row():
                upload = gr.Button("上传并入库", variant="primary")
                reindex = gr.Button("重新索引")
            with gr.Row():
                remove_pick = gr.Dropdown(label="删除文档", choices=[r[0] for r in library.rows()]
                                          if not settings.admin_password else [])
                remove = gr.Button("删除", variant="stop")
            status = gr.Textbox(label="结果", lines=4, interactive=False, elem_id="kb-status")
            results = [status, table, remove_pick]
            upload.click(library.upload, [files, password], results, api_name="upload")
            remove.click(library.remove, [remove_pick, password], results, api_name="ui_remove",
                         api_visibility="private")
            reindex.click(library.reindex, [password], results, api_name="ui_reindex", api_visibility="private")
            unlock.click(library.unlock, [password], results, api_name="ui_unlock", api_visibility="private")
        with gr.Tab("自测"):
            with gr.Row():
                trainee = gr.Textbox(label="姓名（按姓名保存进度）", value="学员", elem_id="trainee", scale=1)
                scope = gr.Dropdown(label="范围", choices=quiz.quiz.scopes(), value="all", elem_id="scope", scale=2)
                kinds = gr.CheckboxGroup(label="题型", choices=[(KIND_NAMES[k], k) for k in KINDS], value=list(KINDS),
                                         elem_id="kinds", scale=2)
                review = gr.Checkbox(label="复习模式（错题和到期题优先）", elem_id="review", scale=1)
            question_view = gr.HTML("<div class='kb-pending'>选择范围和题型，点“出一题”。</div>", elem_id="quiz-question")
            item_id = gr.State("")
            choice = gr.Radio(label="选项", choices=[], visible=False, elem_id="quiz-choice")
            free = gr.Textbox(label="你的答案", lines=3, visible=False, elem_id="quiz-answer")
            with gr.Row():
                next_button = gr.Button("出一题", variant="primary", elem_id="quiz-next")
                submit = gr.Button("提交答案", elem_id="quiz-submit")
            feedback = gr.HTML(elem_id="quiz-feedback")
            score_view = gr.HTML(quiz.ui_scores("学员"), elem_id="quiz-score")
            next_button.click(quiz.ui_next, [trainee, scope, kinds, review], [question_view, item_id, choice, free,
                                                                             feedback],
                              api_name="ui_quiz_next", api_visibility="private")
            submit.click(quiz.ui_submit, [trainee, item_id, choice, free], [feedback, score_view],
                         api_name="ui_quiz_submit", api_visibility="private")
            trainee.change(quiz.ui_scores, trainee, score_view, api_name="ui_quiz_scores", api_visibility="private")
        gr.api(chat.ask, api_name="ask")
        gr.api(quiz.next_question, api_name="quiz_next")
        gr.api(quiz.answer, api_name="quiz_answer")
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
    demo.launch(server_name=host, server_port=port, show_error=False, css=views.CSS,
                theme=gr.themes.Default(font=["system-ui", "PingFang SC", "Noto Sans CJK SC", "sans-serif"],
                                        font_mono=["monospace"]),
                footer_links=["api"], max_file_size=f"{settings.max_file_mb}mb",
                allowed_paths=[], blocked_paths=[str(Path(settings.store_dir).resolve())])

