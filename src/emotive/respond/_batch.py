"""``respond_file``: a guided reply for every conversation of a file.

Output: one JSONL record per input conversation, in input order: ``conversation``,
``line``, ``reply``, ``flagged``, ``backend``, ``strategy``, ``reply_emotion``,
``user_emotion``, ``emotion_choice``, ``fallback`` and the full ``guidance``. A bad
conversation, or a backend failure with no fallback, fails the run (``on_error="fail"``,
file and line in the message) or becomes a record with an ``error`` field (``"skip"``):
no conversation is dropped or duplicated silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emotive._errors import BackendError, ConfigError, InputError
from emotive.analyze._batch import ON_ERROR
from emotive.analyze._conv_readers import ConvRow, read_conversations
from emotive.analyze._writers import Writer
from emotive.respond._responder import Responder


@dataclass
class RespondSummary:
    source: str
    replies: int = 0
    flagged: int = 0
    errors: int = 0
    fallbacks: int = 0
    strategies: dict[str, int] = field(default_factory=dict)


def respond_file(path: str, output: str | None = None, *, responder: Responder | None = None,
                 on_error: str = "fail", progress: Callable[[int], None] | None = None,
                 **read_options: Any) -> RespondSummary:
    """Reply to every conversation of ``path`` (JSONL conversations or a flat file of turns
    with ``conversation_column``); write JSONL to ``output`` (stdout if None)."""
    if on_error not in ON_ERROR:
        raise ConfigError(f"unknown on_error {on_error!r}; choose one of: {', '.join(ON_ERROR)}")
    if output not in (None, "-") and not str(output).endswith(".jsonl"):
        raise ConfigError("respond writes JSONL (nested guidance); use -o FILE.jsonl or stdout")
    responder = responder or Responder()
    summary = RespondSummary(source=path)
    rows = read_conversations(path, read_options.pop("fmt", None), **read_options)
    with Writer(output, (), fmt="jsonl") as writer:
        for row in rows:
            record = _one(row, responder, on_error, path)
            writer.write(record)
            _count(summary, record)
            if progress is not None:
                progress(1)
    return summary


def _one(row: ConvRow, responder: Responder, on_error: str, path: str) -> dict[str, Any]:
    cid = row.conversation.id if row.conversation else row.id
    problem = row.error
    if row.conversation is not None:
        try:
            reply = responder.reply(row.conversation)
        except (InputError, BackendError) as exc:
            problem = str(exc)
        else:
            d = reply.to_dict()
            g = d["guidance"]
            return {"conversation": cid, "line": row.line, "reply": reply.text, "flagged": reply.flagged,
                    "backend": reply.backend, "strategy": (g["strategy"] or {}).get("strategy"),
                    "reply_emotion": (g["reply_emotion"] or {}).get("emotion"),
                    "user_emotion": (g["reading"] or {}).get("emotion7"),
                    "emotion_choice": reply.emotion_choice, "fallback": reply.fallback, "guidance": g}
    if on_error == "fail":
        raise InputError(f"conversation {cid!r}: {problem} (use --on-error skip to keep going)",
                         source=path, line=row.line)
    return {"conversation": cid, "line": row.line, "error": problem}


def _count(summary: RespondSummary, record: dict[str, Any]) -> None:
    if "error" in record:
        summary.errors += 1
        return
    summary.replies += 1
    summary.flagged += bool(record["flagged"])
    summary.fallbacks += record["fallback"] is not None
    if record["strategy"]:
        summary.strategies[record["strategy"]] = summary.strategies.get(record["strategy"], 0) + 1
