"""The async form of a backend, like llm's ``AsyncModel`` next to its ``Model``.

``Backend.async_form()`` gives an :class:`AsyncBackend`: ``await generate(...)`` returns the
``GenerateResult``; ``stream(...)`` returns an :class:`AsyncResultStream`, an async iterator of
text pieces whose ``result`` is set once it ends. A backend with no async code of its own gets
:class:`ThreadedAsyncBackend`, which runs its sync methods in worker threads so the event loop
never blocks; the OpenAI-compatible backend has a native form on ``httpx.AsyncClient``.

An async generator cannot return a value, so an async stream gives its ``GenerateResult`` as its
last item; :class:`AsyncResultStream` takes it out and hands over the text pieces only.

>>> import asyncio
>>> from emotive.backends import get_backend
>>> async def main():
...     backend = get_backend("mock", replies=["Hello there."], chunk_size=6).async_form()
...     stream = backend.stream([{"role": "user", "content": "hi"}])
...     return [piece async for piece in stream], stream.result.text
>>> asyncio.run(main())
(['Hello ', 'there.'], 'Hello there.')
"""

from __future__ import annotations

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any

from emotive.backends._base import GenerateOptions, GenerateResult, Message, ResultStream

if TYPE_CHECKING:
    from emotive.backends._base import Backend


class AsyncResultStream:
    """The pieces of a streamed reply, read with ``async for``, then its ``result``.

    ``pieces`` yields text pieces and, optionally, a ``GenerateResult`` last (its metadata is
    kept, its text replaced by the pieces joined). ``aclose()`` stops early: the connection or
    the worker thread behind it is closed.

    >>> import asyncio
    >>> async def pieces():
    ...     yield "Hel"
    ...     yield "lo."
    ...     yield GenerateResult("", {"model": "m"})
    >>> async def main():
    ...     stream = AsyncResultStream(pieces())
    ...     return [p async for p in stream], stream.result
    >>> asyncio.run(main())
    (['Hel', 'lo.'], GenerateResult(text='Hello.', metadata={'model': 'm'}))
    """

    def __init__(self, pieces: AsyncIterator[str | GenerateResult]):
        self._pieces = pieces
        self._text: list[str] = []
        self._returned: GenerateResult | None = None
        self.result: GenerateResult | None = None

    def __aiter__(self) -> AsyncResultStream:
        return self

    async def __anext__(self) -> str:
        while True:
            try:
                item = await self._pieces.__anext__()
            except StopAsyncIteration:
                if self.result is None:
                    metadata = self._returned.metadata if self._returned is not None else {}
                    self.result = GenerateResult("".join(self._text), metadata)
                raise
            if isinstance(item, GenerateResult):
                self._returned = item
                continue
            self._text.append(item)
            return item

    async def aclose(self) -> None:
        """Stop reading early; what holds the stream open (a connection, a thread) is released."""
        close = getattr(self._pieces, "aclose", None)
        if close is not None:
            await close()


class AsyncBackend(ABC):
    """The async form of a backend: ``await generate(...)`` and ``stream(...)``.

    ``name`` and ``can_stream`` are those of the sync backend it comes from (``backend``).
    """

    name: str = ""
    can_stream: bool = False

    def __init__(self, backend: Backend):
        self.backend = backend
        self.name = backend.name
        self.can_stream = backend.can_stream

    @abstractmethod
    async def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """The whole reply to ``messages``."""

    def stream(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> AsyncResultStream:
        """The reply in pieces; a form that cannot stream gives the whole reply as one piece.
        Nothing is sent before the first piece is asked for."""
        return AsyncResultStream(self._one_piece(messages, options))

    async def aclose(self) -> None:  # noqa: B027 (optional, like close() on a sync backend)
        """Release what the form holds (pooled connections); it reconnects if used again."""

    async def _one_piece(self, messages: Sequence[Message],
                         options: GenerateOptions | None) -> AsyncIterator[str | GenerateResult]:
        result = GenerateResult.of(await self.generate(messages, options))
        yield result.text
        yield result


class ThreadedAsyncBackend(AsyncBackend):
    """Any sync backend, async: each call runs in a worker thread (``asyncio.to_thread``), and a
    stream is read piece by piece in worker threads, so the event loop is never blocked.

    >>> import asyncio
    >>> from emotive.backends import get_backend
    >>> form = ThreadedAsyncBackend(get_backend("mock", echo=True))
    >>> asyncio.run(form.generate([{"role": "user", "content": "same words"}])).text
    'same words'
    """

    async def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        return GenerateResult.of(await asyncio.to_thread(self.backend.generate, messages, options))

    def stream(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> AsyncResultStream:
        return AsyncResultStream(thread_pieces(lambda: ResultStream(self.backend.stream(messages, options))))


_END = object()


async def thread_pieces(open_stream: Callable[[], ResultStream]) -> AsyncIterator[str | GenerateResult]:
    """The pieces of a sync stream, each read in a worker thread, then its result.

    One lock orders the reads and the close, so a stream abandoned mid-read (the task was
    cancelled) is closed by a worker thread as soon as that read is over, without blocking the loop.
    """
    lock = threading.Lock()
    stream = await asyncio.to_thread(open_stream)
    cancelled = False
    try:
        while True:
            piece = await asyncio.to_thread(_locked_next, lock, stream)
            if piece is _END:
                break
            yield piece
        if stream.result is not None:
            yield stream.result
    except asyncio.CancelledError:
        cancelled = True
        raise
    finally:
        closing = asyncio.get_running_loop().run_in_executor(None, _locked_close, lock, stream)
        if not cancelled:
            await closing


def _locked_next(lock: threading.Lock, stream: ResultStream) -> Any:
    with lock:
        return next(stream, _END)


def _locked_close(lock: threading.Lock, stream: ResultStream) -> None:
    with lock:
        stream.close()
