"""Do a text's scores depend on its batch-mates? Old (dynamic) vs new (static) int8 graphs.

For every shipped int8 graph, side by side in one run:

- **stability**: max |scores alone - scores in a batch| over real dev inputs, in batches of
  2, 8 and 32 random mates, next to a long mate (so it is padded), and alone but padded
  to 128 tokens; over every output of the graph (probabilities, VAD, embeddings);
- **speed**: texts/s of ``OnnxModel.predict`` (batch 32, length-bucketed, 2 threads) on the
  same dev inputs, old and new interleaved, best of 5 rounds; and one text per call (the
  server's and the chat's case: ``ALONE_TEXTS`` texts, best of 3 rounds);
- **accuracy on dev** of the fp32 twin, the old and the new int8 graph: GoEmotions dev
  macro-F1 (thresholds tuned on dev per graph, and the manifest's) and calibration error, the conversation
  model's MELD dev / DailyDialog validation macro-F1 and EmoBank dev r_V, the planner's
  ESConv valid accuracy and macro-F1, the respond encoder's cosine to its fp32 twin.

The old graphs are read from git (``--old-rev``, default HEAD: the dynamic graphs before
``python -m emotive.training.quantize``; once the static GoEmotions graph is committed, pass
the last commit with the dynamic one, 7242e53); the fp32 twin is the old graph with its weights
dequantized (no fp32 export of the shipped models survives). The new graphs are the
working tree's (``--models``).

``--also-rev`` adds a third int8 graph (an earlier static one, say) to the same run.

    python benchmarks/batch_stability.py [--old-rev HEAD] [--also-rev REV] [--only goemotions] [--limit 2000]
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive import _metrics  # noqa: E402
from emotive.models import Head, OnnxModel, load_manifest  # noqa: E402
from emotive.training._quantize import dequantize  # noqa: E402
from emotive.training.quantize import is_static  # noqa: E402

MODELS = REPO_ROOT / "src" / "emotive" / "models"
BATCH_SIZES = (2, 8, 32)
PROBES = 48  # texts whose alone-vs-batch difference is measured
ALONE_TEXTS = 300  # texts timed one per call


@dataclasses.dataclass
class Graph:
    """One shipped graph: its folder, its files key, its dev inputs and its dev metric."""

    name: str
    folder: str
    key: str
    inputs: Callable[[int | None], tuple[list[Any], Any]]
    metric: Callable[[OnnxModel, list[Any], Any, OnnxModel | None], dict[str, float]]


def _goemotions_dev(limit: int | None) -> tuple[list[Any], Any]:
    from emotive.datasets import goemotions

    labels = goemotions.labels()
    rows = list(goemotions.read("dev"))[:limit]
    y = np.zeros((len(rows), len(labels)), bool)
    for i, r in enumerate(rows):
        y[i, [labels.index(lab) for lab in r.labels]] = True
    return [r.text for r in rows], y


def _goemotions_metric(model: OnnxModel, x: list[Any], y: Any, _fp32: OnnxModel | None) -> dict[str, float]:
    probs = model.predict(x).outputs["goemotions"]
    tuned = _metrics.tune_thresholds(y, probs)
    shipped = np.array(model.manifest.heads["goemotions"].thresholds)
    import emoji  # the [train] extra (emoji.json is written from it)

    has = np.array([emoji.emoji_count(t) > 0 for t in x])  # the texts the emoji path reads
    emoji_f1 = _metrics.micro_f1(y[has], _metrics.predict_multilabel(probs[has], tuned)) if has.any() else 0.0
    return {"dev_macro_f1_tuned": _f1(y, probs, tuned), "dev_macro_f1_shipped_thresholds": _f1(y, probs, shipped),
            f"dev_emoji_texts_micro_f1_tuned (n={int(has.sum())})": round(float(emoji_f1), 4),
            "dev_ece": round(_metrics.expected_calibration_error(y, probs), 4)}


def _f1(y: np.ndarray, probs: np.ndarray, th: np.ndarray) -> float:
    return round(float(_metrics.f1_per_label(y, _metrics.predict_multilabel(probs, th)).mean()), 4)


def _conversation_dev(limit: int | None) -> tuple[list[Any], Any]:
    from emotive.training._conv_data import Config, context_examples, vad_examples

    ctx, source = context_examples("validation", "dev", Config(), None)
    keep = np.arange(len(ctx.inputs))[:limit]
    vad = vad_examples("dev", Config(), None)
    n = len(keep)
    x = [ctx.inputs[i] for i in keep] + vad.inputs
    return x, (n, ctx.targets[keep], np.array(source)[keep], vad.targets[:, 0])


def _conversation_metric(model: OnnxModel, x: list[Any], y: Any, _fp32: OnnxModel | None) -> dict[str, float]:
    from emotive.training._conv_data import _metrics_single, _pearson

    n, gold, source, v = y
    out = model.predict(x).outputs
    pred = out["context7"][:n].argmax(1)
    res = {f"{name}_dev_macro_f1": round(_metrics_single(gold[source == name], pred[source == name])["macro_f1"], 4)
           for name in ("meld", "dailydialog")}
    res["emobank_dev_r_v"] = round(_pearson(out["vad"][n:, 0], v), 4)
    return res


def _strategy_dev(limit: int | None) -> tuple[list[Any], Any]:
    from emotive.respond.strategy import strategy_text
    from emotive.training.respond import strategy_steps

    steps, histories, gold, _ = strategy_steps("valid", None, None)
    texts = [strategy_text(t, h) for t, h in zip(steps, histories)][:limit]
    return texts, gold[:limit]


def _strategy_metric(model: OnnxModel, x: list[Any], y: Any, _fp32: OnnxModel | None) -> dict[str, float]:
    from emotive.respond.strategy import STRATEGIES

    pred = model.predict(x).outputs["strategy"].argmax(1)
    s = _metrics.single_label_scores(y, pred, STRATEGIES)
    return {"esconv_valid_accuracy": round(float((pred == y).mean()), 4),
            "esconv_valid_macro_f1": round(s["macro_f1"], 4)}


def _encoder_dev(limit: int | None) -> tuple[list[Any], Any]:
    from emotive.datasets import esconv

    return [t.text for conv in esconv.read("valid") for t in conv.turns][:limit], None


def _encoder_metric(model: OnnxModel, x: list[Any], _y: Any, fp32: OnnxModel | None) -> dict[str, float]:
    a = _unit(model.predict(x).outputs["embedding"])
    b = _unit(fp32.predict(x).outputs["embedding"]) if fp32 is not None else a
    cos = (a * b).sum(1)
    return {"cosine_to_fp32_mean": round(float(cos.mean()), 5), "cosine_to_fp32_min": round(float(cos.min()), 5)}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


GRAPHS = [
    Graph("goemotions", "goemotions-minilm-v1", "model", _goemotions_dev, _goemotions_metric),
    Graph("conversation", "conversation-minilm-v1", "model", _conversation_dev, _conversation_metric),
    Graph("respond encoder", "respond-minilm-v1", "model", _encoder_dev, _encoder_metric),
    Graph("respond strategy", "respond-minilm-v1", "strategy_model", _strategy_dev, _strategy_metric),
]


def model_for(folder: Path, key: str, graph: Path) -> OnnxModel:
    """An ``OnnxModel`` of ``folder``'s manifest that runs ``graph`` for the file ``key``."""
    m = load_manifest(folder)
    if key == "strategy_model":
        from emotive.respond.strategy import STRATEGIES

        m = dataclasses.replace(m, heads={"strategy": Head("strategy", STRATEGIES, "softmax")},
                                max_length=int(m.extra.get("strategy", {}).get("max_length", m.max_length)))
    files = {"model": str(graph.resolve()), "tokenizer": m.files["tokenizer"]}
    if "emoji" in m.files:  # the emoji table the graph was trained with
        files["emoji"] = m.files["emoji"]
    return OnnxModel(dataclasses.replace(m, files=files), threads=2, batch_size=32)


