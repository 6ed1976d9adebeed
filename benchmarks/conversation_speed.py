"""Conversation analysis speed of the working tree's models beside earlier ones, in one run.

Turns/s of ``Analyzer.analyze_conversations`` (the GoEmotions model for the fine labels and
the conversation model for emotion in context, VAD and causes) on MELD test, without and
with emotion causes. Each ``--rev`` is a git revision whose two model directories are taken
from git (``git archive``) and run beside the working tree's, interleaved round by round,
best round of each, 2 threads; so the ratios hold on any CPU, while the turns/s do not.

    python benchmarks/conversation_speed.py --rev 'c442d97^' --rev HEAD [--limit 100] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive import Analyzer  # noqa: E402
from emotive.datasets import meld  # noqa: E402
from emotive.models import load_manifest  # noqa: E402

MODELS = "src/emotive/models"
FOLDERS = ("goemotions-minilm-v1", "conversation-minilm-v1")
NEW = "working tree"


def models_at(rev: str, into: Path) -> dict[str, Path]:
    """The GoEmotions and conversation model directories of ``rev``, written under ``into``."""
    blob = subprocess.run(["git", "archive", "--format=tar", rev, *(f"{MODELS}/{f}" for f in FOLDERS)],
                          cwd=REPO_ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return {f: into / MODELS / f for f in FOLDERS}


def code_at(rev: str, into: Path) -> Path:
    """The ``src`` folder of ``rev`` (code and models), written under ``into``."""
    blob = subprocess.run(["git", "archive", "--format=tar", rev, "src"],
                          cwd=REPO_ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def child(limit: int | None) -> None:
    """One round in this process: the ``emotive`` on ``PYTHONPATH`` with its own models."""
    import emotive

    convs = list(meld.read("test"))[:limit]
    turns = sum(len(c.turns) for c in convs)
    analyzer = Analyzer(threads=2)
    analyzer.analyze_conversations(convs[:5], causes=True)  # warm-up: sessions, heads, trigger head
    out = {"without_causes": turns / timed(analyzer, convs, False),
           "with_causes": turns / timed(analyzer, convs, True),
           "versions": {"goemotions-minilm-v1": analyzer.model.manifest.version,
                        "conversation-minilm-v1": analyzer.conversation_model.manifest.version},
           "package": emotive.__file__}
    print(json.dumps(out))


def in_subprocess(src: Path, limit: int | None) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child"]
    cmd += [] if limit is None else ["--limit", str(limit)]
    done = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    if not out["package"].startswith(str(src)):
        raise SystemExit(f"the subprocess imported {out['package']}, not the code under {src}")
    return out


Rounds = dict[str, dict[str, list[float]]]  # name -> without/with causes -> turns/s per round
Versions = dict[str, dict[str, str]]
KEYS = ("without_causes", "with_causes")


def in_process(revs: list[str], tmp: Path, convs: list[Any], rounds: int,
               limit: int | None) -> tuple[Rounds, Versions]:
    """Each revision's models beside the working tree's, in this process."""
    turns = sum(len(c.turns) for c in convs)
    dirs = {NEW: {f: REPO_ROOT / MODELS / f for f in FOLDERS}}
    for i, rev in enumerate(revs):
        dirs[rev] = models_at(rev, tmp / str(i))
    analyzers = {name: Analyzer(d[FOLDERS[0]], threads=2, conversation_model=d[FOLDERS[1]])
                 for name, d in dirs.items()}
    versions = {name: {f: load_manifest(p).version for f, p in d.items()} for name, d in dirs.items()}
    per_round: Rounds = {name: {k: [] for k in KEYS} for name in dirs}
    for a in analyzers.values():
        a.analyze_conversations(convs[:5], causes=True)  # warm-up: sessions, heads, trigger head
    for r in range(rounds):
        log(f"round {r + 1} of {rounds}")
        for causes in (False, True):
            key = "with_causes" if causes else "without_causes"
            for name, a in analyzers.items():
                per_round[name][key].append(turns / timed(a, convs, causes))
    return per_round, versions


def by_subprocess(revs: list[str], tmp: Path, convs: list[Any], rounds: int,
                  limit: int | None) -> tuple[Rounds, Versions]:
    """Each revision's code and models (the working tree's too), a subprocess per round."""
    srcs = {NEW: REPO_ROOT / "src"}
    for i, rev in enumerate(revs):
        srcs[rev] = code_at(rev, tmp / str(i))
    per_round: Rounds = {name: {k: [] for k in KEYS} for name in srcs}
    versions: Versions = {}
    for r in range(rounds):
        log(f"round {r + 1} of {rounds}")
        for name, src in srcs.items():
            out = in_subprocess(src, limit)
            versions[name] = out["versions"]
            for key in KEYS:
                per_round[name][key].append(out[key])
    return per_round, versions


def timed(analyzer: Analyzer, convs: list[Any], causes: bool) -> float:
    start = time.perf_counter()
    analyzer.analyze_conversations(convs, causes=causes)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", action="append", default=[], help="git revision whose models run beside (repeatable)")
    ap.add_argument("--limit", type=int, default=None, help="first N MELD test conversations (default: all)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--code", action="store_true", help="run each revision's own code too, not only its models")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    if args.child:
        return child(args.limit)
    convs = list(meld.read("test"))[: args.limit]
    turns = sum(len(c.turns) for c in convs)
    with tempfile.TemporaryDirectory() as tmp:
        run = by_subprocess if args.code else in_process
        per_round, versions = run(args.rev, Path(tmp), convs, args.rounds, args.limit)
    results = {name: {k: round(max(v), 1) for k, v in b.items()} for name, b in per_round.items()}
    ratios = {rev: {k: round(results[NEW][k] / results[rev][k], 3) for k in KEYS} for rev in args.rev}
    # the ratio within each round (both ran minutes apart at most), then the median over rounds:
    # steadier than best-of-rounds when the machine's load drifts
    paired = {rev: {k: round(float(np.median(np.divide(per_round[NEW][k], per_round[rev][k]))), 3) for k in KEYS}
              for rev in args.rev}
    payload = {"date": utc_now(), "command": command_line(), "machine": machine_info(["onnxruntime"]),
               "conversations": len(convs), "turns": turns, "rounds": args.rounds,
               "versions": versions, "turns_per_s": results, "ratio_new_over_rev": ratios,
               "paired_median_ratio_new_over_rev": paired,
               "turns_per_s_per_round": {name: {k: [round(x, 1) for x in v] for k, v in b.items()}
                                         for name, b in per_round.items()}}
    rows = [[name, ", ".join(f"{f.split('-')[0]} {v}" for f, v in versions[name].items()),
             results[name]["without_causes"], results[name]["with_causes"],
             "-" if name == NEW else f"{ratios[name]['without_causes']}x / {ratios[name]['with_causes']}x",
             "-" if name == NEW else f"{paired[name]['without_causes']}x / {paired[name]['with_causes']}x"]
            for name in per_round]
    what = ("each revision's own code and models, a fresh subprocess per revision and round" if args.code
            else "each revision's models, run by the working tree's code")
    md = (f"# Conversation analysis speed, side by side\n\n`{command_line()}`\n\n"
          f"MELD test, {len(convs)} conversations, {turns} turns; 2 threads; {what}; best of {args.rounds} "
          "interleaved rounds, and the median over rounds of the ratio within each round.\n\n"
          + markdown_table(["models", "versions", "turns/s", "turns/s with causes", "working tree / this",
                            "paired median"], rows)
          + "\n")
    write_results("conversation_speed-code" if args.code else "conversation_speed", payload, md, args.out)
    print(md)


if __name__ == "__main__":
    main()
