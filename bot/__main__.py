"""python -m bot ask|serve|quiz|exam|log — the bot's command line."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from ingest.settings import Settings


def _settings(args) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "store", None):
        settings = replace(settings, store_dir=Path(args.store))
    return settings


def cmd_ask(args) -> int:
    from .export import plain_text
    from .service import open_service

    service = open_service(_settings(args), ingest_if_needed=False)
    answer = service.answerer.ask(args.question)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(plain_text(answer))
    return 0 if answer.found else 3


def cmd_serve(args) -> int:
    from .app import serve

    serve(_settings(args), host=args.host, port=args.port)
    return 0


def cmd_quiz(args) -> int:
    from ingest.kb import KnowledgeBase

    from .progress import Progress
    from .grading import Grader, key_points_of, needed_points
    from .quiz import KINDS, KIND_NAMES, QuizService
    from .quiz_views import EMPTY, options_of
    from .retrieval import Retriever

    settings = _settings(args)
    kb = KnowledgeBase(settings, load_embedder=False)
    if args.grade:
        grader = Grader(kb.embedder)
        for line in Path(args.grade).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            points = key_points_of(row["reference"])
            grade = grader.grade_text(row["question"], points, row["reference"], row["answer"],
                                      needed_points(row["question"], points))
            print(json.dumps({**row, "verdict": grade.verdict, "score": grade.score, "hit": grade.hit,
                              "missed": grade.missed, "wrong_figures": grade.wrong_figures, "sure": grade.sure,
                              "similarity": grade.similarity}, ensure_ascii=False))
        return 0
    service = QuizService(Retriever(kb), Progress(settings.app_db), None, seed=args.seed)
    items = service.items()
    if args.export:
        ordered = sorted(items.values(), key=lambda i: (i.source, i.kind, i.id))
        if args.export.lower().endswith(".csv"):
            from .exam import items_csv

            Path(args.export).write_text(items_csv(ordered), encoding="utf-8")
        else:
            with open(args.export, "w", encoding="utf-8") as out:
                for item in ordered:
                    out.write(json.dumps(item.export(), ensure_ascii=False) + "\n")
        print("\n".join(service.report.lines()), file=sys.stderr)
        print(f"{len(items)} questions written to {args.export}", file=sys.stderr)
        return 0
    trainee = args.trainee or input("姓名：").strip() or "trainee"
    if args.book or args.stats:
        print(format_progress(service, trainee, book=args.book))
        return 0
    service.grader = Grader(kb.embedder)
    kinds = tuple(args.kinds.split(",")) if args.kinds else KINDS
    print("输入答案后回车；选择题可答字母（多选如 ABD）；输入 q 退出。")
    while True:
        item = service.pick(trainee, args.scope, kinds, review=args.review, mode=args.mode)
        if item is None:
            print(EMPTY.get(args.mode or "practice", EMPTY["practice"]))
            return 1
        print(f"\n【{KIND_NAMES[item.kind]}】{item.question}")
        for line in options_of(item):
            print(f"  {line}")
        try:
            answer = input("> ")
        except EOFError:
            break
        if answer.strip().lower() == "q":
            break
        feedback = service.submit(trainee, item.id, answer)
        print(format_feedback(feedback))
    scores = service.progress.scores(trainee)
    print(f"\n{trainee}：已答 {scores['answered']} 题，答对 {scores['correct']} 题，得分率 {scores['score']:.0%}")
    return 0


def cmd_exam(args) -> int:
    from ingest.kb import KnowledgeBase

    from .exam import DEFAULT_COUNTS, Blueprint, BlueprintError, key_docx, paper_docx
    from .grading import Grader
    from .progress import Progress
    from .quiz import KIND_NAMES, QuizService
    from .quiz_views import options_of
    from .retrieval import Retriever

    settings = _settings(args)
    kb = KnowledgeBase(settings)
    counts = {} if args.counts else dict(DEFAULT_COUNTS)   # --counts names the whole paper
    for part in filter(None, (args.counts or "").split(",")):
        kind, _, n = part.partition("=")
        counts[kind.strip()] = int(n)
    blueprint = Blueprint(counts={k: n for k, n in counts.items() if n}, minutes=args.minutes,
                          pass_share=args.pass_share, scope=args.scope)
    service = QuizService(Retriever(kb), Progress(settings.app_db), None)   # the self-test's items
    try:
        paper = service.paper(blueprint, seed=args.seed)
    except BlueprintError as exc:
        print(f"error: {exc}; change --counts or --scope", file=sys.stderr)
        return 2
    if args.paper or args.key:
        for path, render in ((args.paper, paper_docx), (args.key, key_docx)):
            if path:
                Path(path).write_bytes(render(paper))
                print(f"wrote {path}", file=sys.stderr)
        return 0
    service.grader = Grader(kb.embedder)
    trainee = args.trainee or input("姓名：").strip() or "trainee"
    print(f"模拟考试：{len(paper.items)} 题，满分 {blueprint.total:g} 分，{blueprint.total * blueprint.pass_share:g} 分及格，"
          f"限时 {blueprint.minutes} 分钟。交卷后统一评分；选择和判断可答字母。")
    answers = {}
    for n, item in enumerate(paper.items, 1):
        print(f"\n{n}.【{KIND_NAMES[item.kind]}】{item.question}")
        for line in options_of(item):
            print(f"  {line}")
        try:
            answers[item.id] = input("> ")
        except EOFError:
            break
    print(format_exam(service.hand_in(trainee, paper.id, answers)))
    return 0


def format_progress(service, trainee: str, book: bool) -> str:
    """The trainee's scores by kind and document, the wrong-answer book, today's reviews, readiness."""
    from .exam import basis, key_text
    from .quiz import KIND_NAMES

    progress = service.progress
    scores, ready = progress.scores(trainee), progress.readiness(trainee)
    lines = [f"{trainee}：已答 {scores['answered']} 题，答对 {scores['correct']} 题，得分率 {scores['score']:.0%}；"
             f"错题本 {len(progress.wrong_book(trainee))} 题，今日到期 {len(progress.due_today(trainee))} 题"]
    if ready:
        lines.append(f"考试准备度：最近 {ready['papers']} 次模拟考试平均得分率 {ready['mean_share']:.0%}，"
                     f"通过 {ready['passed']} 次，估计通过概率约 {ready['pass_chance']:.0%}")
    for row in scores["by_kind"]:
        lines.append(f"  {KIND_NAMES.get(row['name'], row['name'])}：已答 {row['answered']}，答对 {row['correct']}，"
                     f"得分率 {row['score']:.0%}")
    for row in scores["by_document"] + scores["by_section"]:
        lines.append(f"  {row['name']}：已答 {row['answered']}，答对 {row['correct']}，得分率 {row['score']:.0%}")
    if book:
        lines.append("\n错题本：")
        for item, row in service.wrong_book(trainee):
            lines.append(f"【{KIND_NAMES[item.kind]}】{item.question}\n  你的答案：{row['answer'] or '（未答）'}"
                         f"\n  参考答案：{key_text(item)}\n  {basis(item)}")
    return "\n".join(lines)


def format_exam(result) -> str:
    from .exam import basis, key_text

    lines = [f"\n得分 {result.score:g} / {result.paper.blueprint.total:g}，{'及格' if result.passed else '不及格'}"
             + ("（超时）" if result.overtime else "")]
    for n, m in enumerate(result.marked, 1):
        if m.earned < m.points:
            lines.append(f"\n{n}. {m.item.question}\n你的答案：{m.answer or '（未答）'}　得分 {m.earned:g} / {m.points:g}"
                         f"\n参考答案：{key_text(m.item)}\n{basis(m.item)}：{m.item.key_points[0] if m.item.kind == 'judge' else m.item.passage}")
    return "\n".join(lines)


def cmd_log(args) -> int:
    from .questionlog import OUTCOME_NAMES, QuestionLog

    settings = _settings(args)
    log = QuestionLog(settings.app_db)
    if args.clear:
        print(f"{log.clear()} logged questions removed from {settings.app_db}")
        return 0
    if args.csv:
        Path(args.csv).write_text(log.csv(), encoding="utf-8")
        print(f"written to {args.csv}")
        return 0
    counts = log.counts()
    print("，".join(f"{OUTCOME_NAMES[k]} {counts[k]}" for k in OUTCOME_NAMES) + f"，标为有误 {counts['marked_wrong']}")
    for g in log.unanswered(args.top):
        print(f"{g.count:4d}  {OUTCOME_NAMES[g.outcome]}  {g.question}")
    return 0


def format_feedback(feedback) -> str:
    from .quiz_views import UNSURE

    grade, item = feedback.grade, feedback.item
    lines = [feedback.summary()] + ([feedback.superseded] if feedback.superseded else [])
    if grade.wrong_figures:
        lines.append("数字与原文不符：" + "、".join(grade.wrong_figures))
    if not grade.sure:
        lines.append(UNSURE)
    if grade.hit and item.kind in ("enumeration", "short"):
        lines.append("答到的要点：" + "；".join(grade.hit))
    if grade.missed and item.kind in ("enumeration", "short"):
        lines.append("漏掉的要点：" + "；".join(grade.missed))
    lines.append(f"参考答案：{item.answer}")
    lines.append(f"出处：《{item.title}》{item.section}（{item.source}）\n{item.passage}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot")
    sub = parser.add_subparsers(dest="command", required=True)
    ask = sub.add_parser("ask", help="answer one question with its sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--store", help="Chroma folder (KB_STORE_DIR)")
    ask.set_defaults(func=cmd_ask)
    serve = sub.add_parser("serve", help="start the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument("--store", help="Chroma folder (KB_STORE_DIR)")
    serve.set_defaults(func=cmd_serve)
    quiz = sub.add_parser("quiz", help="self-test in the terminal, or export/grade questions")
    quiz.add_argument("--export", metavar="FILE.jsonl", help="write every validated question (.csv for a spreadsheet)")
    quiz.add_argument("--grade", metavar="FILE.jsonl", help='grade lines {"question", "reference", "answer"}')
    quiz.add_argument("--trainee", help="your name (progress is kept per name)")
    quiz.add_argument("--scope", default="all", help="all, doc:FILE or sec:FILE|SECTION")
    quiz.add_argument("--kinds", help="comma-separated: choice,multi,judge,blank,enumeration,short")
    quiz.add_argument("--review", action="store_true", help="the wrong-answer book and due questions first")
    quiz.add_argument("--mode", choices=("practice", "review", "wrong", "due", "favourites"),
                      help="practice (unseen first), review, wrong (the 错题本 only), due (today's FSRS queue), favourites")
    quiz.add_argument("--book", action="store_true", help="print the wrong-answer book (错题本) and exit")
    quiz.add_argument("--stats", action="store_true", help="print scores by kind and document, due today, readiness")
    quiz.add_argument("--seed", type=int, default=7)
    quiz.add_argument("--store", help="Chroma folder (KB_STORE_DIR)")
    quiz.set_defaults(func=cmd_quiz)
    exam = sub.add_parser("exam", help="a mock exam in the terminal, or print one as Word")
    exam.add_argument("--trainee", help="your name (results are kept per name)")
    exam.add_argument("--scope", default="all", help="all, cat:CATEGORY, doc:FILE or sec:FILE|SECTION")
    exam.add_argument("--counts", help="questions per kind, the whole paper: e.g. choice=20,multi=10,judge=10,short=2")
    exam.add_argument("--minutes", type=int, default=60)
    exam.add_argument("--pass-share", type=float, default=0.8, help="share of the points that passes")
    exam.add_argument("--paper", metavar="FILE.docx", help="write the question paper and exit")
    exam.add_argument("--key", metavar="FILE.docx", help="write the answer key (with 依据) and exit")
    exam.add_argument("--seed", type=int)
    exam.add_argument("--store", help="Chroma folder (KB_STORE_DIR)")
    exam.set_defaults(func=cmd_exam)
    questions = sub.add_parser("log", help="what users asked that was not answered (the question log)")
    questions.add_argument("--csv", metavar="FILE.csv", help="write unanswered and marked-wrong questions")
    questions.add_argument("--clear", action="store_true", help="delete every logged question")
    questions.add_argument("--top", type=int, default=20)
    questions.add_argument("--store", help="Chroma folder (KB_STORE_DIR)")
    questions.set_defaults(func=cmd_log)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        return args.func(args)
    except Exception as exc:  # noqa: BLE001 - one clear line instead of a traceback
        from ingest.store import StoreMismatch, StoreUnavailable
        if isinstance(exc, (StoreUnavailable, StoreMismatch)):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    code = main()
    if sys.argv[1:2] == ["ask"]:
        # Nothing was written: skip tearing down the model and the store client, which takes a
        # one-question process about 0.6 s after its answer is printed.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
