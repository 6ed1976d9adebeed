"""``create_app``: the FastAPI app of ``emotive serve``, every layer wired once."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import Any

from fastapi import FastAPI

from emotive import __version__
from emotive.server import _http_errors
from emotive.server._config import ServerConfig
from emotive.server._engine import Engine
from emotive.server._metrics import Metrics
from emotive.server._middleware import LOG_LEVEL_ENV, ApiKeys, BodyLimit, Deadline, InFlight, Observe, setup_logging

BATCHED = frozenset({"/v1/analyze", "/predict"})  # the routes whose texts are micro-batched
DESCRIPTION = """Emotional intelligence over HTTP: fine-grained emotions of texts and conversations,
their causes, guided replies, a text-embeddings-inference-compatible `/predict`, and an
OpenAI-compatible, emotion-aware chat proxy at `/v1/chat/completions`.

Every 4xx/5xx answers `{"error": {"type", "code", "message"}}` (on `/v1/chat/completions`
with `param` too: the OpenAI error shape)."""


def create_app(config: ServerConfig | None = None, *, analyzer: Any = None) -> FastAPI:
    """The app for ``config`` (default options). ``analyzer``: an ``Analyzer`` to use instead
    of loading one from ``config.model`` (tests give a tiny one).

    >>> app = create_app()
    >>> "/v1/chat/completions" in app.openapi()["paths"]
    True
    """
    from emotive.server import _proxy, _routes

    cfg = config or ServerConfig()
    metrics = Metrics()
    eng = Engine(cfg, metrics)
    if analyzer is not None:
        eng._analyzer = analyzer  # noqa: SLF001 the engine's own field, set before any request

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if cfg.warm:
            eng.start_loading()
        yield
        await eng.aclose()

    app = FastAPI(title="emotive", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.engine = eng
    _http_errors.install(app)
    app.include_router(_routes.router)
    app.include_router(_proxy.router)
    app.add_middleware(BodyLimit, limit=cfg.max_body_bytes)  # type: ignore[arg-type]
    app.add_middleware(InFlight, counter=eng.batcher, paths=BATCHED)  # type: ignore[arg-type]
    app.add_middleware(ApiKeys, keys=cfg.api_keys)  # type: ignore[arg-type]
    app.add_middleware(Deadline, seconds=cfg.request_timeout)  # type: ignore[arg-type]
    if cfg.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cfg.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "X-API-Key"],
                           expose_headers=["Retry-After"])
    app.add_middleware(Observe, metrics=metrics, log_content=cfg.log_content)  # type: ignore[arg-type]
    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory`` (``emotive serve --workers N``): options from the environment."""
    setup_logging(os.environ.get(LOG_LEVEL_ENV, "info"))
    return create_app(ServerConfig.from_env())


def openapi_schema(app: FastAPI | None = None) -> dict[str, Any]:
    """The OpenAPI schema the server serves at ``/openapi.json`` (default options)."""
    return (app or create_app()).openapi()


def committed_schema() -> dict[str, Any]:
    """The schema committed as ``emotive/server/openapi.json`` (regenerate it with
    ``python -m emotive.server.openapi``)."""
    data: dict[str, Any] = json.loads(files("emotive.server").joinpath("openapi.json").read_text("utf-8"))
    return data
