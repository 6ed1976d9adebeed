"""``emotive causes``: what triggers an emotion across a file of conversations."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from emotive._errors import InputError
from emotive.cli._render import err, input_bar
from emotive.cli._run_options import (
    DEFAULT_MAX_CHARS,
    AddressOpt,
    ConcurrencyOpt,
    EngineOpt,
    MaxCharsOpt,
    check_paths,
    engine_options,
)


def causes_command(
    input: Annotated[str, typer.Argument(help="Conversations: jsonl, or a flat file with --conversation-column.")],
    emotion: Annotated[Optional[str], typer.Option(
        help="In-context emotion to explain: anger, disgust, fear, joy, sadness, surprise (default: all).")] = None,
    themes: Annotated[Optional[int], typer.Option(help="At most this many themes (default 12).")] = None,
    examples: Annotated[int, typer.Option(help="Example quotes per theme.")] = 3,
    themes_by: Annotated[str, typer.Option(
        help="Group causes by meaning (sentence vectors) or by shared words (TF-IDF).")] = "meaning",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    conversation_column: Annotated[Optional[str], typer.Option(help="Flat files: conversation column.")] = None,
    speaker_column: Annotated[str, typer.Option(help="Flat files: speaker column.")] = "speaker",
    text_column: Annotated[str, typer.Option(help="Flat files: text column.")] = "text",
    turn_column: Annotated[Optional[str], typer.Option(help="Flat files: turn order column.")] = None,
    cause_model: Annotated[Optional[str], typer.Option(
        help="Model with cause heads (default: the conversation model's own).")] = None,
    conversation_model: Annotated[Optional[str], typer.Option(help="In-context model.")] = None,
    model: Annotated[Optional[str], typer.Option(help="Fine-grained model.")] = None,
    engine: EngineOpt = "local",
    address: AddressOpt = None,
    concurrency: ConcurrencyOpt = 2,
    max_chars: MaxCharsOpt = DEFAULT_MAX_CHARS,
) -> None:
    """Group the causes of an emotion across a whole file into recurring themes.

    Example: emotive causes tickets.jsonl --emotion anger
    """
    from emotive.analyze import Analyzer, mine_causes
    from emotive.analyze import check_emotion as check

    check_paths([input], None)
    if themes_by not in ("meaning", "words"):
        raise InputError(f"--themes-by must be meaning or words, got {themes_by!r}")
    analyzer = Analyzer(model, conversation_model=conversation_model, cause_model=cause_model)
    check(emotion, analyzer)
    with input_bar("conversations") as update:
        report = mine_causes(input, emotion=emotion, analyzer=analyzer, clusters=themes,
                             examples=examples, themes_by=themes_by, progress=update,
                             conversation_column=conversation_column, speaker_column=speaker_column,
                             text_column=text_column, turn_column=turn_column, engine=engine,
                             engine_options=engine_options(engine, address, concurrency),
                             max_chars=max_chars)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return
    _print(report.to_dict())


def _print(report: dict) -> None:
    table = Table(title=f"What causes {report['emotion']} in {report['source']}", title_justify="left")
    for col in ("theme", "causes", "share", "examples"):
        table.add_column(col)
    for t in report["themes"]:
        quotes = "\n".join(f"“{q['text']}” ({q['conversation']}, turn {q['turn']})" for q in t["examples"])
        table.add_row(t["theme"], str(t["count"]), f"{t['share']:.0%}", quotes)
    Console().print(table)
    err.print(f"{report['conversations']} conversations, {report['emotional_turns']} turns with "
              f"{report['emotion']}, {report['causes']} cause spans")
