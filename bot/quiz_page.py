"""The self-test (自测) and mock-exam (模拟考试) tabs and their API: thin handlers over QuizService,
so the page, the API and the CLI grade, schedule and mark with the same functions."""
from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr

from . import quiz_views
from .exam import DEFAULT_COUNTS, Blueprint, BlueprintError, basis, items_csv, key_docx, paper_docx
from .quiz import KIND_NAMES, KINDS, AlreadyHandedIn, NoSuchPaper, QuizService

PRIVATE = {"api_visibility": "private"}


def trainee_name(name: str | None) -> str:
    return (name or "").strip()[:40] or "学员"


class QuizHandlers:
    def __init__(self, quiz: QuizService):
        self.quiz = quiz

    # --- API ------------------------------------------------------------------------

    def next_question(self, trainee: str = "", scope: str = "all", kinds: list[str] | None = None,
                      review: bool = False, mode: str = "") -> dict:
        """Pick the next self-test question. mode: practice (unseen first), review (wrong-answer book,
        then due cards), wrong (the book only), due (today's FSRS queue), favourites."""
        item = self.quiz.pick(trainee_name(trainee), scope or "all", tuple(kinds or KINDS), review, mode)
        if item is None:
            return {}
        return {"id": item.id, "kind": item.kind, "question": item.question, "options": item.options,
                "source": item.source, "section": item.section}

    def answer(self, trainee: str, item_id: str, answer: str) -> dict:
        """Grade an answer (a 多选 answer as letters, 「ABD」); returns the verdict, key points hit and
        missed, reference, 依据, passage and when FSRS brings the question back."""
        name = trainee_name(trainee)
        feedback = self.quiz.submit(name, item_id, answer)
        grade, item = feedback.grade, feedback.item
        return {"verdict": grade.verdict, "score": grade.score, "hit": grade.hit, "missed": grade.missed,
                "wrong_figures": grade.wrong_figures, "sure": grade.sure, "reference": item.answer,
                "basis": basis(item), "passage": item.passage, "source": item.source,
                "due": datetime.fromtimestamp(feedback.due, timezone.utc).isoformat(timespec="seconds"),
                "superseded": feedback.superseded, "progress": self.quiz.progress.scores(name)}

    def favourite(self, trainee: str, item_id: str) -> dict:
        """Add a question to the trainee's favourites, or take it out."""
        try:
            return {"favourite": self.quiz.toggle_favourite(trainee_name(trainee), item_id)}
        except KeyError as exc:
            return {"error": str(exc.args[0])}

    def wrong_book(self, trainee: str = "") -> list[dict]:
        """错题本: the questions whose last answer missed, with that answer, the key and its 依据."""
        return [{"id": item.id, "kind": item.kind, "question": item.question, "options": item.options,
                 "your_answer": row["answer"], "verdict": row["verdict"], "reference": item.answer,
                 "basis": basis(item)} for item, row in self.quiz.wrong_book(trainee_name(trainee))]

    def progress(self, trainee: str = "") -> dict:
        """Scores by kind, document and chapter; the wrong-answer book's size; today's due queue; and
        an exam-readiness estimate from the recent mock exams."""
        name, progress = trainee_name(trainee), self.quiz.progress
        return {**progress.scores(name), "wrong_book": len(self.quiz.wrong_book(name)),
                "due_today": len(progress.due_today(name)), "readiness": progress.readiness(name),
                "exams": progress.exams(name, 5)}

    def exam_paper(self, scope: str = "all", counts: dict[str, int] | None = None, minutes: int = 60,
                   pass_share: float = 0.8) -> dict:
        """Draw a mock exam (default: 单选 30, 多选 15, 判断 20, 填空 10, 简答 2; 100 points, pass at 80);
        the questions come without answers. Hand it in with /exam_submit."""
        try:
            blueprint = Blueprint(counts={str(k): int(v) for k, v in (counts or DEFAULT_COUNTS).items()},
                                  minutes=int(minutes), pass_share=float(pass_share), scope=scope or "all")
            paper = self.quiz.paper(blueprint)
        except BlueprintError as exc:
            return {"error": str(exc)}
        except (TypeError, ValueError) as exc:
            return {"error": f"counts, minutes or pass_share: {exc}"}
        return {"paper": paper.id, "total": blueprint.total, "pass": blueprint.total * blueprint.pass_share,
                "minutes": blueprint.minutes,
                "questions": [{"id": i.id, "kind": i.kind, "question": i.question, "options": i.options}
                              for i in paper.items]}

    def exam_submit(self, trainee: str, paper: str, answers: dict[str, str]) -> dict:
        """Hand in a mock exam: the score, pass or fail, and every answer marked with its reference,
        依据 and passage. Kept in the trainee's results."""
        if not isinstance(answers, dict):
            return {"error": "answers: expected an object of question id → answer"}
        try:
            return self.quiz.hand_in(trainee_name(trainee), paper, answers).to_json()
        except KeyError as exc:
            return {"error": str(exc.args[0])}

    # --- the page -------------------------------------------------------------------

    def ui_next(self, trainee, scope, kinds, mode):
        item = self.quiz.pick(trainee_name(trainee), scope or "all", tuple(kinds or KINDS), mode=mode)
        kind = item.kind if item else ""
        options = quiz_views.options_of(item) if item else []
        return (quiz_views.question_html(item, mode), item.id if item else "",
                gr.update(choices=options if kind in ("choice", "judge") else [], value=None,
                          visible=kind in ("choice", "judge")),
                gr.update(choices=options if kind == "multi" else [], value=[], visible=kind == "multi"),
                gr.update(value="", visible=item is not None and kind not in ("choice", "judge", "multi")),
                "", gr.update(value=_star(item is not None and self.quiz.is_favourite(trainee_name(trainee), item.id)),
                              visible=item is not None))

    def ui_submit(self, trainee, item_id, choice, multi, text):
        if not item_id:
            return "<div class='kb-pending'>请先点“出一题”。</div>", gr.update()
        # the options' words, not their letters: what the trainee chose still reads right in the 错题本
        if choice:
            answer = choice.split(". ", 1)[1]
        elif multi:
            answer = "；".join(o.split(". ", 1)[1] for o in sorted(multi))
        else:
            answer = text or ""
        try:
            feedback = self.quiz.submit(trainee_name(trainee), item_id, answer)
        except KeyError:
            return "<div class='kb-notfound'>知识库已更新，这道题已失效，请重新出题。</div>", gr.update()
        return quiz_views.feedback_html(feedback), self.ui_scores(trainee)

    def ui_favourite(self, trainee, item_id):
        if not item_id:
            return gr.update()
        return gr.update(value=_star(bool(self.favourite(trainee, item_id).get("favourite"))))

    def ui_scores(self, trainee):
        name, progress = trainee_name(trainee), self.quiz.progress
        return quiz_views.scores_html(name, progress.scores(name), progress.history(name, 10),
                                      len(progress.due_today(name)), len(self.quiz.wrong_book(name)),
                                      progress.readiness(name))

    def ui_book(self, trainee):
        return quiz_views.wrong_book_html(self.quiz.wrong_book(trainee_name(trainee)))

    def ui_exam_start(self, trainee, scope, minutes):
        try:
            paper = self.quiz.paper(Blueprint(minutes=int(minutes or 60), scope=scope or "all"))
        except (BlueprintError, ValueError) as exc:
            return (f"<div class='kb-notfound'>无法按这个范围组卷：{exc}。请换一个更大的范围。</div>", "",
                    gr.update(visible=False), "")
        return quiz_views.paper_html(paper, trainee_name(trainee)), paper.id, gr.update(visible=True), ""

    def ui_exam_hand_in(self, trainee, paper_id, answers):
        """The report replaces the paper (its misses carry their questions). A second click keeps the
        report of the first."""
        if not paper_id:
            return "<div class='kb-pending'>请先点“开始考试”。</div>", gr.update(), gr.update(), gr.update()
        try:
            result = self.quiz.hand_in(trainee_name(trainee), paper_id, quiz_views.answers_of(answers))
        except AlreadyHandedIn:
            return gr.update(), gr.update(visible=False), gr.update(), gr.update()
        except NoSuchPaper:
            return ("<div class='kb-notfound'>找不到这份试卷，请重新开始考试。</div>", gr.update(visible=False),
                    gr.update(), gr.update())
        return quiz_views.report_html(result), gr.update(visible=False), self.ui_scores(trainee), ""

    def ui_exam_files(self, trainee, paper_id, scope, minutes):
        """For printing: the paper on the page, or a new one of the scope for a class, as Word, with its
        answer key and its questions as CSV — the key only once the paper on the page is handed in."""
        try:
            paper = (self.quiz.saved_paper(paper_id) if paper_id
                     else self.quiz.paper(Blueprint(minutes=int(minutes or 60), scope=scope or "all")))
        except (BlueprintError, KeyError, ValueError):
            return gr.update(value=None, visible=False)
        folder = Path(tempfile.mkdtemp(prefix="kb-exam-"))
        files = {f"试卷-{paper.id}.docx": paper_docx(paper)}
        if not paper_id or self.quiz.handed_in(trainee_name(trainee), paper_id):
            files.update({f"答案-{paper.id}.docx": key_docx(paper), f"试题-{paper.id}.csv": items_csv(paper.items).encode()})
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return gr.update(value=[str(folder / name) for name in files], visible=True)


