"""The one small interface every LLM backend implements.

A backend turns chat ``messages`` (OpenAI format: ``{"role": "system"|"user"|"assistant",
"content": str}``) into a reply, whole (``generate``) or as text pieces (``stream``). It
declares what it can do (``can_stream``, ``needs_key``, ``key_env_var``) and takes typed
options: a pydantic model with ``extra="forbid"``, so a misspelt option is an error, not a
silent default.

``GenerateOptions.guidance`` carries emotive's plan (the user's emotions, causes, strategy,
reply emotion and the conversation turns) for backends that use it directly, such as the
offline retrieval backend; LLM backends read the prompt in ``messages`` instead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from emotive._errors import ConfigError, InputError

Message = Mapping[str, str]


class BackendOptions(BaseModel):
    """Base of every backend's options; unknown options are rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class GenerateOptions:
    """Per-call settings shared by all backends."""

    max_tokens: int = 256
    temperature: float = 0.7
    guidance: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


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
    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> str:
        """The whole reply to ``messages``."""

    def stream(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> Iterator[str]:
        """The reply in pieces; backends that cannot stream yield it in one piece."""
        yield self.generate(messages, options)


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
