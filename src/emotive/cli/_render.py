"""Rendering helpers for the CLI: a stderr console, progress bars, summary tables."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

err = Console(stderr=True)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields ``advance(n)``."""
    with _progress() as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


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
    err.print(f"{convs}{summary['rows']} {unit}: {summary['analyzed']} analyzed, "
              f"{summary['errors']} errors, {summary['truncated']} truncated to the model's length")
