"""Which int8 quantization keeps the GoEmotions model's accuracy: chosen on dev only.

Quantizes the fp32 graph (``model.fp32.onnx`` in the training work dir, or the shipped
graph's dequantized twin) in several ways and reports GoEmotions *dev* macro-F1 (per-label
thresholds tuned on dev), the mean |p - p_fp32| over every dev text x label, file size and
texts/s on this CPU (the first 1,500 dev texts, best of 3, side by side in one run):
dynamic variants (how per-channel weights were chosen) and static ones (the shipped method,
``_quantize.quantize_static_int8`` with 7-bit weights, beside the earlier ones: int8 weights
with every MatMul result rounded to uint8, uint8 weights, and 7-bit weights with the residual
stream rounded as well, the method before 1.4.1). Test is never read here.

It also runs onnxruntime's integer MatMul on this CPU with 64 products of the largest
values, uint8 x int8, uint8 x 7-bit int8 and uint8 x uint8, against the exact sum: the first
saturates on x86 CPUs without VNNI; the last is exact but slow on CPUs with VNNI.

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
from _common import command_line, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive import _metrics  # noqa: E402
from emotive.datasets import goemotions  # noqa: E402
from emotive.models import OnnxModel, load_tokenizer, resolve_model  # noqa: E402
from emotive.training._quantize import quantize_static_int8  # noqa: E402
from emotive.training.quantize import goemotions_inputs  # noqa: E402


def variants():  # type: ignore[no-untyped-def]
    from onnxruntime.quantization import QuantType

    return {"fp32": None,
            "int8 per-tensor": {"weight_type": QuantType.QInt8},
            "int8 per-channel": {"weight_type": QuantType.QInt8, "per_channel": True},
            "uint8 per-tensor": {"weight_type": QuantType.QUInt8},
            "static, int8 weights, MatMul results rounded (1.3.0)": {"static": True, "weights": "int8",
                                                                      "round_matmul_results": True,
                                                                      "round_residuals": True},
            "static, uint8 weights, MatMul results fp32 (1.3.1)": {"static": True, "weights": "uint8",
                                                                   "round_residuals": True},
            "static, int8 weights, MatMul results fp32": {"static": True, "weights": "int8"},
            "static, 7-bit int8 weights, residual stream rounded (1.3.2, 1.4.0)": {"static": True, "weights": "int7",
                                                                                 "round_residuals": True},
            "static, 7-bit int8 weights, residual stream fp32 (shipped)": {"static": True, "weights": "int7"}}


def kernel_check() -> dict[str, int]:
    """onnxruntime's MatMulInteger on 64 products of 255 x 127 (u8 x s8), 255 x -64 (u8 x
    7-bit s8) and 255 x 255 (u8 x u8), beside the exact sums."""
    import onnxruntime as ort
    from onnx import TensorProto, helper

    out = {}
    for name, kind, w in (("u8 x s8", TensorProto.INT8, np.int8(127)), ("u8 x s7", TensorProto.INT8, np.int8(-64)),
                          ("u8 x u8", TensorProto.UINT8, np.uint8(255))):
        graph = helper.make_graph(
            [helper.make_node("MatMulInteger", ["a", "b"], ["y"])], "g",
            [helper.make_tensor_value_info("a", TensorProto.UINT8, [4, 64]),
             helper.make_tensor_value_info("b", kind, [64, 8])],
            [helper.make_tensor_value_info("y", TensorProto.INT32, [4, 8])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        a, b = np.full((4, 64), 255, np.uint8), np.full((64, 8), w)
        out[f"{name} got"] = int(sess.run(None, {"a": a, "b": b})[0][0, 0])
        out[f"{name} exact"] = int(a[0].astype(np.int64) @ b[:, 0].astype(np.int64))
    return out


SPEED_TEXTS = 1500  # dev texts timed per variant (best of 3, batch 32, 2 threads)


def _timed(model: OnnxModel, texts: list[str]) -> float:
    import time

    start = time.perf_counter()
    model.predict(texts)
    return time.perf_counter() - start


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
    shipped = resolve_model("emotive.goemotions-minilm.v1")
    texts, y = dev_set()
    calibration = goemotions_inputs()
    tok = load_tokenizer(shipped.file("tokenizer"), shipped.max_length, shipped.file("emoji"))
    results, fp32_probs = {}, None
    for name, opts in variants().items():
        tmp = Path(tempfile.mkdtemp())
        for f in shipped.files.values():  # manifest, tokenizer, emoji table, ... (the graph is replaced)
            if (shipped.path / f).is_file():
                shutil.copyfile(shipped.path / f, tmp / f)
        shutil.copyfile(shipped.path / "manifest.json", tmp / "manifest.json")
        graph = tmp / shipped.files["model"]
        if opts is None:
            shutil.copyfile(args.fp32, graph)
        elif opts.get("static"):
            quantize_static_int8(args.fp32, graph, calibration, tok,
                                 **{k: v for k, v in opts.items() if k != "static"})
        else:
            quantize_dynamic(str(args.fp32), str(graph), **opts)
        model = OnnxModel(tmp, threads=2)
        probs = model.predict(texts).outputs["goemotions"]
        seconds = min(_timed(model, texts[:SPEED_TEXTS]) for _ in range(3))
        fp32_probs = probs if fp32_probs is None else fp32_probs
        th = _metrics.tune_thresholds(y, probs)
        f1 = float(_metrics.f1_per_label(y, _metrics.predict_multilabel(probs, th)).mean())
        results[name] = {"dev_macro_f1_tuned": round(f1, 4),
                         "mean_abs_diff_to_fp32": round(float(np.abs(probs - fp32_probs).mean()), 5),
                         "size_mb": round(graph.stat().st_size / 1e6, 1),
                         "texts_per_s": round(min(SPEED_TEXTS, len(texts)) / seconds, 1)}
        shutil.rmtree(tmp)
    kernels = kernel_check()
    payload = {"date": utc_now(), "command": command_line(), "machine": machine_info(["onnxruntime"]),
               "results": results, "matmul_integer_check": kernels}
    base = results["int8 per-channel"]["texts_per_s"]
    md = markdown_table(["variant", "dev macro-F1", "mean abs diff to fp32", "MB", "texts/s (vs dynamic per-channel)"],
                        [[k, v["dev_macro_f1_tuned"], v["mean_abs_diff_to_fp32"], v["size_mb"],
                          f"{v['texts_per_s']} ({v['texts_per_s'] / base:.2f}x)"] for k, v in results.items()])
    check = ", ".join(f"{k} {v:,}" for k, v in kernels.items())
    write_results("quantization_dev", payload,
                  f"# Quantization, GoEmotions dev\n\n`{command_line()}`\n\n{md}\n\n"
                  f"MatMulInteger on this CPU, 64 products of the largest values: {check}\n", args.out)
    print(md)
    print(check)


if __name__ == "__main__":
    main()
