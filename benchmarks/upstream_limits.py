"""Upstream limits of the OpenAI-compatible backend, before and after, against real loopback servers.

Side by side in one run: the backend as of git revision ``--before`` (default ``231fa62``,
loaded at run time from ``git show REV:src/emotive/backends/openai_http.py`` into a
temporary module; without git or the revision only the current one is measured, and the
results say so) and the current ``emotive.backends.openai_http``. Every case talks HTTP to
a real ``ThreadingHTTPServer`` on 127.0.0.1:

1. ``hung``: the server reads the request and never answers. ``timeout=2, retries=2,
   backoff=0.5``; the current backend also ``deadline=2``, sync and async
   (``OpenAIBackend(...).async_form().generate`` under ``asyncio.run``). Wall seconds, error.
2. ``big``: a 5 MB reply without Content-Length (HTTP/1.0, ends when the server closes).
   Accepted or refused, seconds, and how many bytes the server wrote before the client went
   away (the kernel's socket buffers on loopback take a few MB the client never reads).
3. ``endless-stream``: server-sent events that never end. The current backend stops at
   ``max_reply_bytes`` (1 MiB); a backend still reading after ``--stream-cap`` seconds is
   stopped by this script and reported as ``still reading``.
4. ``breaker``: 5 upstream HTTP 503s (``retries=0``), then ``--calls`` calls while the
   breaker is open (microseconds per call, error, breaker state, requests that reached the
   server); then, after ``breaker_reset=1`` s, one probe against a healthy server closes it.
   The old backend, which has no breaker, makes the same calls against the 503 server.

Every call is also bounded by ``--case-cap`` seconds in a worker thread, so a run ends
within about a minute whatever the backend does.

    python benchmarks/upstream_limits.py
    python benchmarks/upstream_limits.py --before HEAD~1
    python benchmarks/upstream_limits.py --before none        # the current backend only
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results

import emotive.backends.openai_http as current

SOURCE = "src/emotive/backends/openai_http.py"
HI = [{"role": "user", "content": "hi"}]
BIG_BYTES = 5 * 1024 * 1024
BLOCK = 65536
HUNG = {"timeout": 2.0, "retries": 2, "backoff": 0.5}
PACKAGES = ("httpx", "pydantic")
SERVER_CAP = 30.0  # seconds a handler may hang or stream before it gives up on its own


def _reply(content: str) -> bytes:
    return json.dumps({"choices": [{"message": {"content": content}, "finish_reason": "stop"}]}).encode()


SSE_CHUNK = ("data: " + json.dumps({"choices": [{"delta": {"content": "x" * 1000}, "finish_reason": None}]})
             + "\n\n").encode()


# -- the upstream ----------------------------------------------------------------------


class Upstream:
    """A loopback OpenAI-compatible server whose behaviour is ``mode``: ``hang``, ``big``,
    ``sse``, ``503`` or ``ok``; it counts requests and the bytes each reply managed to write."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests = 0
        self.records: list[dict[str, Any]] = []
        self.release = threading.Event()
        self.big = _reply("x" * (BIG_BYTES - len(_reply(""))))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def last_written(self, wait: float = 5.0) -> int | None:
        """Bytes the last big or streamed reply wrote, once its handler has finished."""
        if not self.records:
            return None
        record = self.records[-1]
        record["done"].wait(wait)
        return int(record["bytes"])

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server spelling)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            upstream.requests += 1
            mode = upstream.mode
            if mode == "hang":
                upstream.release.wait(SERVER_CAP)
            elif mode in ("503", "ok"):
                body = b'{"error": {"message": "overloaded"}}' if mode == "503" else _reply("ok")
                self.send_response(503 if mode == "503" else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self._write_until_gone(mode)

        def _write_until_gone(self, mode: str) -> None:
            """The big body or endless events, no Content-Length, until done or the client is gone."""
            record = {"bytes": 0, "done": threading.Event()}
            upstream.records.append(record)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if mode == "sse" else "application/json")
            self.end_headers()
            started = time.monotonic()
            try:
                if mode == "big":
                    for i in range(0, len(upstream.big), BLOCK):
                        record["bytes"] += self.wfile.write(upstream.big[i:i + BLOCK]) or 0
                else:
                    while not upstream.release.is_set() and time.monotonic() - started < SERVER_CAP:
                        record["bytes"] += self.wfile.write(SSE_CHUNK) or 0
            except OSError:
                pass
            finally:
                record["done"].set()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


