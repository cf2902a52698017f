"""The web app's logic without a server: rendering (escaping), chat turns, filters, feedback, uploads, API.

The pipeline is the real one over the sample corpus plus a hostile document, with the fake embedder
(keyword search still finds the passages), so these tests are fast and need no model.
"""

from __future__ import annotations

import html
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import gradio as gr
import pytest

from assistant.app import render
from assistant.app.admin import add_documents, password_ok
from assistant.app.api import ask, list_documents, query_from_context
from assistant.app.chat import Conversation, new_conversation, rate, respond, send_comment
from assistant.app.context import AppContext
from assistant.app.documents import document_rows
from assistant.app.feedback import Feedback, FeedbackLog
from assistant.app.server import build_app, is_loopback, page_path
from assistant.app.service import AssistantService, llm_available
from assistant.app.text import texts
from assistant.app.upload import MAX_NAME_CHARS, check_upload_name, stage_uploads
from assistant.pipeline import Pipeline, build_index, build_ingestor
from assistant.settings import PROJECT_ROOT, Settings
from assistant.types import Citation
from ingest.errors import ConfigError, IngestError
from tests.fakes import HashingEmbedder

LAI_CHAU_Q = "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?"
LAI_CHAU_PLAN = "004_b20915e92c1cf682.txt"
HOSTILE_NAME = "zz_hostile.txt"
# A document that tries to run script when shown, in the body, the title line and a quoted clause.
HOSTILE_TEXT = (
    "Kế hoạch thử nghiệm <img src=x onerror=\"alert('title')\"> hiển thị\n\n"
    "KẾ HOẠCH\nThử nghiệm hiển thị <script>alert('body')</script>\n\n1. Chỉ tiêu\n"
    "- Đến năm 2025, tỷ lệ hồ sơ xử lý trực tuyến của cổng thử nghiệm <script>alert('x')</script> đạt "
    "tối thiểu 77% <img src=x onerror=\"alert('img')\"> theo **kế hoạch** [bấm](javascript:alert(1)).\n"
)
HOSTILE_Q = "Tỷ lệ hồ sơ xử lý trực tuyến của cổng thử nghiệm đạt bao nhiêu?"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """Settings, service and feedback log over a tmp index of the sample corpus plus the hostile document."""
    root = tmp_path_factory.mktemp("app")
    corpus = root / "corpus"
    corpus.mkdir()
    for path in sorted((PROJECT_ROOT / "data" / "corpus").glob("*.txt")):
        (corpus / path.name).write_bytes(path.read_bytes())
    (corpus / HOSTILE_NAME).write_text(HOSTILE_TEXT, encoding="utf-8")
    settings = Settings(chroma_path=root / "chroma", collection="apptest", embedding_model="fake",
                        data_dir=root / "data", feedback_path=root / "feedback.jsonl", admin_password="s3cret",
                        llm_base_url="", llm_gguf_path=root / "no-such-model.gguf", max_file_mb=1.0)
    index, embedder = build_index(settings), HashingEmbedder()
    report = build_ingestor(settings, embedder, index).run([corpus])
    assert len(report.added) == 6, report.summary()
    service = AssistantService(Pipeline(settings, index, embedder))
    return {"settings": settings, "service": service, "root": root}


def make_ctx(world: dict, language: str = "vi") -> AppContext:
    with gr.Blocks() as demo:
        pass
    return AppContext(service=world["service"], settings=world["settings"],
                      feedback=FeedbackLog(world["settings"].feedback_path), language=language, demo=demo)


def run_turn(ctx: AppContext, question: str, conv: Conversation | None = None, province: str = "",
             documents: list[str] | None = None, mode: str = "extractive") -> tuple[list[list[dict]], Conversation]:
    yields = [(list(step.messages), step.conversation) for step in respond(ctx, question, conv, province, documents,
                                                                           mode)]
    return [m for m, _ in yields], yields[-1][1]


def contents(messages: list[dict]) -> str:
    return "\n".join(m["content"] + m.get("metadata", {}).get("title", "") for m in messages)


# --- rendering ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "**bold** [a](javascript:x) $$x$$ `c`",
    "a & b &lt; c &#35; d", "Tỉnh Lai Châu — 20%",
])
def test_text_html_is_inert_and_lossless(text: str) -> None:
    out = render.text_html(text)
    assert not any(c in out for c in "<>\"'*_[]`$") and html.unescape(out) == text


