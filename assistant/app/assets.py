"""What the pages load besides Gradio's own files: the bundled typeface, the page script, the theme, the CSS.

Everything is served by the app itself (``/cchc/static``): no page asks another host for anything. The
typeface is Noto Sans (``static/fonts``, OFL, subset to Latin + Vietnamese): Gradio's themes name Google
Fonts, which a machine without that network falls back from to fonts whose N, W, E, M differ from their
accented forms; the theme here names only the bundled face, for text and for tables (the monospace slot).

The page script (``static/app.js``) gets its per-page settings as JSON in the page head: the language
(Gradio sets ``<html lang>`` from the browser's locale, and has no Vietnamese strings of its own), the
Vietnamese for Gradio's own labels (``data/gradio_strings.tsv``), and the question length limit.
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ingest.vocab import read_table

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/cchc/static"
FONT_FAMILY = "Noto Sans CCHC"  # our own name: a Noto Sans installed on the machine is never picked instead
COUNTER_FROM = 0.8  # the character counter shows once a question reaches this share of the limit

_FACES = (("Regular", "normal", "400"), ("Bold", "normal", "700"), ("Italic", "italic", "400"),
          ("BoldItalic", "italic", "700"))
FONT_CSS = "".join(
    f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url("{STATIC_PATH}/fonts/NotoSans-{name}.woff2") '
    f'format("woff2"); font-style: {style}; font-weight: {weight}; font-display: swap; }}\n'
    for name, style, weight in _FACES)

# Gradio's own labels on the Vietnamese page: English as Gradio writes it (text, aria-label, title) -> Vietnamese
GRADIO_STRINGS_VI: dict[str, str] = dict(read_table(Path(__file__).parent / "data" / "gradio_strings.tsv", 2))


def theme() -> gr.themes.Base:
    """Gradio's Soft theme with the bundled face everywhere (plain names: no font is fetched), and its indigo a
    shade or two darker where text is drawn in it: white on indigo-500 is 4.46:1 and indigo-500 on the labels'
    indigo-100 3.62:1, under the 4.5:1 that text of this size needs (axe-core, tests/assistant/app)."""
    fonts = (FONT_FAMILY, "sans-serif")
    return gr.themes.Soft(font=fonts, font_mono=fonts).set(
        button_primary_background_fill="*primary_600", button_primary_background_fill_hover="*primary_700",
        button_primary_background_fill_dark="*primary_600", button_primary_background_fill_hover_dark="*primary_700",
        block_label_text_color="*primary_700", block_title_text_color="*primary_700")


def page_head(language: str, max_question_chars: int) -> str:
    """The page's ``head``: the page's own style (outside Gradio's scoped css), the page script's settings, then
    the script itself."""
    config = {"lang": language, "strings": GRADIO_STRINGS_VI if language == "vi" else {},
              "maxChars": max_question_chars, "counterFrom": int(max_question_chars * COUNTER_FROM)}
    # "</" inside a script would end it: JSON escapes it
    data = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    return (f'<link rel="stylesheet" href="{STATIC_PATH}/page.css">\n'
            f"<script>window.CCHC = {data};</script>\n<script>{script}</script>")


def mount_static(server: FastAPI) -> None:
    """``/cchc/static``: the fonts (and their licence). Added before the pages, whose root mount takes the rest."""
    server.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="cchc-static")
