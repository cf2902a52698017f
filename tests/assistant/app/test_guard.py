"""The upload surface of the running app: only a logged-in admin on /admin/ can upload, only files sent in
the request (never a path on the server), within the storage cap; Gradio's upload route is closed on the
public pages and when uploads are off; processed and rejected uploads do not stay on disk.

The app runs in this process (uvicorn in a thread) over a throw-away index with the fake embedder, with its
own Gradio temporary folder, so what each request leaves on disk can be counted.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from assistant.app.guard import UploadStorage
from assistant.app.server import build_server
from assistant.app.upload import discard_temporary, stage_uploads
from assistant.pipeline import build_index, build_ingestor, build_pipeline
from assistant.settings import PROJECT_ROOT, Settings
from tests.fakes import HashingEmbedder

PASSWORD = "s3cret-admin"
HA_GIANG_TEXT = ("KẾ HOẠCH cải cách hành chính tỉnh Hà Giang\n\n1. Chỉ tiêu\n- Đến năm 2025, tỷ lệ người dân hài lòng "
                 "với dịch vụ hành chính công của tỉnh Hà Giang đạt trên 93%.\n")
STORAGE_MB = 1.0


@dataclass
class Running:
    url: str
    settings: Settings
    temp: Path  # Gradio's upload folder for this app
    server: FastAPI

    @property
    def uploads(self) -> Path:
        return self.settings.data_dir / "uploads"

    def server_app_for(self, path: str) -> gr.Blocks:
        """The page (Gradio Blocks) mounted at ``path``."""
        return next(r.app.get_blocks() for r in self.server.routes if getattr(r, "path", None) == path.rstrip("/"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gradio_temp_dir(path: Path) -> Iterator[Path]:
    """Gradio's upload folder for the apps started meanwhile (Gradio reads it from the environment)."""
    path.mkdir(parents=True, exist_ok=True)
    saved = os.environ.get("GRADIO_TEMP_DIR")
    os.environ["GRADIO_TEMP_DIR"] = str(path)
    try:
        yield path
    finally:
        if saved is None:
            os.environ.pop("GRADIO_TEMP_DIR", None)
        else:
            os.environ["GRADIO_TEMP_DIR"] = saved


def run_app(root: Path, admin_password: str, temp: Path) -> Iterator[Running]:
    """The app on a free loopback port over a fresh index of data/corpus, until the generator is closed."""
    settings = Settings(chroma_path=root / "chroma", collection="guard", embedding_model="fake",
                        data_dir=root / "data", feedback_path=root / "feedback.jsonl", llm_base_url="",
                        llm_gguf_path=root / "no.gguf", admin_password=admin_password, max_file_mb=0.5)
    embedder = HashingEmbedder()
    build_ingestor(settings, embedder, build_index(settings)).run([PROJECT_ROOT / "data" / "corpus"])
    app = build_server(build_pipeline(settings, embedder=embedder), settings, max_upload_storage_mb=STORAGE_MB)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.started
    try:
        yield Running(f"http://127.0.0.1:{port}/", settings, temp, app)
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.fixture(scope="module")
def gradio_temp(tmp_path_factory) -> Iterator[Path]:
    with gradio_temp_dir(tmp_path_factory.mktemp("gradio_temp")) as path:
        yield path


@pytest.fixture(scope="module")
def app(tmp_path_factory, gradio_temp: Path) -> Iterator[Running]:
    yield from run_app(tmp_path_factory.mktemp("guard"), PASSWORD, gradio_temp)


@pytest.fixture(scope="module")
def app_without_admin(tmp_path_factory, gradio_temp: Path) -> Iterator[Running]:
    yield from run_app(tmp_path_factory.mktemp("guard_off"), "", gradio_temp)


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@contextlib.contextmanager
def admin_session(app: Running) -> Iterator[httpx.Client]:
    """An HTTP session logged in on the admin page (Gradio's login cookie)."""
    with httpx.Client(base_url=app.url, timeout=30) as session:
        assert session.post("admin/login", data={"username": "admin", "password": PASSWORD}).status_code == 200
        yield session


