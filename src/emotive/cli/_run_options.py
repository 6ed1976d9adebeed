"""Options every file job shares: resume, engine, row size limit; early path checks."""

from __future__ import annotations

import re
from typing import Annotated, Any, Optional

import typer

from emotive._errors import InputError
from emotive.io import MAX_CHARS, check_input, check_output

ResumeOpt = Annotated[bool, typer.Option(
    "--resume", help="Continue an interrupted run into the same -o file (finished chunks are "
    "kept beside it); refused when the input or the settings differ.")]
EngineOpt = Annotated[str, typer.Option(
    help="local, or ray: run the chunks on Ray Data (extra [ray]); same output.")]
AddressOpt = Annotated[Optional[str], typer.Option(
    help="With --engine ray: the cluster to join (default: start a local one).")]
ConcurrencyOpt = Annotated[int, typer.Option(
    min=1, help="With --engine ray: how many model actors run side by side.")]
MaxCharsOpt = Annotated[int, typer.Option(
    min=1, help="Cut a longer text at this many characters before any work (counted).")]
ChunkOpt = Annotated[Optional[int], typer.Option(
    min=1, help="Rows (turns, for conversations) per chunk: the unit of work kept for --resume.")]
DEFAULT_MAX_CHARS = MAX_CHARS

_FILE_LIKE = re.compile(r"\.(txt|text|csv|tsv|jsonl|ndjson|json|parquet|pq)$", re.IGNORECASE)


def engine_options(engine: str, address: str | None, concurrency: int) -> dict[str, Any]:
    if engine != "ray" and address:
        raise InputError("--address is for --engine ray")
    return {"address": address, "concurrency": concurrency}


def check_paths(inputs: list[str], output: str | None) -> None:
    """Refuse a missing or unreadable input and an unwritable output before any work."""
    for path in inputs:
        check_input(path)
    check_output(output)


def looks_like_path(arg: str) -> bool:
    """Whether a lone argument is meant as a file: a known suffix, or a path with no spaces.

    >>> looks_like_path("typo.jsonl"), looks_like_path("I love it"), looks_like_path("data/x")
    (True, False, True)
    """
    if _FILE_LIKE.search(arg.strip()):
        return not re.search(r"\s", arg.strip())
    return ("/" in arg or "\\" in arg) and not re.search(r"\s", arg)
