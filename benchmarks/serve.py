"""``emotive serve`` under a bounded loopback load: analyze latency and throughput, the chat
proxy's added latency, fuzzing against the served schema, and upstream faults.

Writes ``benchmarks/results/serve.{json,md}``. Every server is a real ``emotive serve``
subprocess on 127.0.0.1; the clients are httpx (asyncio) in this process.

1. ``/v1/analyze``, 1 text per request, at 1, 8 and 32 concurrent clients for ``--seconds``
   each: req/s, p50/p95/p99, errors; beside the library's own single-text p95
   (``Analyzer.analyze(text)``, one at a time) and its batch throughput
   (``Analyzer.analyze(list of 32)``), measured in the same run with the same threads.
   Targets: p95 at 1 client <= 3x the library's single-text p95; req/s at 32 clients >=
   60% of the batch throughput; 0 errors.
2. The proxy against a loopback upstream that answers after ``--upstream-delay-ms``: the
   latency it adds (p95 through emotive minus p95 direct, whole replies, per preset), the
   first-token delay it adds (streaming), and errors at 16 concurrent streams.
3. Faults: the upstream down, slow (beyond ``--upstream-timeout``), answering 500,
   malformed JSON, a stream cut mid-way: status, error code and seconds, and whether the
   next normal request is served.
4. schemathesis against the served ``/openapi.json`` (every operation, ``--fuzz-examples``
   per operation, >= 500 cases in all): server errors other than the documented
   502/503/504, and schema violations.

    python benchmarks/serve.py [--seconds 8] [--threads 2] [--fuzz-examples 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, percentile, utc_now, write_results  # noqa: E402

USER_TURNS = [
    "My dog died this morning and I can't stop crying.",
    "I got the job!! I start on Monday and I'm so nervous and excited.",
    "My landlord is evicting us and I don't know where we'll go.",
    "I failed my driving test again, third time this year.",
    "My best friend stopped talking to me and I don't know why.",
    "Work has been so stressful, my boss yells at me every day.",
]
REPLY = "That sounds really hard. I'm here with you. What happened next?"
CHECKS_OFF = "positive_data_acceptance"  # a schema-valid body may still break a documented 422 rule


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- texts and the library baseline -----------------------------------------------------------
def sample_texts(n: int = 2000) -> list[str]:
    """GoEmotions test texts when the corpus is there, else the user turns above."""
    try:
        from emotive.datasets import goemotions

        texts = [row.text for _, row in zip(range(n), goemotions.read("test"))]
        if texts:
            return texts
    except Exception as exc:  # no corpus here: the fixed texts still measure the server
        log(f"GoEmotions not found ({type(exc).__name__}); using built-in texts")
    return USER_TURNS * (n // len(USER_TURNS))


def library_baseline(texts: list[str], threads: int, seconds: float) -> dict[str, Any]:
    from emotive import Analyzer

    analyzer = Analyzer(threads=threads)
    for t in texts[:20]:
        analyzer.analyze(t)
    single = []
    for t in texts[:400]:
        start = time.perf_counter()
        analyzer.analyze(t)
        single.append((time.perf_counter() - start) * 1000)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        batch = texts[done % (len(texts) - 32):][:32]
        analyzer.analyze(batch)
        done += len(batch)
    rate = done / (time.perf_counter() - start)
    return {"single_p50_ms": round(percentile(single, 50), 2), "single_p95_ms": round(percentile(single, 95), 2),
            "batch32_texts_per_s": round(rate, 1), "threads": threads}


# -- servers ------------------------------------------------------------------------------------
@contextmanager
def emotive_serve(*options: str) -> Iterator[str]:
    """``emotive serve`` in a subprocess; yields its URL once ``/readyz`` says ready."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "emotive", "serve", "--port", str(port), "--warm",
                             "--log-level", "warning", *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"emotive serve exited: {proc.stderr.read() if proc.stderr else ''}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("emotive serve did not become ready in 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class DelayedUpstream:
    """An OpenAI-compatible upstream on loopback that answers after a fixed delay. The
    requested model name picks a fault: ``fault-500``, ``fault-malformed``, ``fault-slow``,
    ``fault-cut`` (a stream that stops after 3 pieces)."""

    def __init__(self, delay_s: float):
        self.delay, self.count = delay_s, 0
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                upstream.count += 1
                upstream.answer(self, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, h: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        model = body.get("model", "")
        time.sleep(60 if model == "fault-slow" else self.delay)
        if model == "fault-500":
            return _send(h, 500, b'{"error": {"message": "internal"}}')
        if model == "fault-malformed":
            return _send(h, 200, b'{"choices": [{"message": ')
        if not body.get("stream"):
            data = {"choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY},
                                 "finish_reason": "stop"}], "model": model}
            return _send(h, 200, json.dumps(data).encode())
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        for i, word in enumerate(REPLY.split(" ")):
            if model == "fault-cut" and i == 3:
                break
            piece = {"choices": [{"index": 0, "delta": {"content": (" " if i else "") + word}}]}
            h.wfile.write(f"data: {json.dumps(piece)}\n\n".encode())
            h.wfile.flush()
        else:
            h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
        h.close_connection = True

    def close(self) -> None:
        self.server.shutdown()


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


