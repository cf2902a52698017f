"""What may upload files to the server: the admin page, for a logged-in admin, within a storage cap.

Gradio gives every page a file-upload route (``<page>/gradio_api/upload``, and ``process_recording``) that
stores whatever it is sent in its temporary folder, without asking who sends it unless the page has a
login. ``UploadGuard`` (ASGI middleware in front of all pages) refuses those requests with 403 unless they
are for the admin page and carry that page's login cookie, with 411 when the size is not declared, and with
413 when the upload would take the stored uploads (``UploadStorage``) past their cap.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.app.upload import folder_bytes

UPLOAD_ROUTE = re.compile(r"/gradio_api/(upload|process_recording)/?$")

Scope = dict
Receive = Callable
Send = Callable


class UploadStorage:
    """The bytes uploads take: the stored uploads folder, Gradio's temporary copies not yet processed, and the
    uploads in progress (reserved by their declared size until they end)."""

    def __init__(self, cap_bytes: int, folder: Path, pending: Callable[[], Iterable[str]] = lambda: ()) -> None:
        if cap_bytes <= 0:
            raise ValueError(f"The upload storage cap must be greater than 0 bytes. Currently it is {cap_bytes}")
        self.cap_bytes = cap_bytes
        self.folder = Path(folder)
        self.pending = pending
        self._reserved = 0
        self._lock = threading.Lock()

    def used(self) -> int:
        total = folder_bytes(self.folder)
        for path in list(self.pending()):
            try:
                total += Path(path).stat().st_size
            except OSError:  # processed and deleted meanwhile
                continue
        return total

    def reserve(self, size: int) -> bool:
        """Room for ``size`` more bytes: reserved (True) until ``release``; or no room (False)."""
        with self._lock:
            if self.used() + self._reserved + size > self.cap_bytes:
                return False
            self._reserved += size
            return True

    def release(self, size: int) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - size)


class UploadGuard:
    """ASGI middleware: lets an upload through only to ``admin_prefix`` (None: uploads are off), from a session
    ``is_admin`` accepts, with a declared size that fits in ``storage``."""

    def __init__(self, app, admin_prefix: str | None, is_admin: Callable[[str | None], bool],
                 cookie_names: Callable[[], Iterable[str]], storage: UploadStorage | None) -> None:
        self.app = app
        self.admin_prefix = admin_prefix.rstrip("/") + "/" if admin_prefix else None
        self.is_admin = is_admin
        self.cookie_names = cookie_names
        self.storage = storage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not UPLOAD_ROUTE.search(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        status, message, size = self._check(scope)
        if status:
            await _plain_response(send, status, message)
            return
        assert self.storage is not None and size is not None
        if not self.storage.reserve(size):
            await _plain_response(send, 413, f"Upload storage is full (cap {self.storage.cap_bytes / 1048576:g} MB): "
                                             "ingest or remove uploaded files first.")
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.storage.release(size)

    def _check(self, scope: Scope) -> tuple[int, str, int | None]:
        path = scope.get("path", "")
        if self.admin_prefix is None or self.storage is None:
            return 403, "Uploads are turned off on this server.", None
        if not path.startswith(self.admin_prefix):
            return 403, "Uploads are accepted on the admin page only.", None
        token = _cookie(scope, self.cookie_names())
        if not self.is_admin(token):
            return 403, "Uploads need an admin login.", None
        declared = _header(scope, b"content-length")
        if declared is None or not declared.isdigit():
            return 411, "An upload must declare its size (Content-Length).", None
        return 0, "", int(declared)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


def _cookie(scope: Scope, names: Iterable[str]) -> str | None:
    """The first of the cookies ``names`` the request carries (plain ``name=value`` pairs, as browsers send)."""
    pairs = (part.strip().partition("=") for part in (_header(scope, b"cookie") or "").split(";"))
    cookies = {name: value.strip('"') for name, _, value in pairs if name}
    return next((cookies[name] for name in names if cookies.get(name)), None)


async def _plain_response(send: Send, status: int, message: str) -> None:
    body = message.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
