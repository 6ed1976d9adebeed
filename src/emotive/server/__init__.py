"""The HTTP server of ``emotive serve``: a thin adapter over the library (extra ``[serve]``).

>>> from emotive.server import ServerConfig, create_app
>>> app = create_app(ServerConfig(max_texts=16))
>>> app.title
'emotive'

Endpoints: ``/v1/analyze``, ``/v1/conversations/analyze``, ``/v1/causes``, ``/v1/respond``,
``/v1/models``, ``/predict`` (text-embeddings-inference), ``/v1/chat/completions`` (OpenAI),
``/healthz``, ``/readyz``, ``/metrics``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emotive._lazy import lazy_exports

__all__ = ["PRESETS", "ServerConfig", "app_from_env", "committed_schema", "create_app", "keys_from_env",
           "openapi_schema", "parse_model", "run"]

_WHERE = {
    "ServerConfig": "emotive.server._config", "create_app": "emotive.server._app",
    "app_from_env": "emotive.server._app", "openapi_schema": "emotive.server._app",
    "committed_schema": "emotive.server._app", "PRESETS": "emotive.server._engine",
    "parse_model": "emotive.server._engine", "keys_from_env": "emotive.server._config",
    "run": "emotive.server._run",
}

if TYPE_CHECKING:
    from emotive.server._app import app_from_env, committed_schema, create_app, openapi_schema
    from emotive.server._config import ServerConfig, keys_from_env
    from emotive.server._engine import PRESETS, parse_model
    from emotive.server._run import run


__getattr__, __dir__ = lazy_exports("emotive.server", _WHERE, globals(), __all__)
