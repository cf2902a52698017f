"""The app in a real browser: headless Chromium (the Debian package, `make browser`) driven by Playwright.

Asks the Lai Châu question, checks the answer and its citation, opens the citation and checks the
highlighted span, and saves screenshots under test-output/. A document carrying <script> and
<img onerror> (uploaded through the admin API) must show those as text and run nothing.

The ``screen`` tests run on a phone (390×844) and a desktop (1366×900) as a new user meets the app: the first
screen, the answer with its bold lead, [n] links, readable source names and the full text, suggested next
questions, the question box while answers arrive, a filter that hides the answer, readable tables, everything
in Vietnamese, and an accessibility check (axe-core) of each tab; screenshots go to test-output/.
"""

from __future__ import annotations

import csv
import io
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
    expect(page.locator("#cchc-chat button[aria-label='Thích']").last).to_be_visible(timeout=ANSWER_TIMEOUT_MS)


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
    page.locator("#cchc-chat button[aria-label='Không thích']").last.click()
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
        expect(page.locator("#cchc-upload")).to_contain_text("Thả tệp vào đây")  # Gradio's words, in Vietnamese
        assert "Drop File Here" not in page.locator("#cchc-upload").inner_text()
        page.locator("#cchc-upload input[type=file]").set_input_files(str(doc))
        expect(page.locator("#cchc-upload")).to_contain_text(doc.name, timeout=30_000)
        page.locator("#cchc-ingest").click()
        status = page.locator("#cchc-ingest-status textarea")
        expect(status).to_have_value(re.compile(r"thêm 1\b"), timeout=ANSWER_TIMEOUT_MS)
        expect(status).to_have_value(re.compile("Các văn bản mới có thể hỏi ngay"))
        expect(page.locator("#cchc-documents")).to_contain_text(doc.name)
        TEST_OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(TEST_OUTPUT / "app_admin_upload.png"))
        # the same file again: the old report goes as soon as the ingest starts, and nothing new is claimed
        page.locator("#cchc-upload input[type=file]").set_input_files(str(doc))
        expect(page.locator("#cchc-upload")).to_contain_text(doc.name, timeout=30_000)
        page.evaluate("""() => { window.seen = []; const box = document.querySelector('#cchc-ingest-status textarea');
                                 window.watch = setInterval(() => window.seen.push(box.value), 5); }""")
        page.locator("#cchc-ingest").click()
        expect(status).to_have_value(re.compile(r"thêm 0\b"), timeout=ANSWER_TIMEOUT_MS)
        expect(status).to_have_value(re.compile("Không có văn bản nào mới"))
        assert "Các văn bản mới" not in status.input_value()
        seen = page.evaluate("clearInterval(window.watch) || window.seen")
        first_new = next(i for i, v in enumerate(seen) if "thêm 1" not in v)
        assert seen[first_new] == "Đang nạp 1 tệp…", seen[:first_new + 3]
        assert not any("thêm 1" in v for v in seen[first_new:])  # the previous report never comes back
    finally:
        context.close()


# --- phone and desktop ---------------------------------------------------------------------------------
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
BUNDLED_FONT = "Noto Sans CCHC"
GRADIO_ENGLISH = ("Like", "Dislike", "Copy", "Copy message", "Clear", "Drop File Here", "Use via API",
                  "Built with Gradio", "chatbot conversation")


@pytest.fixture(params=list(VIEWPORTS))
def screen(request, browser, app_server: AppServer):
    """A new user's page on a phone or a desktop (``screen.viewport_name``); requests elsewhere are recorded."""
    name = request.param
    phone = name == "phone"
    context = browser.new_context(viewport=VIEWPORTS[name], locale="vi-VN", is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.viewport_name = name
    page.elsewhere = []
    page.on("request", lambda r: None if r.url.startswith(app_server.url) else page.elsewhere.append(r.url))
    page.goto(app_server.url)
    page.wait_for_selector("#cchc-question textarea")
    page.evaluate("document.fonts.ready")
    page.wait_for_timeout(500)  # the page script's first pass (labels, lang)
    yield page
    context.close()


def shot(page, name: str) -> None:
    TEST_OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(TEST_OUTPUT / f"app_{name}_{page.viewport_name}.png"))


