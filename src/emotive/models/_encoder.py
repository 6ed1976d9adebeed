"""Sentence embeddings from a model directory with an ``embedding`` head.

The respond model (``emotive.respond-minilm.v1``) carries the frozen all-MiniLM-L6-v2
sentence encoder (mean pooling, L2-normalized) as int8 ONNX; the retrieval backend and the
small planner heads read its vectors.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from emotive._errors import ModelError
from emotive.models._manifest import Manifest
from emotive.models._registry import resolve_model
from emotive.models._runtime import OnnxModel

RESPOND_MODEL = "emotive.respond-minilm.v1"


class SentenceEncoder:
    """Unit-length vectors for texts; cosine similarity is their dot product.

    >>> SentenceEncoder().encode(["I lost my job today."]).shape  # doctest: +SKIP
    (1, 384)
    """

    def __init__(self, model: str | os.PathLike[str] | Manifest | None = None, *,
                 threads: int | None = None, batch_size: int = 32, max_length: int | None = None):
        manifest = model if isinstance(model, Manifest) else resolve_model(model or RESPOND_MODEL)
        head = manifest.heads.get("embedding")
        if head is None or head.activation != "embedding":
            raise ModelError(f"model {manifest.name} has no 'embedding' head; use "
                             f"{RESPOND_MODEL} or another sentence-encoder directory")
        self.model = OnnxModel(manifest, threads=threads, batch_size=batch_size, max_length=max_length)
        self.dim = head.size

    @property
    def manifest(self) -> Manifest:
        return self.model.manifest

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """An ``(n, dim)`` float32 array of unit vectors (zeros for no texts)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self.model.predict(list(texts)).outputs["embedding"]
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return (vecs / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode_each(self, texts: Sequence[str]) -> np.ndarray:
        """Like ``encode``, each text in a batch of its own, so that its vector does not move
        with the other texts: the encoder is a dynamic int8 graph, whose activation scales
        come from the whole batch (the crisis head and the strategy tagger read these)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate([self.encode([t]) for t in texts])
