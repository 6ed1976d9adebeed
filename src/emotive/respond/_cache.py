"""A small, thread-safe cache of sentence embeddings keyed by a digest of the text."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any

import numpy as np


class EmbeddingCache:
    """The encoder's embeddings of recently seen turns, so a chat's earlier turns are not
    encoded again on every request (the safety check and the strategy tagger read them).
    Keys are SHA-256 digests (no message text is kept); bounded, least recently used first
    out, shared by threads.

    >>> import numpy as np
    >>> calls = []
    >>> def encode(texts):
    ...     calls.append(list(texts))
    ...     return np.ones((len(texts), 2))
    >>> c = EmbeddingCache(size=8)
    >>> _ = c.get("m", ["a", "b"], encode); _ = c.get("m", ["b", "c"], encode); calls
    [['a', 'b'], ['c']]
    """

    def __init__(self, size: int = 1024):
        self.size = size
        self._items: OrderedDict[tuple[str, bytes], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, model: str, texts: list[str], encode: Any) -> Any:
        """The embeddings of ``texts`` by ``model`` (a name), encoding only the unseen ones."""
        keys = [(model, hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest()) for t in texts]
        with self._lock:
            found = {k: self._items[k] for k in keys if k in self._items}
            for k in found:
                self._items.move_to_end(k)
        first = {k: i for i, k in reversed(list(enumerate(keys)))}  # a repeated text is encoded once
        missing = sorted(i for k, i in first.items() if k not in found)
        if missing:
            fresh = encode([texts[i] for i in missing])
            with self._lock:
                for i, vec in zip(missing, fresh):
                    found[keys[i]] = self._items[keys[i]] = vec
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return np.stack([found[k] for k in keys])

    def clear(self) -> None:
        """Forget every embedding."""
        with self._lock:
            self._items.clear()
