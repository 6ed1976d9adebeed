"""The exceptions emotive raises.

Hierarchy::

    EmotiveError                 base of everything emotive raises on purpose
    ├── InputError               a text, file, row or argument the user gave is unusable
    ├── ModelError               a model directory is missing, corrupt or incompatible
    ├── BackendError             an LLM backend failed
    │   ├── BackendConnectError      cannot connect to the server
    │   ├── BackendTimeoutError      no answer in time: a read timeout or the request's total deadline
    │   ├── BackendStatusError       the server answered an HTTP error (``status``)
    │   ├── BackendProtocolError     a reply emotive cannot use: malformed JSON, the wrong shape,
    │   │                            a stream cut mid-way, a reply over the size limit
    │   └── BackendUnavailableError  the circuit breaker is open: calls fail fast (``retry_after``)
    └── ConfigError              an option, scheme name or environment setting is wrong

Messages say what happened, where (file and line for input) and how to fix it. The CLI
converts them once into a message and exit code 2.
"""

from __future__ import annotations


class EmotiveError(Exception):
    """Base class of every error emotive raises on purpose."""


class InputError(EmotiveError, ValueError):
    """Unusable user input; ``source`` and ``line`` say where, when known."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(f"{where}{message}")


class ModelError(EmotiveError):
    """A model directory is missing, corrupt or incompatible."""


class BackendError(EmotiveError):
    """An LLM backend failed."""


class BackendConnectError(BackendError):
    """The backend's server cannot be reached (refused, unknown host, connect timeout)."""


class BackendTimeoutError(BackendError):
    """The server did not answer in time: a read timed out or the request's total deadline passed."""


class BackendStatusError(BackendError):
    """The server answered with an HTTP error; ``status`` is its code.

    >>> BackendStatusError("http://h/v1 answered HTTP 503", status=503).status
    503
    """

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[object, ...]:  # keyword-only attributes survive pickling (Ray, processes)
        return _rebuilt, (type(self), self.args, self.__dict__)


class BackendProtocolError(BackendError):
    """The server's reply is unusable: malformed JSON, the wrong shape, a stream cut mid-way,
    or a reply over the size limit."""


class BackendUnavailableError(BackendError):
    """The circuit breaker is open after repeated failures: calls fail fast without reaching the
    server; ``retry_after`` is the seconds until it lets a probe through (None when unknown).

    >>> BackendUnavailableError("open", retry_after=2.5).retry_after
    2.5
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuilt, (type(self), self.args, self.__dict__)


def _rebuilt(cls: type[BaseException], args: tuple[object, ...], state: dict[str, object]) -> BaseException:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigError(EmotiveError, ValueError):
    """A wrong option, scheme name or environment setting."""


def missing_extra(extra: str, module: str) -> ModelError:
    """The error for an optional dependency that is not installed."""
    return ModelError(
        f"this needs the optional dependency {module!r}; install it with "
        f"pip install 'emotive[{extra}]'"
    )
