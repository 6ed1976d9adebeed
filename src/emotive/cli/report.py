"""``emotive report``: the results of ``emotive analyze`` as one self-contained HTML page."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from emotive.cli._render import err


def report_command(
    results: Annotated[str, typer.Argument(
        help="Output of emotive analyze: .parquet, .jsonl (also --nested) or .csv, texts or "
             "conversation turns.", show_default=False)],
    output: Annotated[str, typer.Option("-o", "--output", help="The .html page to write.")] = "report.html",
    input: Annotated[Optional[str], typer.Option(
        "--input", help="The file the results were made from: --time-column and --by columns that the "
                        "results lack are read from it, row by row (the results' line numbers).")] = None,
    time_column: Annotated[Optional[str], typer.Option(
        help="Timestamp column (ISO dates or epoch seconds): trends over time.")] = None,
    by: Annotated[Optional[list[str]], typer.Option(
        help="Break the emotions down by this column (channel, product, speaker); repeatable.")] = None,
    conversations: Annotated[int, typer.Option(
        min=0, help="Flow charts of the N most intense conversations.")] = 5,
    themes_by: Annotated[str, typer.Option(
        help="Group cause spans by shared words (fast) or by meaning (the sentence encoder).")] = "words",
    title: Annotated[Optional[str], typer.Option(help="The page's title.")] = None,
) -> None:
    """A page to read, not JSON: the emotion distribution, trends over time, breakdowns,
    the causes of negative emotions, the most intense conversations, VAD, and the models.

    Examples: emotive report results.parquet -o report.html --by speaker
    · emotive report results.parquet --input tickets.csv --time-column created_at --by channel
    """
    from emotive.report import make_report

    with err.status("reading the results") as status:
        def progress(rows: int, total: int | None) -> None:
            status.update(f"reading the results: {rows:,}" + (f" of {total:,} rows" if total else " rows"))

        report = make_report(results, output, input=input, time_column=time_column, by=by or (),
                             conversations=conversations, themes_by=themes_by, title=title, progress=progress)
    t = report.tally
    err.print(f"wrote {output} ({t.rows:,} rows, {t.errors:,} errors, {report.seconds:.1f} s)",
              markup=False, highlight=False)
