"""A stand-in for an OpenAI-compatible chat endpoint that streams its answer slowly, one word every
``DELAY_S``: long enough for a user (a browser test) to press the stop button mid-answer."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ("Theo Kế hoạch 2943/KH-UBND, tỉnh Lai Châu đặt mục tiêu cắt giảm tối thiểu 20% chi phí tuân thủ "
         "quy định đến năm 2025 [1]. ") * 8
DELAY_S = 0.4


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet: the test output is the app's
        pass

    def do_GET(self) -> None:  # /v1/models
        self._json({"object": "list", "data": [{"id": "slow", "object": "model"}]})

    def do_POST(self) -> None:  # /v1/chat/completions, streamed as server-sent events
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        if not request.get("stream"):
            self._json({"id": "c", "object": "chat.completion", "created": 0, "model": "slow",
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": WORDS},
                                     "finish_reason": "stop"}]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        try:
            for word in WORDS.split(" "):
                self._event({"content": word + " "}, None)
                time.sleep(DELAY_S)
            self._event({}, "stop")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the app stopped reading: the user pressed stop
            pass

    def _event(self, delta: dict, finish: str | None) -> None:
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "slow",
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        self.wfile.flush()

    def _json(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def start() -> tuple[ThreadingHTTPServer, str]:
    """The server on a free loopback port, serving in a daemon thread; returns it and its /v1 base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"
