"""The ledger of a file run: finished chunks kept beside the output, so a crash costs
nothing that was finished.

A run writing ``out.parquet`` keeps ``.out.parquet.emotive-run/`` beside it:

- ``run.json``: what the run is (job, settings, input size and time, output format);
- ``part-00000007.parquet`` + ``part-00000007.json``: chunk 7's records in the output's
  format and its counts. The counts file is written last: a chunk is finished when both
  exist, and each is written aside, flushed and renamed (``atomic_path``), so a kill at
  any moment leaves whole chunks only.

When every chunk is done the parts are joined, in order, into the output (again aside,
then renamed) and the ledger is removed: the output appears under its final name only
when complete. A resumed run joins the same parts, so its output is byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive._files import atomic_path, atomic_write
from emotive.io import ROW_GROUP, Layout, Writer, arrow_schema

SUFFIX = ".emotive-run"


class Ledger:
    """The finished chunks of one run writing ``output`` (``kind``: jsonl, csv, parquet)."""

    def __init__(self, output: str, kind: str, layout: Layout, top_k: int | None = None):
        self.output = Path(output)
        self.kind = kind
        self.layout = layout
        self.top_k = top_k
        self.folder = self.output.with_name(f".{self.output.name}{SUFFIX}")

    def open(self, identity: dict[str, Any], resume: bool) -> dict[int, dict[str, Any]]:
        """Start or continue the run; the counts of the chunks already finished."""
        if self.folder.exists():
            if not resume:
                raise InputError(
                    f"an interrupted run left finished work in {self.folder}; add --resume to "
                    f"continue it, or delete that folder to start over", source=str(self.output))
            _check_same(self._identity(), identity, self.folder)
            return dict(self._finished())
        with atomic_path(self.folder) as tmp:  # the folder appears with its run.json
            tmp.mkdir()
            (tmp / "run.json").write_text(json.dumps(identity, indent=2, sort_keys=True),
                                          encoding="utf-8")
        return {}

    def _identity(self) -> dict[str, Any]:
        try:
            return json.loads((self.folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"the run ledger {self.folder} is unreadable ({exc}); delete it to "
                             "start over", source=str(self.output)) from None

    def _finished(self) -> Iterator[tuple[int, dict[str, Any]]]:
        for counts in sorted(self.folder.glob("part-*.json")):
            index = int(counts.stem.split("-")[1])
            if self._part(index).exists():
                try:
                    yield index, json.loads(counts.read_text(encoding="utf-8"))
                except ValueError:
                    continue  # torn by something outside emotive: redo that chunk

    def _part(self, index: int) -> Path:
        return self.folder / f"part-{index:08d}.{self.kind}"

    def commit(self, index: int, records: list[dict[str, Any]], counts: dict[str, Any]) -> None:
        """Keep chunk ``index``: its records, then its counts (the mark that it is done)."""
        with Writer(str(self._part(index)), self.layout, self.kind, self.top_k, header=False) as w:
            w.write_many(records)
        with atomic_write(self.folder / f"part-{index:08d}.json") as fh:
            json.dump(counts, fh, sort_keys=True)

    def finish(self, chunks: int) -> None:
        """Join parts ``0 .. chunks-1`` into the output, then remove the ledger."""
        parts = [self._part(i) for i in range(chunks)]
        missing = [p.name for p in parts if not p.exists()]
        if missing:
            raise InputError(f"the run ledger lacks {', '.join(missing[:3])}; delete "
                             f"{self.folder} and run again", source=str(self.output))
        with atomic_path(self.output) as tmp:
            if self.kind == "parquet":
                _join_parquet(parts, tmp, self.layout)
            else:
                _join_text(parts, tmp, self._header())
        self.discard()

    def discard(self) -> None:
        """Remove the ledger: renamed away first (one atomic step), then deleted, so a kill
        in the middle never leaves a torn ledger under its name."""
        if not self.folder.exists():
            return
        trash = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(trash, ignore_errors=True)
        os.replace(self.folder, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def _header(self) -> bytes:
        if self.kind != "csv":
            return b""
        import csv
        import io

        buf = io.StringIO()
        csv.writer(buf).writerow(self.layout.names)
        return buf.getvalue().encode("utf-8")


def _check_same(before: dict[str, Any], now: dict[str, Any], folder: Path) -> None:
    diffs = [f"{key}: {_show(before.get(key))} then, {_show(now.get(key))} now"
             for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key)]
    if diffs:
        raise ConfigError("cannot resume: this run differs from the interrupted one ("
                          + "; ".join(diffs) + f"); run it as before, or delete {folder} "
                          "to start over")


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False) if value is not None else "none"


def _join_text(parts: list[Path], out: Path, header: bytes) -> None:
    with open(out, "wb") as dst:
        dst.write(header)
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)


def _join_parquet(parts: list[Path], out: Path, layout: Layout) -> None:
    """Row groups of exactly ``ROW_GROUP`` rows (the last one shorter), whatever the parts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(layout)
    pending: list[Any] = []
    held = 0
    with pq.ParquetWriter(out, schema) as writer:
        for part in parts:
            table = pq.read_table(part, schema=schema)
            pending.append(table)
            held += table.num_rows
            while held >= ROW_GROUP:
                joined = pa.concat_tables(pending)
                writer.write_table(joined.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                rest = joined.slice(ROW_GROUP)
                pending, held = [rest], rest.num_rows
        if held or not parts:
            writer.write_table(pa.concat_tables(pending) if pending else schema.empty_table(),
                               row_group_size=ROW_GROUP)
