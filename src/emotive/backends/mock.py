"""A scripted backend for tests: fixed replies, an echo, and a record of every call.

Like llm's ``MockModel``, it is meant for users' own tests as much as for emotive's.

>>> from emotive.backends import get_backend
>>> mock = get_backend("mock", replies=["first", "second"])
>>> mock.generate([{"role": "user", "content": "hi"}]).text, list(mock.stream([{"role": "user", "content": "again"}]))
('first', ['second'])
>>> mock.calls[1].messages[0]["content"], mock.calls[1].stream
('again', True)
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Sequence
from dataclasses import dataclass

from pydantic import Field, model_validator

from emotive._errors import BackendError
from emotive.backends._base import Backend, BackendOptions, GenerateOptions, GenerateResult, Message, message_dicts

NEUTRAL_REPLY = "I hear you. Tell me more about how you feel."


class MockOptions(BackendOptions):
    """Options of the mock backend."""

    replies: list[str] = Field(default_factory=list, description="replies returned in order, one per call")
    echo: bool = Field(False, description="reply with the last user message")
    cycle: bool = Field(False, description="start the replies again when they run out instead of failing")
    chunk_size: int = Field(8, ge=1, description="characters per piece when streaming")

    @model_validator(mode="after")
    def _replies_or_echo(self) -> MockOptions:
        if self.echo and self.replies:
            raise ValueError("choose replies or echo=True, not both")
        return self


@dataclass(frozen=True)
class MockCall:
    """One recorded call: the messages, the options and whether it streamed."""

    messages: list[dict[str, str]]
    options: GenerateOptions
    stream: bool


class MockBackend(Backend):
    """Scripted replies for tests: in order, echoed, or a fixed neutral reply; every call recorded."""

    name = "mock"
    can_stream = True
    Options = MockOptions
    options: MockOptions

    def __init__(self, **options: object):
        super().__init__(**options)
        self.calls: list[MockCall] = []
        self._lock = threading.Lock()
        self._turn = 0

    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """The next scripted reply, the echo of the last user message, or the neutral reply;
        ``metadata["call"]`` is the call's number (from 1).

        >>> MockBackend().generate([{"role": "user", "content": "hi"}])
        GenerateResult(text='I hear you. Tell me more about how you feel.', metadata={'call': 1})
        """
        return self._reply(messages, options, stream=False)

    def stream(self, messages: Sequence[Message],
               options: GenerateOptions | None = None) -> Generator[str, None, GenerateResult]:
        """The same reply as :meth:`generate`, in pieces of ``chunk_size`` characters.

        >>> list(MockBackend(replies=["abcdefghij"], chunk_size=4).stream([]))
        ['abcd', 'efgh', 'ij']
        """
        result = self._reply(messages, options, stream=True)
        size = self.options.chunk_size
        for start in range(0, len(result.text), size):
            yield result.text[start:start + size]
        return result

    def _reply(self, messages: Sequence[Message], options: GenerateOptions | None, stream: bool) -> GenerateResult:
        given = message_dicts(messages)
        with self._lock:
            self.calls.append(MockCall(given, options or GenerateOptions(), stream))
            turn, self._turn = self._turn, self._turn + 1
        return GenerateResult(self._script(given, turn), {"call": turn + 1})

    def _script(self, given: list[dict[str, str]], turn: int) -> str:
        if self.options.echo:
            return next((m["content"] for m in reversed(given) if m["role"] == "user"), "")
        replies = self.options.replies
        if not replies:
            return NEUTRAL_REPLY
        if turn < len(replies):
            return replies[turn]
        if self.options.cycle:
            return replies[turn % len(replies)]
        raise BackendError(f"mock backend has no reply left: all {len(replies)} scripted replies were used "
                           f"(call {turn + 1}); pass more replies or cycle=True")
