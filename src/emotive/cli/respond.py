"""``emotive respond``: a guided reply for every conversation of a file."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from emotive.cli._render import build_index, err, input_bar
from emotive.cli._respond_options import (
    AssistantOpt,
    BackendOpt,
    FallbackOpt,
    OptionOpt,
    PersonaOpt,
    WithoutOpt,
    make_responder,
)
from emotive.cli._run_options import (
    DEFAULT_MAX_CHARS,
    AddressOpt,
    ConcurrencyOpt,
    EngineOpt,
    MaxCharsOpt,
    ResumeOpt,
    check_paths,
    engine_options,
)


def respond_command(
    input: Annotated[str, typer.Argument(help=(
        "Conversations: jsonl (one per line), or a flat file with --conversation-column; - for stdin."))],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Write JSONL here (default: stdout).")] = None,
    backend: BackendOpt = "retrieval",
    option: OptionOpt = None,
    persona: PersonaOpt = None,
    without: WithoutOpt = None,
    fallback: FallbackOpt = None,
    assistant: AssistantOpt = None,
    on_error: Annotated[str, typer.Option(help=(
        "fail: stop at the first bad conversation; skip: write an error record and go on."))] = "fail",
    conversation_column: Annotated[Optional[str], typer.Option(help="Flat files: conversation column.")] = None,
    speaker_column: Annotated[str, typer.Option(help="Flat files: speaker column.")] = "speaker",
    text_column: Annotated[str, typer.Option(help="Flat files: text column.")] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    resume: ResumeOpt = False,
    engine: EngineOpt = "local",
    address: AddressOpt = None,
    concurrency: ConcurrencyOpt = 2,
    max_chars: MaxCharsOpt = DEFAULT_MAX_CHARS,
) -> None:
    """Reply to the last user turn of each conversation, guided by emotive's reading and plan.

    Each output record holds the reply and its guidance: the emotions, causes and trigger
    words read in the user's turn, the planned strategy and reply emotion, and the prompt.

    Example: emotive respond chats.jsonl -o replies.jsonl --backend openai -O model=llama3
    """
    from emotive.respond import respond_file

    check_paths([input], output)
    responder = make_responder(backend, option, persona, without, fallback, assistant)
    build_index(responder.backend, quiet)
    options = {"responder": responder, "on_error": on_error, "conversation_column": conversation_column,
               "speaker_column": speaker_column, "text_column": text_column, "resume": resume,
               "max_chars": max_chars, "engine": engine,
               "engine_options": engine_options(engine, address, concurrency)}
    if quiet:
        respond_file(input, output, **options)
        return
    with input_bar("conversations") as update:
        summary = respond_file(input, output, progress=update, **options)
    table = Table(title="planned strategies", title_justify="left")
    table.add_column("strategy")
    table.add_column("replies", justify="right")
    for name, count in sorted(summary.strategies.items(), key=lambda kv: -kv[1]):
        table.add_row(name, str(count))
    err.print(table)
    blank = f", {summary.blank} blank lines skipped" if summary.blank else ""
    err.print(f"{summary.replies} replies ({summary.flagged} safety-flagged, {summary.fallbacks} "
              f"by the fallback backend), {summary.errors} errors{blank}")
    if summary.errors and not summary.replies:
        raise typer.Exit(1)
