"""The one runner: source -> chunks -> a job's pure batch function -> sink.

Every job (analyze texts, analyze conversations, causes, respond) and every edge (the
CLI, ``--engine ray``) runs through ``run``. It reads its source once, cuts it into
chunks (fixed by the input, so a rerun cuts the same chunks), gives each chunk to the
job's batch function, and writes the records in input order: to stdout, to a file through
the ledger (``--resume`` after a crash), or to a callback. Blank rows are skipped and
counted; every other row yields its records once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.io import Layout, Writer, check_output, output_kind
from emotive.runner._ledger import Ledger

ENGINES = ("local", "ray")
Records = list[dict[str, Any]]


@dataclass
class Job:
    """What the runner runs.

    ``process`` is the job's batch function: a chunk of input items in, their records out
    (a picklable callable, so Ray can ship it to its workers). ``chunk`` cuts the items
    into chunks; ``tally`` counts a chunk's outcome as a JSON-ready dict of numbers and
    label counts (summed over the run, kept in the ledger); ``settings`` are what a resumed
    run must share with the interrupted one.
    """

    name: str
    process: Callable[[list[Any]], Records]
    chunk: Callable[[Iterator[Any]], Iterator[list[Any]]]
    tally: Callable[[list[Any], Records], dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """The summed counts of a run, its number of chunks and how many came from a ledger."""

    counts: dict[str, Any]
    chunks: int = 0
    resumed: int = 0


def run(source: Any, job: Job, output: str | None = None, *, layout: Layout | None = None,
        fmt: str | None = None, top_k: int | None = None, resume: bool = False,
        engine: str = "local", engine_options: dict[str, Any] | None = None,
        progress: Callable[[int, int | None, str], None] | None = None,
        sink: Callable[[Records], None] | None = None) -> RunResult:
    """Run ``job`` over ``source`` (an ``emotive.io`` source of rows or conversations).

    Records go to ``sink`` when given, else to ``output`` (``None``/``-``: jsonl on stdout;
    a file: through the ledger, so ``resume=True`` continues an interrupted run).
    ``progress(done, total, unit)`` is called after each chunk: how far into the input it
    ends, the input's size (None for stdin) and the unit (``bytes`` or ``rows``).
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    to_file = sink is None and output not in (None, "-")
    if resume and not to_file:
        raise ConfigError("--resume needs an output file (-o FILE): stdout cannot be resumed")
    if resume and source.path == "-":
        raise ConfigError("--resume needs an input file: stdin cannot be read again")
    if sink is None:
        check_output(output)
    results = _Results(_Chunks(source, job), job.process, engine, engine_options or {})
    tick = _bound(progress, source) if progress is not None else None
    if sink is not None:
        return _drain(results, job, lambda index, records, counts: sink(records), {}, tick)
    if not to_file:
        with Writer(None, layout or Layout((), dict), fmt, top_k) as writer:
            return _drain(results, job, lambda index, records, counts: writer.write_many(records), {}, tick)
    kind = output_kind(output, fmt)
    assert layout is not None and output is not None
    ledger = Ledger(output, kind, layout, top_k)
    done = ledger.open(_identity(source, job, kind, top_k), resume)
    results.skip = set(done)
    try:
        result = _drain(results, job, ledger.commit, done, tick)
    except InputError:
        ledger.discard()  # a bad row fails every rerun of this input: nothing to resume
        raise
    ledger.finish(result.chunks)
    return result


def _drain(results: _Results, job: Job, keep: Callable[[int, Records, dict[str, Any]], None],
           done: dict[int, dict[str, Any]], progress: Callable[[int], None] | None) -> RunResult:
    """Give each new chunk's records and counts to ``keep``; take a finished chunk's counts
    from ``done`` (the ledger's); sum the counts."""
    result = RunResult(counts={})
    for index, items, records, position, blanks in results:
        if index in done:
            counts = done[index]
            result.resumed += 1
        else:
            counts = _with_blanks(job.tally(items, records), blanks)
            keep(index, records, counts)
        _add(result.counts, counts)
        result.chunks = index + 1
        if progress is not None:
            progress(position)
    _add(result.counts, {"blank": results.tail_blanks})
    return result


