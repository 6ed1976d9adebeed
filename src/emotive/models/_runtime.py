"""ONNX inference for model directories: ``preprocess → forward → postprocess``.

Batching, length bucketing, dynamic padding and thread count are handled once here. The
``InferenceSession`` is created lazily and reused; a call of several batches runs them side
by side, one batch per thread on a second, one-thread session (``run``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
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

    ``threads`` sets the cores used (default: all, at most 4): onnxruntime's intra-op threads
    for one batch, or that many batches at a time for several (``run``);
    ``max_length`` reads fewer tokens than the manifest's (faster on long texts).
    """

    def __init__(self, path: str | os.PathLike[str] | Manifest, *, threads: int | None = None,
                 batch_size: int = 32, max_length: int | None = None):
        self.manifest = path if isinstance(path, Manifest) else load_manifest(path)
        self.threads = threads or min(os.cpu_count() or 1, 4)
        self.batch_size = batch_size
        self._session = None
        self._solo = None  # one intra-op thread: batches run side by side on it
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
            self._session = self._load(self.threads)
        return self._session

    def _load(self, threads: int):  # noqa: ANN202 - onnxruntime has no stubs
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            return ort.InferenceSession(str(self.manifest.file("model")), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelError(f"cannot load {self.manifest.file('model')}: {exc}") from exc

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
        return self._forward(self.session, batch, names)

    def _forward(self, session, batch: Encoded,  # noqa: ANN001 - onnxruntime has no stubs
                 names: Sequence[str] | None) -> dict[str, np.ndarray]:
        if names is None:
            names = [n for n in self.manifest.heads if n != "tokens"]
        outs = session.run(list(names), {"input_ids": batch.input_ids, "attention_mask": batch.attention_mask})
        return dict(zip(names, outs))

    def run(self, batches: Sequence[tuple[np.ndarray, Encoded]], names: Sequence[str] | None = None,
            ) -> Iterator[tuple[np.ndarray, Encoded, dict[str, np.ndarray]]]:
        """``forward`` over ``preprocess``'s batches, yielding ``(indices, batch, outputs)`` in
        order. Several batches run side by side, ``threads`` at a time, each on one core of a
        one-thread session: on batches this small that beats splitting each batch across the
        cores (2 cores: conversation analysis 1.10x, with causes 1.11x; ``python
        benchmarks/conversation_speed.py --code --rev 08f1afe``, the commit before), for a second
        session's memory (about 60 MB a model). The scores are exactly the same either way."""
        if self.threads < 2 or len(batches) < 2:
            for idx, batch in batches:
                yield idx, batch, self.forward(batch, names)
            return
        if self._solo is None:
            self._solo = self._load(1)
        solo = self._solo
        with ThreadPoolExecutor(self.threads, thread_name_prefix="emotive-onnx") as pool:
            # the biggest batches first, so that no core idles while the last one runs alone
            # (``preprocess`` sorts by length: its last batch is its longest)
            biggest = sorted(range(len(batches)), key=lambda i: -batches[i][1].input_ids.size)
            futures = {i: pool.submit(self._forward, solo, batches[i][1], names) for i in biggest}
            for i, (idx, batch) in enumerate(batches):
                yield idx, batch, futures[i].result()

    def encode(self, texts: Sequence[Input]) -> Encoded:
        """Tokenize and pad ``texts`` as one batch, in order (offsets kept)."""
        return pad(self._tokenizer.encode_batch(list(texts)))

    def predict(self, texts: Sequence[Input]) -> Prediction:
        """Probabilities of every head for every text, in input order."""
        n = len(texts)
        outputs = {name: np.zeros((n, h.size), dtype=np.float32)
                   for name, h in self.manifest.heads.items() if h.activation != "token"}
        truncated = np.zeros(n, dtype=bool)
        for idx, batch, out in self.run(self.preprocess(texts)):
            for name, arr in out.items():
                if name in outputs:
                    outputs[name][idx] = arr
            truncated[idx] = batch.truncated
        return Prediction(outputs, truncated)