def old_graph(rev: str, folder: Path, key: str, out: Path) -> Path:
    rel = (folder / load_manifest(folder).files[key]).resolve().relative_to(REPO_ROOT)
    blob = subprocess.run(["git", "show", f"{rev}:{rel.as_posix()}"], cwd=REPO_ROOT, check=True,
                          capture_output=True).stdout
    out.write_bytes(blob)
    return out


def _scores(model: OnnxModel, inputs: list[Any], width: int | None = None) -> np.ndarray:
    """All non-token outputs of one batch of ``inputs`` (in order), concatenated per row."""
    enc = model.encode(inputs)
    if width is not None and enc.input_ids.shape[1] < width:
        extra = width - enc.input_ids.shape[1]
        enc = dataclasses.replace(enc, input_ids=np.pad(enc.input_ids, ((0, 0), (0, extra))),
                                  attention_mask=np.pad(enc.attention_mask, ((0, 0), (0, extra))))
    names = [n for n, h in model.manifest.heads.items() if h.activation != "token" and n != "tokens"]
    outs = model.forward(enc, names)
    return np.concatenate([outs[n].reshape(len(inputs), -1) for n in names], axis=1)


def stability(model: OnnxModel, pool: list[Any], seed: int = 0) -> dict[str, float]:
    """Max |alone - in batch| per setting, over ``PROBES`` texts from ``pool``."""
    rng = np.random.default_rng(seed)
    probes = [pool[i] for i in rng.choice(len(pool), PROBES, replace=False)]
    lengths = [len(e.ids) for e in model._tokenizer.encode_batch(list(pool))]
    longest = pool[int(np.argmax(lengths))]
    res: dict[str, float] = {}
    alone = [_scores(model, [p])[0] for p in probes]
    for size in BATCH_SIZES:
        worst = 0.0
        for p, a in zip(probes, alone):
            mates = [pool[i] for i in rng.choice(len(pool), size - 1, replace=False)]
            worst = max(worst, float(np.abs(_scores(model, [p, *mates])[0] - a).max()))
        res[f"batch_{size}"] = worst
    res["with_long_mate"] = max(float(np.abs(_scores(model, [p, longest])[0] - a).max()) for p, a in zip(probes, alone))
    res["alone_padded_128"] = max(float(np.abs(_scores(model, [p], 128)[0] - a).max()) for p, a in zip(probes, alone))
    res["max"] = max(res.values())
    return {k: round(v, 6) for k, v in res.items()}


