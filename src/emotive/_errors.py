"""The exceptions emotive raises.

Hierarchy::

    EmotiveError                 base of everything emotive raises on purpose
    ├── InputError               a text, file, row or argument the user gave is unusable
    ├── ModelError               a model directory is missing, corrupt or incompatible
    ├── BackendError             an LLM backend failed (later issues)
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


class ConfigError(EmotiveError, ValueError):
    """A wrong option, scheme name or environment setting."""


def missing_extra(extra: str, module: str) -> ModelError:
    """The error for an optional dependency that is not installed."""
    return ModelError(
        f"this needs the optional dependency {module!r}; install it with "
        f"pip install 'emotive[{extra}]'"
    )
