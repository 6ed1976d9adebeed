"""Bad paths and arguments: a clear message naming the file (and line), exit 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run(args, env, cwd=None):
    return subprocess.run([sys.executable, "-m", "emotive", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, stdin=subprocess.DEVNULL)


def _refused(out, *needles) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and out.stdout == ""
    for needle in needles:
        assert needle in out.stderr, out.stderr


@pytest.mark.parametrize("command", [["analyze"], ["analyze", "--conversations"], ["respond"],
                                     ["causes"], ["plot"]])
def test_a_missing_input_file_for_every_command(command, cli_env, tmp_path) -> None:
    _refused(run([*command, str(tmp_path / "typo.jsonl")], cli_env), "typo.jsonl: no such file")


def test_a_lone_file_like_argument_is_not_analyzed_as_text(cli_env, tiny_model, tmp_path) -> None:
    _refused(run(["analyze", "typo.jsonl", "--model", str(tiny_model)], cli_env, cwd=tmp_path),
             "typo.jsonl: no such file")
    out = run(["analyze", "typo.jsonl", "--text", "--model", str(tiny_model)], cli_env, cwd=tmp_path)
    assert out.returncode == 0 and json.loads(out.stdout)["text"] == "typo.jsonl"


def test_directories_devices_and_symlink_loops(cli_env, tmp_path) -> None:
    _refused(run(["analyze", str(tmp_path)], cli_env), "is a directory")
    _refused(run(["analyze", "/dev/null"], cli_env), "/dev/null: is not a regular file")
    loop = tmp_path / "loop.txt"
    os.symlink(loop, loop)
    _refused(run(["analyze", str(loop)], cli_env), "loop.txt: cannot read")


def test_outputs_are_checked_before_the_run(cli_env, tmp_path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("hello\n")
    _refused(run(["analyze", str(src), "-o", str(tmp_path / "no" / "out.jsonl")], cli_env),
             "no directory")
    (tmp_path / "dir.jsonl").mkdir()
    _refused(run(["analyze", str(src), "-o", str(tmp_path / "dir.jsonl")], cli_env), "is a directory")
    _refused(run(["plot", str(src), "-o", str(tmp_path / "no" / "flow.html")], cli_env), "no directory")


def test_blank_lines_are_skipped_counted_and_keep_line_numbers(cli_env, tiny_model, tmp_path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("first\n\n   \nfourth\n\n")
    out = run(["analyze", str(src), "--model", str(tiny_model)], cli_env)
    assert out.returncode == 0, out.stderr
    assert [json.loads(x)["line"] for x in out.stdout.splitlines()] == [1, 4]
    assert "2 rows: 2 analyzed, 0 errors" in out.stderr and "3 blank lines skipped" in out.stderr


def test_option_mistakes(cli_env, tiny_model, tiny_conv_model, tmp_path) -> None:
    _refused(run(["analyze", "some text", "--nested"], cli_env), "--nested needs --conversations")
    chat = tmp_path / "chat.jsonl"
    chat.write_text(json.dumps({"id": "c", "turns": [{"speaker": "A", "text": "hi"}]}) + "\n")
    out = run(["causes", str(chat), "--emotion", "angry", "--model", str(tiny_model),
               "--conversation-model", str(tiny_conv_model)], cli_env)
    _refused(out, "unknown emotion 'angry'", "anger")
    _refused(run(["analyze", str(chat), "--resume"], cli_env), "--resume needs an output file")


def test_a_run_where_every_row_failed_exits_non_zero(cli_env, tiny_model, tmp_path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": 1}\n{"body": "x"}\n')
    out = run(["analyze", str(src), "--on-error", "skip", "--model", str(tiny_model)], cli_env)
    assert out.returncode == 1 and "2 rows: 0 analyzed, 2 errors" in out.stderr
    assert len(out.stdout.splitlines()) == 2  # the error records are still written