def speed(models: dict[str, OnnxModel], texts: list[Any], rounds: int = 5,
          one_per_call: bool = False) -> dict[str, float]:
    """texts/s per model (all ``texts`` in one ``predict``, or one text per call), interleaved
    round by round; best round of each."""
    best = {name: 0.0 for name in models}
    for m in models.values():
        m.predict(texts)  # warm up: session load, the allocations of every batch shape
    for _ in range(rounds):
        for name, m in models.items():
            start = time.perf_counter()
            for part in ([[t] for t in texts] if one_per_call else [texts]):
                m.predict(part)
            best[name] = max(best[name], len(texts) / (time.perf_counter() - start))
    return {k: round(v, 1) for k, v in best.items()}


def measure(g: Graph, rev: str, work: Path, limit: int | None, speed_n: int,
            fp32_graph: Path | None = None, also_rev: str | None = None) -> dict[str, Any]:
    """``fp32_graph``: the new graph's own fp32 export (default: the old graph dequantized)."""
    folder = MODELS / g.folder
    old = old_graph(rev, folder, g.key, work / f"{g.folder}-{g.key}.old.onnx")
    fp32 = fp32_graph or work / f"{g.folder}-{g.key}.fp32.onnx"
    if fp32_graph is None:
        dequantize(old, fp32)
    new = folder / load_manifest(folder).files[g.key]
    kind = f"static, {rev}" if is_static(old) else "dynamic"  # --old-rev may hold an earlier static graph
    models = {"fp32 twin": model_for(folder, g.key, fp32), f"old int8 ({kind})": model_for(folder, g.key, old)}
    sizes = {f"old int8 ({kind})": old.stat().st_size, "new int8 (static)": new.stat().st_size,
             "fp32 twin": fp32.stat().st_size}
    if also_rev is not None:
        also = old_graph(also_rev, folder, g.key, work / f"{g.folder}-{g.key}.also.onnx")
        also_name = f"int8 ({'static' if is_static(also) else 'dynamic'}, {also_rev})"
        models[also_name] = model_for(folder, g.key, also)
        sizes[also_name] = also.stat().st_size
    models["new int8 (static)"] = model_for(folder, g.key, new)
    log(f"{g.name}: dev inputs")
    x, y = g.inputs(limit)
    log(f"{g.name}: stability")
    stab = {name: stability(m, x) for name, m in models.items()}
    log(f"{g.name}: speed")
    int8 = {k: v for k, v in models.items() if k != "fp32 twin"}
    sp = speed(int8, x[:speed_n])
    log(f"{g.name}: speed, one text per call")
    alone = speed(int8, x[:ALONE_TEXTS], rounds=3, one_per_call=True)
    old_name = next(k for k in models if k.startswith("old int8"))
    log(f"{g.name}: dev accuracy")
    acc = {name: g.metric(m, x, y, models["fp32 twin"]) for name, m in models.items()}
    return {"stability_max_abs_diff": stab, "texts_per_s": sp, "texts_per_s_one_per_call": alone,
            "speed_ratio_new_over_old": round(sp["new int8 (static)"] / sp[old_name], 3),
            "speed_ratio_new_over_old_one_per_call": round(alone["new int8 (static)"] / alone[old_name], 3),
            "dev": acc, "size_mb": {k: round(v / 1e6, 1) for k, v in sizes.items()}, "dev_inputs": len(x)}


