"""``emotive plot``'s loading: analyzed conversations from a file, analyzed here if need be.

The charts themselves (chart model, Vega-Lite renderer, page and PNG) live in
``emotive.report``; ``render_html`` and ``write_plot`` are its flow pages under the names
this package has always exported. Input is ``ConversationAnalysis.to_dict()`` records, or
any file of conversations, which is then analyzed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from emotive._errors import InputError
from emotive.io import check_input
from emotive.report import flows_html, points_of, write_flows
from emotive.schema import Conversation

TITLE = "emotive: emotion flow"


class ConversationAnalyzer(Protocol):
    """What ``load_or_analyze`` needs of an analyzer (``emotive.Analyzer`` has it)."""

    def analyze_conversations(self, conversations: Sequence[Conversation]) -> Sequence[Any]: ...


def render_html(analyses: list[dict[str, Any]], title: str = TITLE) -> str:
    """A self-contained HTML page with one emotion-flow chart per conversation.

    >>> t = {"turn": 0, "speaker": "A", "text": "hi", "emotion": "joy", "vad": {"v": 4.2}}
    >>> page = render_html([{"id": "c1", "turns": [t]}])
    >>> page.count('class="chart'), "joy" in page
    (1, True)
    """
    return flows_html(analyses, title)


def write_plot(analyses: list[dict[str, Any]], path: str, *, title: str = TITLE) -> None:
    """Write the charts to ``path``: ``.html``/``.htm`` (self-contained page) or ``.png``.

    >>> write_plot([], "flow.txt")
    Traceback (most recent call last):
    ...
    emotive._errors.InputError: flow.txt: cannot plot to '.txt'; use one of: .html, .htm, .png
    """
    write_flows(analyses, path, title=title)


def load_or_analyze(path: str, *, conversation_column: str | None = None,
                    speaker_column: str = "speaker", turn_column: str | None = None,
                    text_column: str = "text", limit: int | None = None,
                    analyzer_factory: Callable[[], ConversationAnalyzer] | None = None,
                    ) -> list[dict[str, Any]]:
    """Analyzed conversations of ``path`` (``-`` for stdin), as ``to_dict()`` records.

    A ``.jsonl`` of analyzed conversations (the first non-blank line has ``turns`` with
    ``vad``) is loaded as is, with no model. Anything else is read like
    ``read_conversations`` and analyzed by ``analyzer_factory()`` (default
    ``emotive.Analyzer()``), made only then. ``limit`` keeps the first N conversations.
    """
    if limit is not None and limit < 1:
        raise InputError(f"limit must be at least 1, got {limit}")
    check_input(path)
    with tempfile.TemporaryDirectory(prefix="emotive-plot-") as tmp:
        source = _spool_stdin(tmp) if path == "-" and conversation_column is None else path
        if _is_analyzed(source, conversation_column):
            return list(_load_analyzed(source, path, limit))
        conversations = _read(source, path, limit, dict(
            conversation_column=conversation_column, speaker_column=speaker_column,
            turn_column=turn_column, text_column=text_column))
    if not conversations:
        raise InputError("no conversations to plot", source=path)
    analyzer = analyzer_factory() if analyzer_factory is not None else _default_analyzer()
    return [a.to_dict() for a in analyzer.analyze_conversations(conversations)]


def _default_analyzer() -> ConversationAnalyzer:
    from emotive.analyze._analyzer import Analyzer

    return Analyzer()


def _spool_stdin(folder: str) -> str:
    """Stdin copied to a file, so that it can be looked at before it is read."""
    target = os.path.join(folder, "stdin.jsonl")
    with open(target, "wb") as fh:
        fh.write(sys.stdin.buffer.read())
    return target


def _is_analyzed(path: str, conversation_column: str | None) -> bool:
    """Whether the first non-blank line of a jsonl file is an analyzed conversation."""
    if conversation_column is not None or Path(path).suffix.lower() not in (".jsonl", ".ndjson"):
        return False
    try:
        with open(path, "rb") as fh:
            first = next((line for line in fh if line.strip()), b"")
        obj = json.loads(first)
    except (OSError, ValueError):
        return False  # the conversation reader reports it with the file and line
    turns = obj.get("turns") if isinstance(obj, dict) else None
    return isinstance(turns, list) and bool(turns) and isinstance(turns[0], dict) \
        and "vad" in turns[0]


def _load_analyzed(path: str, name: str, limit: int | None) -> Iterator[dict[str, Any]]:
    """The records of an analyzed jsonl file, each checked; blank lines are skipped."""
    count = 0
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InputError(f"not a JSON line: {exc}", source=name, line=n) from None
            try:
                points_of(record)
            except InputError as exc:
                raise InputError(str(exc), source=name, line=n) from None
            yield record
            count += 1
            if count == limit:
                return


def _read(path: str, name: str, limit: int | None, options: dict[str, Any]) -> list[Conversation]:
    """The first ``limit`` conversations of a file; an unusable row stops with its line."""
    from emotive.io import read_conversations

    out: list[Conversation] = []
    for row in read_conversations(path, **options):
        if row.error is not None or row.conversation is None:
            raise InputError(row.error or "unreadable conversation", source=name, line=row.line)
        out.append(row.conversation)
        if len(out) == limit:
            break
    return out
