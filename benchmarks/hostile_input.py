"""Peak RSS and wall time of ``emotive analyze`` on one huge text, with and without --explain.

Cases: a 10 MB message and a 50 MB line, each as .txt and as .jsonl (with ``--conversations``
also as the middle turn of a conversation, nested JSONL), in two spellings:
``ascii`` (plain words) and ``emoji`` (the same words after one emoji: a Python string of
it takes 4 bytes a character, and its JSONL line escapes it as ``\\ud83d\\ude00``). Each
file holds a short text, the huge one, and a short one again; every run is the real CLI
(``python -m emotive analyze FILE -o out.jsonl [--explain] -q``) in its own process, and
its peak RSS is that process's own (``os.wait4``). A run counts only if its output is
right: three records, none an error, the huge one ``clipped`` at ``max_chars``
(100,000 characters) and read by the model. A ``baseline`` run (one short text) shows
what the CLI and the model cost before any input; a ``long-texts`` run (32 ordinary texts of
more than the model's 128 tokens, 2 with --explain) shows what one full batch of the model
costs, whatever the input's size.

Target (the hostile-input requirements): peak RSS <= 300 MB for every case.

    PYTHONPATH=src python benchmarks/hostile_input.py                # all cases
    PYTHONPATH=src python benchmarks/hostile_input.py --sizes 10 --spellings ascii
    PYTHONPATH=src python benchmarks/hostile_input.py --src /tmp/old/src --name hostile_input-before
    PYTHONPATH=src python benchmarks/hostile_input.py --sizes 10 --spellings ascii --conversations
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results

WORDS = "I can't believe how happy and a little worried this makes me today. "
FIRST, LAST = "a short one first", "and a short one last"
BLOCK = 1_000_000
REFERENCE = {False: 32, True: 2}  # texts in the reference file, without and with --explain
TARGET_MB = 300.0
MAX_CHARS = 100_000  # emotive's default --max-chars
PACKAGES = ("onnxruntime", "tokenizers", "numpy", "pyarrow")


def huge_text(size: int, spelling: str, start: int = 0) -> str:
    """Characters ``start:size`` of the huge text: the words over and over (after one emoji)."""
    offset = start % len(WORDS)
    text = (WORDS * ((size - start) // len(WORDS) + 2))[offset:offset + size - start]
    return "😀" + text[1:] if spelling == "emoji" and start == 0 else text


def pieces(size: int, spelling: str, escaped: bool) -> Iterator[str]:
    """The huge text in 1 MB pieces, as written to the file (no huge string in this process:
    a child started while the parent is big would count the parent's pages as its own)."""
    for start in range(0, size, BLOCK):
        piece = huge_text(min(size, start + BLOCK), spelling, start)
        yield piece.replace("😀", "\\ud83d\\ude00") if escaped else piece


def write_case(folder: Path, mb: int, fmt: str, spelling: str) -> Path:
    """A file of three texts, the middle one ``mb`` million characters long."""
    path = folder / f"{spelling}-{mb}mb.{'jsonl' if fmt == 'conversations' else fmt}"
    size = mb * 1_000_000
    with open(path, "w", encoding="utf-8") as fh:
        if fmt == "txt":
            fh.write(f"{FIRST}\n")
            fh.writelines(pieces(size, spelling, escaped=False))
            fh.write(f"\n{LAST}\n")
        elif fmt == "jsonl":  # the words need no JSON escape; the emoji as ensure_ascii writes it
            fh.write(json.dumps({"text": FIRST}) + '\n{"id": 1, "text": "')
            fh.writelines(pieces(size, spelling, escaped=True))
            fh.write('"}\n' + json.dumps({"text": LAST}) + "\n")
        else:  # one conversation of three turns, the huge one in the middle
            fh.write(f'{{"id": "c1", "turns": [{{"speaker": "a", "text": "{FIRST}"}}, '
                     '{"speaker": "b", "text": "')
            fh.writelines(pieces(size, spelling, escaped=True))
            fh.write(f'"}}, {{"speaker": "a", "text": "{LAST}"}}]}}\n')
    return path


def write_reference(folder: Path, count: int) -> Path:
    """``count`` ordinary texts of more than the model's 128 tokens: what a full batch costs."""
    path = folder / f"long-texts-{count}.txt"
    path.write_text("".join(f"{i}: {WORDS * 10}\n" for i in range(count)), encoding="utf-8")
    return path


def measure(args: list[str], env: dict[str, str], log_path: Path,
            max_vm_gb: float) -> tuple[int, float, float]:
    """Run ``args`` as a child; its exit code, its own peak RSS (MiB) and wall seconds. The
    child's address space is capped at ``max_vm_gb``: a run that would take the machine's
    memory fails (and counts as not met) instead."""
    limit = int(max_vm_gb * (1 << 30))

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    with open(log_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, env=env, preexec_fn=cap)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, seconds


def check_output(out: Path, case: dict[str, Any]) -> str | None:
    """Why the run's output is wrong, or None."""
    try:
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    except (OSError, ValueError) as exc:
        return f"unreadable output: {exc}"
    if any("error" in r for r in records):
        return f"error records: {records!r:.300}"
    if case["mb"] == 0:
        want = {"baseline": 1, "long-texts": REFERENCE[case["explain"]]}[case["spelling"]]
        return None if len(records) == want else f"expected {want} records, got {len(records)}"
    lines = [1, 1, 1] if case["fmt"] == "conversations" else [1, 2, 3]
    if [r.get("line") for r in records] != lines or records[2]["text"] != LAST:
        return f"expected three records, got {records!r:.300}"
    big = records[1]
    if not (big.get("clipped") and big["text"] == huge_text(MAX_CHARS, case["spelling"])
            and (big.get("labels") or big.get("emotion"))):
        return "the huge text is not clipped at max_chars and analyzed"
    if case["explain"] and "triggers" not in big:
        return "no triggers"
    return None


def run_case(case: dict[str, Any], path: Path, folder: Path, env: dict[str, str],
             args: argparse.Namespace) -> dict[str, Any]:
    out = folder / "out.jsonl"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "emotive", "analyze", str(path), "-o", str(out), "-q",
           *(["--explain"] if case["explain"] else []), *(["--model", args.model] if args.model else []),
           *(["--conversations"] if case["fmt"] == "conversations" else [])]
    code, rss, seconds = measure(cmd, env, folder / "stderr.txt", args.max_vm_gb)
    problem = None if code == 0 else (folder / "stderr.txt").read_text(errors="replace")[-500:]
    problem = problem or check_output(out, case)
    return {**case, "file_bytes": path.stat().st_size, "peak_rss_mb": round(rss, 1),
            "seconds": round(seconds, 2), "exit_code": code, "correct": problem is None,
            "problem": problem, "met": problem is None and rss <= TARGET_MB}


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    out = [{"mb": 0, "fmt": "txt", "spelling": kind, "explain": explain}
           for kind in ("baseline", "long-texts") for explain in (False, True)]
    for mb in args.sizes:
        for spelling in args.spellings:
            for fmt in ("txt", "jsonl"):
                out += [{"mb": mb, "fmt": fmt, "spelling": spelling, "explain": explain}
                        for explain in (False, True)]
            if args.conversations:
                out.append({"mb": mb, "fmt": "conversations", "spelling": spelling, "explain": False})
    return out


