"""Do two revisions' graphs compute the same bits? Every output, the same batches, one thread.

For a graph rewrite that must not change a single score (the NaN guards of GoEmotions 1.4.2,
conversation 1.1.4 and respond 1.0.2, say): each shipped graph of ``--old-rev`` (read from
git) and of the working tree runs the same padded batches of real inputs, one after the
other on one-thread sessions; the script reports the largest |old - new| over every output
and the graphs' time ratio (old / new, graph calls only, no code around them).

Inputs: GoEmotions dev texts; MELD test turns as the conversation model's context pairs, and
as cause pairs (every turn against itself and the 4 before it, emotion "joy" for all); ESConv
valid turns for the respond encoder and ESConv valid steps for the planner.

    python benchmarks/graph_identity.py --old-rev 642d898
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive.models import OnnxModel, resolve_model  # noqa: E402


def _goemotions() -> list[Any]:
    from emotive.datasets import goemotions

    return [r.text for r in goemotions.read("dev")]


def _context() -> list[Any]:
    from emotive.analyze._context import context_input
    from emotive.datasets import meld

    return [context_input(c.turns, k) for c in meld.read("test") for k in range(len(c.turns))]


def _causes() -> list[Any]:
    from emotive.analyze._context import cause_input
    from emotive.datasets import meld

    return [cause_input(c.turns, k, j, "joy")[:2] for c in meld.read("test")
            for k in range(len(c.turns)) for j in range(max(0, k - 4), k + 1)]


def _turns() -> list[Any]:
    from emotive.datasets import esconv

    return [t.text for c in esconv.read("valid") for t in c.turns]


def _steps() -> list[Any]:
    from emotive.respond.strategy import strategy_text
    from emotive.training.respond import strategy_steps

    steps, histories, _, _ = strategy_steps("valid", None, None)
    return [strategy_text(t, h) for t, h in zip(steps, histories)]


# (label, model name, files key, inputs)
CASES: list[tuple[str, str, str, Callable[[], list[Any]]]] = [
    ("GoEmotions, dev texts", "emotive.goemotions-minilm.v1", "model", _goemotions),
    ("conversation, MELD test context pairs", "emotive.conversation-minilm.v1", "model", _context),
    ("conversation, MELD test cause pairs", "emotive.conversation-minilm.v1", "model", _causes),
    ("respond encoder, ESConv valid turns", "emotive.respond-minilm.v1", "model", _turns),
    ("planner, ESConv valid steps", "emotive.respond-minilm.v1", "strategy_model", _steps),
]


def _session(path: Path) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = 1, 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _model(name: str, key: str) -> OnnxModel:
    """The working tree's model, reading the graph of ``key`` (its tokenizer and length)."""
    m = resolve_model(name)
    if key == "model":
        return OnnxModel(m, threads=1)
    length = int(m.extra.get("strategy", {}).get("max_length", m.max_length))
    return OnnxModel(replace(m, files={**m.files, "model": m.files[key]}, max_length=length), threads=1)


def compare(old: Path, new: Path, model: OnnxModel, inputs: list[Any]) -> dict[str, Any]:
    ref, cur = _session(old), _session(new)
    worst, values, t_old, t_new = 0.0, 0, 0.0, 0.0
    for _, batch in model.preprocess(inputs):
        feed = {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask}
        start = time.perf_counter()
        a = ref.run(None, feed)
        t_old += time.perf_counter() - start
        start = time.perf_counter()
        b = cur.run(None, feed)
        t_new += time.perf_counter() - start
        for x, y in zip(a, b, strict=True):
            worst = max(worst, float(np.abs(x - y).max()))
            values += x.size
    return {"inputs": len(inputs), "output_values": values, "max_abs_diff": worst,
            "old_s": round(t_old, 2), "new_s": round(t_new, 2), "old_over_new": round(t_old / t_new, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-rev", required=True, help="git revision whose graphs are the old ones")
    ap.add_argument("--out", default=None, help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, name, key, inputs in CASES:
            model = _model(name, key)
            rel = model.manifest.file("model").relative_to(REPO_ROOT)
            old = Path(tmp) / f"{rel.parent.name}-{rel.name}"
            if not old.exists():
                old.write_bytes(subprocess.run(["git", "show", f"{args.old_rev}:{rel.as_posix()}"], cwd=REPO_ROOT,
                                               check=True, capture_output=True).stdout)
            log(label)
            results[label] = compare(old, model.manifest.file("model"), model, inputs())
    rows = [[k, v["inputs"], v["output_values"], v["max_abs_diff"], f"{v['old_over_new']}x"]
            for k, v in results.items()]
    md = (f"# Graph identity, {args.old_rev} against the working tree\n\n`{command_line()}`\n\n"
          "The same padded batches through both graphs, one-thread sessions, every output.\n\n"
          + markdown_table(["graph, inputs", "inputs", "output values", "max abs(old - new)",
                            "graph time old / new"], rows)
          + "\n")
    write_results("graph_identity", {"date": utc_now(), "command": command_line(),
                                     "machine": machine_info(["onnxruntime"]), "old_rev": args.old_rev,
                                     "results": results}, md, args.out)
    print(md)


if __name__ == "__main__":
    main()
