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
    from emotive.cli import analyze, models, train

    app.command("analyze")(analyze.analyze_command)
    app.command("models")(models.models_command)
    app.add_typer(train.app, name="train")


def main() -> None:
    """Entry point: run the app, turn emotive errors into a message and exit code 2."""
    _register()
    try:
        app(standalone_mode=False)
    except EmotiveError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # click's usage errors arrive here with standalone_mode=False
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(2)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
