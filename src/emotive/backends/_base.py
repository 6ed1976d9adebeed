"""The one small interface every LLM backend implements.

A backend turns chat ``messages`` (OpenAI format: ``{"role": "system"|"user"|"assistant",
"content": str}``) into a reply: ``generate`` returns a ``GenerateResult`` (the text and
what the backend wants to say about it: the model, the finish reason, the chosen
candidate...), ``stream`` yields the text in pieces and *returns* the ``GenerateResult``
when it ends (a generator's return value; :class:`ResultStream` collects it).
``async_form()`` gives the same backend for ``asyncio`` code (``emotive.backends.AsyncBackend``). Nothing
about a call is kept on the backend, so one backend serves concurrent calls. It declares
what it can do (``can_stream``, ``needs_key``, ``key_env_var``) and takes typed options: a
pydantic model with ``extra="forbid"``, so a misspelt option is an error, not a silent
default.

``GenerateOptions.plan`` carries emotive's typed plan (``emotive.schema.Plan``: the turns,
the strategy, the reply emotion, the user's emotions) for backends that use it directly,
such as the offline retrieval backend; LLM backends read the prompt in ``messages`` instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from emotive._errors import ConfigError, InputError
from emotive.schema import Plan

if TYPE_CHECKING:
    from emotive.backends._async import AsyncBackend

Message = Mapping[str, str]


class BackendOptions(BaseModel):
    """Base of every backend's options; unknown options are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class GenerateOptions:
    """Per-call settings shared by all backends."""

    max_tokens: int = 256
    temperature: float = 0.7
    plan: Plan | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GenerateResult:
    """A backend's reply: the ``text`` and ``metadata`` about it (JSON-ready values).

    >>> GenerateResult("Hello.", {"model": "m"}).text
    'Hello.'
    >>> GenerateResult.of("a bare string from an older plugin")
    GenerateResult(text='a bare string from an older plugin', metadata={})
    """

    text: str
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, value: GenerateResult | str) -> GenerateResult:
        """``value`` as a result; a plugin's bare string becomes one with no metadata."""
        if isinstance(value, GenerateResult):
            return value
        if isinstance(value, str):
            return cls(value)
        raise TypeError(f"a backend returned {type(value).__name__}, expected a GenerateResult or str")

    def __str__(self) -> str:
        return self.text


class ResultStream:
    """The pieces of a streamed reply, then its ``result`` once the last piece is in.

    ``result`` is what the stream returned (its text replaced by the pieces joined), or,
    for a stream that returns nothing, the joined pieces with no metadata.

    >>> def pieces():
    ...     yield "Hel"
    ...     yield "lo."
    ...     return GenerateResult("", {"model": "m"})
    >>> stream = ResultStream(pieces())
    >>> list(stream), stream.result
    (['Hel', 'lo.'], GenerateResult(text='Hello.', metadata={'model': 'm'}))
    """

    def __init__(self, pieces: Iterable[str]):
        self._pieces = iter(pieces)
        self._text: list[str] = []
        self.result: GenerateResult | None = None

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            piece = next(self._pieces)
        except StopIteration as stop:
            if self.result is None:
                returned = stop.value if isinstance(stop.value, GenerateResult) else GenerateResult("")
                self.result = GenerateResult("".join(self._text), returned.metadata)
            raise
        self._text.append(piece)
        return piece

    def close(self) -> None:
        """Stop early (a generator's ``finally`` runs: connections close, threads stop)."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


class Backend(ABC):
    """Base class of LLM backends. Subclasses set ``name``, ``Options`` and ``generate``."""

    name: ClassVar[str] = ""
    can_stream: ClassVar[bool] = False
    needs_key: ClassVar[bool] = False
    key_env_var: ClassVar[str | None] = None
    Options: ClassVar[type[BackendOptions]] = BackendOptions

    def __init__(self, **options: Any):
        try:
            self.options = self.Options(**options)
        except ValidationError as exc:
            raise ConfigError(f"bad options for backend {self.name!r}: {_first_error(exc)}; "
                              f"accepted: {', '.join(self.Options.model_fields) or 'none'}") from None

    @abstractmethod
    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """The whole reply to ``messages``."""

    def stream(self, messages: Sequence[Message],
               options: GenerateOptions | None = None) -> Generator[str, None, GenerateResult]:
        """The reply in pieces, returning the whole ``GenerateResult`` at the end; backends
        that cannot stream yield it in one piece."""
        result = GenerateResult.of(self.generate(messages, options))
        yield result.text
        return result

    def async_form(self) -> AsyncBackend:
        """This backend for ``asyncio`` code (``await form.generate(...)``, ``async for`` over
        ``form.stream(...)``). The default runs the sync methods in worker threads; a backend
        with native async I/O overrides it.

        >>> import asyncio
        >>> from emotive.backends import get_backend
        >>> form = get_backend("mock", replies=["Hi."]).async_form()
        >>> form.name, asyncio.run(form.generate([{"role": "user", "content": "hello"}])).text
        ('mock', 'Hi.')
        """
        from emotive.backends._async import ThreadedAsyncBackend

        return ThreadedAsyncBackend(self)


def message_dicts(messages: Sequence[Message]) -> list[dict[str, str]]:
    """``messages`` as plain dicts, each checked to have a string ``role`` and ``content``.

    An unusable message raises ``InputError`` naming its position.

    >>> message_dicts([{"role": "user", "content": "hi"}])
    [{'role': 'user', 'content': 'hi'}]
    """
    out = []
    for i, message in enumerate(messages):
        ok = isinstance(message, Mapping)
        if not ok or not isinstance(message.get("role"), str) or not isinstance(message.get("content"), str):
            raise InputError(f"message {i} needs a string 'role' and 'content', got {message!r}; "
                             "pass messages like {'role': 'user', 'content': 'hello'}")
        out.append(dict(message))
    return out


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "options"
    return f"{where}: {err.get('msg', 'invalid')}"