def test_passage_marks_exactly_the_quoted_span_and_escapes_around_it() -> None:
    doc = "line one <b>\nthe quoted <i>part</i> here\nlast & line"
    start = doc.index("quoted")
    end = start + len("quoted <i>part</i>")
    out = render.passage_html(doc, start, end, context=5)
    marked = out.split('<mark class="cchc-quote">')[1].split("</mark>")[0]
    assert html.unescape(marked) == "quoted <i>part</i>"
    assert "<i>" not in out and "<b>" not in out
    assert render.passage_window(doc, start, end, context=5) == (doc.index("the quoted"), doc.index(" here") + 5)
    with pytest.raises(ValueError, match="outside"):
        render.passage_window(doc, 5, len(doc) + 1)
    spaced = "intro\n\n \n\nQUOTE\n\n\nafter"  # web-page blank lines around the span are shown as one break
    q = spaced.index("QUOTE")
    assert render.passage_html(spaced, q, q + 5) == \
        '<div class="cchc-passage">intro\n<mark class="cchc-quote">QUOTE</mark>\nafter</div>'


def test_citation_shows_title_number_province_date_file_and_section() -> None:
    doc = "x" * 50 + "<quoted>" + "y" * 50
    c = Citation(n=2, source="a<b>.txt", title="Kế hoạch <img onerror=1>", province="Lai Châu", quote="<quoted>",
                 start=50, end=58, number="2943/KH-UBND", doc_type="Kế hoạch", issue_date="2021-09-20", heading="II")
    t = texts("vi")
    out = render.citation_html(c, doc, t, "vi")
    for shown in ("Kế hoạch &#60;img onerror=1&#62;", "2943/KH-UBND", "Lai Châu", "20/09/2021", "a&#60;b&#62;.txt"):
        assert shown in out
    assert "<img" not in out and "<mark" in out
    assert render.citation_html(c, "", t, "vi").count("&#60;quoted&#62;") == 1  # document gone: the quote only


# --- chat ------------------------------------------------------------------------------------------
def test_answer_streams_then_shows_citations_collapsed(world: dict) -> None:
    steps, conv = run_turn(make_ctx(world), LAI_CHAU_Q)
    assert render.text_html(LAI_CHAU_Q) in steps[0][0]["content"] and "Đang tìm" in steps[0][1]["content"]
    final = steps[-1]
    assert "20%" in final[1]["content"]
    citations = [m for m in final if m.get("metadata")]
    assert citations and all(m["metadata"]["status"] == "done" for m in citations)
    first = citations[0]
    assert "2943/KH-UBND" in first["metadata"]["title"] and "Lai Châu" in first["metadata"]["title"]
    assert LAI_CHAU_PLAN in html.unescape(first["content"])
    assert "20% chi phí tuân thủ" in html.unescape(first["content"].split("<mark")[1].split("</mark>")[0])
    assert conv.previous is not None and conv.previous.provinces == ("Lai Châu",)
    assert len(conv.turns) == 1 and conv.turns[0].answer is not None


def test_follow_up_uses_the_previous_turn_and_new_conversation_forgets_it(world: dict) -> None:
    ctx = make_ctx(world)
    _, conv = run_turn(ctx, LAI_CHAU_Q)
    _, conv = run_turn(ctx, "Còn năm 2030 thì sao?", conv)
    follow = conv.turns[-1].answer
    assert follow is not None and follow.query.provinces == ("Lai Châu",) and "province" in follow.query.inherited
    messages, fresh, status = new_conversation()
    assert messages == [] and fresh.previous is None and fresh.turns == []
    _, alone = run_turn(ctx, "Còn năm 2030 thì sao?", fresh)
    assert alone.turns[-1].answer is None or alone.turns[-1].answer.query.provinces == ()


@pytest.mark.parametrize("question, expected", [
    ("", "Câu hỏi đang trống"), ("   ", "Câu hỏi đang trống"),
    ("Lai Châu " * 400, "giới hạn 2000"), ("Какой процент сокращения?", "tiếng Việt hoặc tiếng Anh"),
])
def test_bad_questions_get_a_friendly_message(world: dict, question: str, expected: str) -> None:
    steps, conv = run_turn(make_ctx(world), question)
    last = steps[-1][-1]
    assert 'class="cchc-notice"' in last["content"] and expected in html.unescape(last["content"])
    assert "Traceback" not in contents(steps[-1]) and conv.previous is None
    assert len(steps[-1][0]["content"]) < 700  # an over-long question is not echoed in full
    assert [m["role"] for m in steps[-1]] == (["assistant"] if not question.strip() else ["user", "assistant"])


