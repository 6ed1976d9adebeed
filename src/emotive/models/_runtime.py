"""ONNX inference for model directories: ``preprocess → forward → postprocess``.

Batching, length bucketing, dynamic padding and thread count are handled once here; one
``InferenceSession`` is created lazily and reused.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from emotive._errors import ModelError
from emotive.models._manifest import Manifest, load_manifest
from emotive.models._tokenize import Encoded, load_tokenizer, pad

Input = str | tuple[str, str]


@dataclass(frozen=True)
class Prediction:
    """Raw outputs for a list of texts: per head a ``(n, labels)`` array, in input order
    (token heads, such as span logits, are read per batch with ``forward``)."""

    outputs: dict[str, np.ndarray]
    truncated: np.ndarray


class OnnxModel:
    """A model directory ready for inference.

    ``threads`` sets onnxruntime's intra-op threads (default: all cores, at most 4);
    ``max_length`` reads fewer tokens than the manifest's (faster on long texts).
    """

    def __init__(self, path: str | os.PathLike[str] | Manifest, *, threads: int | None = None,
                 batch_size: int = 32, max_length: int | None = None):
        self.manifest = path if isinstance(path, Manifest) else load_manifest(path)
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self.batch_size = batch_size
        self._session = None
        length = min(max_length or self.manifest.max_length, self.manifest.max_length)
        emoji = self.manifest.file("emoji") if "emoji" in self.manifest.files else None
        self._tokenizer = load_tokenizer(self.manifest.file("tokenizer"), length, emoji)

    def readable(self, text: str) -> str:
        """The start of ``text`` that the model reads (up to its last token), so per-word
        work on a huge text costs no more than on a text of the model's length.

        >>> model = OnnxModel("emotive.goemotions-minilm.v1")  # doctest: +SKIP
        >>> len(model.readable("word " * 100_000)) < 2_000  # doctest: +SKIP
        True
        """
        head = text[:self.manifest.max_length * 40]  # no token is longer than 40 characters
        enc = self._tokenizer.encode(head)
        spans = [end for _, end in enc.offsets if end]
        if not enc.overflowing and len(head) == len(text):
            return text
        return text[:max(spans)] if spans else head

    @property
    def session(self):  # noqa: ANN201 - onnxruntime has no stubs
        if self._session is None:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            try:
                self._session = ort.InferenceSession(
                    str(self.manifest.file("model")), opts, providers=["CPUExecutionProvider"])
            except Exception as exc:  # onnxruntime raises its own untyped errors
                raise ModelError(f"cannot load {self.manifest.file('model')}: {exc}") from exc
        return self._session

    def preprocess(self, texts: Sequence[Input]) -> list[tuple[np.ndarray, Encoded]]:
        """Tokenize, then group texts of similar length into padded batches.

        An input is a text or a ``(text, context)`` pair (the in-context model).
        """
        encs = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([len(e.ids) for e in encs], kind="stable")
        batches = []
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            batches.append((idx, pad([encs[i] for i in idx])))
        return batches

    def forward(self, batch: Encoded, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Run the graph on one padded batch; ``names``: the heads to fetch (default: all but
        the per-token ``tokens`` states, which only ``explain`` reads)."""
        if names is None:
            names = [n for n in self.manifest.heads if n != "tokens"]
        outs = self.session.run(list(names), {"input_ids": batch.input_ids,
                                              "attention_mask": batch.attention_mask})
        return dict(zip(names, outs))

    def encode(self, texts: Sequence[Input]) -> Encoded:
        """Tokenize and pad ``texts`` as one batch, in order (offsets kept)."""
        return pad(self._tokenizer.encode_batch(list(texts)))

    def predict(self, texts: Sequence[Input]) -> Prediction:
        """Probabilities of every head for every text, in input order."""
        n = len(texts)
        outputs = {name: np.zeros((n, h.size), dtype=np.float32)
                   for name, h in self.manifest.heads.items() if h.activation != "token"}
        truncated = np.zeros(n, dtype=bool)
        for idx, batch in self.preprocess(texts):
            for name, arr in self.forward(batch).items():
                if name in outputs:
                    outputs[name][idx] = arr
            truncated[idx] = batch.truncated
        return Prediction(outputs, truncated)
