"""Micro-batching: concurrent analyze requests gathered into one model batch.

One worker thread owns the analyzer (its ONNX session). A request puts its texts on a
bounded queue and awaits a future; the worker takes the first waiting request, gathers the
others that arrive within ``max_wait_ms`` (up to ``max_batch`` texts), runs one
``Analyzer.analyze`` call per option set, and resolves every future. A full queue raises
``ApiError(503)`` with ``Retry-After`` at once instead of piling up.

The wait adapts: the worker waits only while more analyze requests are in the server
(``in_flight``, counted by the HTTP layer from arrival to the last byte) than it has
gathered, so a lone client never waits and many clients fill the batch.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from emotive.server._http_errors import ApiError
from emotive.server._metrics import Metrics

Options = tuple[str | None, float | None, int | None, bool]  # scheme, threshold, top_k, explain


@dataclass
class _Item:
    texts: list[str]
    options: Options
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    results: list[Any] = field(default_factory=list)


class MicroBatcher:
    """Gather concurrent ``analyze`` calls into batches for one analyzer (``load()`` makes it,
    in the worker thread, on first use).

    Each result is ``(Analysis, triggers or None)``.
    """

    def __init__(self, load: Callable[[], Any], metrics: Metrics, *, max_batch: int = 32,
                 max_wait_ms: float = 5.0, max_queue: int = 1024):
        self._load, self._metrics = load, metrics
        self.max_batch, self.max_wait, self.max_queue = max_batch, max_wait_ms / 1000, max_queue
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self.in_flight = 0  # analyze requests in the server now (set by the HTTP layer)

    async def analyze(self, texts: Sequence[str], options: Options) -> list[Any]:
        """The results for ``texts``, once the worker has run their batch."""
        if not texts:
            return []
        loop = asyncio.get_running_loop()
        item = _Item(list(texts), options, loop, loop.create_future())
        with self._lock:
            if self._pending + len(item.texts) > self.max_queue:
                self._metrics.rejected.inc()
                raise ApiError(503, "queue_full", f"the analyze queue is full ({self.max_queue} texts waiting, "
                               "--queue-size); retry after a second", {"Retry-After": "1"})
            self._pending += len(item.texts)
            self._metrics.queue_depth.set(self._pending)
            self._start()
        self._queue.put(item)
        result: list[Any] = await item.future
        return result

    def close(self) -> None:
        """Stop the worker after the batches already queued."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=10)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="emotive-analyze", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        analyzer = None
        while True:
            batch = self._gather()
            if batch is None:
                return
            try:
                analyzer = analyzer or self._load()
                self._run(analyzer, batch)
            except Exception as exc:  # a failed load: every waiting request gets the error
                for item in batch:
                    _resolve(item, exc)
            finally:
                self._done(batch)

    def _gather(self) -> list[_Item] | None:
        first = self._queue.get()
        if first is None:
            return None
        batch, size = [first], len(first.texts)
        deadline = time.monotonic() + self.max_wait
        while size < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                left = deadline - time.monotonic()
                if left <= 0 or self.in_flight <= len(batch):  # nobody else is coming
                    break
                try:
                    item = self._queue.get(timeout=min(left, 0.0005))
                except queue.Empty:
                    continue
            if item is None:
                self._queue.put(None)  # stop after this batch
                break
            batch.append(item)
            size += len(item.texts)
        return batch

    def _run(self, analyzer: Any, batch: list[_Item]) -> None:
        groups: dict[Options, list[_Item]] = {}
        for item in batch:
            groups.setdefault(item.options, []).append(item)
        self._metrics.batch_requests.observe(len(batch))
        for options, items in groups.items():
            self._metrics.batch_size.observe(sum(len(i.texts) for i in items))
            try:
                _analyze(analyzer, items, options)
            except Exception:  # one bad request must not fail the others: run them one by one
                for item in items:
                    try:
                        _analyze(analyzer, [item], options)
                    except Exception as exc:
                        _resolve(item, exc)
                        continue
            for item in items:
                if item.results:
                    _resolve(item, None)

    def _done(self, batch: list[_Item]) -> None:
        with self._lock:
            self._pending -= sum(len(i.texts) for i in batch)
            self._metrics.queue_depth.set(self._pending)


def _analyze(analyzer: Any, items: list[_Item], options: Options) -> None:
    scheme, threshold, top_k, explain = options
    texts = [t for item in items for t in item.texts]
    analyses = analyzer.analyze(texts, scheme=scheme, threshold=threshold, top_k=top_k)
    triggers = [analyzer.explain(t) for t in texts] if explain else [None] * len(texts)
    start = 0
    for item in items:
        stop = start + len(item.texts)
        item.results = list(zip(analyses[start:stop], triggers[start:stop]))
        start = stop


def _resolve(item: _Item, exc: Exception | None) -> None:
    def finish() -> None:
        if item.future.done():  # the client went away (request cancelled)
            return
        if exc is not None:
            item.future.set_exception(exc)
        else:
            item.future.set_result(item.results)

    try:
        item.loop.call_soon_threadsafe(finish)
    except RuntimeError:  # the event loop is closed: nobody waits any more
        pass
