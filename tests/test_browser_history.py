"""Conversations kept per browser, handed on as Word or text, rated, and read back by an admin:
in headless Chromium against the running app, as users do it."""
import re

import pytest
from browser import ARGS, CHROMIUM, require_chromium
from conftest import ARTIFACTS
from docx import Document

require_chromium()

from gradio_client import Client  # noqa: E402
from playwright.sync_api import expect, sync_playwright  # noqa: E402

ANSWERED = ".kb-turn .kb-actions"   # an answer is complete once its action bar is there


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, app_server):
    """A page in its own browser profile (its own local storage: another user's browser)."""
    contexts = []

    def open_page(width=1300, path=""):
        context = browser.new_context(viewport={"width": width, "height": 1000}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.goto(app_server.url + path, wait_until="domcontentloaded")
        page.wait_for_selector("#question textarea", timeout=60_000)
        return page
    yield open_page
    for context in contexts:
        context.close()


def ask(page, question):
    before = page.locator(ANSWERED).count()
    page.fill("#question textarea", question)
    page.press("#question textarea", "Enter")
    expect(page.locator(ANSWERED)).to_have_count(before + 1, timeout=60_000)
    return page.locator(".kb-turn").last


def test_history_survives_a_reload_and_no_other_browser_sees_it(open_page):
    page = open_page()
    ask(page, "三个必须的具体内容是什么？")
    page.locator(".kb-example").filter(has_text="专项整治三年行动").click()   # an example is sent at once
    expect(page.locator(ANSWERED)).to_have_count(2, timeout=60_000)
    expect(page.locator(".kb-turn").last).to_contain_text("落实企业安全生产主体责任")
    page.reload()
    history = page.locator("#history")
    expect(history).to_contain_text("三个必须的具体内容是什么？（2 问", timeout=30_000)
    expect(page.locator(".kb-turn")).to_have_count(0)
    history.locator("label").first.click()
    expect(page.locator(".kb-turn")).to_have_count(2, timeout=30_000)
    expect(page.locator(".kb-turn").first).to_contain_text("管生产经营必须管安全")
    page.fill("#chat-title textarea, #chat-title input", "访谈准备")
    page.click("#rename")
    expect(history).to_contain_text("访谈准备（2 问", timeout=30_000)

    stranger = open_page()
    ask(stranger, "重大事故是指什么？")
    expect(stranger.locator("#history")).to_contain_text("重大事故是指什么？", timeout=30_000)
    expect(stranger.locator("#history")).not_to_contain_text("访谈准备")
    page.reload()
    expect(history).to_contain_text("访谈准备", timeout=30_000)
    expect(history).not_to_contain_text("重大事故")

    history.locator("label").filter(has_text="访谈准备").click()
    expect(page.locator(".kb-turn")).to_have_count(2, timeout=30_000)
    page.click("#delete-chat")
    expect(history).not_to_contain_text("访谈准备", timeout=30_000)
    expect(page.locator(".kb-turn")).to_have_count(0)


def test_the_conversation_downloads_as_a_word_record(open_page):
    page = open_page()
    first = ask(page, "生产经营单位的主要负责人有哪些职责？")
    expect(first.locator(".kb-a")).to_contain_text("建立健全并落实本单位全员安全生产责任制")
    ask(page, "安全生产法第二十八条说了什么")
    page.click("#export-docx")
    link = page.locator("#export-file a").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".docx")
    document = Document(download.value.path())
    text = "\n".join(p.text for p in document.paragraphs)
    assert "问题 1：生产经营单位的主要负责人有哪些职责？" in text and "问题 2：安全生产法第二十八条说了什么" in text
    assert "建立健全并落实本单位全员安全生产责任制" in text and "（七）及时、如实报告生产安全事故。[1]" in text
    assert "[1] 《中华人民共和国安全生产法》第二十一条" in text
    page.screenshot(path=str(ARTIFACTS / "history.png"))


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(open_page, app_server):
    page = open_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server.url.rstrip("/"))
    turn = ask(page, "三个必须的具体内容是什么？")
    turn.locator(".kb-copy").click()
    expect(turn.locator(".kb-thanks")).to_have_text("已复制")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "管生产经营必须管安全" in copied and "\n来源：\n[1] 《应急局局长安全访谈稿》" in copied


def test_a_link_reopens_the_answer(open_page):
    page = open_page()
    turn = ask(page, "重大事故是指什么？")
    shown = turn.locator(".kb-a").inner_text()
    link = turn.locator(".kb-link").get_attribute("href")
    assert link.startswith("?q=") and "&rev=" in link
    again = open_page(path=link)
    expect(again.locator(ANSWERED)).to_have_count(1, timeout=60_000)
    assert again.locator(".kb-a").inner_text() == shown
    expect(again.locator(".kb-notice")).to_have_count(0)     # same knowledge base: no "it changed" note