def box_of(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 40) <= height


def test_the_first_screen_shows_the_heading_and_the_chat_with_filters_folded(screen) -> None:
    from playwright.sync_api import expect

    page = screen
    height = page.viewport_size["height"]
    assert page.evaluate("window.scrollY") == 0  # nothing scrolled the heading away (no autofocus)
    heading, chat = box_of(page, "#cchc-header h1"), box_of(page, "#cchc-chat")
    assert 0 <= heading["y"] < 120 and chat["y"] < height * 0.6  # the chat starts on the first screen
    expect(page.locator("#cchc-province")).to_be_hidden()  # the filters are folded away
    expect(page.locator("#cchc-filters")).to_be_visible()
    order = ["#cchc-header", "#cchc-filters", "#cchc-chat", "#cchc-ask-row"]
    boxes = [box_of(page, s) for s in order]
    for upper, lower, names in zip(boxes, boxes[1:], zip(order, order[1:]), strict=False):
        assert upper["y"] + upper["height"] <= lower["y"] + 1, f"{names[0]} overlaps {names[1]}"
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert page.evaluate(f"document.fonts.check('16px \"{BUNDLED_FONT}\"', 'UBND NQ/TU Ệ ướ ỹ Đ')")
    for selector in ("#cchc-header h1", "#cchc-question textarea", "#cchc-send"):
        family = page.locator(selector).first.evaluate("e => getComputedStyle(e).fontFamily")
        assert family.startswith(f'"{BUNDLED_FONT}"'), (selector, family)
    assert page.elsewhere == []  # no font, script or anything else from another host
    assert axe_violations(page) == []  # the empty chat with its example questions
    shot(page, "first_screen")


def test_an_answer_stresses_its_figure_links_its_sources_and_opens_the_full_text(screen) -> None:
    from playwright.sync_api import expect

    page = screen
    ask(page, LAI_CHAU_Q)
    key = page.locator("#cchc-chat b.cchc-key").first
    expect(key).to_have_text("Tối thiểu 20%")
    assert int(key.evaluate("e => getComputedStyle(e).fontWeight")) >= 700
    expect(page.locator("#cchc-chat .thought-group .title").first).to_contain_text(
        "Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu")
    assert page.locator("#cchc-chat mark.cchc-quote").count() == 0  # sources start folded
    page.locator("#cchc-chat a.cchc-ref").first.click()  # [1] opens source 1 and brings its quote into view
    mark = page.locator("#cchc-chat mark.cchc-quote").first
    expect(mark).to_contain_text("20% chi phí tuân thủ")
    page.wait_for_timeout(1200)  # the source opens, then scrolls into view
    assert in_viewport(page, mark)
    passage = page.locator("#cchc-chat .cchc-passage").first
    answer_size = float(page.locator("#cchc-chat .cchc-answer").first.evaluate("e => getComputedStyle(e).fontSize")[:-2])
    assert float(passage.evaluate("e => getComputedStyle(e).fontSize")[:-2]) >= answer_size - 1  # not small print
    shot(page, "answer_source")
    with page.context.expect_page() as opened:
        page.locator("#cchc-chat a.cchc-fulltext").first.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("document.documentElement.lang") == "vi"
    expect(full.locator("h1")).to_have_text("Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu")
    quote = full.locator("mark#cchc-quote")
    expect(quote).to_contain_text("20% chi phí tuân thủ")
    full.wait_for_timeout(300)
    assert in_viewport(full, quote) and full.evaluate("window.scrollY") > 0  # scrolled down to the span
    full.viewport_name = page.viewport_name
    shot(full, "full_text")
    full.close()
    suggestion = page.locator(".cchc-suggestion", has_text="Ai ký Kế hoạch 2943/KH-UBND?")
    expect(suggestion).to_be_visible()
    suggestion.click()  # a suggested question is asked as it reads
    expect(page.locator("#cchc-chat [data-testid=user]")).to_have_count(2)
    answers = page.locator("#cchc-chat .cchc-answer")
    expect(answers).to_have_count(2, timeout=ANSWER_TIMEOUT_MS)
    expect(answers.last).to_contain_text("Trần Tiến Dũng")
    expect(answers.last.locator("b.cchc-key")).to_have_text("Trần Tiến Dũng")
    expect(page.locator("#cchc-stop")).to_be_hidden()  # extractive answers: nothing to stop
    shot(page, "suggestion_asked")


