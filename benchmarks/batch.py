"""Batch at scale: the runner's overhead, its memory, exact resume under kill -9, and Ray.

Side by side in one run, each measurement in its own process (peak RSS from ``wait4``):

1. **Overhead**: ``emotive analyze big.jsonl -o out.parquet`` end to end vs
   ``Analyzer.analyze`` on the same texts in one process (model loaded before the clock);
2. **Memory**: peak RSS of the CLI for the smaller sizes, and of the I/O and runner alone
   (``emotive.runner.run`` with a batch function that returns records of the analyze
   job's shape without a model) up to 2M rows, which the model would take ~45 minutes on;
3. **Resume**: ``kill -9`` of a real CLI process at random moments, ``--resume``, and the
   rows lost / duplicated against an uninterrupted run (and byte identity);
4. **Ray**: the same job with ``--engine ray`` on a local 2-CPU cluster (2 actors).

Texts are GoEmotions train comments (short Reddit texts), repeated to the wanted size.

    python benchmarks/batch.py [--rows 50000] [--big 200000] [--kills 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

PY = sys.executable


def texts(n: int) -> list[str]:
    from emotive.datasets import goemotions

    base = [t.text for t in goemotions.read("train")]
    return [base[i % len(base)] for i in range(n)]


def write_input(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i, t in enumerate(texts(n)):
            fh.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
    return path


def measured(args: list[str], **kw: Any) -> dict[str, float]:
    """Run a process to its end: wall seconds, its own peak RSS (MiB), exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(args)} failed ({code}): {err[-2000:]}")
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "stdout": out}  # type: ignore[dict-item]


LIBRARY = """
import json, sys, time
from emotive import Analyzer
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
a = Analyzer()
a.analyze(texts[:64])  # the session made and warm
start = time.perf_counter()
for i in range(0, len(texts), 1024):
    a.analyze(texts[i:i + 1024])
print(json.dumps({"seconds": time.perf_counter() - start}))
"""

STARTUP = "from emotive import Analyzer; Analyzer().analyze('warm up')"

IO_ONLY = """
import sys
from emotive.io import open_rows, text_layout
from emotive.runner import Job, chunk_rows, run
from emotive.taxonomy import get_scheme

labels = get_scheme("goemotions").labels
scores = {lab: 0.01 for lab in labels}

def batch(rows):
    return [{"line": r.line, "text": r.text, "labels": ["neutral"], "scores": scores, "top": "neutral"}
            for r in rows]

job = Job("io-only", batch, chunk_rows(1024), lambda rows, records: {"rows": len(records)})
res = run(open_rows(sys.argv[1]), job, sys.argv[2], layout=text_layout(labels))
assert res.counts["rows"] == int(sys.argv[3]), res.counts
"""


def overhead(folder: Path, rows: int, rounds: int = 1) -> dict[str, Any]:
    """The CLI, a bare start-up and the library in turn, ``rounds`` times; each figure is the
    median over rounds, and the overheads are the median of each round's own (the two runs of
    a round are a minute apart at most, so a drift of the machine's speed mostly cancels)."""
    src = write_input(folder / f"texts-{rows}.jsonl", rows)
    runs = []
    for r in range(rounds):
        log(f"overhead: {rows} texts, CLI then library (round {r + 1} of {rounds})")
        out = folder / "cli.parquet"
        out.unlink(missing_ok=True)
        cli = measured([PY, "-m", "emotive", "analyze", str(src), "-o", str(out), "-q"])
        start = measured([PY, "-c", STARTUP])
        lib = measured([PY, "-c", LIBRARY, str(src)])
        runs.append((cli, start["wall_s"], json.loads(str(lib["stdout"]))["seconds"]))
    med = statistics.median
    cli_s, start_s, lib_s = (med(r[0]["wall_s"] for r in runs), med(r[1] for r in runs), med(r[2] for r in runs))
    cli_rate, lib_rate = rows / cli_s, rows / lib_s
    each = [round(c["wall_s"] / lib - 1, 4) for c, _, lib in runs]
    return {"rows": rows, "rounds": rounds, "cli_wall_s": round(cli_s, 2), "cli_texts_per_s": round(cli_rate, 1),
            "cli_texts_per_hour": round(cli_rate * 3600),
            "cli_peak_rss_mb": round(med(r[0]["peak_rss_mb"] for r in runs), 1),
            "startup_s": round(start_s, 2), "library_s": round(lib_s, 2),
            "library_texts_per_s": round(lib_rate, 1),
            "overhead_end_to_end": med(each), "overhead_each_round": each,
            "overhead_without_startup": round(med((c["wall_s"] - st) / lib - 1 for c, st, lib in runs), 4),
            "input": str(src)}


