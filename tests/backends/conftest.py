"""A real HTTP server on loopback whose replies a test scripts, and a tiny local causal LM."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

Action = Callable[[BaseHTTPRequestHandler, dict[str, Any]], None]


@dataclass
class Request:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Loopback:
    """The running server: ``script`` sets its replies in order (the last one repeats)."""

    port: int
    actions: list[Action] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, *actions: Action) -> None:
        self.actions = list(actions)

    def next_action(self) -> Action:
        index = min(len(self.requests) - 1, len(self.actions) - 1)
        return self.actions[index]


def _handler_for(server: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                body = json.loads(raw)
            except json.JSONDecodeError:
                body = raw
            server.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            try:
                server.next_action()(self, body if isinstance(body, dict) else {})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as some tests want

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    """A ThreadingHTTPServer on 127.0.0.1, a free port, in a daemon thread."""
    state = Loopback(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port with nothing listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- scripted replies ------------------------------------------------------------------


def send(handler: BaseHTTPRequestHandler, status: int, payload: bytes, headers: dict[str, str] | None = None,
         content_type: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(payload)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(payload)


def reply(content: str = "Hello there.", status: int = 200, headers: dict[str, str] | None = None) -> Action:
    """A whole chat completion, or any JSON body when ``content`` is not a str."""
    def act(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        data = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}]}
        send(handler, status, json.dumps(data).encode(), headers)
    return act


def json_body(status: int, data: Any, headers: dict[str, str] | None = None) -> Action:
    return lambda handler, body: send(handler, status, json.dumps(data).encode(), headers)


def raw_body(status: int, payload: bytes, content_type: str = "application/json") -> Action:
    return lambda handler, body: send(handler, status, payload, content_type=content_type)


def sse_lines(pieces: list[str], finish: bool = True, done: bool = True) -> list[bytes]:
    chunks = [{"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]}]
    chunks += [{"choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]} for p in pieces]
    if finish:
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    lines = [f"data: {json.dumps(c)}\n\n".encode() for c in chunks]
    return lines + ([b"data: [DONE]\n\n"] if done else [])


def start_sse(handler: BaseHTTPRequestHandler, length: int | None = None) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "text/event-stream")
    if length is not None:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()


def sse(pieces: list[str], finish: bool = True, done: bool = True, pause: float = 0.0) -> Action:
    """A streamed reply; the connection closes after the last line (HTTP/1.0)."""
    def act(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        start_sse(handler)
        for line in sse_lines(pieces, finish, done):
            handler.wfile.write(line)
            time.sleep(pause)
    return act


def sse_truncated(pieces: list[str], promised_extra: int = 500) -> Action:
    """A stream that promises more bytes than it sends, then closes: an incomplete body."""
    def act(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        lines = b"".join(sse_lines(pieces, finish=False, done=False))
        start_sse(handler, length=len(lines) + promised_extra)
        handler.wfile.write(lines)
    return act


def slow(seconds: float, then: Action) -> Action:
    def act(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        time.sleep(seconds)
        then(handler, body)
    return act


def trickle(interval: float, total: float) -> Action:
    """A stream that sends a piece every ``interval`` seconds for ``total`` seconds, never finishing."""
    def act(handler: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        start_sse(handler)
        end = time.monotonic() + total
        while time.monotonic() < end:
            handler.wfile.write(sse_lines(["."], finish=False, done=False)[1])
            time.sleep(interval)
    return act


class Do:
    """The scripted replies, for tests (conftest modules are not importable under importlib mode)."""

    reply = staticmethod(reply)
    json_body = staticmethod(json_body)
    raw_body = staticmethod(raw_body)
    sse = staticmethod(sse)
    sse_truncated = staticmethod(sse_truncated)
    slow = staticmethod(slow)
    trickle = staticmethod(trickle)
    send = staticmethod(send)
    start_sse = staticmethod(start_sse)


@pytest.fixture
def do() -> type[Do]:
    return Do


# -- a tiny local causal LM ------------------------------------------------------------

SENTENCES = ["i feel sad today", "that sounds really hard", "i am here for you",
             "thank you for telling me", "system: be kind", "user: hello", "assistant: hi"]


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-layer random GPT-2 with a word-level tokenizer trained here, saved with save_pretrained."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    transformers.utils.logging.disable_progress_bar()
    out = tmp_path_factory.mktemp("tiny_lm")
    words = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    words.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    words.train_from_iterator(SENTENCES, trainers.WordLevelTrainer(special_tokens=["[UNK]", "[EOS]"]))
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=words, unk_token="[UNK]",
                                                     eos_token="[EOS]", pad_token="[EOS]")
    tokenizer.save_pretrained(out)
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=len(tokenizer), n_layer=1, n_embd=16, n_head=2, n_positions=128,
                                     bos_token_id=1, eos_token_id=1, pad_token_id=1)
    transformers.GPT2LMHeadModel(config).save_pretrained(out)
    return out