# -- 1. analyze under load ------------------------------------------------------------------------
async def _load(url: str, texts: list[str], clients: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        for t in texts[:10]:  # warm the connection pool and the worker
            await client.post("/v1/analyze", json={"texts": [t]})
        deadline = time.perf_counter() + seconds

        async def worker(k: int) -> None:
            i = k
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                try:
                    r = await client.post("/v1/analyze", json={"texts": [texts[i % len(texts)]]})
                    ok = r.status_code == 200
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, key = False, type(exc).__name__
                if ok:
                    latencies.append((time.perf_counter() - start) * 1000)
                else:
                    errors[key] = errors.get(key, 0) + 1
                i += clients

        began = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(clients)))
        elapsed = time.perf_counter() - began
    return {"clients": clients, "requests": len(latencies) + sum(errors.values()),
            "req_per_s": round(len(latencies) / elapsed, 1), "p50_ms": round(percentile(latencies, 50), 2),
            "p95_ms": round(percentile(latencies, 95), 2), "p99_ms": round(percentile(latencies, 99), 2),
            "errors": sum(errors.values()), "error_kinds": errors}


def analyze_load(texts: list[str], threads: int, seconds: float) -> dict[str, Any]:
    out = {}
    with emotive_serve("--threads", str(threads), "--batch-size", "32") as url:
        for clients in (1, 8, 32):
            log(f"/v1/analyze with {clients} client(s) for {seconds:g} s")
            before = _batch_stats(httpx.get(f"{url}/metrics").text)
            out[str(clients)] = asyncio.run(_load(url, texts, clients, seconds))
            after = _batch_stats(httpx.get(f"{url}/metrics").text)
            batches, batched = after[0] - before[0], after[1] - before[1]
            out[str(clients)]["batches"] = int(batches)
            out[str(clients)]["mean_texts_per_batch"] = round(batched / batches, 2) if batches else 0.0
    return out


def _batch_stats(metrics: str) -> tuple[float, float]:
    """(micro-batches run, texts in them) so far, from the server's /metrics."""
    def value(name: str) -> float:
        m = re.search(rf"^{name} ([0-9.e+]+)$", metrics, re.M)
        return float(m.group(1)) if m else 0.0

    return value("emotive_batch_texts_count"), value("emotive_batch_texts_sum")


# -- 2. the proxy ---------------------------------------------------------------------------------------
def _chat(model: str, k: int, stream: bool = False) -> dict[str, Any]:
    return {"model": model, "stream": stream,
            "messages": [{"role": "system", "content": "You are a kind listener."},
                         {"role": "user", "content": USER_TURNS[k % len(USER_TURNS)]}]}