def test_unexpected_errors_show_a_message_not_a_traceback(world: dict, monkeypatch) -> None:
    service = world["service"]

    def broken(*args, **kwargs):
        raise KeyError("boom")
        yield  # pragma: no cover

    monkeypatch.setattr(service, "stream", broken)
    steps, _ = run_turn(make_ctx(world, "en"), LAI_CHAU_Q)
    assert "Something unexpected went wrong" in html.unescape(steps[-1][-1]["content"])
    assert "boom" not in contents(steps[-1])


def test_hostile_document_and_question_are_shown_as_text(world: dict) -> None:
    steps, conv = run_turn(make_ctx(world), HOSTILE_Q + " <script>alert('q')</script>")
    shown = contents(steps[-1])
    assert "77%" in shown and HOSTILE_NAME in html.unescape(shown)
    assert "<script" not in shown.lower() and "<img" not in shown.lower() and "onerror=" in html.unescape(shown)
    assert "&#60;script&#62;" in shown


def test_filters_restrict_the_documents_searched(world: dict) -> None:
    ctx, service = make_ctx(world), world["service"]
    assert service.sources_for("", []) is None
    assert service.sources_for("Lai Châu", None) == {LAI_CHAU_PLAN, "002_ac6b037d9fc896f6.txt"}
    assert service.sources_for("Lai Châu", ["002_ac6b037d9fc896f6.txt"]) == {"002_ac6b037d9fc896f6.txt"}
    with pytest.raises(ConfigError, match="Unknown province 'Atlantis'. Valid provinces are: .*Lai Châu"):
        service.sources_for("Atlantis", None)
    with pytest.raises(ConfigError, match="Unknown document"):
        service.sources_for(None, ["nope.txt"])
    steps, _ = run_turn(ctx, LAI_CHAU_Q, documents=["000_26a92794eaf00280.txt"])
    assert LAI_CHAU_PLAN not in html.unescape(contents(steps[-1]))
    steps, _ = run_turn(ctx, LAI_CHAU_Q, province="Sơn La", documents=[LAI_CHAU_PLAN])
    assert "Bộ lọc không khớp" in html.unescape(steps[-1][-1]["content"])


def test_a_filter_that_hides_the_answer_says_so_and_offers_to_search_all(world: dict) -> None:
    ctx = make_ctx(world)
    steps = list(respond(ctx, LAI_CHAU_Q, None, "Điện Biên", None, "extractive"))
    last = steps[-1]
    notice = html.unescape(last.messages[-1]["content"])
    assert "Bộ lọc đang loại trừ" in notice and "Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu" in notice
    assert last.search_all and not any(s.search_all for s in steps[:-1])
    unfiltered = list(respond(ctx, LAI_CHAU_Q, None, "", None, "extractive"))[-1]
    assert not unfiltered.search_all and "Bộ lọc" not in contents(unfiltered.messages)
    # a filter that keeps the answering document: nothing to say about it
    kept = list(respond(ctx, LAI_CHAU_Q, None, "Lai Châu", None, "extractive"))[-1]
    assert not kept.search_all and "20%" in contents(kept.messages)


def test_an_answer_suggests_next_questions_about_its_document(world: dict) -> None:
    last = list(respond(make_ctx(world), LAI_CHAU_Q, None, "", None, "extractive"))[-1]
    assert 1 <= len(last.suggestions) <= 3
    assert "Ai ký Kế hoạch 2943/KH-UBND?" in last.suggestions
    refused = list(respond(make_ctx(world), "", None, "", None, "extractive"))[-1]
    assert refused.suggestions == () and not refused.search_all


def test_the_question_box_is_never_an_output_of_an_answer_and_long_questions_stay(world: dict) -> None:
    from assistant.app.chat import take_question_js

    ctx = make_ctx(world)
    assert all(len(astuple_step) == 4 for astuple_step in
               [(s.messages, s.conversation, s.suggestions, s.search_all) for s in respond(ctx, LAI_CHAU_Q, None,
                                                                                          "", None, "extractive")])
    js = take_question_js(world["settings"].max_question_chars)
    assert "window.cchcTake(q)" in js and "q.trim().length > 2000 ? q : ''" in js
    # the page: submitting writes the box once (cleared, or kept when too long); the answer never writes it
    page = build_app(world["service"], world["settings"], "vi")
    config = page.get_config_file()
    box = next(c["id"] for c in config["components"] if c["props"].get("elem_id") == "cchc-question")
    streaming = [d for d in config["dependencies"] if d["types"]["generator"]]
    assert len(streaming) >= 3 and all(box not in d["outputs"] for d in streaming)  # send, example, suggestions…
    clearing = [d for d in config["dependencies"] if box in d["outputs"]]
    assert clearing and all(d["js"] and not d["backend_fn"] for d in clearing)  # in the browser, at once


