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
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

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


def timed(analyzer: Analyzer, convs: list[Any], causes: bool) -> float:
    start = time.perf_counter()
    analyzer.analyze_conversations(convs, causes=causes)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", action="append", default=[], help="git revision whose models run beside (repeatable)")
    ap.add_argument("--limit", type=int, default=None, help="first N MELD test conversations (default: all)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    convs = list(meld.read("test"))[: args.limit]
    turns = sum(len(c.turns) for c in convs)
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {NEW: {f: REPO_ROOT / MODELS / f for f in FOLDERS}}
        for i, rev in enumerate(args.rev):
            dirs[rev] = models_at(rev, Path(tmp) / str(i))
        analyzers = {name: Analyzer(d[FOLDERS[0]], threads=2, conversation_model=d[FOLDERS[1]])
                     for name, d in dirs.items()}
        versions = {name: {f: load_manifest(p).version for f, p in d.items()} for name, d in dirs.items()}
        best: dict[str, dict[str, float]] = {name: {"without_causes": 0.0, "with_causes": 0.0} for name in dirs}
        for a in analyzers.values():
            a.analyze_conversations(convs[:5], causes=True)  # warm-up: sessions, heads, trigger head
        for r in range(args.rounds):
            log(f"round {r + 1} of {args.rounds}")
            for causes in (False, True):
                key = "with_causes" if causes else "without_causes"
                for name, a in analyzers.items():
                    best[name][key] = max(best[name][key], turns / timed(a, convs, causes))
    results = {name: {k: round(v, 1) for k, v in b.items()} for name, b in best.items()}
    ratios = {rev: {k: round(results[NEW][k] / results[rev][k], 3) for k in results[NEW]} for rev in args.rev}
    payload = {"date": utc_now(), "command": command_line(), "machine": machine_info(["onnxruntime"]),
               "conversations": len(convs), "turns": turns, "rounds": args.rounds,
               "versions": versions, "turns_per_s": results, "ratio_new_over_rev": ratios}
    rows = [[name, ", ".join(f"{f.split('-')[0]} {v}" for f, v in versions[name].items()),
             results[name]["without_causes"], results[name]["with_causes"],
             "-" if name == NEW else f"{ratios[name]['without_causes']}x / {ratios[name]['with_causes']}x"]
            for name in dirs]
    md = (f"# Conversation analysis speed, side by side\n\n`{command_line()}`\n\n"
          f"MELD test, {len(convs)} conversations, {turns} turns; 2 threads; best of {args.rounds} "
          "interleaved rounds.\n\n"
          + markdown_table(["models", "versions", "turns/s", "turns/s with causes", "working tree / this"], rows)
          + "\n")
    write_results("conversation_speed", payload, md, args.out)
    print(md)


if __name__ == "__main__":
    main()
