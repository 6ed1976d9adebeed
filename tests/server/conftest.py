"""Real servers on loopback: emotive's app under uvicorn in a thread, and a small
OpenAI-compatible upstream (http.server) whose behaviour a test sets: normal, slow, 5xx,
malformed JSON, a stream cut mid-way; it records every request it gets."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

REPLY = "That sounds really hard. What happened next?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Upstream:
    """A loopback OpenAI-compatible chat server. ``mode``: ok, slow, error500, malformed,
    cut (a stream that stops mid-way); ``delay``: seconds before answering."""

    def __init__(self) -> None:
        self.mode, self.delay, self.requests = "ok", 0.0, []  # type: ignore[var-annotated]
        self.headers: list[dict[str, str]] = []
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                upstream.requests.append(body)
                upstream.headers.append(dict(self.headers))
                upstream.answer(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        if self.delay or self.mode == "slow":
            time.sleep(self.delay or 5.0)
        if self.mode == "error500":
            return _send(h, 500, b'{"error": {"message": "boom"}}', "application/json")
        if self.mode == "malformed":
            return _send(h, 200, b'{"choices": [', "application/json")
        if not body.get("stream"):
            data = {"id": "x", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 8, "total_tokens": 18}}
            return _send(h, 200, json.dumps(data).encode(), "application/json")
        return self._stream(h, body)

    def _stream(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        words = REPLY.split(" ")
        for i, word in enumerate(words):
            if self.mode == "cut" and i == 3:
                h.wfile.flush()
                h.close_connection = True
                return
            piece = word if i == 0 else " " + word
            data = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            h.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            h.wfile.flush()
        h.wfile.write(b'data: {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n')
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
        h.close_connection = True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
    h.send_response(status)
    h.send_header("Content-Type", kind)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


class Served:
    """An app under a real uvicorn server in a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


@pytest.fixture(scope="session")
def shared_analyzer():  # type: ignore[no-untyped-def]
    """The shipped analyzer, loaded once for the server tests."""
    from emotive import Analyzer

    return Analyzer(threads=1)


@pytest.fixture
def serve():  # type: ignore[no-untyped-def]
    """``serve(app)`` -> a running ``Served``; every one is stopped after the test."""
    started: list[Served] = []

    def start(app: Any) -> Served:
        started.append(Served(app))
        return started[-1]

    yield start
    for s in started:
        s.close()