def test_stopping_marks_the_unfinished_answer(world: dict) -> None:
    from assistant.app.chat import stop_answer

    ctx = make_ctx(world)
    conv = list(respond(ctx, LAI_CHAU_Q, None, "", None, "extractive"))[-1].conversation
    finished = len(conv.messages)
    assert stop_answer(ctx, conv) == conv.messages and len(conv.messages) == finished  # nothing was running
    stream = respond(ctx, LAI_CHAU_Q, conv, "", None, "extractive")
    next(stream)  # the question and "searching…" are shown, then the user stops
    stream.close()
    shown = stop_answer(ctx, conv)
    assert "Đã dừng câu trả lời." in html.unescape(shown[-1]["content"]) and len(shown) == finished + 3


def test_llm_mode_without_an_llm_is_refused_politely(world: dict) -> None:
    assert not llm_available(world["settings"])
    assert llm_available(world["settings"].replace(llm_base_url="http://127.0.0.1:9/v1"))
    steps, _ = run_turn(make_ctx(world), LAI_CHAU_Q, mode="llm")
    assert "needs an LLM" in html.unescape(steps[-1][-1]["content"])
    steps, _ = run_turn(make_ctx(world), LAI_CHAU_Q, mode="bogus")
    assert "Unknown answer mode 'bogus'" in html.unescape(steps[-1][-1]["content"])


def test_an_abandoned_answer_stream_does_not_block_the_next_user(world: dict) -> None:
    service = world["service"]
    stream = service.stream(LAI_CHAU_Q, None, "extractive", None)
    next(stream)  # the user leaves after the first piece; the server still holds the suspended stream
    done = []
    worker = threading.Thread(target=lambda: done.append(service.answer(LAI_CHAU_Q, None, None, None)), daemon=True)
    worker.start()
    worker.join(timeout=60)
    stream.close()
    assert done and "20%" in done[0].text


# --- feedback --------------------------------------------------------------------------------------
def test_thumbs_and_comment_are_logged_with_question_answer_and_citations(world: dict) -> None:
    ctx = make_ctx(world)
    log = ctx.feedback
    before = len(log.read())
    _, conv = run_turn(ctx, LAI_CHAU_Q)
    citation_index = conv.turns[0].last  # a click on any message of the turn rates the turn
    status = rate(ctx, conv, "", gr.LikeData(None, {"index": citation_index, "value": "", "liked": False}))
    assert status == ctx.t["feedback_saved"]
    status, box = send_comment(ctx, conv, "  Thiếu năm 2030  ")
    assert status == ctx.t["comment_saved"] and box == ""
    records = log.read()[before:]
    assert [r["rating"] for r in records] == ["down", "down"] and records[1]["comment"] == "Thiếu năm 2030"
    assert records[0]["answer_id"] == records[1]["answer_id"]
    assert records[0]["question"] == LAI_CHAU_Q and "20%" in records[0]["answer"]
    assert records[0]["citations"][0]["source"] == LAI_CHAU_PLAN and records[0]["citations"][0]["quote"]
    json.dumps(records)  # plain JSON all the way down


def test_feedback_without_an_answer_says_so(world: dict) -> None:
    ctx = make_ctx(world, "en")
    assert rate(ctx, Conversation(), "", gr.LikeData(None, {"index": 0, "value": "", "liked": True})) == \
        ctx.t["feedback_nothing"]
    assert send_comment(ctx, None, "hello")[0] == ctx.t["feedback_nothing"]
    with pytest.raises(ValueError, match="rating"):
        Feedback("id", "q", "a", None, rating="meh")


# --- documents and uploads -------------------------------------------------------------------------
def test_document_rows_have_metadata_and_chunk_counts(world: dict) -> None:
    rows = {r[0]: r for r in document_rows(make_ctx(world))}
    lai_chau = rows[LAI_CHAU_PLAN]
    assert lai_chau[1] == "Lai Châu" and lai_chau[3] == "2943/KH-UBND" and lai_chau[4] == "20/09/2021"
    assert lai_chau[7] > 0 and "Lai Châu" in lai_chau[9]
    assert {d["source"] for d in list_documents(make_ctx(world))} == set(rows)