# -- running one bounded call -----------------------------------------------------------


def bounded(fn: Callable[[], Any], cap: float) -> dict[str, Any]:
    """``fn()`` in a worker thread, given up after ``cap`` seconds: its outcome (``ok`` or the
    error's type), the error's message, the wall seconds and what it returned."""
    out: dict[str, Any] = {"outcome": f"did not finish in {cap:g} s", "error": None, "value": None}

    def work() -> None:
        try:
            out["value"] = fn()
            out["outcome"] = "ok"
        except Exception as exc:  # noqa: BLE001 (the error is the measurement)
            out["outcome"], out["error"] = type(exc).__name__, str(exc)[:300]

    start = time.perf_counter()
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(cap)
    out["seconds"] = round(time.perf_counter() - start, 3)
    return out


def row(case: str, backend: str, form: str, result: dict[str, Any], **detail: Any) -> dict[str, Any]:
    outcome = detail.pop("outcome", result["outcome"])
    return {"case": case, "backend": backend, "form": form, "outcome": outcome, "seconds": result["seconds"],
            "error": result["error"], **detail}


# -- the cases --------------------------------------------------------------------------


def hung(up: Upstream, old: ModuleType | None, label: str, cap: float) -> list[dict[str, Any]]:
    up.mode = "hang"
    rows = []
    if old is not None:
        rows.append(row("hung", label, "sync", bounded(lambda: _generate(old.OpenAIBackend(base_url=up.url, **HUNG)),
                                                         cap), settings="timeout=2 retries=2 backoff=0.5"))
    settings = "timeout=2 retries=2 backoff=0.5 deadline=2"
    new = {"base_url": up.url, **HUNG, "deadline": 2.0}
    rows.append(row("hung", "current", "sync", bounded(lambda: _generate(current.OpenAIBackend(**new)), cap),
                    settings=settings))
    rows.append(row("hung", "current", "async", bounded(lambda: asyncio.run(_agenerate(new)), cap),
                    settings=settings))
    return rows


def _generate(backend: Any) -> str:
    with backend:
        return str(backend.generate(HI).text)


async def _agenerate(options: dict[str, Any]) -> str:
    backend = current.OpenAIBackend(**options).async_form()
    try:
        return (await backend.generate(HI)).text
    finally:
        await backend.aclose()


def big(up: Upstream, old: ModuleType | None, label: str, cap: float) -> list[dict[str, Any]]:
    up.mode = "big"
    rows = []
    backends = ([(label, old.OpenAIBackend)] if old is not None else []) + [("current", current.OpenAIBackend)]
    for name, cls in backends:
        result = bounded(lambda cls=cls: len(_generate(cls(base_url=up.url, retries=0))), cap)
        written = up.last_written()
        outcome = "accepted" if result["outcome"] == "ok" else f"refused ({result['outcome']})"
        rows.append(row("big", name, "sync", result, outcome=outcome, reply_chars=result["value"],
                        server_wrote_bytes=written, reply_bytes=len(up.big),
                        max_reply_bytes=current.OpenAIOptions().max_reply_bytes if name == "current" else None))
        time.sleep(0.2)
    return rows


def endless(up: Upstream, old: ModuleType | None, label: str, cap: float,
            stream_cap: float) -> list[dict[str, Any]]:
    up.mode = "sse"
    rows = []
    backends = ([(label, old.OpenAIBackend)] if old is not None else []) + [("current", current.OpenAIBackend)]
    for name, cls in backends:
        seen = {"chars": 0, "stopped": False}
        result = bounded(lambda cls=cls, seen=seen: _read_stream(cls(base_url=up.url, retries=0), stream_cap, seen),
                         cap)
        outcome = (f"still reading after {stream_cap:g} s (stopped here)" if seen["stopped"]
                   else result["outcome"] if result["outcome"] != "ok" else "ended")
        rows.append(row("endless-stream", name, "sync", result, outcome=outcome, chars_received=seen["chars"],
                        server_wrote_bytes=up.last_written()))
        time.sleep(0.2)
    return rows


def _read_stream(backend: Any, stream_cap: float, seen: dict[str, Any]) -> None:
    """Read ``backend.stream`` until it ends or fails, or stop it after ``stream_cap`` seconds."""
    start = time.monotonic()
    with backend:
        pieces = backend.stream(HI)
        try:
            for piece in pieces:
                seen["chars"] += len(piece)
                if time.monotonic() - start > stream_cap:
                    seen["stopped"] = True
                    return
        finally:
            pieces.close()


