"""``emotive serve`` end to end: a real subprocess with the shipped models, on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

openai = pytest.importorskip("openai")
SECRET_TEXT = "my private note about zebra-crossing-77"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"emotive serve exited: {proc.communicate()[1]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("emotive serve did not become ready")


def test_emotive_serve_subprocess() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EMOTIVE_API_KEYS": "k-live", "UPSTREAM_KEY": "sk-never-printed"}
    proc = subprocess.Popen([sys.executable, "-m", "emotive", "serve", "--port", str(port), "--warm", "--threads", "1",
                             "--max-texts", "3", "--upstream-key-env", "UPSTREAM_KEY"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_ready(url, proc)
        auth = {"Authorization": "Bearer k-live"}
        assert httpx.post(f"{url}/v1/analyze", json={"texts": ["hi"]}).status_code == 401
        r = httpx.post(f"{url}/v1/analyze", json={"texts": ["Thank you so much, this means a lot", SECRET_TEXT]},
                       headers=auth, timeout=30)
        assert r.status_code == 200 and r.json()["results"][0]["top"] == "gratitude"
        too_many = httpx.post(f"{url}/v1/analyze", json={"texts": ["a"] * 4}, headers=auth, timeout=30)
        assert too_many.status_code == 422 and "--max-texts" in too_many.json()["error"]["message"]
        tei = httpx.post(f"{url}/predict", json={"inputs": "Thank you!"}, headers=auth, timeout=30).json()
        assert tei[0]["label"] == "gratitude"
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="k-live", max_retries=0, timeout=30)
        done = client.chat.completions.create(model="emotive", messages=[{"role": "user", "content": SECRET_TEXT}])
        assert done.choices[0].message.content and done.model_extra["emotive"]["backend"] == "retrieval"
        assert "emotive_requests_total" in httpx.get(f"{url}/metrics", headers=auth).text
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "emotive serve on http://127.0.0.1:" in stderr and "API keys required" in stderr
    assert "POST /v1/analyze 200" in stderr
    assert SECRET_TEXT not in stderr and "sk-never-printed" not in stderr and "k-live" not in stderr