def markdown(payload: dict[str, Any]) -> str:
    rows = [(f"{r['mb']} MB" if r["mb"] else r["spelling"], r["fmt"], r["spelling"] if r["mb"] else "-",
             "yes" if r["explain"] else "no", f"{r['file_bytes']:,}", f"{r['peak_rss_mb']:.1f}",
             f"{r['seconds']:.2f}", "yes" if r["correct"] else "NO",
             "met" if r["met"] else "NOT met") for r in payload["results"]]
    table = markdown_table(["text", "format", "spelling", "--explain", "file bytes", "peak RSS MB",
                            "wall s", "output right", f"RSS <= {TARGET_MB:.0f} MB"], rows)
    worst = max(r["peak_rss_mb"] for r in payload["results"])
    machine = payload["machine"]
    return "\n".join([
        "# Hostile input: one huge text", "",
        f"{payload['date']}. `emotive analyze FILE -o out.jsonl -q [--explain]`, each run its own "
        "process (peak RSS is that process's, `os.wait4`); the file holds a short text, the huge "
        f"one and a short one. The huge text is cut at `--max-chars` ({MAX_CHARS:,}) by the reader; "
        "`--explain` cuts it again to what the model reads before the per-word work. "
        "`emoji` puts one emoji first: decoded whole, the text would take 4 bytes a character "
        "(the JSONL line spells it `\\ud83d\\ude00`).", "",
        table, "",
        f"Worst peak RSS: {worst:.1f} MB (target <= {TARGET_MB:.0f} MB).", "",
        "`long-texts` is the reference: ordinary texts longer than the model's 128 tokens, so "
        "what a batch of full-length sequences costs the model whatever the input's size.", "",
        "## Setup", "",
        f"- Machine: {machine['cpu_count']} CPUs ({machine['processor']}), {machine['platform']}, "
        f"Python {machine['python']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in machine["packages"].items()),
        f"- Model: {payload['model']}; source: `{payload['src']}`"
        + (f" ({payload['note']})" if payload.get("note") else ""),
        f"- Command: `{payload['command']}`",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10, 50],
                        help="huge-text sizes in millions of characters (default 10,50)")
    parser.add_argument("--spellings", type=lambda s: s.split(","), default=["ascii", "emoji"])
    parser.add_argument("--model", default=None, help="model name or directory (default: emotive's)")
    parser.add_argument("--src", default=str(REPO_ROOT / "src"), help="the emotive source to measure")
    parser.add_argument("--name", default="hostile_input", help="results file name")
    parser.add_argument("--note", default="", help="what --src is, for the results")
    parser.add_argument("--conversations", action="store_true",
                        help="also the huge text as a conversation turn (--conversations); the cause "
                             "finder's span search grows with the square of a turn's tokens")
    parser.add_argument("--max-vm-gb", type=float, default=4.0,
                        help="address-space cap of each run, in GiB (default 4)")
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": args.src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    results = []
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        folder = Path(tmp)
        short = folder / "short.txt"
        short.write_text("just a short text\n", encoding="utf-8")
        for case in cases(args):
            if case["spelling"] == "long-texts":
                path = write_reference(folder, REFERENCE[case["explain"]])
            else:
                path = short if case["mb"] == 0 else write_case(folder, case["mb"], case["fmt"], case["spelling"])
            result = run_case(case, path, folder, env, args)
            log(f"{result['spelling']} {result['mb']} MB {result['fmt']} explain={result['explain']}: "
                f"{result['peak_rss_mb']} MB, {result['seconds']} s, correct={result['correct']}")
            results.append(result)
            if path != short:
                path.unlink()
    src = os.path.relpath(args.src, REPO_ROOT) if args.src.startswith(str(REPO_ROOT)) else args.src
    payload = {"benchmark": "hostile_input", "date": utc_now(), "command": command_line(),
               "target_peak_rss_mb": TARGET_MB, "max_chars": MAX_CHARS,
               "model": args.model or "emotive default (goemotions-minilm-v1)", "src": src, "note": args.note,
               "machine": machine_info(PACKAGES), "results": results,
               "all_met": all(r["met"] for r in results)}
    json_path, md_path = write_results(args.name, payload, markdown(payload))
    log(f"wrote {json_path} and {md_path}")
    return 0 if payload["all_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
