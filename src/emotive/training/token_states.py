"""One-pass trigger words: the token states as a graph output, and a trigger head on them.

The shipped GoEmotions graph pools the encoder's last token states. ``add_token_states``
makes those states a second output (``tokens``) of the same graph, int8 graphs included,
so the analysis pass gives them at no extra cost. ``fit_trigger_head`` then fits a linear
head (ridge regression, numpy) from a word's token states and the text's mean state to the
drops that occlusion measures for that word (one extra pass per word, done once here on
GoEmotions train texts), and writes it beside the graph as ``triggers.npz``.
``Analyzer.explain`` then scores every word of a text from one forward pass.

``emotive train triggers`` runs both on a model directory. Needs ``onnx`` (``[train]``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emotive._errors import ModelError, missing_extra
from emotive._files import atomic_path
from emotive.models import load_manifest, write_manifest

HEAD = "goemotions"
TOKENS = "tokens"
POOLING = "/model/Mul_output_0"  # the export's masked token states, before mean pooling


def add_token_states(model_dir: str | os.PathLike[str]) -> None:
    """Add the ``tokens`` output to ``model.onnx`` and the ``tokens`` head to the manifest."""
    try:
        import onnx
    except ImportError:
        raise missing_extra("train", "onnx") from None
    folder = Path(model_dir)
    model = onnx.load(str(folder / "model.onnx"))
    if TOKENS not in [o.name for o in model.graph.output]:
        mul = next((n for n in model.graph.node if n.op_type == "Mul" and n.output[0] == POOLING), None)
        if mul is None:
            raise ModelError(f"{folder}: the graph has no mean pooling over token states ({POOLING})")
        model.graph.node.append(onnx.helper.make_node("Identity", [mul.input[0]], [TOKENS],
                                                      name="emotive_token_states"))
        model.graph.output.append(onnx.helper.make_tensor_value_info(
            TOKENS, onnx.TensorProto.FLOAT, ["batch", "sequence", "dim"]))
        with atomic_path(folder / "model.onnx") as tmp:
            onnx.save(model, str(tmp))
    _manifest(folder, heads={TOKENS: {"labels": [], "activation": "token",
                                      "about": "last token states, before mean pooling"}})


def occlusion_targets(analyzer: Any, texts: Sequence[str],
                      progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features (units, 2 x dim) and occlusion drops (units, labels) of every candidate word."""
    from emotive.analyze import candidates, occluded, unit_features

    feats, drops = [], []
    for n, raw in enumerate(texts, 1):
        text = analyzer.model.readable(raw)
        spans = candidates(text)
        if spans:
            probs = analyzer.model.predict([text, *occluded(text, spans)]).outputs[HEAD]
            batch = analyzer.model.encode([text])
            states = analyzer.model.forward(batch, [TOKENS])[TOKENS][0]
            feats.append(unit_features(batch.encodings[0], states, spans))
            drops.append(probs[0][None, :] - probs[1:])
        if progress is not None and n % 100 == 0:
            progress(n, len(texts))
    return np.concatenate(feats), np.concatenate(drops)


def ridge(x: np.ndarray, y: np.ndarray, alpha: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias of ``y ~ x @ w + b`` with an L2 penalty ``alpha`` (bias unpenalized).

    >>> x = np.array([[0.0], [1.0], [2.0]]); w, b = ridge(x, 2 * x + 1, alpha=0.0)
    >>> round(float(w[0, 0]), 3), round(float(b[0]), 3)
    (2.0, 1.0)
    """
    xb = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    penalty = alpha * np.eye(xb.shape[1])
    penalty[-1, -1] = 0.0
    w = np.linalg.solve(xb.T @ xb + penalty, xb.T @ y.astype(np.float64))
    return w[:-1].astype(np.float32), w[-1].astype(np.float32)


def fit_trigger_head(model_dir: str | os.PathLike[str], texts: Sequence[str], *, alpha: float = 10.0,
                     threads: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Fit the trigger head on ``texts`` (occlusion targets) and write ``triggers.npz``."""
    from emotive.analyze import Analyzer

    folder = Path(model_dir)
    add_token_states(folder)
    analyzer = Analyzer(folder, threads=threads)
    x, y = occlusion_targets(analyzer, texts, progress)
    weight, bias = ridge(x, y, alpha)
    with atomic_path(folder / "triggers.npz") as tmp, open(tmp, "wb") as fh:
        np.savez(fh, weight=weight, bias=bias)
    info = {"texts": len(texts), "units": int(len(x)), "alpha": alpha,
            "target": "occlusion probability drop per GoEmotions label",
            "features": "mean token state of the word + mean token state of the text"}
    _manifest(folder, files={"triggers": "triggers.npz"}, extra={"trigger_head": info})
    return info


def _manifest(folder: Path, *, heads: dict[str, Any] | None = None, files: dict[str, str] | None = None,
              extra: dict[str, Any] | None = None) -> None:
    raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    raw["heads"].update(heads or {})
    raw["files"].update(files or {})
    raw.update(extra or {})
    raw.pop("sha256", None)
    write_manifest(folder, raw)
    load_manifest(folder)
