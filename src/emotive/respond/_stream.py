"""A guided reply as it is written: ``ReplyStream`` and its async twin ``AsyncReplyStream``,
and the two-stage format held back (one :class:`AnswerFormat` for both)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass

from emotive.backends import AsyncBackend, AsyncResultStream, Backend, GenerateOptions, GenerateResult, ResultStream
from emotive.respond import _prompt
from emotive.respond._types import Guidance, Reply


@dataclass
class Started:
    """A backend's stream once its first visible piece is in (or it ended without one)."""

    raw: ResultStream
    visible: Iterator[str]
    first: str | None


@dataclass
class AsyncStarted:
    """An async backend's stream once its first visible piece is in (or it ended without one)."""

    raw: AsyncResultStream
    visible: AsyncIterator[str]
    first: str | None

    async def aclose(self) -> None:
        close = getattr(self.visible, "aclose", None)
        if close is not None:
            await close()
        await self.raw.aclose()


Start = Callable[[], "tuple[Started, Backend, str | None]"]
AsyncStart = Callable[[], Awaitable["tuple[AsyncStarted, Backend, str | None]"]]


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
        shown: list[str] = []
        try:
            for piece in _first(started.first):
                shown.append(piece)
                yield piece
            for piece in started.visible:
                shown.append(piece)
                yield piece
        finally:
            self.close()
        self._done(finished_reply(self.guidance, shown, started.raw.result, backend, why))

    def close(self) -> None:
        """Stop reading early: the backend's stream is closed (its connection, its thread)."""
        if self._open is not None:
            self._open.raw.close()

    def _done(self, reply: Reply) -> None:
        self.reply = reply
        if self._on_reply is not None:
            self._on_reply(reply)


class AsyncReplyStream:
    """:class:`ReplyStream` for ``asyncio``: ``guidance`` at once, ``async for piece in stream``
    yields the text pieces (the ``Emotion:`` line held back), ``reply`` once the last piece is in;
    ``await stream.aclose()`` stops early. Same fallback rule: before the first piece only.
    """

    def __init__(self, guidance: Guidance, start: AsyncStart | None = None, *, reply: Reply | None = None,
                 on_reply: Callable[[Reply], None] | None = None):
        self.guidance = guidance
        self.reply = reply
        self._start = start
        self._on_reply = on_reply
        self._pieces: AsyncIterator[str] | None = None
        self._open: AsyncStarted | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        if self._pieces is not None:
            raise RuntimeError("this AsyncReplyStream was read already; ask the responder for a new one")
        self._pieces = self._read()
        return self._pieces

    async def aclose(self) -> None:
        """Stop reading early: the backend's stream is closed (its connection, its thread)."""
        close = getattr(self._pieces, "aclose", None)
        if close is not None:
            await close()
        if self._open is not None:
            await self._open.aclose()

    async def _read(self) -> AsyncIterator[str]:
        if self._start is None:  # a reply made without a backend (the safety step's)
            assert self.reply is not None
            yield self.reply.text
            self._done(self.reply)
            return
        started, backend, why = await self._start()
        self._open = started
        shown: list[str] = []
        try:
            for piece in _first(started.first):
                shown.append(piece)
                yield piece
            async for piece in started.visible:
                shown.append(piece)
                yield piece
        finally:
            await started.aclose()
        self._done(finished_reply(self.guidance, shown, started.raw.result, backend, why))

    def _done(self, reply: Reply) -> None:
        self.reply = reply
        if self._on_reply is not None:
            self._on_reply(reply)


def _first(piece: str | None) -> list[str]:
    return [piece] if piece else []


def finished_reply(guidance: Guidance, shown: list[str], result: GenerateResult | None, backend: Backend,
                   why: str | None) -> Reply:
    """The ``Reply`` of a finished stream: the text shown, the emotion chosen in the raw answer."""
    raw = result.text if result is not None else "".join(shown)
    choice = _prompt.parse(raw)[1]
    return Reply("".join(shown).strip() or raw.strip(), guidance, backend.name, emotion_choice=choice,
                 fallback=why, metadata=result.metadata if result else {})


def start_stream(backend: Backend, messages: tuple[dict[str, str], ...], options: GenerateOptions) -> Started:
    """Open ``backend``'s stream and read up to its first visible piece, so that a backend
    that fails at once fails here (where the fallback can still answer)."""
    raw = ResultStream(backend.stream(messages, options))
    visible = strip_answer_format(raw)
    return Started(raw, visible, next(visible, None))


async def astart_stream(backend: AsyncBackend, messages: tuple[dict[str, str], ...],
                        options: GenerateOptions) -> AsyncStarted:
    """:func:`start_stream` for an async backend form."""
    raw = backend.stream(messages, options)
    visible = astrip_answer_format(raw)
    return AsyncStarted(raw, visible, await anext(visible, None))


class AnswerFormat:
    """Holds back a two-stage answer's ``Emotion:`` line and ``Reply:`` prefix, piece by piece:
    ``feed`` gives the text to show now (or nothing yet), ``end`` what is left at the end.

    >>> fmt = AnswerFormat()
    >>> [fmt.feed(p) for p in ["Emo", "tion: sad\\nRep", "ly: so", "rry"]], fmt.end()
    ([None, None, 'so', 'rry'], None)
    """

    def __init__(self) -> None:
        self.buffer, self.started = "", False

    def feed(self, piece: str) -> str | None:
        if self.started:
            return piece
        self.buffer += piece
        if not _ready(self.buffer):
            return None
        self.started = True
        text = _prompt.parse(self.buffer)[0]
        text += self.buffer[len(self.buffer.rstrip()):] if text else ""  # keep the space before the next piece
        return text or None

    def end(self) -> str | None:
        if self.started or not self.buffer:
            return None
        return _prompt.parse(self.buffer)[0]


def strip_answer_format(pieces: Iterable[str]) -> Iterator[str]:
    """Stream a two-stage answer without its ``Emotion:`` line and ``Reply:`` prefix.

    >>> "".join(strip_answer_format(iter(["Emo", "tion: sad\\nRep", "ly: so", "rry"])))
    'sorry'
    """
    fmt = AnswerFormat()
    for piece in pieces:
        text = fmt.feed(piece)
        if text is not None:
            yield text
    rest = fmt.end()
    if rest is not None:
        yield rest


async def astrip_answer_format(pieces: AsyncIterator[str]) -> AsyncIterator[str]:
    """:func:`strip_answer_format` for async pieces."""
    fmt = AnswerFormat()
    async for piece in pieces:
        text = fmt.feed(piece)
        if text is not None:
            yield text
    rest = fmt.end()
    if rest is not None:
        yield rest


def _ready(buffer: str) -> bool:
    """Enough of the answer's start is in to strip its format lines."""
    head = buffer.lstrip().lower()
    if head.startswith("emotion") or (len(head) < 8 and "emotion:".startswith(head)):
        if "\n" not in head:
            return False
        head = head.split("\n", 1)[1].lstrip()
    return len(head) >= 7 or not "reply:".startswith(head[:6])
