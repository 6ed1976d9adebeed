"""``emotive backends``: the registered LLM backends, their abilities and options."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table


def backends_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the LLM backends (built-in and plugins, by entry point) and their options."""
    from emotive.backends import describe_backends

    found = describe_backends()
    if as_json:
        typer.echo(json.dumps(found, indent=2, default=str))
        return
    table = Table()
    for col in ("backend", "streams", "key", "options", "status"):
        table.add_column(col)
    for b in found:
        opts = ", ".join(f"{o['name']}={o['default']!r}" if not o.get("required") else f"{o['name']} (required)"
                         for o in b.get("options", []))
        key = b.get("key_env_var") or "-"
        table.add_row(b["name"], "yes" if b.get("can_stream") else "no", key, opts, b.get("error") or "ok")
    Console().print(table)
