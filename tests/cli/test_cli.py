"""The CLI as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run(args, env, stdin: str | None = None, cwd=None):
    return subprocess.run([sys.executable, "-m", "emotive", *args], capture_output=True,
                          text=True, input=stdin, env=env, cwd=cwd, timeout=120)


def test_help_lists_commands(cli_env) -> None:
    out = run(["--help"], cli_env)
    assert out.returncode == 0
    for cmd in ("analyze", "models", "train"):
        assert cmd in out.stdout
    assert "--text-column" in run(["analyze", "--help"], cli_env).stdout


def test_texts_to_jsonl_on_stdout(cli_env, tiny_model) -> None:
    out = run(["analyze", "good morning", "bad night", "--model", str(tiny_model),
               "--top-k", "3"], cli_env)
    assert out.returncode == 0, out.stderr
    recs = [json.loads(x) for x in out.stdout.splitlines()]
    assert [r["text"] for r in recs] == ["good morning", "bad night"]
    for r in recs:
        assert len(r["scores"]) == 3 and 1 <= len(r["labels"]) <= 3
        # top: the best-scoring label that passes its threshold (the first of labels)
        assert r["top"] == r["labels"][0]
        assert all(r["scores"][r["top"]] >= r["scores"][lab] for lab in r["labels"] if lab in r["scores"])


def test_stdin_file_with_summary_on_stderr(cli_env, tiny_model) -> None:
    out = run(["analyze", "-", "--model", str(tiny_model), "--scheme", "sentiment"], cli_env,
              stdin="one\ntwo\nthree\n")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 3
    assert "3 rows: 3 analyzed, 0 errors" in out.stderr and "label (sentiment)" in out.stderr


def test_csv_in_parquet_out(cli_env, tiny_model, tmp_path) -> None:
    src = tmp_path / "tickets.csv"
    src.write_text('id,body\n1,"My order never came, again."\n2,Thanks for the quick fix!\n')
    dst = tmp_path / "out.parquet"
    out = run(["analyze", str(src), "--text-column", "body", "-o", str(dst),
               "--model", str(tiny_model)], cli_env)
    assert out.returncode == 0, out.stderr
    import pyarrow.parquet as pq

    assert pq.read_table(dst).column("text").to_pylist()[1] == "Thanks for the quick fix!"


@pytest.mark.parametrize("content,args,msg", [
    ('{"text": "a"}\n{"text": " "}\n', ["--format", "jsonl"], "in.txt:2: empty text"),
    ("id,body\n1,x\n", ["--format", "csv"], "in.txt:1: no column 'text'"),
])
def test_bad_input_exits_2_with_file_and_line(cli_env, tiny_model, tmp_path, content, args, msg):
    src = tmp_path / "in.txt"
    src.write_text(content)
    out = run(["analyze", str(src), "-o", str(tmp_path / "o.jsonl"), "--model", str(tiny_model),
               *args], cli_env)
    assert out.returncode == 2 and msg in out.stderr
    assert not (tmp_path / "o.jsonl").exists()


def test_skip_writes_error_rows(cli_env, tiny_model, tmp_path) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(b"a\n\xff\xfe\nc\n")
    out = run(["analyze", str(src), "--on-error", "skip", "--model", str(tiny_model)], cli_env)
    recs = [json.loads(x) for x in out.stdout.splitlines()]
    assert out.returncode == 0 and [r["line"] for r in recs] == [1, 2, 3]
    assert "invalid UTF-8" in recs[1]["error"]


def test_usage_errors_exit_2(cli_env, tiny_model) -> None:
    assert run(["analyze", "x", "--scheme", "ekmann", "--model", str(tiny_model)],
               cli_env).returncode == 2
    assert run(["analyze", "x", "--top-k", "zero"], cli_env).returncode == 2
    out = run(["analyze", "x", "--model", "no-such-model"], cli_env)
    assert out.returncode == 2 and "unknown model 'no-such-model'" in out.stderr


def test_models_lists_metrics_and_licenses(cli_env) -> None:
    out = run(["models", "--json"], cli_env)
    assert out.returncode == 0, out.stderr
    models = {m["name"]: m for m in json.loads(out.stdout)}
    m = models["emotive.goemotions-minilm.v1"]
    assert "GoEmotions (Apache-2.0)" in m["data"]
    assert "macro_f1" in m["metrics"] and m["commercial_use"] is True
    conv = models["emotive.conversation-minilm.v1"]
    assert conv["commercial_use"] is False and "MELD (GPL-3.0)" in conv["data"]
    assert "meld_test_weighted_f1" in conv["metrics"] and "reccon_cee_macro_f1" in conv["metrics"]
    assert all(not m["heads"].startswith(",") for m in models.values())  # the index has no heads
    assert models["emotive.replies-ed-esconv.v1"]["heads"].startswith("index")


def test_conversations_per_turn_nested_and_plot(cli_env, tiny_model, tiny_conv_model, tmp_path) -> None:
    src = tmp_path / "chat.jsonl"
    src.write_text(json.dumps({"id": "c1", "turns": [
        {"speaker": "A", "text": "My flight got cancelled."},
        {"speaker": "B", "text": "Oh no, I'm so sorry!"}, {"speaker": "A", "text": "Fine."}]}) + "\n")
    models = ["--model", str(tiny_model), "--conversation-model", str(tiny_conv_model)]
    out = run(["analyze", str(src), "--conversations", *models], cli_env)
    assert out.returncode == 0, out.stderr
    turns = [json.loads(x) for x in out.stdout.splitlines()]
    assert [t["turn"] for t in turns] == [0, 1, 2] and {"emotion", "vad", "intensity"} <= set(turns[0])
    assert "1 conversations, 3 turns: 3 analyzed" in out.stderr
    nested = tmp_path / "nested.jsonl"
    out = run(["analyze", str(src), "--conversations", "--nested", "-o", str(nested), "-q", *models], cli_env)
    assert out.returncode == 0, out.stderr
    page = tmp_path / "flow.html"
    out = run(["plot", str(nested), "-o", str(page)], cli_env)  # analyzed input: no model needed
    assert out.returncode == 0, out.stderr
    html = page.read_text()
    assert 'class="chart"' in html and '"speaker": "A"' in html and ">A<" in html and ">B<" in html


def test_conversations_bad_file_exits_2(cli_env, tiny_model, tiny_conv_model, tmp_path) -> None:
    src = tmp_path / "chat.jsonl"
    src.write_text('{"id": "x", "turns": []}\n')
    out = run(["analyze", str(src), "--conversations", "--model", str(tiny_model),
               "--conversation-model", str(tiny_conv_model)], cli_env)
    assert out.returncode == 2 and "chat.jsonl:1: conversation 'x' has no turns" in out.stderr