def breaker(up: Upstream, old: ModuleType | None, label: str, cap: float, calls: int) -> list[dict[str, Any]]:
    up.mode = "503"
    rows = []
    if old is not None:
        with old.OpenAIBackend(base_url=up.url, retries=0) as backend:
            rows.append(_fail_fast(up, backend, label, calls, cap, state=lambda: "(no breaker)"))
    with current.OpenAIBackend(base_url=up.url, retries=0, breaker_failures=5, breaker_reset=1.0) as backend:
        first = [bounded(lambda: backend.generate(HI), cap) for _ in range(5)]
        rows.append(row("breaker: 5 x HTTP 503", "current", "sync",
                        {**first[-1], "seconds": round(sum(r["seconds"] for r in first), 3)},
                        outcome=", ".join(sorted({r["outcome"] for r in first})),
                        seconds_each=[r["seconds"] for r in first], state=backend.breaker.state))
        opened = time.monotonic()
        rows.append(_fail_fast(up, backend, "current", calls, cap, state=lambda: backend.breaker.state))
        time.sleep(max(0.0, opened + 1.05 - time.monotonic()))
        before = backend.breaker.state
        up.mode = "ok"
        probe = bounded(lambda: backend.generate(HI).text, cap)
        rows.append(row("breaker: probe after reset", "current", "sync", probe, state_before=before,
                        state=backend.breaker.state, reply=probe["value"]))
    return rows


def _fail_fast(up: Upstream, backend: Any, name: str, calls: int, cap: float,
               state: Callable[[], str]) -> dict[str, Any]:
    """``calls`` calls against a failing upstream (stopping at ``cap`` seconds): time per call."""
    requests = up.requests
    kinds: set[str] = set()
    start = time.perf_counter()
    made = 0
    while made < calls and time.perf_counter() - start < cap:
        try:
            backend.generate(HI)
            kinds.add("ok")
        except Exception as exc:  # noqa: BLE001 (the error is the measurement)
            kinds.add(type(exc).__name__)
        made += 1
    seconds = time.perf_counter() - start
    result = {"outcome": ", ".join(sorted(kinds)), "error": None, "seconds": round(seconds, 3)}
    return row(f"breaker: {calls} calls while failing", name, "sync", result, calls=made,
               us_per_call=round(seconds / max(made, 1) * 1e6, 1), state=state(),
               requests_reaching_server=up.requests - requests)


# -- loading the old backend --------------------------------------------------------------


