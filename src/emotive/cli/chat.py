"""``emotive chat``: an interactive terminal chat that shows what emotive read and planned."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from emotive._errors import EmotiveError
from emotive.cli._respond_options import (
    AssistantOpt,
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
    assistant: AssistantOpt = None,
    stream: Annotated[bool, typer.Option(help="Stream the reply as it is written (backends that can).")] = True,
) -> None:
    """Chat with any backend; beside each reply, what emotive read (emotions, causes) and
    planned (strategy, reply emotion).

    Example: emotive chat --backend openai -O base_url=http://localhost:11434/v1 -O model=llama3
    """
    from emotive.schema import Conversation, Utterance

    responder = make_responder(backend, option, persona, without, fallback, assistant)
    console = Console()
    console.print(f"[bold]emotive chat[/bold] · backend [cyan]{responder.backend.name}[/cyan] · {HELP}")
    turns: list[Utterance] = []
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
            turns, last = [], None
            console.print("[dim]new conversation[/dim]")
            continue
        if line == "/json":
            console.print_json(json.dumps(last) if last else "null")
            continue
        turns.append(Utterance(line, "user"))
        try:
            text, guidance, flagged = _answer(responder, Conversation("chat", tuple(turns)), console,
                                              stream and responder.backend.can_stream)
        except EmotiveError as exc:  # the backend failed: say so, keep the chat going
            turns.pop()
            console.print(f"[bold red]error:[/bold red] {exc}\n[dim]your message was not added; "
                          "try again, or start with --fallback retrieval[/dim]")
            continue
        last = guidance
        plan = guidance.get("strategy") or {}
        emotion = (guidance.get("reply_emotion") or {}).get("emotion")
        turns.append(Utterance(text, "assistant", annotations={
            k: v for k, v in (("strategy", plan.get("strategy")), ("emotion", emotion)) if v}))
        if flagged:
            console.print("[bold red]safety:[/bold red] this message matched the risk rules; "
                          "emotive answered with support resources instead of a generated reply.")


def _answer(responder: Any, conv: Any, console: Console, stream: bool) -> tuple[str, dict[str, Any], bool]:
    if not stream:
        with console.status("thinking..."):
            reply = responder.reply(conv)
        g = reply.guidance.to_dict()
        console.print(_grid(reply.text, g, reply.fallback))
        return reply.text, g, reply.flagged
    guidance, pieces = responder.stream(conv)
    g = guidance.to_dict()
    text = ""
    with Live(_grid(text, g, None), console=console, refresh_per_second=12) as live:
        for piece in pieces:
            text += piece
            live.update(_grid(text, g, None))
    return text.strip(), g, g.get("safety") is not None


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