def _star(favourite: bool) -> str:
    return "★ 已收藏" if favourite else "☆ 收藏"


def self_test_tab(quiz: QuizHandlers, demo: gr.Blocks) -> None:
    with gr.Tab("自测"):
        with gr.Row():
            trainee = gr.Textbox(label="姓名（按姓名保存进度）", value="学员", elem_id="trainee", scale=1)
            scope = gr.Dropdown(label="范围", choices=[("全部", "all")], value="all", elem_id="scope", scale=2)
            kinds = gr.CheckboxGroup(label="题型", choices=[(KIND_NAMES[k], k) for k in KINDS], value=list(KINDS),
                                     elem_id="kinds", scale=2)
            mode = gr.Dropdown(label="练习方式", choices=quiz_views.MODES, value="practice", elem_id="mode", scale=1)
        question_view = gr.HTML("<div class='kb-pending'>选择范围和题型，点“出一题”。</div>", elem_id="quiz-question")
        item_id = gr.State("")
        choice = gr.Radio(label="选项", choices=[], visible=False, elem_id="quiz-choice")
        multi = gr.CheckboxGroup(label="选项（多选）", choices=[], visible=False, elem_id="quiz-multi")
        free = gr.Textbox(label="你的答案", lines=3, visible=False, elem_id="quiz-answer")
        with gr.Row():
            next_button = gr.Button("出一题", variant="primary", elem_id="quiz-next")
            submit = gr.Button("提交答案", elem_id="quiz-submit")
            star = gr.Button("☆ 收藏", visible=False, elem_id="quiz-favourite")
        feedback = gr.HTML(elem_id="quiz-feedback")
        score_view = gr.HTML(elem_id="quiz-score")
        with gr.Accordion("错题本", open=False):
            show_book = gr.Button("刷新错题本", size="sm", elem_id="show-book")
            book = gr.HTML(elem_id="wrong-book")
        next_button.click(quiz.ui_next, [trainee, scope, kinds, mode],
                          [question_view, item_id, choice, multi, free, feedback, star], **PRIVATE)
        submit.click(quiz.ui_submit, [trainee, item_id, choice, multi, free], [feedback, score_view], **PRIVATE)
        star.click(quiz.ui_favourite, [trainee, item_id], star, **PRIVATE)
        show_book.click(quiz.ui_book, trainee, book, **PRIVATE)
        trainee.change(quiz.ui_scores, trainee, score_view, **PRIVATE)
        # the self-test's questions take seconds to generate: made when a page first opens, not at start
        # (the scores count the wrong-answer book's items, so they wait for the page too)
        demo.load(lambda: gr.update(choices=quiz.quiz.scopes()), None, scope, **PRIVATE)
        demo.load(quiz.ui_scores, trainee, score_view, **PRIVATE)


