"""The app in a real browser: headless Chromium (the Debian package, `make browser`) driven by Playwright.

Asks the Lai Châu question, checks the answer and its citation, opens the citation and checks the
highlighted span, and saves screenshots under test-output/. A document carrying <script> and
<img onerror> (uploaded through the admin API) must show those as text and run nothing.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import handle_file

from assistant.app.text import EXAMPLES
from assistant.settings import PROJECT_ROOT
from tests.assistant.app.test_api import (
    ADMIN_PASSWORD,
    LAI_CHAU_PLAN,
    LAI_CHAU_Q,
    AppServer,
    admin_client,
    start_app_server,
    stop_app_server,
)
from tests.assistant.app.test_server import HOSTILE_NAME, HOSTILE_Q, HOSTILE_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.model]

CHROMIUM = Path(os.environ.get("CCHC_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TEST_OUTPUT = PROJECT_ROOT / "test-output"
DIEN_BIEN_Q = EXAMPLES[1]  # 50% by 2025; its follow-up "Còn năm 2030 thì sao?" is 55%
ANSWER_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> Iterator[AppServer]:
    root = tmp_path_factory.mktemp("app_browser")
    server = start_app_server(root)
    hostile = root / HOSTILE_NAME
    hostile.write_text(HOSTILE_TEXT, encoding="utf-8")
    try:
        report = admin_client(server).predict([handle_file(str(hostile))], api_name="/add_documents")
        assert "thêm 1" in report, report
        yield server
    finally:
        stop_app_server(server)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (scripts/install_browser.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_server: AppServer):
    """A fresh page on the app; dialogs (alert()) are recorded and dismissed, so a test can assert none."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, locale="vi-VN")
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.elsewhere = []  # requests to anything but the app: the page must work offline
    page.on("request", lambda r: None if r.url.startswith(app_server.url) else page.elsewhere.append(r.url))
    page.goto(app_server.url)
    page.wait_for_selector("#cchc-question textarea")
    yield page
    context.close()


def ask(page, question: str) -> None:
    from playwright.sync_api import expect

    box = page.locator("#cchc-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(page.locator("#cchc-chat .thought-group").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    # the rating buttons come once the answer is complete; a citation opened earlier would be re-rendered shut
    expect(page.locator("#cchc-chat button[aria-label=Like]").last).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


def test_lai_chau_answer_cites_the_plan_and_highlights_the_quote(page) -> None:
    from playwright.sync_api import expect

    ask(page, LAI_CHAU_Q)
    answer = page.locator("#cchc-chat [data-testid=bot]").first
    expect(answer).to_contain_text("20%")
    citation = page.locator("#cchc-chat .thought-group .title", has_text="2943/KH-UBND").first
    expect(citation).to_contain_text("Lai Châu")
    citation.click()
    opened = page.locator("#cchc-chat .thought-group", has=page.locator("mark.cchc-quote")).first
    mark = opened.locator("mark.cchc-quote")
    expect(mark).to_be_visible()
    expect(mark).to_contain_text("20% chi phí tuân thủ")
    for shown in ("Kế hoạch 2943/KH-UBND", "Lai Châu", "20/09/2021", LAI_CHAU_PLAN):
        expect(opened).to_contain_text(shown)
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") not in ("rgba(0, 0, 0, 0)", "transparent")
    mark.evaluate("m => m.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(1000)  # the chat scrolls smoothly
    expect(mark).to_be_visible()
    TEST_OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(TEST_OUTPUT / "app_lai_chau_citation.png"))
    assert page.dialogs == [] and page.elsewhere == []


def test_hostile_document_is_shown_as_text_and_runs_nothing(page) -> None:
    from playwright.sync_api import expect

    ask(page, HOSTILE_Q + " <img src=x onerror=\"alert('question')\">")
    answer = page.locator("#cchc-chat [data-testid=bot]").first
    expect(answer).to_contain_text("77%")
    page.locator("#cchc-chat .thought-group .title").first.click()
    passage = page.locator("#cchc-chat .cchc-passage").first
    expect(passage).to_contain_text("<script>alert('x')</script>")
    expect(passage).to_contain_text("onerror=\"alert('img')\"")
    expect(page.locator("#cchc-chat .message-row, #cchc-chat [data-testid=user]").first).to_contain_text(
        "<img src=x onerror=")
    assert page.locator("#cchc-chat script").count() == 0
    assert page.locator("#cchc-chat img").count() == 0 and page.locator("img[onerror]").count() == 0
    TEST_OUTPUT.mkdir(exist_ok=True)
    passage.evaluate("p => p.scrollIntoView({block: 'center'})")
    expect(passage).to_be_visible()
    page.screenshot(path=str(TEST_OUTPUT / "app_hostile_chat.png"))
    page.get_by_role("tab", name="Tài liệu").click()
    table = page.locator("#cchc-documents")
    expect(table).to_contain_text(HOSTILE_NAME)
    expect(table).to_contain_text("<img src=x onerror=")
    table.get_by_text(HOSTILE_NAME).first.scroll_into_view_if_needed()
    assert page.locator("img[onerror]").count() == 0 and page.locator("#cchc-documents script").count() == 0
    page.screenshot(path=str(TEST_OUTPUT / "app_hostile_documents.png"))
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    assert page.dialogs == []


def test_thumbs_and_comment_reach_the_feedback_log(page, app_server: AppServer) -> None:
    from playwright.sync_api import expect

    ask(page, LAI_CHAU_Q)
    before = len(app_server.feedback_path.read_text("utf-8").splitlines()) if app_server.feedback_path.exists() else 0
    page.locator("#cchc-chat button[aria-label=Dislike]").last.click()
    page.locator("#cchc-feedback-status").get_by_text("Đã ghi nhận đánh giá").wait_for()
    expect(page.locator("#cchc-comment textarea")).to_be_visible()  # rating opens the comment box
    page.locator("#cchc-comment textarea").fill("Thiếu chỉ tiêu năm 2030")
    page.get_by_role("button", name="Gửi góp ý").click()
    page.locator("#cchc-feedback-status").get_by_text("Đã ghi nhận góp ý").wait_for()
    records = [json.loads(line) for line in app_server.feedback_path.read_text("utf-8").splitlines()[before:]]
    assert [r["rating"] for r in records] == ["down", "down"]
    assert records[1]["comment"] == "Thiếu chỉ tiêu năm 2030" and records[0]["question"] == LAI_CHAU_Q
    assert "20%" in records[0]["answer"] and records[0]["citations"][0]["source"] == LAI_CHAU_PLAN


def test_example_click_follow_up_new_conversation_and_english_page(page, app_server: AppServer) -> None:
    from playwright.sync_api import expect

    page.locator("#cchc-chat .example", has_text=DIEN_BIEN_Q).first.click()
    expect(page.locator("#cchc-chat [data-testid=bot]").first).to_contain_text("50%", timeout=ANSWER_TIMEOUT_MS)
    box = page.locator("#cchc-question textarea")
    box.fill("Còn năm 2030 thì sao?")  # only the conversation says which province and what is asked
    box.press("Enter")
    expect(page.locator("#cchc-chat [data-testid=user]")).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#cchc-chat")).not_to_contain_text("Đang tìm", timeout=ANSWER_TIMEOUT_MS)
    answers = page.locator("#cchc-chat .message:not(.thought) > [data-testid=bot]")  # not the citations
    expect(answers).to_have_count(2)
    expect(answers.last).to_contain_text("55%")
    page.get_by_role("button", name="Cuộc hội thoại mới").click()
    expect(page.locator("#cchc-chat [data-testid=user]")).to_have_count(0)
    box.press("Enter")  # an empty question: a friendly message, no traceback
    expect(page.locator("#cchc-chat .cchc-notice")).to_contain_text("Câu hỏi đang trống")
    box.fill("Lai Châu " * 300)
    box.press("Enter")
    expect(page.locator("#cchc-chat .cchc-notice").last).to_contain_text("vượt giới hạn 2000 ký tự")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(app_server.url + "en/")
    expect(page.get_by_role("tab", name="Documents")).to_be_visible()
    expect(page.locator("#cchc-question textarea")).to_have_attribute("placeholder", "Type a question (Vietnamese "
                                                                                     "or English) and press Enter…")


def test_a_comparison_shows_each_province_with_its_own_source(page) -> None:
    from playwright.sync_api import expect

    ask(page, "Lai Châu và Quảng Bình cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?")
    answer = page.locator("#cchc-chat [data-testid=bot]").first
    expect(answer).to_contain_text("Theo từng tỉnh")
    expect(answer).to_contain_text("- Lai Châu: Tối thiểu 20%")
    expect(answer).to_contain_text("- Quảng Bình: Tối thiểu 20%")
    titles = page.locator("#cchc-chat .thought-group .title")
    expect(titles.filter(has_text="Lai Châu").first).to_be_visible()
    expect(titles.filter(has_text="Quảng Bình").first).to_be_visible()
    TEST_OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(TEST_OUTPUT / "app_comparison.png"), full_page=True)


