"""``emotive respond``, ``emotive chat`` and ``emotive backends`` as real subprocesses, with
the shipped models (one end-to-end check per command)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest


def run(args, env, stdin: str | None = None):
    return subprocess.run([sys.executable, "-m", "emotive", *args], capture_output=True, text=True,
                          input=stdin, env=env, timeout=300)


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ)
    e["EMOTIVE_CACHE"] = str(tmp_path / "cache")
    e["COLUMNS"] = "200"
    return e


@pytest.fixture
def corpus_env(env, data_root):
    """The retrieval backend builds its index from the corpora."""
    return {**env, "EMOTIVE_DATA": str(data_root)}


CHATS = [
    {"id": "exam", "turns": [{"speaker": "user", "text": "I failed my driving test for the third time."}]},
    {"id": "empty", "turns": []},
    {"id": "crisis", "turns": [{"speaker": "user", "text": "I don't want to live anymore."}]},
]


def test_respond_offline_default_end_to_end(tmp_path, env) -> None:
    env = {**env, "EMOTIVE_DATA": str(tmp_path / "no-corpora")}  # the packaged index: a pip user's case
    src = tmp_path / "chats.jsonl"
    src.write_text("\n".join(json.dumps(c) for c in CHATS) + "\n", encoding="utf-8")
    out = tmp_path / "replies.jsonl"
    args = ["respond", str(src), "-o", str(out), "--on-error", "skip"]
    res = run(args, env)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [r["conversation"] for r in rows] == ["exam", "empty", "crisis"]
    exam = rows[0]
    assert exam["backend"] == "retrieval" and exam["reply"] and exam["strategy"]
    assert exam["guidance"]["reading"]["emotions"] and exam["reply_emotion"]
    assert "error" in rows[1] and rows[2]["flagged"] and "988" in rows[2]["reply"]
    assert "2 replies (1 safety-flagged" in res.stderr.replace("\n", " ")
    assert run(["respond", str(src), "-o", str(out)], env).returncode == 2
    for row in rows:
        assert not re.search(r"https?://|www\.|\d{3}[-. ]\d{3}[-. ]\d{4}", row.get("reply") or "") or row["flagged"]


def test_respond_bad_backend_option_is_a_clear_error(tmp_path, env) -> None:
    src = tmp_path / "chats.jsonl"
    src.write_text(json.dumps(CHATS[0]) + "\n", encoding="utf-8")
    res = run(["respond", str(src), "--backend", "openai", "-O", "modle=x"], env)
    assert res.returncode == 2 and "modle" in res.stderr and "accepted:" in res.stderr
    res = run(["respond", str(src), "--without", "vibes"], env)
    assert res.returncode == 2 and "unknown step" in res.stderr


def test_chat_shows_reading_and_plan_beside_the_reply(env) -> None:
    stdin = "My cat died this morning and I can't stop crying.\n/json\n/quit\n"
    res = run(["chat", "--backend", "mock", "-O", 'replies=["Emotion: sad\\nReply: I am so sorry about your cat."]',
               "-O", "cycle=true"], env, stdin=stdin)
    assert res.returncode == 0, res.stderr
    assert "I am so sorry about your cat." in res.stdout and "Emotion: sad" not in res.stdout
    assert "read: " in res.stdout and "plan: " in res.stdout and "reply emotion: " in res.stdout
    assert '"strategy"' in res.stdout  # /json printed the guidance


def test_backends_lists_the_builtin_backends(env) -> None:
    res = run(["backends", "--json"], env)
    assert res.returncode == 0, res.stderr
    names = {b["name"] for b in json.loads(res.stdout)}
    assert {"openai", "transformers", "retrieval", "mock"} <= names


def test_chat_survives_a_down_endpoint_and_respond_reads_stdin(env) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    res = run(["chat", "--backend", "openai", "-O", f"base_url=http://127.0.0.1:{port}/v1", "-O", "retries=0",
               "--without", "understanding,strategy,persona"], env, stdin="hello\nanyone there?\n/quit\n")
    assert res.returncode == 0, res.stderr
    assert res.stdout.count("cannot connect") == 2 and "your message was not added" in res.stdout
    line = json.dumps({"id": "k", "turns": [{"speaker": "user", "text": "I lost my keys again."}]})
    res = run(["respond", "-", "--backend", "mock", "-O", 'replies=["Oh no, where did you see them last?"]',
               "-q"], env, stdin=line + "\n")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["reply"] == "Oh no, where did you see them last?"


def test_respond_names_unknown_speakers_and_takes_the_assistants_name(tmp_path, env) -> None:
    src = tmp_path / "support.jsonl"
    src.write_text(json.dumps({"id": "support-1", "turns": [
        {"speaker": "system", "text": "You are the help desk of an airline."},
        {"speaker": "customer", "text": "My flight got cancelled."},
        {"speaker": "agent", "text": "I'm so sorry. Let me look into it."},
        {"speaker": "customer", "text": "Thank you, that's a relief."}]}) + "\n", encoding="utf-8")
    fast = ["--backend", "mock", "--without", "safety,understanding,strategy,persona", "-q"]
    res = run(["respond", str(src), *fast], env)
    assert res.returncode == 2 and "speaker 'customer' has no role" in res.stderr and "--assistant" in res.stderr
    res = run(["respond", str(src), *fast, "--assistant", "agent"], env)
    assert res.returncode == 0, res.stderr
    row = json.loads(res.stdout)
    messages = row["guidance"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[0]["content"].startswith("You are the help desk of an airline.\n\n")
