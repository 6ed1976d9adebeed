"""The ``emotive`` command: one file per command group, errors converted once here."""

from __future__ import annotations

import sys

import typer

from emotive._errors import EmotiveError

app = typer.Typer(
    name="emotive", no_args_is_help=True, add_completion=False,
    help="Emotional intelligence for text: fine-grained emotions, fast on a CPU.",
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from emotive.cli import analyze, backends, causes, chat, models, plot, report, respond, serve, train

    app.command("analyze")(analyze.analyze_command)
    app.command("causes")(causes.causes_command)
    app.command("plot")(plot.plot_command)
    app.command("report")(report.report_command)
    app.command("models")(models.models_command)
    app.command("respond")(respond.respond_command)
    app.command("chat")(chat.chat_command)
    app.command("backends")(backends.backends_command)
    app.command("serve")(serve.serve_command)
    app.add_typer(train.app, name="train")
    from emotive.cli import evaluate

    app.add_typer(evaluate.app, name="eval")


def main() -> None:
    """Entry point: click handles usage errors (exit 2); emotive errors exit 2 here."""
    _register()
    try:
        app()
    except EmotiveError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted: finished chunks are kept; run the same command with --resume "
                   "to continue", err=True)
        sys.exit(130)
    except OSError as exc:  # a full disk, a file removed under the run, ...
        where = f" ({exc.filename})" if exc.filename else ""
        typer.echo(f"error: {exc.strerror or exc}{where}", err=True)
        sys.exit(2)