def test_unanswered_and_marked_wrong_questions_reach_the_admin_view(open_page, app_server):
    page = open_page()
    missed = ask(page, "公司团建去哪里玩比较好？")
    expect(missed.locator(".kb-notfound")).to_be_visible()
    turn = ask(page, "从业人员有哪些权利？")
    turn.locator(".kb-down").click()
    turn.locator(".kb-comment input").fill("没有列出拒绝违章指挥的权利")
    turn.locator(".kb-send-comment").click()
    expect(turn.locator(".kb-thanks")).to_contain_text("已记下")
    assert Client(app_server.url, verbose=False).predict("夜市摊位怎么抽签？", None, api_name="/ask")["found"] is False

    page.get_by_role("tab", name="知识库").click()
    page.fill("#admin-password input", "wrong")
    page.click("#show-log")
    expect(page.locator("#question-log")).to_contain_text("密码错误", timeout=30_000)
    page.fill("#admin-password input", app_server.password)
    page.click("#show-log")
    log = page.locator("#question-log")
    expect(log.locator(".kb-unanswered")).to_contain_text("公司团建去哪里玩比较好？", timeout=30_000)
    expect(log.locator(".kb-unanswered")).to_contain_text("夜市摊位怎么抽签？")          # asked through /ask
    expect(log.locator(".kb-wrong-marked")).to_contain_text("没有列出拒绝违章指挥的权利")
    page.click("#log-csv")
    link = page.locator("#log-file a").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as download:
        link.click()
    with open(download.value.path(), encoding="utf-8-sig") as f:
        assert "公司团建去哪里玩比较好？" in f.read()


def test_on_a_phone_nothing_scrolls_sideways(open_page):
    page = open_page(width=390)
    ask(page, "生产经营单位的主要负责人有哪些职责？")
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport
    expect(page.locator("#sidebar")).not_to_have_class(re.compile(r"\bopen\b"))   # the history opens on demand on a phone
    page.screenshot(path=str(ARTIFACTS / "phone.png"))


def test_a_question_can_be_limited_to_one_document(open_page):
    page = open_page()
    page.locator("#scope-pick input").click()
    page.get_by_role("option", name="文档：生产安全事故应急条例（work_safety_accident_emergency_regulations_2019.md）").click()
    turn = ask(page, "生产经营单位的主要负责人有哪些职责？")
    expect(turn.locator(".kb-notice")).to_contain_text("只在「work_safety_accident_emergency_regulations_2019.md」中查找")
    shown = turn.locator(".kb-sources small").all_inner_texts()
    assert shown and all("work_safety_accident_emergency_regulations_2019.md" in s for s in shown)


def test_staff_edit_a_documents_status_on_the_page(open_page, app_server):
    page = open_page()
    page.get_by_role("tab", name="知识库").click()
    page.fill("#admin-password input", app_server.password)
    page.get_by_role("button", name="解锁").click()
    expect(page.locator("#kb-status textarea")).to_have_value("✅ 已解锁", timeout=30_000)
    expect(page.locator("#document-tree")).to_contain_text("应急局局长安全访谈稿", timeout=30_000)
    page.locator("#info-doc input").click()
    page.get_by_role("option", name="work_safety_accident_emergency_regulations_2019.md").click()
    number = page.locator("#info-number input, #info-number textarea")
    expect(number).to_have_attribute("placeholder", "国务院令第708号", timeout=30_000)   # from the text
    expect(number).to_have_value("")                                 # not copied into metadata.toml
    page.locator("#info-status input").click()
    page.get_by_role("option", name="已废止").click()
    page.click("#info-save")
    expect(page.locator("#kb-status textarea")).to_have_value(re.compile("已保存"), timeout=60_000)
    tree = page.locator("#document-tree")                       # the categories, each document with its status
    expect(tree).to_contain_text("work_safety_accident_emergency_regulations_2019.md · 37 段 · 已废止 · 2019-04-01施行")
    assert 'status = "已废止"' in (app_server.data / "metadata.toml").read_text(encoding="utf-8")
    client = Client(app_server.url, verbose=False)

    def status():
        docs = client.predict(app_server.password, api_name="/documents")
        return next(d["status"] for d in docs if d["source"] == "work_safety_accident_emergency_regulations_2019.md")
    assert status() == "已废止 · 2019-04-01施行"
    page.locator("#info-status input").click()
    page.get_by_role("option", name="现行有效").click()            # put it back for the other tests
    page.click("#info-save")
    expect(tree).not_to_contain_text("已废止", timeout=60_000)
    assert status() == "现行有效 · 2019-04-01施行"
