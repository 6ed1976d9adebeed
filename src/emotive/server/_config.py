"""``ServerConfig``: every option of ``emotive serve`` in one frozen record."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from emotive._errors import ConfigError

KEYS_ENV = "EMOTIVE_API_KEYS"
CONFIG_ENV = "EMOTIVE_SERVER_CONFIG"  # how ``--workers`` hands the options to each worker process


@dataclass(frozen=True)
class ServerConfig:
    """Options of the HTTP server; each limit names the ``emotive serve`` option that sets it.

    ``api_keys``: accepted keys (empty: no key needed); ``upstream_base_url``: the
    OpenAI-compatible server behind ``/v1/chat/completions`` (None: the offline ``retrieval``
    backend answers); ``upstream_key_env``: the *name* of the environment variable that holds
    its key (the key itself is never stored here, echoed or logged).

    >>> ServerConfig(max_texts=8).max_texts
    8
    >>> "api_keys" in ServerConfig(api_keys=("k",)).public()
    False
    """

    host: str = "127.0.0.1"
    port: int = 8000
    model: str | None = None
    threads: int | None = None
    max_body_bytes: int = 1_000_000
    max_texts: int = 64
    max_chars: int = 10_000
    max_turns: int = 200
    request_timeout: float = 60.0
    batch_size: int = 32
    batch_wait_ms: float = 5.0
    queue_size: int = 1024
    upstream_base_url: str | None = None
    upstream_model: str = "default"
    upstream_key_env: str = "OPENAI_API_KEY"
    upstream_timeout: float = 30.0
    upstream_retries: int = 1
    fallback: str | None = None
    backend: str = "retrieval"
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    cors_origins: tuple[str, ...] = ()
    log_content: bool = False
    warm: bool = False

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_texts", "max_chars", "max_turns", "batch_size", "queue_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        for name in ("request_timeout", "upstream_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")
        if self.batch_wait_ms < 0:
            raise ConfigError(f"--batch-wait-ms must be 0 or more, got {self.batch_wait_ms}")
        if self.upstream_base_url and not self.upstream_base_url.startswith(("http://", "https://")):
            raise ConfigError(f"--upstream-base-url {self.upstream_base_url!r} is not an http:// or https:// "
                              "URL, e.g. http://localhost:11434/v1")

    def public(self) -> dict[str, Any]:
        """The options without the API keys (safe to log or hand to worker processes)."""
        out = asdict(self)
        out.pop("api_keys")
        return out

    def to_env(self) -> str:
        """JSON for ``EMOTIVE_SERVER_CONFIG`` (no keys: each worker reads ``EMOTIVE_API_KEYS``)."""
        return json.dumps(self.public())

    @classmethod
    def from_env(cls) -> ServerConfig:
        """The options in ``EMOTIVE_SERVER_CONFIG`` (defaults when unset), keys from ``EMOTIVE_API_KEYS``."""
        raw = json.loads(os.environ.get(CONFIG_ENV) or "{}")
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items() if k in known}
        return cls(**{**values, "api_keys": keys_from_env()})


def keys_from_env(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The API keys in ``EMOTIVE_API_KEYS`` (comma-separated; blanks dropped).

    >>> keys_from_env({"EMOTIVE_API_KEYS": "a, b,,"})
    ('a', 'b')
    """
    env = os.environ if environ is None else environ
    return tuple(k.strip() for k in env.get(KEYS_ENV, "").split(",") if k.strip())
