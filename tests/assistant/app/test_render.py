"""Rendering without a server: the answer's bold lead and linked markers, readable document names, the full-text
page, suggested next questions, the page head, and bilingual messages cut to the page's language."""

from __future__ import annotations

import html
import json
import re

import pytest

from assistant.app import render
from assistant.app.assets import FONT_FAMILY, GRADIO_STRINGS_VI, STATIC_DIR, page_head, theme
from assistant.app.followups import suggestions
from assistant.app.fulltext import document_page
from assistant.app.text import in_language, texts
from assistant.types import Answer, Citation
from ingest.commitments import Commitment
from ingest.document import DocumentMetadata
from vectorstore.chroma import DocumentRecord

LAI_CHAU = Citation(n=1, source="004.txt", title="Kế hoạch cải cách hành chính", province="Lai Châu", quote="20%",
                    start=10, end=13, number="2943/KH-UBND", doc_type="Kế hoạch", issue_date="2021-09-20")


def test_the_lead_of_an_answer_is_bold_and_markers_link_to_their_sources() -> None:
    out = render.answer_html("Tối thiểu 20% (Lai Châu, năm 2025) [1].\nNguồn: Kế hoạch 2943/KH-UBND: “20%” [1] [7]",
                             abstained=False, markers={1})
    assert '<b class="cchc-key">Tối thiểu 20%</b> &#40;Lai Châu' in out
    assert out.count('<a class="cchc-ref" href="#cchc-source-1">[1]</a>') == 2
    assert "&#91;7&#93;" in out and "cchc-source-7" not in out  # a marker without a source stays text
    assert out.count("</b>") == 1  # the source line is not stressed


@pytest.mark.parametrize(("text", "lead"), [
    ("29/7/2021 — Nghị quyết 12-NQ/TU (29/07/2021), Điện Biên [1].", "29/7/2021"),
    ("Trần Tiến Dũng — Kế hoạch 2943/KH-UBND [1].", "Trần Tiến Dũng"),
    ("At least 80% (tối thiểu 80%) (Quảng Bình, by 2025) [1].", "At least 80%"),
])
def test_the_lead_is_the_fact_before_its_qualifications(text: str, lead: str) -> None:
    out = render.answer_html(text, abstained=False, markers={1})
    assert re.search(r'<b class="cchc-key">(.*?)</b>', out).group(1) == render.text_html(lead)


def test_a_comparison_stresses_each_provinces_figure_and_an_abstention_nothing() -> None:
    text = ("Theo từng tỉnh:\n- Lai Châu: Tối thiểu 20% (Lai Châu, năm 2025) [1].\n  Nguồn: Kế hoạch: “…” [1]\n"
            "- Quảng Bình: Tối thiểu 20% (Quảng Bình, năm 2025) [2].")
    out = render.answer_html(text, abstained=False, markers={1, 2})
    assert re.findall(r'<b class="cchc-key">(.*?)</b>', out) == ["Tối thiểu 20%", "Tối thiểu 20%"]
    assert "</b>" not in render.answer_html("Các tài liệu hiện có không nêu thông tin này.", abstained=True, markers=set())
    long = "Theo kế hoạch, " + "tỉnh sẽ tiếp tục đẩy mạnh cải cách hành chính " * 3 + "(2025) [1]."
    assert "</b>" not in render.answer_html(long, abstained=False, markers={1})  # prose: nothing to single out


def test_answer_markup_is_ours_only() -> None:
    out = render.answer_html('<img src=x onerror="alert(1)"> 5% [1]', abstained=False, markers={1})
    assert "<img" not in out and "&#60;img" in out


def test_documents_are_named_by_type_number_date_and_province() -> None:
    vi, en = texts("vi"), texts("en")
    assert render.citation_name(LAI_CHAU, vi, "vi") == "Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu"
    assert render.citation_name(LAI_CHAU, en, "en") == "Kế hoạch 2943/KH-UBND of 2021-09-20 — Lai Châu"
    assert render.document_name(None, None, None, "Hà Nội", None, "a.txt", vi, "vi") == "a.txt — thành phố Hà Nội"
    assert render.document_name(None, None, None, None, "Tiêu đề", "a.txt", vi, "vi") == "Tiêu đề"
    title = html.unescape(render.citation_title(LAI_CHAU, vi, "vi"))
    assert title == "Nguồn [1] · Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu"


def test_a_citation_links_to_the_full_text_at_its_span() -> None:
    doc = "0123456789" + "20%" + " rest"
    out = render.citation_html(LAI_CHAU, doc, texts("vi"), "vi")
    assert '<div class="cchc-docname">Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu</div>' in out
    assert 'href="/cchc/document/004.txt?start=10&end=13&lang=vi#cchc-quote"' in out and "Xem toàn văn" in out
    assert "Xem toàn văn" not in render.citation_html(LAI_CHAU, "", texts("vi"), "vi")  # document gone: no link
    assert render.fulltext_url("a b/c.txt", 1, 2, "en") == "/cchc/document/a%20b%2Fc.txt?start=1&end=2&lang=en#cchc-quote"