def test_admin_page_needs_the_login_then_ingests_an_uploaded_file(browser, app_server: AppServer,
                                                                  tmp_path: Path) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(app_server.url)
        page.get_by_role("tab", name="Tài liệu").click()
        page.locator("#cchc-admin-link a").click()  # the public page links to the admin page, and uploads nothing
        page.wait_for_url(app_server.url + "admin/")
        page.locator("input[type=password]").wait_for()
        assert page.locator("#cchc-upload").count() == 0  # nothing of the admin page before the login
        page.locator("input[type=text]").first.fill("admin")
        page.locator("input[type=password]").fill("wrong")
        page.locator("button", has_text="Login").or_(page.locator("button[type=submit]")).first.click()
        expect(page.get_by_text("Incorrect", exact=False)).to_be_visible(timeout=10_000)
        page.locator("input[type=text]").first.fill("admin")  # the form was cleared
        page.locator("input[type=password]").fill(ADMIN_PASSWORD)
        page.locator("button", has_text="Login").or_(page.locator("button[type=submit]")).first.click()
        doc = tmp_path / "ke_hoach_cao_bang.txt"
        doc.write_text("KẾ HOẠCH cải cách hành chính tỉnh Cao Bằng\n\n1. Chỉ tiêu\n- Đến năm 2025, tỷ lệ thủ tục "
                       "hành chính trực tuyến toàn trình của tỉnh Cao Bằng đạt 80%.\n", encoding="utf-8")
        page.locator("#cchc-upload input[type=file]").set_input_files(str(doc))
        expect(page.locator("#cchc-upload")).to_contain_text(doc.name, timeout=30_000)
        page.locator("#cchc-ingest").click()
        expect(page.locator("#cchc-ingest-status textarea")).to_have_value(re.compile(r"thêm 1\b"),
                                                                           timeout=ANSWER_TIMEOUT_MS)
        expect(page.locator("#cchc-documents")).to_contain_text(doc.name)
        TEST_OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(TEST_OUTPUT / "app_admin_upload.png"))
    finally:
        context.close()