async def _whole(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> tuple[float, int]:
    start = time.perf_counter()
    r = await client.post(url, json=body)
    return (time.perf_counter() - start) * 1000, r.status_code


async def _first_token(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> tuple[float, bool]:
    """Milliseconds to the first content piece, and whether the stream ended cleanly."""
    start, first, ok = time.perf_counter(), None, False
    async with client.stream("POST", url, json=body) as r:
        async for line in r.aiter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                ok = r.status_code == 200
                break
            event = json.loads(data)
            if "error" in event:
                break
            content = event["choices"][0]["delta"].get("content") if event.get("choices") else None
            if content and first is None:
                first = (time.perf_counter() - start) * 1000
    return (first if first is not None else float("nan")), ok and first is not None


async def _proxy(url: str, upstream: DelayedUpstream, n: int) -> dict[str, Any]:
    direct, proxy = f"{upstream.url}/chat/completions", f"{url}/v1/chat/completions"
    out: dict[str, Any] = {"upstream_delay_ms": round(upstream.delay * 1000)}
    async with httpx.AsyncClient(timeout=60) as client:
        base = [(await _whole(client, direct, _chat("m", k)))[0] for k in range(n)]
        base_ttft = [(await _first_token(client, direct, _chat("m", k, True)))[0] for k in range(n)]
        out["direct"] = {"p50_ms": round(percentile(base, 50), 1), "p95_ms": round(percentile(base, 95), 1),
                         "first_token_p50_ms": round(percentile(base_ttft, 50), 1),
                         "first_token_p95_ms": round(percentile(base_ttft, 95), 1)}
        for preset in ("supportive", "fast", "safety"):
            log(f"proxy, preset {preset}: {n} whole and {n} streamed replies")
            model = f"emotive/{preset}:m"
            whole = [await _whole(client, proxy, _chat(model, k)) for k in range(n)]
            ttft = [await _first_token(client, proxy, _chat(model, k, True)) for k in range(n)]
            ms = [t for t, status in whole if status == 200]
            first = [t for t, ok in ttft if ok]
            out[preset] = {
                "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
                "added_p95_ms": round(percentile(ms, 95) - out["direct"]["p95_ms"], 1),
                "first_token_p95_ms": round(percentile(first, 95), 1),
                "added_first_token_p95_ms": round(percentile(first, 95) - out["direct"]["first_token_p95_ms"], 1),
                "errors": sum(status != 200 for _, status in whole) + sum(not ok for _, ok in ttft)}
        log("proxy: 16 concurrent streams x 3 rounds")
        results = []
        for _ in range(3):
            results += await asyncio.gather(*(_first_token(client, proxy, _chat("emotive/supportive:m", k, True))
                                              for k in range(16)))
        ok = [t for t, good in results if good]
        out["concurrent_16_streams"] = {"streams": len(results), "errors": sum(not good for _, good in results),
                                        "first_token_p50_ms": round(percentile(ok, 50), 1) if ok else None,
                                        "first_token_p95_ms": round(percentile(ok, 95), 1) if ok else None}
    return out


# -- 3. faults ------------------------------------------------------------------------------------------
def _fault(url: str, model: str, stream: bool, timeout_s: float) -> dict[str, Any]:
    body = _chat(model, 0, stream)
    start = time.perf_counter()
    with httpx.Client(timeout=timeout_s * 3 + 30) as client:
        if not stream:
            r = client.post(f"{url}/v1/chat/completions", json=body)
            err = r.json().get("error", {}) if r.status_code != 200 else {}
            status = r.status_code
        else:
            with client.stream("POST", f"{url}/v1/chat/completions", json=body) as r:
                status, err = r.status_code, {}
                lines = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
                if status != 200:
                    err = json.loads("".join(lines) or r.read() or b"{}").get("error", {})
                for data in lines:
                    if data != "[DONE]" and "error" in json.loads(data):
                        err = json.loads(data)["error"]
        seconds = time.perf_counter() - start
        after = client.post(f"{url}/v1/chat/completions", json=_chat("emotive/fast:m", 1)).status_code
    return {"status": status, "code": err.get("code"), "message": (err.get("message") or "")[:160],
            "seconds": round(seconds, 2), "served_after": after == 200}


def faults(upstream: DelayedUpstream, timeout_s: float) -> dict[str, Any]:
    out = {}
    with emotive_serve("--threads", "1", "--upstream-base-url", upstream.url, "--upstream-model", "m",
                       "--upstream-timeout", str(timeout_s), "--upstream-retries", "0") as url:
        for name, model, stream in (("5xx", "fault-500", False), ("malformed_json", "fault-malformed", False),
                                    ("slow", "fault-slow", False), ("stream_cut", "fault-cut", True)):
            log(f"fault: {name}")
            out[name] = _fault(url, f"emotive/fast:{model}", stream, timeout_s)
    with emotive_serve("--threads", "1", "--upstream-base-url", f"http://127.0.0.1:{free_port()}/v1",
                       "--upstream-retries", "0", "--upstream-timeout", str(timeout_s),
                       "--fallback", "templates") as url:
        log("fault: upstream down (with --fallback templates), then the same without a fallback")
        r = httpx.post(f"{url}/v1/chat/completions", json=_chat("emotive/fast", 0), timeout=60)
        out["down_with_fallback"] = {"status": r.status_code, "backend": r.headers.get("x-emotive-backend"),
                                     "fallback": r.headers.get("x-emotive-fallback")}
    with emotive_serve("--threads", "1", "--upstream-base-url", f"http://127.0.0.1:{free_port()}/v1",
                       "--upstream-retries", "0", "--upstream-timeout", str(timeout_s)) as url:
        out["down"] = _fault(url, "emotive/fast", False, timeout_s)
        out["down"]["served_after"] = httpx.get(f"{url}/healthz").status_code == 200
    return out


# -- 4. fuzzing ---------------------------------------------------------------------------------------------
def fuzz(examples: int) -> dict[str, Any]:
    with emotive_serve("--threads", "2", "--max-texts", "16", "--max-turns", "32") as url:
        log(f"schemathesis: {examples} examples per operation")
        before = _statuses(httpx.get(f"{url}/metrics").text)
        cmd = ["schemathesis", "run", f"{url}/openapi.json", "--max-examples", str(examples), "--seed", "7",
               "--exclude-checks", CHECKS_OFF, "--request-timeout", "60", "--no-color"]
        exe = Path(sys.executable).with_name("schemathesis")
        cmd[0] = str(exe) if exe.exists() else cmd[0]
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        after = _statuses(httpx.get(f"{url}/metrics").text)
    counts = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    requests = int(sum(counts.values()))
    server_errors = int(sum(v for k, v in counts.items() if k.startswith("5") and k not in ("502", "503", "504")))
    tail = run.stdout[-3000:]
    failures = re.findall(r"^\s*(?:\d+\.\s*)?(ST\d{3}|Server error|Undocumented|Response violates schema).*$",
                          run.stdout, re.M)
    return {"examples_per_operation": examples, "requests": requests, "statuses": counts,
            "server_errors_undocumented": server_errors, "schemathesis_exit": run.returncode,
            "failures": len(failures), "summary": _summary(tail), "command": " ".join(cmd[1:])}


def _statuses(metrics: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in re.finditer(r'^emotive_requests_total\{[^}]*status="(\d+)"\} ([0-9.e+]+)$', metrics, re.M):
        out[m.group(1)] = out.get(m.group(1), 0) + float(m.group(2))
    return out


def _summary(stdout: str) -> str:
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    keep = [line for line in lines if re.search(r"passed|failed|error|test cases|generated|Summary", line, re.I)]
    return " | ".join(keep[-8:])


# -- report -------------------------------------------------------------------------------------------------
def markdown(r: dict[str, Any]) -> str:
    lib, load = r["library"], r["analyze"]
    rows = [[c, load[c]["req_per_s"], load[c]["p50_ms"], load[c]["p95_ms"], load[c]["p99_ms"], load[c]["errors"],
             load[c]["mean_texts_per_batch"]] for c in ("1", "8", "32")]
    out = [f"# emotive serve under load ({r['date']})", "", f"`{r['command']}`", "",
           "## /v1/analyze, 1 text per request", "",
           markdown_table(["clients", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "texts per batch"], rows), "",
           f"Library, same run, {lib['threads']} threads: single text p50 {lib['single_p50_ms']} ms, "
           f"p95 {lib['single_p95_ms']} ms; `Analyzer.analyze` batches of 32: {lib['batch32_texts_per_s']} texts/s. "
           f"Load average when the run started: {r['machine'].get('load_average_1_5_15')}.", "",
           f"- p95 at 1 client / library single-text p95: **{r['targets']['p95_ratio']}x** (target <= 3x)",
           f"- req/s at 32 clients / library batch throughput: **{r['targets']['throughput_share']:.0%}** "
           "(target >= 60%)", ""]
    p = r["proxy"]
    prow = [[k, p[k]["p50_ms"], p[k]["p95_ms"], p[k]["added_p95_ms"], p[k]["first_token_p95_ms"],
             p[k]["added_first_token_p95_ms"], p[k]["errors"]] for k in ("supportive", "fast", "safety")]
    c16 = p["concurrent_16_streams"]
    out += [f"## Chat proxy, upstream answering after {p['upstream_delay_ms']} ms", "",
            f"Direct to the upstream: p95 {p['direct']['p95_ms']} ms whole, first token p95 "
            f"{p['direct']['first_token_p95_ms']} ms.", "",
            markdown_table(["preset", "p50 ms", "p95 ms", "added p95 ms", "first token p95 ms",
                            "added first token p95 ms", "errors"], prow), "",
            f"16 concurrent streams x 3: {c16['errors']} errors of {c16['streams']}, first token p50 "
            f"{c16['first_token_p50_ms']} ms, p95 {c16['first_token_p95_ms']} ms.", "",
            "## Upstream faults", "",
            markdown_table(["fault", "status", "code", "seconds", "served after"],
                           [[k, v.get("status"), v.get("code") or v.get("backend"), v.get("seconds", "-"),
                             v.get("served_after", "-")] for k, v in r["faults"].items()]), ""]
    f = r["fuzz"]
    out += ["## Fuzzing (schemathesis against /openapi.json)", "",
            f"{f['requests']} requests ({f['examples_per_operation']} examples per operation, coverage phase "
            f"included); statuses {json.dumps(f['statuses'], sort_keys=True)}; server errors other than "
            f"502/503/504: **{f['server_errors_undocumented']}**; schemathesis failures: **{f['failures']}** "
            f"(exit {f['schemathesis_exit']}).", "", f"`{f['command']}`", ""]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per concurrency level")
    parser.add_argument("--threads", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--proxy-n", type=int, default=30, help="sequential replies per preset")
    parser.add_argument("--upstream-delay-ms", type=float, default=100.0)
    parser.add_argument("--upstream-timeout", type=float, default=3.0)
    parser.add_argument("--fuzz-examples", type=int, default=50)
    args = parser.parse_args()
    machine = machine_info(["onnxruntime", "fastapi", "uvicorn", "httpx", "schemathesis"])
    texts = sample_texts()
    log("library baseline")
    lib = library_baseline(texts, args.threads, args.seconds / 2)
    load = analyze_load(texts, args.threads, args.seconds)
    upstream = DelayedUpstream(args.upstream_delay_ms / 1000)
    try:
        with emotive_serve("--threads", str(args.threads), "--upstream-base-url", upstream.url,
                           "--upstream-model", "m", "--upstream-timeout", "30") as url:
            proxy = asyncio.run(_proxy(url, upstream, args.proxy_n))
        fault = faults(upstream, args.upstream_timeout)
    finally:
        upstream.close()
    fuzzed = fuzz(args.fuzz_examples)
    result = {"date": utc_now(), "command": command_line(), "machine": machine,
              "library": lib, "analyze": load, "proxy": proxy, "faults": fault, "fuzz": fuzzed,
              "targets": {"p95_ratio": round(load["1"]["p95_ms"] / lib["single_p95_ms"], 2),
                          "throughput_share": round(load["32"]["req_per_s"] / lib["batch32_texts_per_s"], 3),
                          "analyze_errors": sum(load[c]["errors"] for c in ("1", "8", "32")),
                          "stream_errors_16": proxy["concurrent_16_streams"]["errors"]}}
    md = markdown(result)
    write_results("serve", result, md)
    print(md)


if __name__ == "__main__":
    main()
