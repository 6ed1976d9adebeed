"""LLM backends, found by name in one registry fed by the ``emotive.backends`` entry points.

Built-in backends register the same way a third-party plugin does, in ``pyproject.toml``::

    [project.entry-points."emotive.backends"]
    mybackend = "my_package.module:MyBackend"

A backend class is imported only when its name is used, so importing this package loads
neither torch nor httpx. Every backend has an async form, ``backend.async_form()``
(:class:`AsyncBackend`: native for ``openai``, worker threads for the others). Network failures
are ``BackendError`` subclasses: ``BackendConnectError``, ``BackendTimeoutError``,
``BackendStatusError`` (``.status``), ``BackendProtocolError`` and ``BackendUnavailableError``
(the circuit breaker is open; ``.retry_after``). A plugin that fails to import raises ``BackendError`` when it is
asked for and does not break the others.

>>> backend = get_backend("mock", replies=["Hello there."])
>>> backend.generate([{"role": "user", "content": "hi"}]).text
'Hello there.'
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from pydantic.fields import FieldInfo

from emotive._errors import (
    BackendConnectError,
    BackendError,
    BackendProtocolError,
    BackendStatusError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
)
from emotive.backends._async import AsyncBackend, AsyncResultStream, ThreadedAsyncBackend
from emotive.backends._base import (
    Backend,
    BackendOptions,
    GenerateOptions,
    GenerateResult,
    Message,
    ResultStream,
    message_dicts,
)

__all__ = [
    "AsyncBackend",
    "AsyncResultStream",
    "Backend",
    "BackendConnectError",
    "BackendError",
    "BackendOptions",
    "BackendProtocolError",
    "BackendStatusError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "GROUP",
    "GenerateOptions",
    "GenerateResult",
    "Message",
    "ResultStream",
    "ThreadedAsyncBackend",
    "backend_class",
    "backend_names",
    "describe_backends",
    "get_backend",
    "message_dicts",
]

GROUP = "emotive.backends"
_loaded: dict[str, type[Backend]] = {}


def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def backend_names() -> list[str]:
    """The names of every registered backend, sorted; nothing is imported.

    >>> {"mock", "openai", "transformers"} <= set(backend_names())
    True
    """
    return sorted(_entry_points())


def backend_class(name: str) -> type[Backend]:
    """The backend class registered as ``name``, imported on first use.

    An unknown name raises ``ConfigError`` listing the known ones; a plugin that cannot be
    imported raises ``BackendError`` naming its entry point and the cause.

    >>> backend_class("mock").can_stream
    True
    """
    if name in _loaded:
        return _loaded[name]
    eps = _entry_points()
    if name not in eps:
        raise ConfigError(f"unknown backend {name!r}; choose one of: {', '.join(sorted(eps)) or 'none installed'}")
    cls = _load(eps[name])
    _loaded[name] = cls
    return cls


def _load(ep: EntryPoint) -> type[Backend]:
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must not break the others
        raise BackendError(f"backend {ep.name!r} (entry point {ep.value!r}) failed to load: "
                           f"{type(exc).__name__}: {exc}; reinstall the package that provides it") from exc
    if not (isinstance(cls, type) and issubclass(cls, Backend)):
        raise BackendError(f"backend {ep.name!r} (entry point {ep.value!r}) is {cls!r}, "
                           "not a subclass of emotive.backends.Backend")
    return cls


def get_backend(name: str, **options: Any) -> Backend:
    """A ready backend: ``name`` from :func:`backend_names`, ``options`` its typed options.

    A misspelt or invalid option raises ``ConfigError`` naming it.

    >>> get_backend("mock", echo=True).generate([{"role": "user", "content": "same words"}]).text
    'same words'
    """
    return backend_class(name)(**options)


def describe_backends() -> list[dict[str, Any]]:
    """What each backend can do and the options it takes, for listings such as ``emotive backends``.

    A backend that fails to load is listed with its ``error`` and no options.

    >>> mock = next(d for d in describe_backends() if d["name"] == "mock")
    >>> mock["can_stream"], [o["name"] for o in mock["options"]][:2]
    (True, ['replies', 'echo'])
    """
    out = []
    for name in backend_names():
        try:
            out.append(_describe(name, backend_class(name)))
        except BackendError as exc:
            out.append({"name": name, "description": "", "can_stream": False, "needs_key": False,
                        "key_env_var": None, "options": [], "error": str(exc)})
    return out


def _describe(name: str, cls: type[Backend]) -> dict[str, Any]:
    doc = (cls.__doc__ or "").strip().splitlines()
    return {"name": name, "description": doc[0] if doc else "", "can_stream": cls.can_stream,
            "needs_key": cls.needs_key, "key_env_var": cls.key_env_var,
            "options": [_describe_option(key, field) for key, field in cls.Options.model_fields.items()],
            "error": None}


def _describe_option(name: str, field: FieldInfo) -> dict[str, Any]:
    required = field.is_required()
    default = None if required else field.get_default(call_default_factory=True)
    return {"name": name, "type": _type_name(field.annotation), "default": default, "required": required,
            "description": field.description or ""}


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type) and not getattr(annotation, "__args__", None):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("pathlib.", "")
