"""Which int8 quantization keeps the GoEmotions model's accuracy: chosen on dev only.

Quantizes the fp32 graph (``model.fp32.onnx`` in the training work dir) in several ways and
reports GoEmotions *dev* macro-F1 (per-label thresholds tuned on dev) and file size. This is
how ``training/_base.quantize_int8`` was chosen (per-channel); test is never read here.

    python benchmarks/quantization_dev.py --fp32 .emotive-train/goemotions/model.fp32.onnx
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, markdown_table, utc_now, write_results  # noqa: E402

from emotive import _metrics  # noqa: E402
from emotive.datasets import goemotions  # noqa: E402
from emotive.models import OnnxModel, resolve_model  # noqa: E402


def variants():  # type: ignore[no-untyped-def]
    from onnxruntime.quantization import QuantType

    return {"fp32": None,
            "int8 per-tensor": {"weight_type": QuantType.QInt8},
            "int8 per-channel": {"weight_type": QuantType.QInt8, "per_channel": True},
            "uint8 per-tensor": {"weight_type": QuantType.QUInt8}}


def dev_set() -> tuple[list[str], np.ndarray]:
    labels = goemotions.labels()
    rows = list(goemotions.read("dev"))
    y = np.zeros((len(rows), len(labels)), bool)
    for i, r in enumerate(rows):
        for lab in r.labels:
            y[i, labels.index(lab)] = True
    return [r.text for r in rows], y


def main() -> None:
    from onnxruntime.quantization import quantize_dynamic

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fp32", type=Path, required=True)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    shipped = resolve_model("emotive.goemotions-minilm.v1").path
    texts, y = dev_set()
    results = {}
    for name, opts in variants().items():
        tmp = Path(tempfile.mkdtemp())
        for f in ("manifest.json", "tokenizer.json"):
            shutil.copyfile(shipped / f, tmp / f)
        if opts is None:
            shutil.copyfile(args.fp32, tmp / "model.onnx")
        else:
            quantize_dynamic(str(args.fp32), str(tmp / "model.onnx"), **opts)
        probs = OnnxModel(tmp, threads=2).predict(texts).outputs["goemotions"]
        th = _metrics.tune_thresholds(y, probs)
        f1 = float(_metrics.f1_per_label(y, _metrics.predict_multilabel(probs, th)).mean())
        results[name] = {"dev_macro_f1_tuned": round(f1, 4),
                         "size_mb": round((tmp / "model.onnx").stat().st_size / 1e6, 1)}
        shutil.rmtree(tmp)
    payload = {"date": utc_now(), "command": command_line(), "results": results}
    md = markdown_table(["variant", "dev macro-F1", "MB"],
                        [[k, v["dev_macro_f1_tuned"], v["size_mb"]] for k, v in results.items()])
    write_results("quantization_dev", payload, f"# Quantization, GoEmotions dev\n\n`{command_line()}`\n\n{md}",
                  args.out)
    print(md)


if __name__ == "__main__":
    main()
