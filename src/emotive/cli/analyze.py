"""``emotive analyze``: texts or a file in, one JSON record per text out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from emotive._errors import InputError
from emotive.cli._render import input_bar, print_summary
from emotive.cli._run_options import (
    DEFAULT_MAX_CHARS,
    AddressOpt,
    ChunkOpt,
    ConcurrencyOpt,
    EngineOpt,
    MaxCharsOpt,
    ResumeOpt,
    check_paths,
    engine_options,
    looks_like_path,
)


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
    as_text: Annotated[bool, typer.Option(
        "--text", help="Take the arguments as texts even when one looks like a file name.")] = False,
    resume: ResumeOpt = False,
    engine: EngineOpt = "local",
    address: AddressOpt = None,
    concurrency: ConcurrencyOpt = 2,
    max_chars: MaxCharsOpt = DEFAULT_MAX_CHARS,
    chunk_size: ChunkOpt = None,
) -> None:
    """Detect fine-grained emotions in texts or a file.

    Examples: emotive analyze "I can't believe it worked!"
    · emotive analyze reviews.csv --text-column body -o out.parquet
    """
    from emotive.analyze import Analyzer, analyze_conversation_file, analyze_file

    if nested and not conversations:
        raise InputError("--nested needs --conversations")
    is_file = not as_text and len(inputs) == 1 and (inputs[0] == "-" or os.path.exists(inputs[0])
                                                    or looks_like_path(inputs[0]))
    if (conversations or resume) and not is_file:
        raise InputError("--conversations and --resume take one file (or - for stdin)")
    check_paths([inputs[0]] if is_file else [], output)
    run = dict(resume=resume, engine=engine, max_chars=max_chars,
               engine_options=engine_options(engine, address, concurrency))
    analyzer = Analyzer(model, scheme=scheme, threads=threads,
                        conversation_model=conversation_model)
    if conversations:
        summary = _run(analyze_conversation_file, inputs[0], output, analyzer, quiet, "conversations",
                       dict(fmt=input_format, nested=nested, on_error=on_error, top_k=top_k,
                            text_column=text_column, conversation_column=conversation_column,
                            speaker_column=speaker_column, turn_column=turn_column, **run,
                            **({"chunk_turns": chunk_size} if chunk_size else {})))
    elif is_file:
        summary = _run(analyze_file, inputs[0], output, analyzer, quiet, "analyzing", dict(
            fmt=input_format, text_column=text_column, text_field=text_field, on_error=on_error,
            top_k=top_k, threshold=threshold, explain=explain, **run,
            **({"chunk_size": chunk_size} if chunk_size else {})))
    else:
        _analyze_texts(inputs, output, analyzer, scheme, top_k, threshold, explain)
        return
    if summary.rows and not summary.analyzed:
        raise typer.Exit(1)  # every row failed: the summary above says why


def _analyze_texts(texts, output, analyzer, scheme, top_k, threshold, explain) -> None:  # type: ignore[no-untyped-def]
    from emotive.analyze import language_layout
    from emotive.io import Writer, text_layout
    from emotive.taxonomy import get_scheme

    results = analyzer.analyze(texts, top_k=top_k, threshold=threshold)
    with Writer(output, language_layout(text_layout(get_scheme(scheme).labels)), top_k=top_k) as writer:
        for a in results:
            record = a.to_dict()
            if explain:
                record["triggers"] = [t.to_dict() for t in analyzer.explain(a.text)]
            writer.write(record)


def _run(job, path, output, analyzer, quiet, what, options):  # type: ignore[no-untyped-def]
    if quiet:
        return job(path, output, analyzer=analyzer, **options)
    name = Path(path).name if path != "-" else "stdin"
    with input_bar(f"{what} {name}") as update:
        summary = job(path, output, analyzer=analyzer, progress=update, **options)
    print_summary(summary.to_dict())
    print_unsupported(summary.unsupported, summary.unsupported_languages, summary.analyzed)
    return summary


def print_unsupported(n: int, languages: dict[str, int], analyzed: int) -> None:
    """One summary line for the texts in languages the model was not trained on."""
    if not n:
        return
    from emotive.cli._render import err

    which = ", ".join(f"{lang} {count}" for lang, count in sorted(languages.items(), key=lambda kv: -kv[1]))
    err.print(f"{n} of {analyzed} texts in unsupported languages ({which}): the model reads English only, "
              "their scores are a guess (records: supported=false)", markup=False, highlight=False, soft_wrap=True)