@pytest.mark.parametrize("name", [
    "../evil.txt", "a/b.txt", "..\\evil.txt", ".hidden.txt", "evil.exe", "evil.txt.sh", "no_suffix",
    "bad\x00name.txt", "semi;colon.txt", "", "x" * (MAX_NAME_CHARS + 1) + ".txt", "..txt",
])
def test_upload_names_with_path_tricks_or_wrong_types_are_refused(name: str) -> None:
    with pytest.raises(IngestError):
        check_upload_name(name)


def test_upload_names_people_use_are_accepted() -> None:
    for name in ("Kế hoạch 2943-KH-UBND (2021).pdf", "nghi_quyet_12.DOCX", "a.md", "trang.html"):
        assert check_upload_name(name) == name


def test_staging_checks_size_emptiness_and_symlinks(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "ok.txt").write_text("Kế hoạch", encoding="utf-8")
    (src / "big.txt").write_bytes(b"x" * 2000)
    (src / "empty.txt").write_bytes(b"")
    os.symlink(src / "ok.txt", src / "link.txt")
    staged = stage_uploads([src / n for n in ("ok.txt", "big.txt", "empty.txt", "link.txt")], tmp_path / "up", 1000)
    assert staged.accepted == [(tmp_path / "up" / "ok.txt").resolve()]
    reasons = {name: str(why) for name, why in staged.rejected}
    assert "limit" in reasons["big.txt"] and "empty" in reasons["empty.txt"] and "regular" in reasons["link.txt"]
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == ["ok.txt"]


def test_admin_ingest_checks_files_and_makes_documents_searchable(world: dict, tmp_path: Path) -> None:
    ctx = make_ctx(world)
    upload = tmp_path / "Kế hoạch Hà Giang.txt"
    upload.write_text("KẾ HOẠCH cải cách hành chính tỉnh Hà Giang\n\n1. Chỉ tiêu\n- Đến năm 2025, tỷ lệ "
                      "người dân hài lòng với dịch vụ hành chính công của tỉnh Hà Giang đạt trên 93%.\n",
                      encoding="utf-8")
    assert not password_ok(world["settings"].replace(admin_password=""), "")
    assert password_ok(world["settings"], "s3cret") and not password_ok(world["settings"], "s3cret ")
    assert add_documents(ctx, []) == ctx.t["no_files"]
    bad = tmp_path / "script.sh"
    bad.write_text("echo hi")
    seen = []
    report = add_documents(ctx, [str(upload), str(bad)], lambda frac, desc, unit: seen.append(frac),
                           temp_root=tmp_path)
    assert "thêm 1" in report and "script.sh" in report and "không được hỗ trợ" in report
    assert "Các văn bản mới có thể hỏi ngay." in report and str(tmp_path) not in report
    assert seen[0] == (0, 1) and seen[-1] == (1, 1)
    assert (world["settings"].data_dir / "uploads" / upload.name).is_file()
    assert not upload.exists() and not bad.exists()  # the temporary uploads are gone, accepted or not
    steps, _ = run_turn(ctx, "Tỷ lệ người dân hài lòng ở Hà Giang năm 2025 là bao nhiêu?")
    assert "93%" in contents(steps[-1]) and upload.name in html.unescape(contents(steps[-1]))


# --- the page and the API --------------------------------------------------------------------------
def test_pages_compose_tabs_and_expose_the_api(world: dict) -> None:
    service, settings = world["service"], world["settings"]
    extra_tab_built = []

    def extra_tab(ctx: AppContext) -> None:
        with gr.Tab("Thêm", id="extra"):
            extra_tab_built.append(ctx.language)
            gr.Markdown("…")

    from assistant.app.server import TABS

    for language in ("vi", "en"):
        demo = build_app(service, settings, language, tabs=(*TABS, extra_tab))
        config = demo.get_config_file()
        labels = [c["props"].get("label") for c in config["components"] if c["type"] == "tabitem"]
        assert labels[-1] == "Thêm" and len(labels) == len(TABS) + 1
        api_names = {d.get("api_name") for d in config["dependencies"] if d.get("api_visibility") == "public"}
        assert {"ask", "documents"} <= api_names and "add_documents" not in api_names  # on /admin/ only
        assert not [c for c in config["components"] if c["type"] == "file"]  # no upload on a public page
    assert extra_tab_built == ["vi", "en"]


