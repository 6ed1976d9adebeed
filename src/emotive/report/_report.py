"""``emotive report``: the results of ``emotive analyze`` as one page a person reads.

The results stream through once (``open_results``) into a ``Tally`` (memory bounded
whatever their size: counters, fixed histograms, sampled quotes, a heap of the most intense
conversations); the page is then made from the tally alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from emotive._errors import InputError
from emotive._files import atomic_write
from emotive.report._aggregate import Tally
from emotive.report._figures import CauseThemes, cause_themes
from emotive.report._load import open_results
from emotive.report._page import Page
from emotive.report._sections import SECTIONS, header

HTML_SUFFIXES = (".html", ".htm")
THEMES_BY = ("words", "meaning")


@dataclass
class Report:
    """What a report shows: the tally of the results and the cause themes."""

    source: str
    kind: str
    title: str
    tally: Tally
    themes: list[CauseThemes] = field(default_factory=list)
    time_column: str | None = None
    by: tuple[str, ...] = ()
    input: str | None = None
    themes_by: str = "words"
    generated: str = ""
    seconds: float = 0.0


def build_report(results: str, *, input: str | None = None, time_column: str | None = None,
                 by: Sequence[str] = (), conversations: int = 5, themes_by: str = "words",
                 title: str | None = None, seed: int = 0,
                 progress: Callable[[int, int | None], None] | None = None) -> Report:
    """Read the results of ``emotive analyze`` once and make the report's figures.

    ``time_column`` and ``by`` name columns of the results or, with ``input``, of the
    analyzed input (joined by line). ``themes_by``: ``words`` (TF-IDF, fast) or
    ``meaning`` (the shipped sentence encoder).
    """
    if themes_by not in THEMES_BY:
        raise InputError(f"themes_by must be one of: {', '.join(THEMES_BY)}; got {themes_by!r}")
    if conversations < 0:
        raise InputError(f"conversations must be 0 or more, got {conversations}")
    start = time.perf_counter()
    extra = tuple(dict.fromkeys([*([time_column] if time_column else []), *by]))
    opened = open_results(results, extra=extra, input=input)
    tally = Tally(opened.kind, time_column=time_column, by=tuple(dict.fromkeys(by)), keep=conversations,
                  seed=seed).run(opened, progress)
    if not tally.rows:
        raise InputError("no result rows to report on", source=results)
    themes = cause_themes(tally.causes, themes_by=themes_by) if tally.causes is not None else []
    return Report(results, opened.kind, title or f"emotive report: {Path(results).name}", tally, themes,
                  time_column, tuple(dict.fromkeys(by)), input, themes_by,
                  datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), time.perf_counter() - start)


def report_html(report: Report) -> str:
    """The self-contained page of a report."""
    page = Page(report.title)
    body = [header(report)] + [section(page, report) for section in SECTIONS]
    return page.html("\n".join(body))


def check_report_path(path: str) -> None:
    """Refuse, before any work, an output that is not an ``.html`` file that can be written."""
    from emotive.io import check_output

    if Path(path).suffix.lower() not in HTML_SUFFIXES:
        raise InputError(f"a report is an HTML page; name it {Path(path).stem or 'report'}.html", source=path)
    check_output(path)


def write_report(report: Report, path: str) -> None:
    """Write the page to ``path`` (it appears only when complete)."""
    check_report_path(path)
    page = report_html(report)
    with atomic_write(path) as fh:
        fh.write(page)


def make_report(results: str, output: str, **options: object) -> Report:
    """``build_report(results, **options)`` written to ``output``; the output is checked first.

    >>> make_report("results.parquet", "report.pdf")
    Traceback (most recent call last):
    ...
    emotive._errors.InputError: report.pdf: a report is an HTML page; name it report.html
    """
    check_report_path(output)
    report = build_report(results, **options)  # type: ignore[arg-type]
    write_report(report, output)
    return report
