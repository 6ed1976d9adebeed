"""Cold build of the full reply index from the corpora, as a user with the corpora meets it.

Writes ``benchmarks/results/reply_index.{json,md}``.

``emotive respond examples/chats.jsonl -b retrieval -O index=corpora -O cache_dir=EMPTY``
runs as a real subprocess with an empty cache folder: it builds the index (EmpatheticDialogues
and ESConv train replies, filtered and embedded), caches it, and answers. Measured: wall
time, the child's own peak resident memory (``wait4``), and the index's size on disk; then
the same command again, warm (the index loaded from the cache). Target (issue #11): cold
build <= 2 minutes on 2 cores, bounded memory.

    python benchmarks/reply_index.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

TARGET_S = 120.0


def run_once(cache: str) -> dict:
    """The command as a child process: its wall time and its own peak memory (``wait4``)."""
    cmd = [sys.executable, "-m", "emotive", "respond", str(REPO_ROOT / "examples" / "chats.jsonl"),
           "-b", "retrieval", "-O", "index=corpora", "-O", f"cache_dir={cache}"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err, env={**os.environ, "COLUMNS": "100"})
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        raise SystemExit(f"the command failed ({child.returncode}): {stderr[-2000:]}")
    replies = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # KiB on Linux
            "replies": len(replies), "stderr_tail": stderr.strip().splitlines()[-3:]}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="emotive-index-") as cache:
        log("cold: building the full index in an empty cache")
        cold = run_once(cache)
        size = sum(f.stat().st_size for f in Path(cache).rglob("*") if f.is_file())
        log("warm: the same command with the index cached")
        warm = run_once(cache)
    payload = {"benchmark": "reply_index", "date": utc_now(), "command": command_line(), "target_s": TARGET_S,
               "cold": cold, "warm": warm, "cache_mb": round(size / 2**20, 1), "met": cold["seconds"] <= TARGET_S,
               "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["run", "seconds", "peak RSS (MB)", "replies"],
                           [(k, v["seconds"], v["peak_rss_mb"], v["replies"]) for k, v in (("cold", cold),
                                                                                            ("warm", warm))])
    md = (f"# Full reply index: cold build\n\n{table}\n\nCache on disk: {payload['cache_mb']} MB. Target: cold "
          f"<= {TARGET_S:.0f} s ({'met' if payload['met'] else 'missed'}).\n\nCommand: `{payload['command']}`\n")
    write_results("reply_index", payload, md)
    print(md)


if __name__ == "__main__":
    main()
