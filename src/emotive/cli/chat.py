"""``emotive chat``: an interactive terminal chat that shows what emotive read and planned."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from emotive._errors import EmotiveError
from emotive.cli._render import build_index
from emotive.cli._respond_options import (
    BackendOpt,
    FallbackOpt,
    OptionOpt,
    PersonaOpt,
    WithoutOpt,
    make_responder,
)

HELP = "Type a message. /reset starts over, /json shows the last guidance in full, /quit (or Ctrl-D) leaves."


def chat_command(
    backend: BackendOpt = "retrieval",
    option: OptionOpt = None,
    persona: PersonaOpt = None,
    without: WithoutOpt = None,
    fallback: FallbackOpt = None,
    system: Annotated[Optional[str], typer.Option(help=(
        "System instructions for the assistant, put before emotive's guidance in every system message "
        "(e.g. \"You are the help desk of a bike shop.\")."))] = None,
    stream: Annotated[bool, typer.Option(help="Stream the reply as it is written (backends that can).")] = True,
) -> None:
    """Chat with any backend; beside each reply, what emotive read (emotions, causes) and
    planned (strategy, reply emotion).

    Example: emotive chat --backend openai -O base_url=http://localhost:11434/v1 -O model=llama3
    """
    from emotive.respond import ChatSession

    responder = make_responder(backend, option, persona, without, fallback, None)
    build_index(responder.backend)
    session = ChatSession(responder, instructions=system or ())
    console = Console()
    console.print(f"[bold]emotive chat[/bold] · backend [cyan]{responder.backend.name}[/cyan] · {HELP}")
    last: dict[str, Any] | None = None
    while True:
        try:
            line = console.input("[bold green]you>[/bold green] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line == "/reset":
            session.reset()
            last = None
            console.print("[dim]new conversation[/dim]")
            continue
        if line == "/json":
            console.print_json(json.dumps(last) if last else "null")
            continue
        try:
            reply = _answer(session, line, console, stream and responder.backend.can_stream)
        except EmotiveError as exc:  # the backend failed: say so, keep the chat going
            console.print(f"[bold red]error:[/bold red] {exc}\n[dim]your message was not added; "
                          "try again, or start with --fallback retrieval[/dim]")
            continue
        last = reply.guidance.to_dict()
        if reply.flagged:
            console.print("[bold red]safety:[/bold red] this message matched the risk rules; "
                          "emotive answered with support resources instead of a generated reply.")


def _answer(session: Any, line: str, console: Console, stream: bool) -> Any:
    """The session's reply to ``line``, shown beside what emotive read and planned."""
    if not stream:
        with console.status("thinking..."):
            reply = session.reply(line)
        console.print(_grid(reply.text, reply.guidance.to_dict(), reply.fallback))
        return reply
    pieces = session.stream(line)
    g = pieces.guidance.to_dict()
    text = ""
    with Live(_grid(text, g, None), console=console, refresh_per_second=12) as live:
        for piece in pieces:
            text += piece
            live.update(_grid(text, g, None))
        live.update(_grid(pieces.reply.text, g, pieces.reply.fallback))
    return pieces.reply


def _grid(text: str, g: dict[str, Any], fallback: str | None) -> Table:
    grid = Table.grid(padding=(0, 3), expand=True)
    grid.add_column(ratio=3)
    grid.add_column(ratio=2)
    reply = Text.assemble(("emotive> ", "bold magenta"), text or "…")
    if fallback:
        reply.append(f"\n(fallback backend answered: {fallback})", style="yellow")
    grid.add_row(reply, Text(side_panel(g), style="dim"))
    return grid


def side_panel(g: dict[str, Any]) -> str:
    """What emotive read and planned, in a few short lines.

    >>> side_panel({"safety": {"category": "self_harm", "matched": "want to die"}})
    'SAFETY self_harm: "want to die"'
    """
    if g.get("safety"):
        return f'SAFETY {g["safety"]["category"]}: "{g["safety"]["matched"]}"'
    lines = []
    r = g.get("reading")
    if r:
        emos = ", ".join(f"{e['label']} {e['score']:.2f}" for e in r["emotions"][:3])
        lines.append(f"read: {r['emotion7']} (v {r['vad']['v']:.1f} a {r['vad']['a']:.1f}) · {emos}")
        if r["triggers"]:
            lines.append("words: " + ", ".join(f'"{t["text"]}"' for t in r["triggers"][:3]))
        for c in r["causes"][:2]:
            lines.append(f'cause: turn {c["turn"] + 1} "{c["text"]}"')
    if g.get("strategy"):
        lines.append(f"plan: {g['strategy']['strategy']}")
    if g.get("reply_emotion"):
        lines.append(f"reply emotion: {g['reply_emotion']['emotion']} ({g['reply_emotion']['persona']})")
    return "\n".join(lines)