def call(session: httpx.Client, page: str, api_name: str, data: list) -> tuple[int, str]:
    """A raw Gradio API call (what a hand-written client can send): (status, the event stream or error)."""
    posted = session.post(f"{page}gradio_api/call/{api_name}", json={"data": data})
    if posted.status_code != 200:
        return posted.status_code, posted.text
    return 200, session.get(f"{page}gradio_api/call/{api_name}/{posted.json()['event_id']}").text


# --- Gradio's upload route -------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["", "en/", "vi/"])
def test_public_pages_take_no_upload_and_keep_nothing(app: Running, page: str) -> None:
    before = files_in(app.temp)
    response = httpx.post(f"{app.url}{page}gradio_api/upload", files={"files": ("a.txt", b"x" * 1000)})
    assert response.status_code == 403 and "admin page only" in response.text
    response = httpx.post(f"{app.url}{page}gradio_api/process_recording", files={"video": ("a.mp4", b"x")})
    assert response.status_code == 403
    assert files_in(app.temp) == before


def test_the_admin_upload_route_needs_the_login(app: Running) -> None:
    before = files_in(app.temp)
    anonymous = httpx.post(f"{app.url}admin/gradio_api/upload", files={"files": ("a.txt", b"hello")})
    forged = httpx.post(f"{app.url}admin/gradio_api/upload", files={"files": ("a.txt", b"hello")},
                        cookies={"access-token-unsecure-x": "guess"})
    assert anonymous.status_code == forged.status_code == 403 and "admin login" in anonymous.text
    wrong = httpx.post(f"{app.url}admin/login", data={"username": "admin", "password": "wrong"})
    assert wrong.status_code == 400
    assert files_in(app.temp) == before
    with admin_session(app) as session:
        response = session.post("admin/gradio_api/upload", files={"files": ("a.txt", b"hello")})
        assert response.status_code == 200
        stored = Path(response.json()[0])
        assert stored.is_relative_to(app.temp) and stored.read_bytes() == b"hello"
        request = session.build_request("POST", "admin/gradio_api/upload", content=iter([b"x"]),
                                        headers={"content-type": "multipart/form-data; boundary=x"})
        assert session.send(request).status_code == 411  # no declared size


def test_uploads_are_refused_everywhere_when_uploads_are_off(app_without_admin: Running) -> None:
    app = app_without_admin
    before = files_in(app.temp)
    for page in ("", "en/", "admin/"):
        response = httpx.post(f"{app.url}{page}gradio_api/upload", files={"files": ("a.txt", b"hello")})
        assert response.status_code == 403 and "turned off" in response.text
    assert files_in(app.temp) == before
    assert httpx.get(f"{app.url}admin/").status_code == 404 or "cchc-upload" not in httpx.get(f"{app.url}admin/").text


def test_the_storage_cap_refuses_what_would_not_fit(app: Running) -> None:
    with admin_session(app) as session:
        big = b"x" * int(STORAGE_MB * 1024 * 1024 + 10)
        response = session.post("admin/gradio_api/upload", files={"files": ("big.txt", big)})
        assert response.status_code == 413 and "storage is full" in response.text
    assert not [p for p in files_in(app.temp) if p.name == "big.txt"]


# --- ingesting through the admin page ------------------------------------------------------------------------
def test_admin_ingest_takes_uploaded_files_and_leaves_no_temporary_copy(app: Running, tmp_path: Path) -> None:
    doc = tmp_path / "Kế hoạch Hà Giang.txt"
    doc.write_text(HA_GIANG_TEXT, encoding="utf-8")
    broken = tmp_path / "hong.pdf"  # passes the name/type/size checks, but is no PDF: the ingester skips it
    broken.write_bytes(b"not a pdf at all")
    admin = Client(f"{app.url}admin/", auth=("admin", PASSWORD), verbose=False)
    report = admin.predict([handle_file(str(doc)), handle_file(str(broken))], api_name="/add_documents")
    assert re.search(r"thêm 1\b", report) and "hong.pdf" in report, report
    assert sorted(p.name for p in files_in(app.uploads)) == [doc.name]  # the skipped one was removed again
    assert not [p for p in files_in(app.temp) if p.name in (doc.name, broken.name)]  # temporary copies gone
    public = Client(app.url, verbose=False)
    result = public.predict("Tỷ lệ người dân hài lòng ở Hà Giang năm 2025 là bao nhiêu?", api_name="/ask")
    assert "93%" in result["answer"] and result["citations"][0]["source"] == doc.name
    with pytest.raises(AppError, match="Invalid file type"):  # Gradio's own check of the suffix
        script = tmp_path / "run.sh"
        script.write_text("echo hi\n")
        admin.predict([handle_file(str(script))], api_name="/add_documents")


