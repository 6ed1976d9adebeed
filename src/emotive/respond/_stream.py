"""A guided reply as it is written: ``ReplyStream``, and the two-stage format held back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from emotive.backends import Backend, GenerateOptions, ResultStream
from emotive.respond import _prompt
from emotive.respond._types import Guidance, Reply


@dataclass
class Started:
    """A backend's stream once its first visible piece is in (or it ended without one)."""

    raw: ResultStream
    visible: Iterator[str]
    first: str | None


Start = Callable[[], "tuple[Started, Backend, str | None]"]


class ReplyStream:
    """A reply as it is written: ``guidance`` at once; iterating yields the text pieces
    (the two-stage ``Emotion:`` line held back); ``reply``, the finished ``Reply``, once
    the last piece is in (None before). It can be read once.

    The backend is called when the first piece is asked for; if it fails before any
    text, the responder's fallback backend answers (``reply.fallback`` says why). A
    failure after the first piece raises ``BackendError``: the text already shown cannot
    be taken back.
    """

    def __init__(self, guidance: Guidance, start: Start | None = None, *, reply: Reply | None = None,
                 on_reply: Callable[[Reply], None] | None = None):
        self.guidance = guidance
        self.reply = reply
        self._start = start
        self._on_reply = on_reply
        self._read = False
        self._open: Started | None = None

    def __iter__(self) -> Iterator[str]:
        if self._read:
            raise RuntimeError("this ReplyStream was read already; ask the responder for a new one")
        self._read = True
        if self._start is None:  # a reply made without a backend (the safety step's)
            assert self.reply is not None
            yield self.reply.text
            self._done(self.reply)
            return
        started, backend, why = self._start()
        self._open = started
        shown = []
        try:
            for piece in ([started.first] if started.first else []):
                shown.append(piece)
                yield piece
            for piece in started.visible:
                shown.append(piece)
                yield piece
        finally:
            self.close()
        result = started.raw.result
        raw = result.text if result is not None else "".join(shown)
        choice = _prompt.parse(raw)[1]
        self._done(Reply("".join(shown).strip() or raw.strip(), self.guidance, backend.name,
                         emotion_choice=choice, fallback=why, metadata=result.metadata if result else {}))

    def close(self) -> None:
        """Stop reading early: the backend's stream is closed (its connection, its thread)."""
        if self._open is not None:
            self._open.raw.close()

    def _done(self, reply: Reply) -> None:
        self.reply = reply
        if self._on_reply is not None:
            self._on_reply(reply)


def start_stream(backend: Backend, messages: tuple[dict[str, str], ...], options: GenerateOptions) -> Started:
    """Open ``backend``'s stream and read up to its first visible piece, so that a backend
    that fails at once fails here (where the fallback can still answer)."""
    raw = ResultStream(backend.stream(messages, options))
    visible = strip_answer_format(raw)
    return Started(raw, visible, next(visible, None))


def strip_answer_format(pieces: Iterator[str]) -> Iterator[str]:
    """Stream a two-stage answer without its ``Emotion:`` line and ``Reply:`` prefix.

    >>> "".join(strip_answer_format(iter(["Emo", "tion: sad\\nRep", "ly: so", "rry"])))
    'sorry'
    """
    buffer, started = "", False
    for piece in pieces:
        if started:
            yield piece
            continue
        buffer += piece
        if _ready(buffer):
            started = True
            text = _prompt.parse(buffer)[0]
            text += buffer[len(buffer.rstrip()):] if text else ""  # keep the space before the next piece
            if text:
                yield text
    if not started and buffer:
        yield _prompt.parse(buffer)[0]


def _ready(buffer: str) -> bool:
    """Enough of the answer's start is in to strip its format lines."""
    head = buffer.lstrip().lower()
    if head.startswith("emotion") or (len(head) < 8 and "emotion:".startswith(head)):
        if "\n" not in head:
            return False
        head = head.split("\n", 1)[1].lstrip()
    return len(head) >= 7 or not "reply:".startswith(head[:6])