class _Chunks:
    """``(index, items, blanks before them, position)`` for each chunk of the source."""

    def __init__(self, source: Iterable[Any], job: Job):
        self.source = source
        self.job = job
        self.blanks = 0
        self.tail_blanks = 0
        self.position = 0

    def _items(self) -> Iterator[Any]:
        for item in self.source:
            self.position = getattr(item, "end", self.position)
            if getattr(item, "blank", False):
                self.blanks += 1
                continue
            yield item

    def __iter__(self) -> Iterator[tuple[int, list[Any], int, int]]:
        for index, items in enumerate(self.job.chunk(self._items())):
            blanks, self.blanks = self.blanks, 0
            yield index, items, blanks, self.position
        self.tail_blanks = self.blanks


class _Results:
    """The chunks with their records, in input order; chunks in ``skip`` are not run."""

    def __init__(self, chunks: _Chunks, process: Callable[[list[Any]], Records], engine: str,
                 options: dict[str, Any]):
        self.chunks = chunks
        self.process = process
        self.engine = engine
        self.options = options
        self.skip: set[int] = set()

    @property
    def tail_blanks(self) -> int:
        return self.chunks.tail_blanks

    def __iter__(self) -> Iterator[tuple[int, list[Any], Records, int, int]]:
        if self.engine == "ray":
            from emotive.runner._ray import ray_results

            return ray_results(self.process, iter(self.chunks), self.skip, self.options)
        return _local(self.process, iter(self.chunks), self.skip)


def _local(process: Callable[[list[Any]], Records], chunks: Iterator[tuple[int, list[Any], int, int]],
           skip: set[int]) -> Iterator[tuple[int, list[Any], Records, int, int]]:
    for index, items, blanks, position in chunks:
        records = [] if index in skip else process(items)
        yield index, items, records, position, blanks


def _bound(progress: Callable[[int, int | None, str], None], source: Any) -> Callable[[int], None]:
    total, unit = getattr(source, "total", None), getattr(source, "unit", "rows")
    return lambda position: progress(position, total, unit)


def _identity(source: Any, job: Job, kind: str, top_k: int | None) -> dict[str, Any]:
    from emotive import __version__

    path = os.path.abspath(source.path)
    info = os.stat(path)
    return {"job": job.name, "settings": job.settings, "output_format": kind, "top_k": top_k,
            "input": {"path": path, "bytes": info.st_size, "modified_ns": info.st_mtime_ns},
            "emotive": __version__}


def _with_blanks(counts: dict[str, Any], blanks: int) -> dict[str, Any]:
    return {**counts, "blank": counts.get("blank", 0) + blanks}


def _add(total: dict[str, Any], part: dict[str, Any]) -> None:
    """Sum ``part`` into ``total``: numbers add, nested dicts add key by key."""
    for key, value in part.items():
        if isinstance(value, dict):
            _add(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def chunk_rows(size: int) -> Callable[[Iterator[Any]], Iterator[list[Any]]]:
    """A chunker of ``size`` items per chunk."""
    from itertools import islice

    def chunk(items: Iterator[Any]) -> Iterator[list[Any]]:
        while part := list(islice(items, size)):
            yield part

    return chunk


def chunk_turns(size: int) -> Callable[[Iterator[Any]], Iterator[list[Any]]]:
    """A chunker of whole conversations holding about ``size`` turns (an error row counts
    as one): memory stays bounded by the longest conversation, not the file."""

    def chunk(rows: Iterator[Any]) -> Iterator[list[Any]]:
        part: list[Any] = []
        turns = 0
        for row in rows:
            part.append(row)
            turns += len(row.conversation.turns) if row.conversation else 1
            if turns >= size:
                yield part
                part, turns = [], 0
        if part:
            yield part

    return chunk
