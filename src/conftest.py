"""Doctest collection of the package: the server's modules need the ``[serve]`` extra
(fastapi, uvicorn, prometheus-client); without it they are left out instead of failing."""

from __future__ import annotations

import importlib.util

_SERVE = ("fastapi", "uvicorn", "prometheus_client")

collect_ignore_glob = [] if all(importlib.util.find_spec(m) for m in _SERVE) else ["emotive/server/*"]
