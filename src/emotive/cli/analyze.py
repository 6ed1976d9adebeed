"""``emotive analyze``: texts or a file in, one JSON record per text out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from emotive.cli._render import print_summary, progress_bar


def analyze_command(
    inputs: Annotated[list[str], typer.Argument(
        help="Texts to analyze, or one file (.txt .csv .tsv .jsonl .parquet), or - for stdin.",
        show_default=False)],
    output: Annotated[Optional[str], typer.Option(
        "-o", "--output", help="Write results to .jsonl, .csv or .parquet (default: jsonl on stdout).")] = None,
    scheme: Annotated[str, typer.Option(
        help="Label scheme: goemotions, ekman, sentiment, plutchik, dialogue7.")] = "goemotions",
    top_k: Annotated[Optional[int], typer.Option(help="Keep only the k best labels and scores.")] = None,
    threshold: Annotated[Optional[float], typer.Option(
        help="One threshold for every label instead of the tuned per-label thresholds.")] = None,
    text_column: Annotated[str, typer.Option(help="Text column of a csv/tsv/parquet file.")] = "text",
    text_field: Annotated[str, typer.Option(help="Text field of a jsonl file.")] = "text",
    input_format: Annotated[Optional[str], typer.Option(
        "--format", help="Input format when the suffix does not tell: txt, csv, tsv, jsonl, parquet.")] = None,
    on_error: Annotated[str, typer.Option(
        help="fail: stop at the first bad row (exit 2); skip: write it with an error field.")] = "fail",
    model: Annotated[Optional[str], typer.Option(help="Model name or directory.")] = None,
    threads: Annotated[Optional[int], typer.Option(help="ONNX threads (default: cores, max 4).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or summary.")] = False,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Add the words that trigger each emotion (occlusion; slower).")] = False,
    conversations: Annotated[bool, typer.Option(
        "--conversations", help="The file holds conversations: per turn, the emotion in context, "
        "VAD, intensity, shifts and contagion.")] = False,
    nested: Annotated[bool, typer.Option(
        "--nested", help="With --conversations: one record per conversation (jsonl).")] = False,
    conversation_column: Annotated[Optional[str], typer.Option(
        help="Flat files of turns: the column that names the conversation.")] = None,
    speaker_column: Annotated[str, typer.Option(help="Flat files of turns: the speaker column.")] = "speaker",
    turn_column: Annotated[Optional[str], typer.Option(
        help="Flat files of turns: a numeric column that orders the turns (default: file order).")] = None,
    conversation_model: Annotated[Optional[str], typer.Option(
        help="In-context model name or directory.")] = None,
) -> None:
    """Detect fine-grained emotions in texts or a file.

    Examples: emotive analyze "I can't believe it worked!"
    · emotive analyze reviews.csv --text-column body -o out.parquet
    """
    from emotive.analyze import Analyzer, analyze_file

    analyzer = Analyzer(model, scheme=scheme, threads=threads,
                        conversation_model=conversation_model)
    if conversations:
        _analyze_conversations(inputs, output, analyzer, quiet, dict(
            fmt=input_format, nested=nested, on_error=on_error, top_k=top_k,
            text_column=text_column, conversation_column=conversation_column,
            speaker_column=speaker_column, turn_column=turn_column))
        return
    if len(inputs) == 1 and (inputs[0] == "-" or os.path.isfile(inputs[0])):
        _analyze_file(inputs[0], output, analyzer, analyze_file, quiet, dict(
            fmt=input_format, text_column=text_column, text_field=text_field,
            on_error=on_error, top_k=top_k, threshold=threshold, explain=explain))
        return
    from emotive.analyze._writers import Writer
    from emotive.taxonomy import get_scheme

    results = analyzer.analyze(inputs, top_k=top_k, threshold=threshold)
    with Writer(output, get_scheme(scheme).labels, top_k=top_k) as writer:
        for a in results:
            record = a.to_dict()
            if explain:
                record["triggers"] = [t.to_dict() for t in analyzer.explain(a.text)]
            writer.write(record)


def _analyze_file(path, output, analyzer, run, quiet, options) -> None:  # type: ignore[no-untyped-def]
    from emotive.analyze._readers import count_rows

    if quiet:
        run(path, output, analyzer=analyzer, **options)
        return
    total = count_rows(path, options["fmt"])
    with progress_bar(f"analyzing {Path(path).name if path != '-' else 'stdin'}", total) as advance:
        summary = run(path, output, analyzer=analyzer, progress=advance, **options)
    print_summary(summary.to_dict())


def _analyze_conversations(inputs, output, analyzer, quiet, options) -> None:  # type: ignore[no-untyped-def]
    from emotive._errors import InputError
    from emotive.analyze import analyze_conversation_file
    from emotive.analyze._readers import count_rows

    if len(inputs) != 1 or not (inputs[0] == "-" or os.path.isfile(inputs[0])):
        raise InputError("--conversations takes one file (jsonl conversations, or a flat "
                         "csv/tsv/jsonl/parquet of turns with --conversation-column)")
    path = inputs[0]
    if quiet:
        analyze_conversation_file(path, output, analyzer=analyzer, **options)
        return
    total = count_rows(path, options["fmt"]) if options["conversation_column"] is None else None
    with progress_bar("conversations", total) as advance:
        summary = analyze_conversation_file(path, output, analyzer=analyzer, progress=advance,
                                            **options)
    print_summary(summary.to_dict())
