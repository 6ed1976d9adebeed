"""The committed OpenAPI schema is the served one, and a short schemathesis run finds no
server error and no response outside the schema (the long run is in benchmarks/serve.py)."""

from __future__ import annotations

import json
import os

import pytest
from fastapi.testclient import TestClient

from emotive.server import ServerConfig, committed_schema, create_app

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import positive_data_acceptance  # noqa: E402


def test_committed_schema_is_the_served_one() -> None:
    with TestClient(create_app()) as client:
        served = client.get("/openapi.json").json()
    # regenerate with: python -m emotive.server.openapi
    assert json.dumps(served, sort_keys=True) == json.dumps(committed_schema(), sort_keys=True)
    paths = set(served["paths"])
    assert {"/v1/analyze", "/v1/conversations/analyze", "/v1/causes", "/v1/respond", "/v1/models", "/predict",
            "/v1/chat/completions", "/healthz", "/readyz", "/metrics"} <= paths
    for path, ops in served["paths"].items():
        for method, op in ops.items():
            if method == "post":
                assert {"401", "413", "422"} <= set(op["responses"]), (path, method)


_APP = None


def _app():  # type: ignore[no-untyped-def]
    global _APP
    if _APP is None:
        from emotive import Analyzer

        _APP = create_app(ServerConfig(max_texts=8, max_chars=2000, max_turns=16), analyzer=Analyzer(threads=1))
    return _APP


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=int(os.environ.get("EMOTIVE_FUZZ_EXAMPLES", "5")), deadline=None,
          suppress_health_check=list(HealthCheck), derandomize=True)
def test_fuzz_the_served_schema(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call()
    assert response.status_code < 500 or response.status_code in (502, 503, 504), response.text
    # a schema-valid body may still break a documented 422 rule (a blank text, a turn order)
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