def test_typing_is_kept_while_an_answer_arrives_and_a_long_question_stays(screen) -> None:
    from playwright.sync_api import expect

    page = screen
    box = page.locator("#cchc-question textarea")
    box.fill(LAI_CHAU_Q)
    box.press("Enter")
    box.press_sequentially("Còn năm 2030", delay=5)  # typed at once, while the answer streams in
    expect(page.locator("#cchc-chat .cchc-answer")).to_have_count(1, timeout=ANSWER_TIMEOUT_MS)
    page.wait_for_timeout(500)
    expect(box).to_have_value("Còn năm 2030")
    counter = page.locator("#cchc-counter")
    expect(counter).to_have_text("")  # far from the limit: no counter
    box.fill("Lai Châu " * 200 + "x" * 300)  # 2,100 characters
    expect(counter).to_have_text("2100 / 2000")
    assert "cchc-over" in counter.get_attribute("class")
    box.press("Enter")
    expect(page.locator("#cchc-chat .cchc-notice").last).to_contain_text("vượt giới hạn 2000 ký tự")
    expect(box).to_have_value("Lai Châu " * 200 + "x" * 300)  # kept, to be shortened
    shot(page, "long_question")


def choose(page, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.locator(f"[role=option][aria-label='{option}']").first.click()


def test_a_filter_that_hides_the_answer_says_so_and_searches_all_on_request(screen) -> None:
    from playwright.sync_api import expect

    page = screen
    page.locator("#cchc-filters").get_by_text("Bộ lọc").click()
    choose(page, "#cchc-province", "Điện Biên")
    box = page.locator("#cchc-question textarea")
    box.fill(LAI_CHAU_Q)
    box.press("Enter")
    notice = page.locator("#cchc-chat .cchc-notice").last
    expect(notice).to_contain_text("Bộ lọc đang loại trừ", timeout=ANSWER_TIMEOUT_MS)
    expect(notice).to_contain_text("Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu")
    shot(page, "filter_hides")
    page.locator("#cchc-search-all").click()
    expect(page.locator("#cchc-chat b.cchc-key").last).to_have_text("Tối thiểu 20%", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#cchc-province input")).to_have_value("Tất cả tỉnh, thành phố")
    expect(page.locator("#cchc-search-all")).to_be_hidden()


def assert_columns_readable(page, table: str) -> None:
    """Every header and cell at least a few letters wide; on a narrow screen the table scrolls sideways."""
    widths = page.locator(f"{table} th, {table} td").evaluate_all(
        "cells => cells.filter(c => c.offsetParent).map(c => c.getBoundingClientRect().width)")
    assert widths and min(widths) >= 45, widths
    family = page.locator(f"{table} td").first.evaluate("e => getComputedStyle(e).fontFamily")
    assert family.startswith(f'"{BUNDLED_FONT}"'), family
    if page.viewport_name == "phone":
        assert page.locator(table).evaluate(
            "t => Array.from(t.querySelectorAll('*')).some(e => e.scrollWidth > e.clientWidth + 20 && "
            "['auto', 'scroll'].includes(getComputedStyle(e).overflowX))")


def test_tables_stay_readable_and_the_commitments_speak_vietnamese(screen, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = screen
    page.get_by_role("tab", name="Tài liệu").click()
    expect(page.locator("#cchc-documents")).to_contain_text(LAI_CHAU_PLAN)
    assert_columns_readable(page, "#cchc-documents")
    shot(page, "documents")
    page.get_by_role("tab", name="Cam kết").click()
    expect(page.locator("#cchc-commitments")).to_contain_text("Lai Châu")
    assert_columns_readable(page, "#cchc-commitments")
    choose(page, "#cchc-cm-topic", "Cắt giảm quy định, chi phí tuân thủ")
    chart = page.locator("#cchc-cm-chart")
    expect(chart).to_contain_text("Giá trị")
    assert "value" not in chart.inner_text().lower().split() and "province" not in chart.inner_text().lower()
    with page.expect_download() as download:
        page.locator("#cchc-cm-download").click()
    data = download.value.path().read_text(encoding="utf-8-sig")
    assert next(csv.reader(io.StringIO(data)))[:3] == ["Tỉnh, thành phố", "Năm", "Chủ đề"]
    assert "compliance_cost" not in data and "Cắt giảm quy định, chi phí tuân thủ" in data
    shot(page, "commitments")


def test_gradios_own_labels_are_vietnamese_and_the_english_page_is_english(screen, app_server: AppServer) -> None:
    from playwright.sync_api import expect

    page = screen
    ask(page, LAI_CHAU_Q)
    labels = page.evaluate("() => Array.from(document.querySelectorAll('[aria-label],[title]')).flatMap(e => "
                           "[e.getAttribute('aria-label'), e.getAttribute('title')]).filter(Boolean)")
    assert not set(labels) & set(GRADIO_ENGLISH), sorted(set(labels) & set(GRADIO_ENGLISH))
    assert not any("<" in label for label in labels)  # no markup read out to screen readers
    body = page.locator("body").inner_text()
    assert not [s for s in GRADIO_ENGLISH if s in body.split("\n")], body
    page.goto(app_server.url + "en/")
    page.wait_for_selector("#cchc-question textarea")
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.lang") == "en"
    expect(page.get_by_role("tab", name="Commitments")).to_be_visible()
    expect(page.locator("#cchc-filters")).to_contain_text("Filters")
    box = page.locator("#cchc-question textarea")
    box.fill("Who signed Lai Chau's plan 2943/KH-UBND?")
    box.press("Enter")
    expect(page.locator("#cchc-chat b.cchc-key").first).to_have_text("Trần Tiến Dũng", timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator("#cchc-chat .thought-group .title").first).to_have_text(
        "Source [1] · Kế hoạch 2943/KH-UBND of 2021-09-20 — Lai Châu")
    page.locator("#cchc-chat a.cchc-ref").first.click()
    expect(page.locator("#cchc-chat a.cchc-fulltext").first).to_have_text("Full text")
    expect(page.locator(".cchc-suggestion").first).to_be_visible()
    assert not [s for s in page.locator(".cchc-suggestion").all_inner_texts() if s.strip() and not s.isascii()
                and "Kế hoạch" not in s and "Lai Châu" not in s]  # English questions (names stay Vietnamese)


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}"
            for v in result.response["violations"]]


def test_accessibility_of_every_tab(screen) -> None:
    """axe-core (WCAG 2.1 A/AA: names and labels, contrast, roles, nesting) on the chat with an answer and an open
    source, the documents and the commitments; and the keyboard reaches the question box and opens a source."""
    page = screen
    ask(page, LAI_CHAU_Q)
    toggle = page.locator("#cchc-chat .thought-group .title button").first
    toggle.focus()
    page.keyboard.press("Enter")
    page.locator("#cchc-chat mark.cchc-quote").first.wait_for()
    assert axe_violations(page) == []
    for tab in ("Tài liệu", "Cam kết"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(800)
        assert axe_violations(page) == [], tab
    page.get_by_role("tab", name="Hỏi đáp").click()
    page.locator("#cchc-question textarea").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id || document.activeElement.closest('[id]').id")
    assert focused == "cchc-send"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus is seen