def test_api_ask_returns_the_record_and_a_context_for_follow_ups(world: dict) -> None:
    ctx = make_ctx(world)
    first = ask(ctx, LAI_CHAU_Q)
    assert "20%" in first["answer"] and first["citations"][0]["source"] == LAI_CHAU_PLAN
    follow = ask(ctx, "Còn năm 2030 thì sao?", context=json.loads(json.dumps(first["context"])))
    assert follow["context"]["provinces"] == ["Lai Châu"]
    with pytest.raises(gr.Error, match="Câu hỏi đang trống"):
        ask(ctx, "")
    with pytest.raises(gr.Error, match="unknown or missing fields"):
        ask(ctx, LAI_CHAU_Q, context={"txt": "x"})
    assert query_from_context({}) is None


def test_pages_and_binding_addresses() -> None:
    settings = Settings()
    assert settings.host == "127.0.0.1" and settings.port == 7860 and settings.ui_language == "vi"
    assert page_path("vi", settings) == "/" and page_path("en", settings) == "/en/"
    assert page_path("vi", settings.replace(ui_language="en")) == "/vi/"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


@pytest.mark.parametrize("arguments, message", [
    ({"question": 5}, "Argument 'question' must be a string"),
    ({"mode": 5}, "Argument 'mode' must be one of 'extractive', 'llm'"),
    ({"mode": ["llm"]}, "Argument 'mode' must be one of"),
    ({"province": 3}, "Argument 'province' must be a province name"),
    ({"documents": "x"}, "Argument 'documents' must be a list of document file names"),
    ({"documents": [1, 2]}, "Argument 'documents' must be a list of document file names"),
    ({"context": []}, "Argument 'context' must be the 'context' object of an earlier answer"),
    ({"context": "Lai Châu"}, "Argument 'context' must be the 'context' object"),
    ({"context": {"text": "x", "language": "vi", "years": ["2025"]}}, "context field 'years' must be a list of whole"),
    ({"context": {"text": "x", "language": "vi", "provinces": "Lai Châu"}}, "context field 'provinces' must be a list"),
    ({"context": {"text": 1, "language": "vi"}}, "context field 'text' must be a string"),
    ({"context": {"text": "x", "language": "fr"}}, "Query.language must be 'vi' or 'en'"),
])
def test_api_arguments_of_the_wrong_type_get_one_clear_line(world: dict, arguments: dict, message: str) -> None:
    arguments = {"question": LAI_CHAU_Q} | arguments
    with pytest.raises(gr.Error) as error:
        ask(make_ctx(world, "en"), **arguments)
    text = str(error.value.message)
    assert message in text and "\n" not in text and "Traceback" not in text and len(text) < 300, text


# --- answering in parallel -------------------------------------------------------------------------------
def test_answers_run_in_parallel_up_to_the_bound(world: dict, monkeypatch) -> None:
    """Four answers are inside the pipeline at the same moment (with one lock they never would be); a fifth
    waits for a slot when the bound is four."""
    service = AssistantService(world["service"].pipeline, max_concurrent=4)
    inside, release, lock = [], threading.Event(), threading.Lock()
    real_stream = service.pipeline.stream

    def counting_stream(*args, **kwargs):
        with lock:
            inside.append(1)
        release.wait(30)
        yield from real_stream(*args, **kwargs)

    monkeypatch.setattr(service.pipeline, "stream", counting_stream)
    results: list = []
    threads = [threading.Thread(target=lambda: results.append(service.answer(LAI_CHAU_Q, None, None, None)))
               for _ in range(5)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(inside) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert len(inside) == 4  # four at once, the fifth waits for a slot
    release.set()
    for thread in threads:
        thread.join(30)
    assert len(results) == 5 and all("20%" in r.text for r in results)


def test_many_simultaneous_answers_are_the_same_as_one_at_a_time(world: dict) -> None:
    service = world["service"]
    questions = [LAI_CHAU_Q, "What is Lai Chau's target for cutting compliance costs by 2025?", HOSTILE_Q,
                 "Lai Châu và Quảng Bình cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?"]
    alone = {q: service.answer(q, None, "extractive", None).text for q in questions}
    with ThreadPoolExecutor(max_workers=12) as pool:
        together = list(pool.map(lambda q: (q, service.answer(q, None, "extractive", None).text), questions * 6))
    assert all(text == alone[q] for q, text in together)
    with pytest.raises(ValueError, match="at least 1"):
        AssistantService(service.pipeline, max_concurrent=0)
