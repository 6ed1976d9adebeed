"""``--engine ray``: the same chunks through Ray Data (extra ``[ray]``).

The driver reads the source (one pass, as the local engine) and hands windows of chunks
to ``Dataset.map_batches`` with a callable class, ``_Worker``: each actor unpickles the
job's batch function once and so loads its ONNX session once, and ``concurrency`` actors
run side by side, on one machine or on every node of a cluster (``address``). Order is
preserved, and the records come back to the driver, which writes them as the local
engine does (same ledger, same resume). A window holds ``window`` chunks per actor, so
the model load is paid once per window and memory stays bounded.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from typing import Any

from emotive._errors import ConfigError, EmotiveError, missing_extra

WINDOW = 8  # chunks per actor in one Ray Data window


class _Worker:
    """A Ray Data actor: the job's batch function, built once per actor."""

    def __init__(self, process: bytes):
        self.process = pickle.loads(process)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        return {"index": list(batch["index"]), "records": [self._one(b) for b in batch["items"]]}

    def _one(self, blob: bytes) -> bytes:
        try:
            return pickle.dumps(self.process(pickle.loads(blob)))
        except EmotiveError as exc:  # a bad row: sent back as a value, raised by the driver
            return pickle.dumps(exc)


def start(options: dict[str, Any]) -> Any:
    """Connect to the cluster at ``address`` or start a local one (``num_cpus``)."""
    try:
        import ray
    except ImportError:
        raise missing_extra("ray", "ray") from None
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "logging_level": "ERROR", "configure_logging": False}
        if options.get("address"):
            kwargs["address"] = options["address"]
        elif options.get("num_cpus"):
            kwargs["num_cpus"] = int(options["num_cpus"])
        try:
            ray.init(**kwargs)
        except ConnectionError as exc:
            raise ConfigError(f"cannot reach the Ray cluster at {options.get('address')!r}: {exc}; "
                              "start it with 'ray start --head' or drop --address") from None
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    return ray


def ray_results(process: Callable[[list[Any]], list[dict[str, Any]]],
                chunks: Iterator[tuple[int, list[Any], int, int]], skip: set[int],
                options: dict[str, Any]) -> Iterator[tuple[int, list[Any], list[dict[str, Any]], int, int]]:
    """The local engine's contract, run on Ray: chunks in, records out, in order."""
    ray = start(options)
    concurrency = max(1, int(options.get("concurrency") or 2))
    blob = pickle.dumps(process)
    window: list[tuple[int, list[Any], int, int]] = []
    for chunk in chunks:
        if chunk[0] in skip:
            yield from _run_window(ray, blob, window, concurrency)
            window = []
            yield chunk[0], chunk[1], [], chunk[3], chunk[2]
            continue
        window.append(chunk)
        if len(window) >= WINDOW * concurrency:
            yield from _run_window(ray, blob, window, concurrency)
            window = []
    yield from _run_window(ray, blob, window, concurrency)


def _run_window(ray: Any, blob: bytes, window: list[tuple[int, list[Any], int, int]],
                concurrency: int) -> Iterator[tuple[int, list[Any], list[dict[str, Any]], int, int]]:
    if not window:
        return
    items = [{"index": index, "items": pickle.dumps(items)} for index, items, _, _ in window]
    ds = ray.data.from_items(items, override_num_blocks=len(items))
    ds = ds.map_batches(_Worker, fn_constructor_kwargs={"process": blob}, batch_size=1,
                        concurrency=min(concurrency, len(items)), batch_format="numpy")
    by_index = {index: (items, position, blanks) for index, items, blanks, position in window}
    for row in _rows(ds):
        index = int(row["index"])
        items, position, blanks = by_index.pop(index)
        records = pickle.loads(row["records"])
        if isinstance(records, EmotiveError):
            raise records
        yield index, items, records, position, blanks
    if by_index:
        raise ConfigError(f"Ray returned no result for chunks {sorted(by_index)[:5]}")


def _rows(ds: Any) -> Iterator[dict[str, Any]]:
    """The dataset's rows; a failed worker becomes a ``ConfigError`` that says so."""
    try:
        yield from ds.iter_rows()
    except EmotiveError:
        raise
    except Exception as exc:  # Ray's own: an actor died, a node went away, ...
        raise ConfigError(f"the Ray job failed: {type(exc).__name__}: {str(exc)[:500]}") from exc