def test_a_server_path_is_never_ingested_or_copied(app: Running) -> None:
    readme = {"path": str(PROJECT_ROOT / "README.md"), "meta": {"_type": "gradio.FileData"}, "orig_name": "README.md"}
    with admin_session(app) as session:
        status, stream = call(session, "admin/", "add_documents", [[readme]])
    assert status == 200 and "event: error" in stream and "thêm" not in stream
    anonymous = httpx.Client(base_url=app.url, timeout=30)
    assert call(anonymous, "admin/", "add_documents", [[readme]])[0] == 401
    for page in ("", "en/"):  # the public pages have no such endpoint at all (Gradio: an error, or a reset)
        try:
            with httpx.Client(base_url=app.url, timeout=30) as fresh:
                status, stream = call(fresh, page, "add_documents", [[readme]])
            assert status != 200 or "event: error" in stream
        except httpx.TransportError:
            pass
    assert "README.md" not in [p.name for p in files_in(app.uploads)]
    assert "README.md" not in [p.name for p in files_in(app.temp)]
    docs = Client(app.url, verbose=False).predict(api_name="/documents")
    assert "README.md" not in {d["source"] for d in docs}


def test_the_public_pages_have_no_upload_component(app: Running) -> None:
    for page in ("", "en/"):
        config = httpx.get(f"{app.url}{page}config").json()
        assert not [c for c in config["components"] if c["type"] == "file"]
        names = {d.get("api_name") for d in config["dependencies"]}
        assert "add_documents" not in names and "ask" in names
    assert "cchc-admin-link" in str(httpx.get(f"{app.url}config").json())


# --- the pieces ----------------------------------------------------------------------------------------------
def test_staging_keeps_the_uploads_folder_under_its_cap(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name, size in (("a.txt", 600), ("b.txt", 600), ("c.txt", 300)):
        (src / name).write_bytes(b"x" * size)
    staged = stage_uploads([src / "a.txt", src / "b.txt", src / "c.txt"], tmp_path / "up", 1000, max_total_bytes=1000)
    assert [p.name for p in staged.accepted] == ["a.txt", "c.txt"]
    assert "does not fit" in str(dict(staged.rejected)["b.txt"])
    again = stage_uploads([src / "a.txt"], tmp_path / "up", 1000, max_total_bytes=1000)  # replaces itself: fits
    assert [p.name for p in again.accepted] == ["a.txt"]


def test_discarding_never_touches_files_outside_the_temporary_folder(tmp_path: Path) -> None:
    temp, outside = tmp_path / "temp", tmp_path / "keep.txt"
    (temp / "h1").mkdir(parents=True)
    inside = temp / "h1" / "up.txt"
    inside.write_text("x")
    outside.write_text("y")
    assert discard_temporary([inside, outside, temp / ".." / "keep.txt"], temp) == 1
    assert not inside.exists() and not (temp / "h1").exists() and outside.exists() and temp.exists()


def test_storage_counts_the_folder_pending_uploads_and_reservations(tmp_path: Path) -> None:
    folder, pending = tmp_path / "up", tmp_path / "pending.txt"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"x" * 300)
    pending.write_bytes(b"x" * 200)
    storage = UploadStorage(1000, folder, lambda: [str(pending), str(tmp_path / "gone.txt")])
    assert storage.used() == 500
    assert storage.reserve(400) and not storage.reserve(200)
    storage.release(400)
    assert storage.reserve(500)
    with pytest.raises(ValueError):
        UploadStorage(0, folder)
