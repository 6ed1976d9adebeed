"""What the server holds: the analyzer (loaded once, thread-safely), the micro-batcher,
the responders of the chat presets, and the ready flag for ``/readyz``."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from emotive._errors import ConfigError
from emotive.server._batcher import MicroBatcher
from emotive.server._config import ServerConfig
from emotive.server._metrics import Metrics

PERSONAS = ("supportive", "chandler", "joey", "monica", "phoebe", "rachel", "ross")
MODEL_PREFIX = "emotive/"
_FAST_OFF = ("causes", "two_stage")
_SAFETY_ONLY_OFF = ("understanding", "two_stage", "causes", "strategy", "persona")


@dataclass(frozen=True)
class Preset:
    """A chat model name's persona and switched-off steps."""

    name: str
    persona: str
    without: tuple[str, ...] = ()
    description: str = ""


PRESETS = {
    **{p: Preset(p, p, (), f"all steps, persona {p}") for p in PERSONAS},
    "fast": Preset("fast", "supportive", _FAST_OFF, "no cause extraction, no two-stage emotion choice"),
    "safety": Preset("safety", "supportive", _SAFETY_ONLY_OFF, "only the safety step; the prompt is the client's"),
}


def parse_model(name: str, default_model: str) -> tuple[Preset, str]:
    """``emotive/<preset>:<upstream model>`` -> (preset, upstream model); ``emotive`` or
    ``emotive/<preset>`` keep the configured upstream model; any other name is the upstream
    model itself with the ``supportive`` preset.

    >>> p, m = parse_model("emotive/supportive:llama3.1", "default")
    >>> p.name, m
    ('supportive', 'llama3.1')
    >>> parse_model("gpt-4o-mini", "default")[1]
    'gpt-4o-mini'
    """
    if name == "emotive" or not name.startswith(MODEL_PREFIX):
        return PRESETS["supportive"], default_model if name == "emotive" else name
    preset, _, model = name[len(MODEL_PREFIX):].partition(":")
    if preset.lower() not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r} in model {name!r}; choose one of: "
                          f"{', '.join(sorted(PRESETS))} (e.g. emotive/supportive:llama3.1)")
    return PRESETS[preset.lower()], model or default_model


class Engine:
    """The library objects behind the endpoints, each made once on first use under a lock."""

    def __init__(self, config: ServerConfig, metrics: Metrics):
        self.config, self.metrics = config, metrics
        self._lock = threading.RLock()
        self._analyzer: Any = None
        self._responder_parts: dict[str, Any] | None = None
        self._backends: dict[str, Any] = {}
        self._responders: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._loading: threading.Thread | None = None
        self._warmed = False
        self.load_error: str | None = None
        self.batcher = MicroBatcher(self.analyzer, metrics, max_batch=config.batch_size,
                                    max_wait_ms=config.batch_wait_ms, max_queue=config.queue_size)

    def analyzer(self) -> Any:
        """The shared ``Analyzer`` (ONNX sessions run safely from several threads)."""
        with self._lock:
            if self._analyzer is None:
                from emotive.analyze import Analyzer

                self._analyzer = Analyzer(self.config.model, threads=self.config.threads)
            return self._analyzer

    @property
    def ready(self) -> bool:
        """Whether the analyzer is loaded (and, after ``warm``, every other model too)."""
        return self._analyzer is not None and (not self.config.warm or self._warmed)

    def start_loading(self) -> None:
        """Load in a background thread (``warm`` with ``--warm``, else the analyzer), once."""
        with self._lock:
            if self._loading is not None:
                return
            self._loading = threading.Thread(target=self._load_quietly, name="emotive-load", daemon=True)
            self._loading.start()

    def _load_quietly(self) -> None:
        try:
            if self.config.warm:
                self.warm()
                self._warmed = True
            else:
                self.analyzer()
        except Exception as exc:  # /readyz reports it; requests get the error when they load
            self.load_error = f"{type(exc).__name__}: {exc}"

    def warm(self) -> None:
        """Load every model now: the analyzer, the conversation and cause models, the
        responder's encoder, planner, persona transition and safety rules."""
        analyzer = self.analyzer()
        analyzer.conversation_model  # noqa: B018
        analyzer.has_cause_model()
        responder = self.responder("supportive", None)
        for part in ("safety", "encoder", "planner", "transition"):
            getattr(responder, part)

    def responder(self, preset_name: str, upstream_model: str | None, *, max_tokens: int = 256,
                  temperature: float = 0.7, offline: bool = False) -> Any:
        """A ``Responder`` for a preset and upstream model (cached; the models are shared)."""
        key = (preset_name, upstream_model, max_tokens, temperature, offline)
        with self._lock:
            if key in self._responders:
                self._responders.move_to_end(key)
                return self._responders[key]
            responder = self._make_responder(PRESETS[preset_name], upstream_model, max_tokens, temperature, offline)
            self._responders[key] = responder
            while len(self._responders) > 64:
                self._responders.popitem(last=False)
            return responder

    def _make_responder(self, preset: Preset, model: str | None, max_tokens: int, temperature: float,
                        offline: bool) -> Any:
        from emotive.respond import Responder, Steps

        parts = self._parts()
        backend = self._backend(None if offline else model)
        return Responder(backend, persona=preset.persona, steps=Steps.without(list(preset.without)),
                         fallback=self.config.fallback, max_tokens=max_tokens, temperature=temperature,
                         analyzer=parts["analyzer"], encoder=parts["encoder"], planner=parts["planner"],
                         safety=parts["safety"], parallel=False)  # concurrent requests already fill the cores

    def _parts(self) -> dict[str, Any]:
        if self._responder_parts is None:
            from emotive.models import SentenceEncoder
            from emotive.respond import Safety, StrategyPlanner

            encoder = SentenceEncoder()
            self._responder_parts = {"analyzer": self.analyzer(), "encoder": encoder,
                                     "planner": StrategyPlanner(encoder), "safety": Safety()}
        return self._responder_parts

    def _backend(self, model: str | None) -> Any:
        """The upstream backend for ``model`` (None, or no upstream configured: the offline one)."""
        from emotive.backends import get_backend

        cfg = self.config
        name = model if cfg.upstream_base_url and model is not None else None
        key = name or ""
        if key not in self._backends:
            if name is None:
                self._backends[key] = get_backend(cfg.backend)
            else:
                self._backends[key] = get_backend(
                    "openai", base_url=cfg.upstream_base_url, model=name, api_key_env=cfg.upstream_key_env,
                    timeout=cfg.upstream_timeout, retries=cfg.upstream_retries, deadline=cfg.upstream_timeout)
        return self._backends[key]

    @property
    def has_upstream(self) -> bool:
        return bool(self.config.upstream_base_url)

    async def aclose(self) -> None:
        """Stop the analyze worker; close the backends' connections (sync and async)."""
        self.batcher.close()
        for backend in self._backends.values():
            await backend.async_form().aclose()
            _close(backend)

    def close(self) -> None:
        """:meth:`aclose` for code outside an event loop (the async connections are left to exit)."""
        self.batcher.close()
        for backend in self._backends.values():
            _close(backend)


def _close(backend: Any) -> None:
    closer = getattr(backend, "close", None)
    if callable(closer):
        closer()
