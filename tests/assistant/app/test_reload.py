"""The running app follows the index: documents another process ingests (`assistant ingest`, a real second
process here) or a file it re-ingests are answered within seconds, without a restart; the re-read happens
in the background, answers are never held up by it, and an answer in flight finishes on its snapshot.

The app side is the service in this process over a throw-away index; the other process is the CLI with the
fake embedder (``tests/fakes.py``), so no model is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.app.service import AssistantService
from assistant.pipeline import build_index, build_ingestor, build_pipeline
from assistant.settings import PROJECT_ROOT, Settings
from tests.fakes import HashingEmbedder

HA_GIANG = "ha_giang_plan.txt"
HA_GIANG_TEXT = ("KẾ HOẠCH cải cách hành chính tỉnh Hà Giang\n\n1. Chỉ tiêu\n- Đến năm 2025, tỷ lệ người dân hài lòng "
                 "với dịch vụ hành chính công của tỉnh Hà Giang đạt trên 93%.\n")
HA_GIANG_Q = "Tỷ lệ người dân hài lòng ở Hà Giang năm 2025 là bao nhiêu?"
LAI_CHAU_Q = "Lai Châu cắt giảm chi phí tuân thủ bao nhiêu phần trăm vào năm 2025?"
LAI_CHAU_PLAN = "004_b20915e92c1cf682.txt"
PICKED_UP_WITHIN_S = 10.0
# `assistant ingest` in its own process, with the fake embedder in place of the model
CLI_WITH_FAKE_EMBEDDER = (
    "import sys, assistant.pipeline\n"
    "from tests.fakes import HashingEmbedder\n"
    "assistant.pipeline.build_embedder = lambda settings: HashingEmbedder()\n"
    "from assistant.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


@pytest.fixture
def world(tmp_path: Path) -> dict:
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "data" / "corpus", corpus)
    settings = Settings(chroma_path=tmp_path / "chroma", collection="reload", embedding_model="fake",
                        data_dir=tmp_path / "data", llm_base_url="", llm_gguf_path=tmp_path / "no.gguf")
    embedder = HashingEmbedder()
    build_ingestor(settings, embedder, build_index(settings)).run([corpus])
    pipeline = build_pipeline(settings, embedder=embedder)
    return {"settings": settings, "service": AssistantService(pipeline), "corpus": corpus, "root": tmp_path}


def ingest_in_another_process(settings: Settings, *paths: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCHC_")}
    env.update(CCHC_CHROMA_PATH=str(settings.chroma_path), CCHC_COLLECTION=settings.collection,
               CCHC_EMBEDDING_MODEL=settings.embedding_model, CCHC_DATA_DIR=str(settings.data_dir),
               PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run([sys.executable, "-c", CLI_WITH_FAKE_EMBEDDER, "ingest", "--quiet", *map(str, paths)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def answer_until(service: AssistantService, question: str, wanted: str, within_s: float) -> tuple[str, float]:
    """Ask again and again (as users would) until the answer contains ``wanted``; (last answer, seconds)."""
    started = time.monotonic()
    while True:
        text = service.answer(question, None, "extractive", None).text
        elapsed = time.monotonic() - started
        if wanted in text or elapsed > within_s:
            return text, elapsed
        time.sleep(0.2)


def test_a_document_ingested_by_another_process_is_answered_within_seconds(world: dict) -> None:
    service, settings = world["service"], world["settings"]
    before = service.answer(HA_GIANG_Q, None, "extractive", None)
    assert "93%" not in before.text
    doc = world["root"] / HA_GIANG
    doc.write_text(HA_GIANG_TEXT, encoding="utf-8")
    ingest_in_another_process(settings, doc)
    text, elapsed = answer_until(service, HA_GIANG_Q, "93%", PICKED_UP_WITHIN_S)
    assert "93%" in text, text
    final = service.answer(HA_GIANG_Q, None, "extractive", None)
    assert final.citations[0].source == HA_GIANG
    # the vector search sees the other process's chunks too, not only the keyword index
    search = service.pipeline.search
    dense = search.index.search(search.embedder.embed_query(HA_GIANG_Q), 5, service.pipeline.view.versions)
    assert any(chunk_id.startswith(HA_GIANG) for chunk_id, _ in dense), dense
    assert HA_GIANG in {r.source for r in service.documents()}
    print(f"picked up after {elapsed:.1f} s")


def test_a_changed_file_re_ingested_elsewhere_replaces_the_old_answer(world: dict) -> None:
    service, settings = world["service"], world["settings"]
    assert "20%" in service.answer(LAI_CHAU_Q, None, "extractive", None).text
    plan = world["corpus"] / LAI_CHAU_PLAN
    plan.write_text(plan.read_text(encoding="utf-8").replace("20%", "35%"), encoding="utf-8")
    ingest_in_another_process(settings, plan)
    text, _ = answer_until(service, LAI_CHAU_Q, "35%", PICKED_UP_WITHIN_S)
    assert "35%" in text and "20%" not in text, text


def test_the_document_list_waits_for_the_re_read(world: dict) -> None:
    service, settings = world["service"], world["settings"]
    doc = world["root"] / HA_GIANG
    doc.write_text(HA_GIANG_TEXT, encoding="utf-8")
    ingest_in_another_process(settings, doc)
    assert HA_GIANG not in {r.source for r in service.documents()}  # nothing has looked yet
    service.sync_with_index(wait=True)  # what the Documents tab and its reload button do
    assert HA_GIANG in {r.source for r in service.documents()}
    assert service.pipeline.snapshot.generation == service.pipeline.index.generation()


def test_answers_are_not_held_up_while_the_index_is_re_read(world: dict, monkeypatch) -> None:
    service, settings = world["service"], world["settings"]
    pipeline = service.pipeline
    doc = world["root"] / HA_GIANG
    doc.write_text(HA_GIANG_TEXT, encoding="utf-8")
    ingest_in_another_process(settings, doc)
    reading, release = threading.Event(), threading.Event()
    slow_read = pipeline._read

    def read_slowly(index):
        reading.set()
        release.wait(30)
        return slow_read(index)

    monkeypatch.setattr(pipeline, "_read", read_slowly)
    pipeline._last_check = 0.0
    old = pipeline.snapshot
    started = time.monotonic()
    first = service.answer(HA_GIANG_Q, None, "extractive", None)  # notices the change, starts the re-read
    assert reading.wait(5) and pipeline.reloading
    during = service.answer(LAI_CHAU_Q, None, "extractive", None)
    assert time.monotonic() - started < 5 and "20%" in during.text and "93%" not in first.text
    assert pipeline.snapshot is old  # nothing swapped in yet
    release.set()
    pipeline.wait_for_reload(30)
    assert pipeline.snapshot is not old and "93%" in service.answer(HA_GIANG_Q, None, "extractive", None).text


def test_an_answer_in_flight_finishes_on_its_snapshot(world: dict) -> None:
    service = world["service"]
    stream = service.pipeline.stream(LAI_CHAU_Q, mode="extractive")
    first = next(stream)  # the answer has read its snapshot
    service.pipeline.refresh()  # a new snapshot is swapped in meanwhile
    *_, answer = [first, *stream]
    assert "20%" in answer.text and answer.citations[0].source == LAI_CHAU_PLAN


def test_the_index_is_looked_at_most_once_a_second(world: dict, monkeypatch) -> None:
    pipeline = world["service"].pipeline
    looks = []
    real = type(pipeline.index).generation
    monkeypatch.setattr(type(pipeline.index), "generation", lambda self: looks.append(1) or real(self))
    pipeline._last_check = 0.0
    for _ in range(50):
        pipeline.reload_if_changed()
    assert len(looks) == 1
    pipeline.reload_if_changed(force=True)
    assert len(looks) == 2