def memory(folder: Path, sizes: list[int], cli_sizes: list[int]) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        src = write_input(folder / f"mem-{n}.jsonl", n)
        log(f"memory: {n} rows, I/O and runner alone")
        io_only = measured([PY, "-c", IO_ONLY, str(src), str(folder / f"io-{n}.parquet"), str(n)])
        row: dict[str, Any] = {"rows": n, "io_runner_peak_rss_mb": round(io_only["peak_rss_mb"], 1),
                               "io_runner_wall_s": round(io_only["wall_s"], 1)}
        if n in cli_sizes:
            log(f"memory: {n} rows, the CLI with the shipped model")
            cli = measured([PY, "-m", "emotive", "analyze", str(src), "-o", str(folder / f"cli-{n}.parquet"), "-q"])
            row.update(cli_peak_rss_mb=round(cli["peak_rss_mb"], 1), cli_wall_s=round(cli["wall_s"], 1))
        out.append(row)
        src.unlink()
    return out


def resume(folder: Path, rows: int, kills: int, seed: int = 0) -> dict[str, Any]:
    src = write_input(folder / f"resume-{rows}.jsonl", rows)
    base = [PY, "-m", "emotive", "analyze", str(src), "--chunk-size", "256", "-q"]
    ref = folder / "resume-ref.jsonl"
    log(f"resume: reference run of {rows} rows")
    took = measured([*base, "-o", str(ref)])["wall_s"]
    out = folder / "resume-out.jsonl"
    rng = random.Random(seed)
    tried = landed = runs = 0
    while tried < kills:
        proc = subprocess.Popen([*base, "-o", str(out), "--resume"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        runs += 1
        time.sleep(rng.uniform(0.3, took))
        if proc.poll() is None:
            landed += out.with_name(f".{out.name}.emotive-run").exists()
            proc.kill()
            tried += 1
        proc.wait()
    log(f"resume: {tried} kills, finishing")
    measured([*base, "-o", str(out), "--resume"])
    lines = [json.loads(x)["line"] for x in out.read_text(encoding="utf-8").splitlines()]
    expected = list(range(1, rows + 1))
    return {"rows": rows, "kills": tried, "kills_mid_run": landed, "processes": runs + 1,
            "rows_lost": len(set(expected) - set(lines)), "rows_duplicated": len(lines) - len(set(lines)),
            "in_order": lines == sorted(lines), "byte_identical": out.read_bytes() == ref.read_bytes(),
            "reference_wall_s": round(took, 1)}


def ray_vs_local(folder: Path, src: Path, rows: int) -> dict[str, Any]:
    log("ray: local engine vs --engine ray (2 actors, local cluster)")
    local = measured([PY, "-m", "emotive", "analyze", str(src), "-o", str(folder / "local.jsonl"), "-q"])
    ray = measured([PY, "-m", "emotive", "analyze", str(src), "-o", str(folder / "ray.jsonl"), "-q",
                    "--engine", "ray", "--concurrency", "2", "--threads", "1"])
    same = (folder / "local.jsonl").read_bytes() == (folder / "ray.jsonl").read_bytes()
    return {"rows": rows, "local_wall_s": round(local["wall_s"], 1), "ray_wall_s": round(ray["wall_s"], 1),
            "ray_over_local_throughput": round(local["wall_s"] / ray["wall_s"], 3), "same_output": same}


def report(res: dict[str, Any]) -> str:
    o, r, ray = res["overhead"], res["resume"], res.get("ray")
    parts = ["## Throughput and overhead\n", markdown_table(
        ["rows", "rounds", "CLI texts/s", "texts/hour", "Analyzer.analyze texts/s", "overhead end to end",
         "each round", "overhead without process start"],
        [[o["rows"], o.get("rounds", 1), o["cli_texts_per_s"], f"{o['cli_texts_per_hour']:,}", o["library_texts_per_s"],
          f"{o['overhead_end_to_end']:.1%}", ", ".join(f"{x:.1%}" for x in o.get("overhead_each_round", [])),
          f"{o['overhead_without_startup']:.1%}"]])]
    parts += ["\n## Peak RSS (MiB)\n", markdown_table(
        ["rows", "I/O + runner alone", "CLI with the model"],
        [[m["rows"], m["io_runner_peak_rss_mb"], m.get("cli_peak_rss_mb", "not run")] for m in res["memory"]])]
    parts += ["\n## Resume under kill -9\n", markdown_table(
        ["rows", "kills", "kills while chunks were kept", "rows lost", "rows duplicated", "byte-identical"],
        [[r["rows"], r["kills"], r["kills_mid_run"], r["rows_lost"], r["rows_duplicated"], r["byte_identical"]]])]
    if ray:
        parts += ["\n## Ray (local 2-CPU cluster, 2 actors of 1 thread) vs the local engine (2 threads)\n",
                  markdown_table(["rows", "local s", "ray s", "ray/local throughput", "same output"],
                                 [[ray["rows"], ray["local_wall_s"], ray["ray_wall_s"],
                                   ray["ray_over_local_throughput"], ray["same_output"]]])]
    return "\n".join(parts)


def _previous() -> dict[str, Any]:
    """The results of the last run (a partial rerun keeps the parts it does not measure)."""
    from _common import RESULTS_DIR

    try:
        return dict(json.loads((RESULTS_DIR / "batch.json").read_text(encoding="utf-8"))["results"])
    except (OSError, ValueError, KeyError):
        return {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=50_000, help="texts for the overhead and Ray runs")
    ap.add_argument("--memory", default="20000,200000,2000000", help="sizes for the I/O+runner RSS")
    ap.add_argument("--cli-memory", default="20000", help="sizes also run through the CLI with the model")
    ap.add_argument("--rounds", type=int, default=3, help="CLI-then-library rounds of the overhead part")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--resume-rows", type=int, default=4000)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--parts", default="overhead,memory,resume,ray",
                    help="what to measure; the others are kept from the last results file")
    args = ap.parse_args()
    parts = set(args.parts.split(",")) - ({"ray"} if args.no_ray else set())
    res: dict[str, Any] = _previous()
    with tempfile.TemporaryDirectory(prefix="emotive-batch-") as tmp:
        folder = Path(tmp)
        if "overhead" in parts or "ray" in parts:
            res["overhead"] = overhead(folder, args.rows, args.rounds)
        if "memory" in parts:
            res["memory"] = memory(folder, [int(x) for x in args.memory.split(",")],
                                   [int(x) for x in args.cli_memory.split(",") if x])
        if "resume" in parts:
            res["resume"] = resume(folder, args.resume_rows, args.kills)
        if "ray" in parts:
            res["ray"] = ray_vs_local(folder, Path(res["overhead"]["input"]), args.rows)
    res["overhead"].pop("input", None)
    payload = {"command": command_line(), "date": utc_now(),
               "machine": machine_info(["onnxruntime", "pyarrow", "ray"]), "results": res}
    md = report(res)
    write_results("batch", payload, md)
    print(md)


if __name__ == "__main__":
    main()