def render(results: dict[str, Any]) -> str:
    parts = [f"# Batch stability of the int8 graphs\n\n`{command_line()}`\n"]
    for name, r in results.items():
        rows = [[variant, r["stability_max_abs_diff"][variant]["max"], r["texts_per_s"].get(variant, "-"),
                 r.get("texts_per_s_one_per_call", {}).get(variant, "-"),
                 r["size_mb"][variant], ", ".join(f"{k} {v}" for k, v in r["dev"][variant].items())]
                for variant in r["dev"]]
        per = r["stability_max_abs_diff"]["new int8 (static)"]
        parts.append(f"## {name}\n\nmax |alone - in batch| per setting (new): {per}\n\n"
                     f"speed new/old: {r['speed_ratio_new_over_old']}x in batches of 32, "
                     f"{r.get('speed_ratio_new_over_old_one_per_call', '-')}x one text per call "
                     f"({r['dev_inputs']} dev inputs)\n\n"
                     + markdown_table(["graph", "max abs diff", "texts/s", "texts/s one per call", "MB", "dev"],
                                      rows) + "\n")
    return "\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old-rev", default="HEAD", help="git revision holding the dynamic (old) graphs")
    ap.add_argument("--also-rev", default=None, help="a git revision whose graphs join the comparison")
    ap.add_argument("--only", action="append", help="graph names to measure (default: all)")
    ap.add_argument("--limit", type=int, default=None, help="first N dev inputs (default: all)")
    ap.add_argument("--speed-texts", type=int, default=1500)
    ap.add_argument("--fp32", type=Path, default=None,
                    help="the new graph's fp32 export, as its twin (with one --only graph)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for g in GRAPHS:
            if not args.only or g.name in args.only:
                results[g.name] = measure(g, args.old_rev, Path(tmp), args.limit, args.speed_texts, args.fp32,
                                          args.also_rev)
    payload = {"date": utc_now(), "command": command_line(), "machine": machine_info(["onnxruntime"]),
               "results": results}
    md = render(results)
    write_results("batch_stability" + ("-" + "-".join(x.replace(" ", "_") for x in args.only) if args.only else ""),
                  payload, md, args.out)
    print(md)


if __name__ == "__main__":
    main()
