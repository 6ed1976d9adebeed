"""Rendering helpers for the CLI: a stderr console, progress bars, summary tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich import filesize
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

err = Console(stderr=True, soft_wrap=True)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields ``advance(n)``."""
    with _progress() as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


@contextmanager
def input_bar(description: str) -> Iterator[Callable[[int, int | None, str], None]]:
    """A progress bar over an input read once: yields ``update(done, total, unit)``, where
    ``unit`` is ``bytes`` (shown as sizes) or ``rows``."""
    columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               _Done(), TimeRemainingColumn()]
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(description, total=None, unit="rows")

        def update(done: int, total: int | None, unit: str) -> None:
            bar.update(task, completed=done, total=total, unit=unit)

        yield update


class _Done(ProgressColumn):
    """``12.3/45.6 MB`` for bytes, ``1200/5000`` for rows."""

    def render(self, task: Task) -> Text:
        if task.fields.get("unit") == "bytes":
            done = filesize.decimal(int(task.completed))
            total = filesize.decimal(int(task.total)) if task.total is not None else "?"
        else:
            done, total = str(int(task.completed)), str(int(task.total)) if task.total else "?"
        return Text(f"{done}/{total}", style="progress.download")


@contextmanager
def step_bar(description: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress bar on stderr; yields ``update(done, total, note)``."""
    with _progress() as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int, note: str) -> None:
            bar.update(task, completed=done, total=total, description=f"{description} {note}")

        yield update


def _progress() -> Progress:
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn()]
    return Progress(*columns, console=err, transient=False)


def print_summary(summary: dict) -> None:
    """The label distribution and the row accounting of a file run, on stderr."""
    done = summary["analyzed"] or 1
    table = Table()
    table.add_column(f"label ({summary['scheme']})")
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for label, count in summary["label_counts"].items():
        table.add_row(label, str(count), f"{count / done:.1%}")
    err.print(table)
    convs = f"{summary['conversations']} conversations, " if summary.get("conversations") else ""
    unit = "turns" if convs else "rows"
    extra = "".join(f", {summary[k]} {what}" for k, what in (
        ("blank", "blank lines skipped"), ("clipped", "cut at the row size limit"),
        ("resumed_chunks", "chunks resumed from the ledger")) if summary.get(k))
    err.print(f"{convs}{summary['rows']} {unit}: {summary['analyzed']} analyzed, "
              f"{summary['errors']} errors, {summary['truncated']} truncated to the model's length"
              f"{extra}", markup=False, highlight=False, soft_wrap=True)


def build_index(backend: object, quiet: bool = False) -> None:
    """Build a retrieval backend's full index first, with a progress bar, when it must."""
    needs = getattr(backend, "needs_build", None)
    if needs is None or not needs():
        return
    if quiet:
        backend.prepare()  # type: ignore[attr-defined]
        return
    err.print("[dim]building the full reply index from the corpora (once; then cached)[/dim]")
    with step_bar("reply index") as update:
        backend.prepare(lambda what, done, total: update(done, total, what))  # type: ignore[attr-defined]
