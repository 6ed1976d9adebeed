"""``emotive eval SUITE``: a named suite against any backend, with a reproducible report;
``emotive eval compare RUN_A RUN_B``: two runs side by side."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from emotive._errors import ConfigError
from emotive.cli._respond_options import OptionOpt, backend_options

app = typer.Typer(no_args_is_help=True, help=(
    "Measure the emotional intelligence of any model or endpoint, and what emotive's guidance adds. "
    "Suites: emobench, hef, strategy, stimuli, boundaries; --backend sem is the small-model baseline."))

SUITE_HELP = {
    "emobench": "EmoBench multiple choice: emotional understanding (EU) and application (EA) from --data FILE.",
    "hef": "EmpatheticDialogues test: two-stage emotion accuracy and Distinct-n, guided vs unguided.",
    "strategy": "ESConv test: the backend picks the next support strategy; accuracy, Q and B beside emotive's planner.",
    "stimuli": ("Emotional stimuli (EmotionPrompt / NegativePrompt) appended to another suite (--on); "
                "effect per stimulus."),
    "boundaries": "Attachment, dependency, persona and crisis requests, scored by a --judge backend.",
}


def _modes(guided: bool, unguided: bool, both: bool) -> tuple[str, ...] | None:
    chosen = [name for name, on in (("guided", guided), ("unguided", unguided), ("both", both)) if on]
    if len(chosen) > 1:
        raise ConfigError(f"give one of --guided, --unguided, --both (got {', '.join('--' + c for c in chosen)})")
    if not chosen:
        return None
    return ("guided", "unguided") if chosen[0] == "both" else (chosen[0],)


def suite_command(
    ctx: typer.Context,
    backend: Annotated[str, typer.Option("--backend", "-b", help=(
        "sem (the no-LLM baseline, default), openai (any OpenAI-compatible endpoint), transformers, retrieval, "
        "templates, mock or a plugin; 'none' for the strategy suite's reference rows alone."))] = "sem",
    option: OptionOpt = None,
    data: Annotated[Optional[str], typer.Option(help=(
        "Suite data: EmoBench JSONL file or folder (emobench); corpora folder (hef, strategy; default "
        "$EMOTIVE_DATA); a requests JSONL (boundaries)."))] = None,
    guided: Annotated[bool, typer.Option("--guided", help="Only with emotive's guidance.")] = False,
    unguided: Annotated[bool, typer.Option("--unguided", help="Only without guidance.")] = False,
    both: Annotated[bool, typer.Option("--both", help="Guided and unguided, with the paired difference.")] = False,
    n: Annotated[Optional[int], typer.Option("--n", help=(
        "Items to sample (seeded); 0 = all. Default: all (emobench, boundaries), 200 (hef), 300 (strategy)."))] = None,
    seed: Annotated[int, typer.Option(help="Seed of the sampling, the bootstrap and the endpoint's seed.")] = 0,
    samples: Annotated[int, typer.Option(help="Answers per question, averaged (never the best).")] = 1,
    temperature: Annotated[float, typer.Option(help="Sampling temperature.")] = 0.0,
    max_tokens: Annotated[int, typer.Option(help="Longest answer in tokens.")] = 256,
    concurrency: Annotated[int, typer.Option(help="Requests in flight at once.")] = 4,
    out: Annotated[Optional[str], typer.Option("--out", "-o", help=(
        "Folder for report.md, report.html, report.json and the run store "
        "(default emotive-eval/SUITE-BACKEND)."))] = None,
    store: Annotated[Optional[str], typer.Option(help="Run store (SQLite; default OUT/runs.sqlite).")] = None,
    on: Annotated[str, typer.Option(help="stimuli: the suite to transform.")] = "emobench",
    stimuli: Annotated[Optional[str], typer.Option(help="stimuli: your stimuli (JSONL {id, text} or lines).")] = None,
    builtin_stimuli: Annotated[bool, typer.Option(help="stimuli: also the shipped ones.")] = True,
    judge: Annotated[Optional[str], typer.Option(help="boundaries: the judge backend.")] = None,
    judge_option: Annotated[Optional[list[str]], typer.Option("--judge-option", "-J", help=(
        "Judge backend option KEY=VALUE, repeatable."))] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No summary.")] = False,
) -> None:
    """Run the suite; write report.md, report.html and report.json (every transcript, intervals) to --out.

    A rerun asks only what the run store lacks: an interrupted run resumes, a finished one
    writes the same report.

    Example: emotive eval emobench --data EU.jsonl --backend openai -O base_url=http://localhost:11434/v1 --both
    """
    from emotive.evaluate import evaluate

    report = evaluate(ctx.info_name or "", backend=None if backend == "none" else backend,
                      options=backend_options(option), out=out, store=store, judge=judge,
                      judge_options=backend_options(judge_option), data=data, modes=_modes(guided, unguided, both),
                      n=n, seed=seed, samples=samples, temperature=temperature, max_tokens=max_tokens,
                      concurrency=concurrency, on=on, stimuli=stimuli, builtin_stimuli=builtin_stimuli)
    if not quiet:
        _summary(report)


def _summary(report: Any) -> None:
    lines = report.markdown.split("\n## Transcripts")[0].splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("## Results")), 0)
    typer.echo("\n".join(lines[start:]))
    typer.echo(f"\nreport: {report.paths['markdown']}, {report.paths['html']} and {report.paths['json']} "
               f"({report.asked} new requests to the backend)")


def compare_command(
    run_a: Annotated[str, typer.Argument(help="Run A: its folder or report.json.")],
    run_b: Annotated[str, typer.Argument(help="Run B: its folder or report.json.")],
    output: Annotated[Optional[str], typer.Option("--output", "-o", help="Also write the table here.")] = None,
) -> None:
    """Two runs side by side: each metric's A - B with its bootstrap 95% interval."""
    from pathlib import Path

    from emotive.evaluate import compare

    result = compare(run_a, run_b)
    typer.echo(result["markdown"])
    if output:
        Path(output).write_text(result["markdown"], encoding="utf-8")


for _name, _help in SUITE_HELP.items():
    app.command(_name, help=_help + "\n\n" + (suite_command.__doc__ or ""))(suite_command)
app.command("compare")(compare_command)