def record(text: str, commitments: tuple[Commitment, ...] = (), **meta: str) -> DocumentRecord:
    metadata = DocumentMetadata(**{"province": "Lai Châu", "doc_type": "Kế hoạch", "number": "2943/KH-UBND",
                                   "issue_date": "2021-09-20", "signer": "Trần Tiến Dũng", **meta})
    return DocumentRecord(source="004.txt", version="v", n_chunks=1, metadata=metadata, text=text,
                          ingested_at="2026-12-03T10:00:00", commitments=commitments)


def test_the_full_text_page_marks_the_span_and_escapes_the_rest() -> None:
    text = "a <script>x</script> 20% b"
    page = document_page(record(text), text, 21, 24, "vi")
    assert '<html lang="vi">' in page and '<mark id="cchc-quote">20%</mark>' in page
    assert "<script>" not in page and "&#60;script&#62;" in page
    assert "<title>Kế hoạch 2943/KH-UBND ngày 20/09/2021 — tỉnh Lai Châu</title>" in page
    assert "<mark" not in document_page(record("short"), "short", 3, 99, "en")  # a span outside the text marks nothing
    assert f'font-family: "{FONT_FAMILY}"' in page  # the bundled face, from the app itself


def commitment(start: int, end: int, text: str, metric: str, year: int | None) -> Commitment:
    return Commitment(source="004.txt", province="Lai Châu", doc_type="Kế hoạch", number="2943/KH-UBND",
                      issue_date="2021-09-20", metric=metric, value=20.0, value_max=None, unit="%",
                      comparator="tối thiểu", year=year, topic="compliance_cost", quote=text[start:end], start=start,
                      end=end)


def test_suggestions_ask_about_the_answering_documents_other_targets_signer_and_date() -> None:
    text = "cắt giảm 20% chi phí. tỷ lệ hồ sơ trực tuyến 80%. khác"
    rows = (commitment(0, 20, text, "chi phí tuân thủ", 2025), commitment(22, 49, text, "tỷ lệ hồ sơ trực tuyến", 2025))
    docs = {"004.txt": record(text, rows)}
    answer = Answer(question="q", text="Tối thiểu 20% [1].", abstained=False, mode="extractive",
                    citations=(Citation(n=1, source="004.txt", title="", province="Lai Châu", quote=text[0:20],
                                        start=0, end=20),))
    assert suggestions(answer, docs, "vi") == [
        "Tỷ lệ hồ sơ trực tuyến của Lai Châu vào năm 2025 là bao nhiêu?",  # not the cited target
        "Ai ký Kế hoạch 2943/KH-UBND?", "Kế hoạch 2943/KH-UBND được ban hành ngày nào?"]
    english = suggestions(answer, docs, "en")
    assert english[1:] == ["Who signed Kế hoạch 2943/KH-UBND?", "When was Kế hoạch 2943/KH-UBND issued?"]
    assert english[0].startswith("What is Lai Châu's target for ") and english[0].endswith(" by 2025?")
    signed = Answer(question="Ai ký?", text="Trần Tiến Dũng — Kế hoạch 2943/KH-UBND (20/09/2021) [1].",
                    abstained=False, mode="extractive", citations=answer.citations)
    assert not any("Ai ký" in s or "ngày nào" in s for s in suggestions(signed, docs, "vi"))  # already said
    assert suggestions(Answer(question="q", text="không nêu", abstained=True, mode="extractive"), docs, "vi") == []


def test_bilingual_messages_are_cut_to_the_pages_language() -> None:
    message = "The question is empty. / Câu hỏi đang trống."
    assert in_language(message, "vi") == "Câu hỏi đang trống." and in_language(message, "en") == "The question is empty."
    assert in_language("Bộ lọc không khớp văn bản nào.", "en") == "Bộ lọc không khớp văn bản nào."


def test_the_page_head_carries_the_language_strings_and_limit_and_no_external_address() -> None:
    head = page_head("vi", 2000)
    config = json.loads(re.search(r"window\.CCHC = (\{.*?\});</script>", head).group(1))
    assert config["lang"] == "vi" and config["maxChars"] == 2000 and config["counterFrom"] == 1600
    assert config["strings"]["Drop File Here"] == "Thả tệp vào đây" and config["strings"]["Like"] == "Thích"
    assert json.loads(re.search(r"window\.CCHC = (\{.*?\});</script>", page_head("en", 10)).group(1))["strings"] == {}
    assert "http" not in head and "</script>" not in head.split("<script>")[1][:-len("</script>\n")]
    assert all(v.strip() for v in GRADIO_STRINGS_VI.values())


def test_the_theme_names_only_the_bundled_face() -> None:
    css = theme()._get_theme_css()
    assert "fonts.googleapis" not in css and "@import" not in css
    assert FONT_FAMILY in css
    fonts = sorted(p.name for p in (STATIC_DIR / "fonts").iterdir())
    assert fonts == ["NotoSans-Bold.woff2", "NotoSans-BoldItalic.woff2", "NotoSans-Italic.woff2",
                     "NotoSans-Regular.woff2", "OFL.txt"]