def load_before(rev: str) -> tuple[ModuleType | None, str]:
    """The backend module as of ``rev``, or None and why not."""
    if rev.lower() in ("", "none"):
        return None, "not asked for (--before none)"
    try:
        found = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", f"{rev}^{{commit}}"],
                               capture_output=True, text=True, timeout=30)
        shown = subprocess.run(["git", "-C", str(REPO_ROOT), "show", f"{rev}:{SOURCE}"],
                               capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"git is not available ({exc})"
    if found.returncode or shown.returncode:
        return None, f"revision {rev} or its {SOURCE} is not available: {(found.stderr or shown.stderr).strip()}"
    with tempfile.TemporaryDirectory(prefix="upstream-") as tmp:
        path = Path(tmp) / "openai_http_before.py"
        path.write_text(shown.stdout, encoding="utf-8")
        spec = importlib.util.spec_from_file_location("emotive.backends._openai_http_before", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 (an old file that no longer imports is reported, not fatal)
            return None, f"{SOURCE} of {rev} does not import against today's emotive ({type(exc).__name__}: {exc})"
    return module, found.stdout.strip()


# -- output ---------------------------------------------------------------------------------


def detail(r: dict[str, Any]) -> str:
    if r["case"] == "big":
        chars = f"{r['reply_chars']:,} chars read; " if r["reply_chars"] is not None else ""
        if r["reply_chars"] is None and r.get("max_reply_bytes"):
            chars = f"stopped reading past max_reply_bytes={r['max_reply_bytes']:,}; "
        return f"{chars}server wrote {r['server_wrote_bytes']:,} of {r['reply_bytes']:,} bytes"
    if r["case"] == "endless-stream":
        return f"{r['chars_received']:,} chars received; server wrote {r['server_wrote_bytes']:,} bytes"
    if "us_per_call" in r:
        return (f"{r['calls']} calls, {r['us_per_call']:,} µs each, {r['requests_reaching_server']} reached the "
                f"server; state {r['state']}")
    if "seconds_each" in r:
        return "s each: " + ", ".join(f"{s:.3f}" for s in r["seconds_each"]) + f"; state {r['state']}"
    if "state_before" in r:
        return f"state {r['state_before']} -> {r['state']}; reply {r['reply']!r}"
    return r.get("settings", "")


def markdown(payload: dict[str, Any]) -> str:
    rows = [(r["case"], r["backend"], r["form"], r["outcome"], f"{r['seconds']:.3f}", detail(r))
            for r in payload["results"]]
    machine = payload["machine"]
    return "\n".join([
        "# Upstream limits of the OpenAI-compatible backend", "",
        f"{payload['date']}. Real HTTP to a loopback `ThreadingHTTPServer`; " + (
            f"`{payload['before_label']}` is `{SOURCE}` as of that revision (loaded with `git show`), "
            if payload["before_loaded"] else f"the old backend is {payload['before_note']}; ")
        + "`current` is the working tree's. "
        "hung: the server never answers; big: a 5 MB reply without Content-Length; endless-stream: "
        "server-sent events that never end; breaker: HTTP 503s, then calls while the breaker is open, "
        f"then one probe after `breaker_reset=1` s. Every call is bounded by {payload['case_cap_s']:g} s.", "",
        markdown_table(["case", "backend", "form", "outcome", "wall s", "detail"], rows), "",
        "The server's byte count includes what the kernel's loopback socket buffers took before the "
        "client closed the connection; the client read at most what `chars read/received` says.", "",
        "## Setup", "",
        f"- Machine: {machine['cpu_count']} CPUs ({machine['processor']}), {machine['platform']}, "
        f"Python {machine['python']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in machine["packages"].items()),
        f"- Command: `{payload['command']}`",
    ])


def run_cases(up: Upstream, old: ModuleType | None, label: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    steps: Sequence[tuple[str, Callable[[], list[dict[str, Any]]]]] = [
        ("hung upstream", lambda: hung(up, old, label, args.case_cap)),
        ("5 MB reply without Content-Length", lambda: big(up, old, label, args.case_cap)),
        ("endless stream", lambda: endless(up, old, label, args.case_cap, args.stream_cap)),
        ("circuit breaker", lambda: breaker(up, old, label, args.case_cap, args.calls)),
    ]
    for name, step in steps:
        rows = step()
        for r in rows:
            log(f"{name}: {r['backend']} {r['form']}: {r['outcome']} in {r['seconds']} s; {detail(r)}")
        results += rows
    return results


def current_ok(results: list[dict[str, Any]]) -> bool:
    """Whether the current backend kept every limit: deadline, size, breaker."""
    mine = {(r["case"], r["form"]): r for r in results if r["backend"] == "current"}
    probe = mine.get(("breaker: probe after reset", "sync"), {})
    return (all(mine[("hung", f)]["seconds"] < 3.0 for f in ("sync", "async"))
            and mine[("big", "sync")]["outcome"].startswith("refused")
            and mine[("endless-stream", "sync")]["outcome"] == "BackendProtocolError"
            and probe.get("outcome") == "ok" and probe.get("state") == "closed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="231fa62", help="git revision of the old backend, or 'none'")
    parser.add_argument("--calls", type=int, default=1000, help="calls made while the breaker is open (default 1000)")
    parser.add_argument("--stream-cap", type=float, default=3.0,
                        help="seconds an endless stream is read before this script stops it (default 3)")
    parser.add_argument("--case-cap", type=float, default=15.0, help="seconds any one call may take (default 15)")
    parser.add_argument("--name", default="upstream_limits", help="results file name")
    args = parser.parse_args(argv)
    old, note = load_before(args.before)
    label = f"before {note}" if old is not None else "before"
    log(f"old backend: {note if old is None else 'revision ' + note}")
    up = Upstream()
    try:
        results = run_cases(up, old, label, args)
    finally:
        up.stop()
    payload = {"benchmark": "upstream_limits", "date": utc_now(), "command": command_line(),
               "before": args.before, "before_label": label, "before_loaded": old is not None,
               "before_note": "loaded with git show" if old is not None else f"not measured: {note}",
               "case_cap_s": args.case_cap, "stream_cap_s": args.stream_cap,
               "machine": machine_info(PACKAGES), "results": results, "current_ok": current_ok(results)}
    json_path, md_path = write_results(args.name, payload, markdown(payload))
    log(f"wrote {json_path} and {md_path}")
    return 0 if payload["current_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