def exam_tab(quiz: QuizHandlers, demo: gr.Blocks) -> None:
    with gr.Tab("模拟考试"):
        gr.Markdown("按正式考试的题型组卷：单选 30 题（每题 1 分）、多选 15 题（每题 2 分，错选不得分，少选每个正确项 0.5 分）、"
                    "判断 20 题、填空 10 题、简答 2 题，满分 100 分，80 分及格。交卷前不显示答案。")
        with gr.Row():
            trainee = gr.Textbox(label="姓名", value="学员", elem_id="exam-trainee", scale=1)
            scope = gr.Dropdown(label="范围", choices=[("全部", "all")], value="all", elem_id="exam-scope", scale=2)
            minutes = gr.Number(label="限时（分钟）", value=60, minimum=1, maximum=240, precision=0,
                                elem_id="exam-minutes", scale=1)
        with gr.Row():
            start = gr.Button("开始考试", variant="primary", elem_id="exam-start")
            hand_in = gr.Button("交卷", visible=False, variant="stop", elem_id="exam-hand-in")
            printable = gr.Button("下载 Word 试卷（交卷后含答案）", elem_id="exam-print")
        paper_view = gr.HTML(elem_id="exam-paper")
        paper_id = gr.Textbox(visible=False, elem_id="exam-paper-id")
        answers = gr.Textbox(visible=False, elem_id="exam-answers")
        report = gr.HTML(elem_id="exam-report")
        files = gr.File(label="打印用文件", file_count="multiple", visible=False, interactive=False, elem_id="exam-files")
        score_view = gr.HTML(elem_id="exam-score")
        start.click(quiz.ui_exam_start, [trainee, scope, minutes], [paper_view, paper_id, hand_in, report],
                    **PRIVATE).then(None, None, None, js=quiz_views.TIMER_JS)
        hand_in.click(quiz.ui_exam_hand_in, [trainee, paper_id, answers], [report, hand_in, score_view, paper_view],
                      js=quiz_views.COLLECT_JS, **PRIVATE)
        printable.click(quiz.ui_exam_files, [trainee, paper_id, scope, minutes], files, **PRIVATE)
        demo.load(lambda: gr.update(choices=quiz.quiz.scopes()), None, scope, **PRIVATE)


def quiz_api(quiz: QuizHandlers) -> None:
    gr.api(quiz.next_question, api_name="quiz_next")
    gr.api(quiz.answer, api_name="quiz_answer")
    gr.api(quiz.favourite, api_name="quiz_favourite")
    gr.api(quiz.wrong_book, api_name="quiz_wrong_book")
    gr.api(quiz.progress, api_name="quiz_progress")
    gr.api(quiz.exam_paper, api_name="exam_paper")
    gr.api(quiz.exam_submit, api_name="exam_submit")
