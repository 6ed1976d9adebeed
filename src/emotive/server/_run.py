"""``run``: serve an app with uvicorn (what ``emotive serve`` does after parsing its options)."""

from __future__ import annotations

import os

from emotive.server._app import create_app
from emotive.server._config import CONFIG_ENV, ServerConfig
from emotive.server._middleware import LOG_LEVEL_ENV, setup_logging


def run(config: ServerConfig, *, workers: int = 1, log_level: str = "info") -> None:
    """Serve until interrupted. uvicorn's access log is off: emotive logs one line per
    request without its content (``config.log_content`` adds the body). With ``workers`` > 1
    each worker process builds the app from ``EMOTIVE_SERVER_CONFIG`` (keys from
    ``EMOTIVE_API_KEYS``), so no key is passed on.

    >>> run(ServerConfig(port=8000))  # doctest: +SKIP
    """
    import uvicorn

    setup_logging(log_level)
    options = dict(host=config.host, port=config.port, access_log=False, log_level=log_level.lower())
    if workers > 1:
        os.environ[CONFIG_ENV] = config.to_env()
        os.environ[LOG_LEVEL_ENV] = log_level
        uvicorn.run("emotive.server:app_from_env", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(config), **options)  # type: ignore[arg-type]
