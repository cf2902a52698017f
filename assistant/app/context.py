"""What every tab of the web app is built from. A tab is a function ``(AppContext) -> None`` that opens its
own ``gr.Tab`` inside the page's ``gr.Tabs``; ``app.build_app`` calls the tab functions in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import gradio as gr

from assistant.app.feedback import FeedbackLog
from assistant.app.service import MAX_CONCURRENT_ANSWERS, AssistantService
from assistant.app.text import texts
from assistant.settings import Settings

# Every event that runs the pipeline shares this Gradio concurrency group: up to this many answers of a page run
# at once (in worker threads), the next users wait in the page's queue. The service bounds both pages together.
PIPELINE_CONCURRENCY_ID = "pipeline"
PIPELINE_CONCURRENCY_LIMIT = MAX_CONCURRENT_ANSWERS


@dataclass(frozen=True)
class AppContext:
    service: AssistantService
    settings: Settings
    feedback: FeedbackLog
    language: str  # the interface language of this page ("vi" or "en")
    demo: gr.Blocks  # for page-load events

    @property
    def t(self) -> dict[str, str]:
        return texts(self.language)


TabBuilder = Callable[[AppContext], None]
