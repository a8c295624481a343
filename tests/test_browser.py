"""End to end in headless Chromium (Debian's, driven by Playwright): what a trainee sees."""
import re

import pytest
from browser import ARGS, CHROMIUM, require_chromium
from conftest import ARTIFACTS

require_chromium()

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def page(app_server):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000}, locale="zh-CN")
        page.goto(app_server.url, wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea", timeout=60_000)
        yield page
        browser.close()


def ask(page, question):
    page.fill("#question textarea", question)
    page.click("#send")


def test_three_musts_with_sources_and_screenshot(page):
    ask(page, "三个必须的具体内容是什么？")
    answer = page.locator(".kb-turn").last
    expect(answer.locator(".kb-a")).to_contain_text("管生产经营必须管安全", timeout=60_000)
    for item in ("管行业必须管安全", "管业务必须管安全"):
        expect(answer.locator(".kb-a")).to_contain_text(item)
    source = answer.locator(".kb-sources details").first
    expect(source).to_contain_text("应急局局长安全访谈稿")
    assert source.get_attribute("open") is None
    answer.locator("a.cite").first.click()                   # the marker [1] opens its passage
    expect(source).to_have_attribute("open", "")
    expect(source.locator("mark").first).to_be_visible()     # the sentences used are highlighted
    # the sources shown but not quoted sit apart, under 另见, with nothing highlighted
    also = answer.locator(".kb-see-also")
    expect(also).to_contain_text("另见")
    assert also.locator("details").count() >= 1
    expect(also.locator("mark")).to_have_count(0)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answer.png"), full_page=True)


def test_side_panel_shows_the_full_passage(page):
    page.locator("#source-pick input").click()
    page.get_by_role("option").first.click()
    expect(page.locator("#source-view")).to_contain_text("管行业必须管安全", timeout=10_000)
    expect(page.locator(".kb-turn")).to_have_count(1)       # the conversation is still there


def test_enter_sends_and_shift_enter_breaks_the_line(page):
    box = page.locator("#question textarea")
    before = page.locator(".kb-turn").count()
    box.fill("专项整治三年行动有哪两个专题")
    box.press("Shift+Enter")
    assert box.input_value() == "专项整治三年行动有哪两个专题\n"     # a line break, nothing sent
    box.press("Enter")
    expect(page.locator(".kb-turn")).to_have_count(before + 1, timeout=60_000)
    expect(page.locator(".kb-turn").last).to_contain_text("落实企业安全生产主体责任", timeout=60_000)


def test_not_found_looks_different(page):
    ask(page, "明天天气怎么样？")
    expect(page.locator(".kb-turn")).to_have_count(3, timeout=60_000)
    last = page.locator(".kb-turn").last
    expect(last.locator(".kb-notfound")).to_contain_text("知识库中没有找到", timeout=60_000)
    # sent with the button, the question box has the focus again for the next question
    expect(page.locator("#question textarea")).to_be_focused(timeout=10_000)
    expect(last.locator(".kb-related")).to_contain_text("不是答案")
    assert last.locator("a.cite").count() == 0


def test_topic_covered_but_figure_not_stated_is_its_own_outcome(page):
    before = page.locator(".kb-turn").count()
    ask(page, "应急管理局局长的工资是多少？")
    expect(page.locator(".kb-turn")).to_have_count(before + 1, timeout=60_000)
    last = page.locator(".kb-turn").last
    expect(last.locator(".kb-notstated")).to_contain_text("没有给出所问的具体数字", timeout=60_000)
    expect(last.locator(".kb-sources")).to_contain_text("最相关的条文")
    assert last.locator(".kb-notfound").count() == 0


def test_markup_in_a_question_is_shown_as_text(page):
    ask(page, "<img src=x onerror=\"document.title='pwned'\"><b>粗体</b>三个必须")
    expect(page.locator(".kb-turn")).to_have_count(5, timeout=60_000)
    question = page.locator(".kb-turn").last.locator(".kb-q")
    expect(question).to_contain_text("<b>粗体</b>")
    assert question.locator("b, img").count() == 0
    assert page.title() != "pwned"


def test_a_new_conversation_starts_empty(page):
    page.click("#new-chat")
    expect(page.locator(".kb-turn")).to_have_count(0, timeout=10_000)


def test_quiz_right_then_wrong_and_the_score_changes(page, service):
    from bot.quiz import generate

    answers: dict[str, set[str]] = {}   # one question text can belong to two items with different answers
    for item in generate(service.retriever.snapshot().chunks, seed=7, embedder=service.kb.embedder)[0]:
        answers.setdefault(item.question, set()).add(item.answer)
    page.get_by_role("tab", name="自测").click()
    # the default trainee's record is filled in once the page has opened, not when the app starts
    expect(page.locator("#quiz-score")).to_contain_text("学员", timeout=30_000)
    page.fill("#trainee input, #trainee textarea", "浏览器学员")
    for label in ("多选", "判断", "填空", "列举", "简答"):          # single choice only
        page.locator("#kinds").get_by_label(label, exact=True).uncheck()

    def next_question():
        while True:    # a question whose text is ambiguous cannot be checked: take the next one
            text = page.locator("#quiz-question .kb-quiz")
            shown = text.get_attribute("data-item") if text.count() else None
            page.click("#quiz-next")
            if shown is not None:   # the old question stays on the page until the new one arrives
                expect(text).not_to_have_attribute("data-item", shown, timeout=30_000)
            expect(text).to_be_visible(timeout=30_000)
            question = text.inner_text().split("】", 1)[1].split("\n出处")[0].strip()
            if len(answers[question]) == 1:
                break
        [answer] = answers[question]
        # the options re-render a moment after the question: wait for this question's own options
        expect(page.locator("#quiz-choice")).to_contain_text(answer, timeout=30_000)
        return question, answer

    question, answer = next_question()
    page.locator("#quiz-choice label").filter(has_text=re.compile(rf"[A-D]\. {re.escape(answer)}\s*$")).click()
    page.click("#quiz-submit")
    expect(page.locator("#quiz-feedback")).to_contain_text("正确", timeout=30_000)
    expect(page.locator("#quiz-feedback")).to_contain_text(re.compile(rf"参考答案：[A-D]\. {re.escape(answer)}依据"))
    expect(page.locator("#quiz-score .kb-answered")).to_have_text("1")
    expect(page.locator("#quiz-score .kb-right")).to_have_text("1")

    question, answer = next_question()
    page.locator("#quiz-choice label").filter(has_not_text=answer).first.click()
    page.click("#quiz-submit")
    expect(page.locator("#quiz-feedback")).to_contain_text("错误", timeout=30_000)
    expect(page.locator("#quiz-feedback")).to_contain_text("出处")
    expect(page.locator("#quiz-score .kb-answered")).to_have_text("2")
    expect(page.locator("#quiz-score .kb-right")).to_have_text("1")
    expect(page.locator("#quiz-score .kb-wrong-count")).to_have_text("1")     # the miss is in the 错题本
    expect(page.locator("#quiz-feedback")).to_contain_text("下次复习")
    page.screenshot(path=str(ARTIFACTS / "quiz.png"), full_page=True)
    page.click("#quiz-favourite")
    expect(page.locator("#quiz-favourite")).to_contain_text("已收藏")
    page.get_by_text("错题本", exact=True).click()
    page.click("#show-book")
    expect(page.locator("#wrong-book")).to_contain_text(question[:20], timeout=30_000)


def test_a_mock_exam_end_to_end(page, service):
    from bot.quiz import generate

    keys = {i.id: i for i in generate(service.retriever.snapshot().chunks, seed=7, embedder=service.kb.embedder)[0]}
    page.get_by_role("tab", name="模拟考试").click()
    page.fill("#exam-trainee input, #exam-trainee textarea", "浏览器考生")
    page.click("#exam-start")
    questions = page.locator("#exam-paper [data-item]")
    expect(questions).to_have_count(77, timeout=60_000)                       # the default blueprint
    expect(page.locator("#exam-paper .kb-timer")).to_contain_text("剩余", timeout=10_000)
    expect(page.locator("#exam-paper")).to_contain_text("多项选择题")
    assert "参考答案" not in page.locator("#exam-paper").inner_text()          # nothing given away
    # answer the first single choice and the first multi-select right, leave the rest
    choice = questions.first
    item = keys[choice.get_attribute("data-item")]
    option_label = lambda text: re.compile(rf"[A-E]\. {re.escape(text)}\s*$")   # noqa: E731 (「十」 is inside 「二十」)
    choice.locator("label").filter(has_text=option_label(item.answer)).locator("input").check()
    multi = page.locator("#exam-paper [data-kind=multi]").first
    item = keys[multi.get_attribute("data-item")]
    for option in item.key_points:
        multi.locator("label").filter(has_text=option_label(option)).locator("input").check()
    page.click("#exam-hand-in")
    report = page.locator("#exam-report")
    expect(report).to_contain_text("得分", timeout=60_000)
    expect(report.locator(".kb-exam-score")).to_have_text("3")               # 单选 1 + 多选 2 of 100
    expect(report).to_contain_text("不及格")
    expect(report).to_contain_text("依据：《")
    expect(page.locator("#exam-hand-in")).to_be_hidden()
    expect(page.locator("#exam-paper [data-item]")).to_have_count(0)          # the report replaces the paper
    page.screenshot(path=str(ARTIFACTS / "exam.png"))
    page.click("#exam-print")
    expect(page.locator("#exam-files")).to_contain_text(".docx", timeout=30_000)
