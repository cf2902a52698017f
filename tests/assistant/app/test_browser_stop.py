"""The stop button in a real browser, on a phone and a desktop: an LLM answer (from a slow stand-in endpoint)
streams, the stop button shows, pressing it ends the answer with a notice and hides the button again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.assistant.app import slow_llm_server
from tests.assistant.app.test_api import LAI_CHAU_Q, AppServer, start_app_server, stop_app_server
from tests.assistant.app.test_browser import ANSWER_TIMEOUT_MS, TEST_OUTPUT, VIEWPORTS, browser  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.model]


@pytest.fixture(scope="module")
def llm_app(tmp_path_factory) -> Iterator[AppServer]:
    endpoint, base_url = slow_llm_server.start()
    server = start_app_server(tmp_path_factory.mktemp("app_llm"),
                              {"CCHC_LLM_BASE_URL": base_url, "CCHC_LLM_MODEL": "slow", "CCHC_MODE": "llm"})
    try:
        yield server
    finally:
        stop_app_server(server)
        endpoint.shutdown()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_stop_button_ends_a_streaming_llm_answer(browser, llm_app: AppServer, viewport: str) -> None:  # noqa: F811
    from playwright.sync_api import expect

    phone = viewport == "phone"
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="vi-VN", is_mobile=phone, has_touch=phone)
    page = context.new_page()
    try:
        page.goto(llm_app.url)
        page.wait_for_selector("#cchc-question textarea")
        stop = page.locator("#cchc-stop")
        expect(stop).to_be_hidden()  # nothing streams yet
        box = page.locator("#cchc-question textarea")
        box.fill(LAI_CHAU_Q)
        box.press("Enter")
        expect(stop).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        # the model's words arrive one by one; stop once some are shown
        expect(page.locator("#cchc-chat")).to_contain_text("Kế hoạch 2943", timeout=ANSWER_TIMEOUT_MS)
        TEST_OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(TEST_OUTPUT / f"app_stop_streaming_{viewport}.png"))
        stop.click()
        expect(page.locator("#cchc-chat")).to_contain_text("Đã dừng câu trả lời.", timeout=30_000)
        expect(stop).to_be_hidden(timeout=30_000)
        shown = page.locator("#cchc-chat").inner_text()
        # the answer ended mid-stream: far fewer words than the model would have sent
        assert shown.count("Kế hoạch 2943") < slow_llm_server.WORDS.count("Kế hoạch 2943"), shown
        page.screenshot(path=str(TEST_OUTPUT / f"app_stop_stopped_{viewport}.png"))
    finally:
        context.close()
