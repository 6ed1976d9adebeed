"""``respond_file``: a guided reply for every conversation of a file.

Output: one JSONL record per input conversation, in input order: ``conversation``,
``line``, ``reply``, ``flagged``, ``backend``, ``strategy``, ``reply_emotion``,
``user_emotion``, ``emotion_choice``, ``fallback`` and the full ``guidance``. A bad
conversation, or a backend failure with no fallback, fails the run (``on_error="fail"``,
file and line in the message) or becomes a record with an ``error`` field (``"skip"``):
no conversation is dropped or duplicated silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from emotive._errors import BackendError, ConfigError, InputError
from emotive.io import MAX_CHARS, ConvRow, Layout, open_conversations
from emotive.respond._responder import Responder
from emotive.respond._types import Reply
from emotive.runner import Job, chunk_rows, run

ON_ERROR = ("fail", "skip")
CHUNK = 8


@dataclass
class RespondSummary:
    source: str
    replies: int = 0
    flagged: int = 0
    errors: int = 0
    fallbacks: int = 0
    blank: int = 0
    resumed_chunks: int = 0
    strategies: dict[str, int] = field(default_factory=dict)


@dataclass
class RespondBatch:
    """The respond job's batch function: conversations in, one reply record each out."""

    responder: Responder
    source: str
    on_error: str = "fail"

    def __call__(self, chunk: list[ConvRow]) -> list[dict[str, Any]]:
        return [self._one(row) for row in chunk]

    def _one(self, row: ConvRow) -> dict[str, Any]:
        cid = row.conversation.id if row.conversation else row.id
        problem = row.error
        if row.conversation is not None:
            try:
                reply = self.responder.reply(row.conversation)
            except (InputError, BackendError) as exc:
                problem = str(exc)
            else:
                return _record(cid, row.line, reply)
        if self.on_error == "fail":
            raise InputError(f"conversation {cid!r}: {problem} (use --on-error skip to keep going)",
                             source=self.source, line=row.line)
        return {"conversation": cid, "line": row.line, "error": problem}


def _record(cid: str | None, line: int, reply: Reply) -> dict[str, Any]:
    reading = reply.guidance.reading
    return {"conversation": cid, "line": line, "reply": reply.text, "flagged": reply.flagged,
            "backend": reply.backend, "strategy": reply.strategy, "reply_emotion": reply.reply_emotion,
            "user_emotion": reading.emotion7 if reading is not None else None,
            "emotion_choice": reply.emotion_choice, "fallback": reply.fallback,
            "guidance": reply.guidance.to_dict()}


def tally_replies(chunk: list[ConvRow], records: list[dict[str, Any]]) -> dict[str, Any]:
    strategies: dict[str, int] = {}
    for r in records:
        if r.get("strategy"):
            strategies[r["strategy"]] = strategies.get(r["strategy"], 0) + 1
    ok = [r for r in records if "error" not in r]
    return {"replies": len(ok), "errors": len(records) - len(ok),
            "flagged": sum(bool(r["flagged"]) for r in ok),
            "fallbacks": sum(r["fallback"] is not None for r in ok), "strategies": strategies}


def respond_file(path: str, output: str | None = None, *, responder: Responder | None = None,
                 on_error: str = "fail", progress: Any = None, resume: bool = False,
                 engine: str = "local", engine_options: dict[str, Any] | None = None,
                 chunk_size: int = CHUNK, max_chars: int = MAX_CHARS,
                 **read_options: Any) -> RespondSummary:
    """Reply to every conversation of ``path`` (JSONL conversations or a flat file of turns
    with ``conversation_column``); write JSONL to ``output`` (stdout if None). ``resume``
    and ``engine`` as in ``emotive.analyze.analyze_file``."""
    if on_error not in ON_ERROR:
        raise ConfigError(f"unknown on_error {on_error!r}; choose one of: {', '.join(ON_ERROR)}")
    if output not in (None, "-") and not str(output).endswith(".jsonl"):
        raise ConfigError("respond writes JSONL (nested guidance); use -o FILE.jsonl or stdout")
    responder = responder or Responder()
    source = open_conversations(path, read_options.pop("fmt", None), max_chars=max_chars,
                                **read_options)
    job = Job("respond", RespondBatch(responder, path, on_error), chunk_rows(chunk_size),
              tally_replies, settings={"backend": responder.backend.name, "on_error": on_error,
                                       "chunk_size": chunk_size, "max_chars": max_chars,
                                       **read_options})
    result = run(source, job, output, layout=Layout((), dict), fmt="jsonl", resume=resume,
                 engine=engine, engine_options=engine_options, progress=progress)
    c = result.counts
    return RespondSummary(path, replies=c.get("replies", 0), flagged=c.get("flagged", 0),
                          errors=c.get("errors", 0), fallbacks=c.get("fallbacks", 0),
                          blank=c.get("blank", 0), resumed_chunks=result.resumed,
                          strategies=dict(c.get("strategies", {})))
