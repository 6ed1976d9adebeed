"""One JSON error shape for every 4xx and 5xx: ``{"error": {"type", "code", "message"}}``.

On ``/v1/chat/completions`` the same object also carries ``param`` (null), which makes it
the OpenAI error shape that OpenAI clients parse. Library errors are converted here once:
``InputError``/``ConfigError`` -> 422, ``BackendError`` -> 502 (timeout 504, unavailable
503 with ``Retry-After``); anything else is a 500 whose message hides the traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from emotive._errors import (
    BackendConnectError,
    BackendError,
    BackendProtocolError,
    BackendStatusError,
    BackendTimeoutError,
    BackendUnavailableError,
    ConfigError,
    InputError,
)

log = logging.getLogger("emotive.server")

PROXY_PATH = "/v1/chat/completions"
_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
          405: "invalid_request_error", 408: "timeout_error", 413: "invalid_request_error",
          422: "invalid_request_error", 429: "rate_limit_error", 500: "server_error",
          502: "upstream_error", 503: "overloaded_error", 504: "upstream_timeout_error"}


class ApiError(Exception):
    """An HTTP error for the client: status, a stable ``code``, a message that says the fix.

    >>> ApiError(413, "body_too_large", "the body is over 10 bytes").body()["error"]["type"]
    'invalid_request_error'
    """

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}

    def body(self, openai: bool = False) -> dict[str, Any]:
        error: dict[str, Any] = {"type": _TYPES.get(self.status, "server_error" if self.status >= 500
                                                    else "invalid_request_error"),
                                 "code": self.code, "message": self.message}
        if openai:
            error["param"] = None
        return {"error": error}

    def response(self, path: str = "") -> JSONResponse:
        return JSONResponse(self.body(openai=path == PROXY_PATH), status_code=self.status, headers=self.headers)


def backend_error(exc: BackendError) -> ApiError:
    """The HTTP error for a failed upstream: 504 on a timeout, 503 (with ``Retry-After``)
    when it is unavailable (circuit open), 502 for the rest; the cause in the message."""
    if isinstance(exc, BackendTimeoutError):
        return ApiError(504, "upstream_timeout", f"the upstream LLM timed out: {exc}")
    if isinstance(exc, BackendUnavailableError):
        wait = exc.retry_after
        headers = {"Retry-After": str(max(1, round(wait)))} if wait is not None else {}
        return ApiError(503, "upstream_unavailable", f"the upstream LLM is unavailable: {exc}", headers)
    code = "upstream_error"
    if isinstance(exc, BackendConnectError):
        code = "upstream_connect_error"
    elif isinstance(exc, BackendStatusError):
        code = "upstream_status_error"
    elif isinstance(exc, BackendProtocolError):
        code = "upstream_protocol_error"
    return ApiError(502, code, f"the upstream LLM failed: {exc}")


def as_api_error(exc: Exception) -> ApiError:
    """Any exception as the error the client sees (never a traceback)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, (InputError, ConfigError)):
        return ApiError(422, "invalid_input", str(exc))
    if isinstance(exc, BackendError):
        return backend_error(exc)
    log.error("unexpected error: %s", type(exc).__name__, exc_info=exc)
    return ApiError(500, "internal_error", f"internal error ({type(exc).__name__}); the server logged it "
                                           "and keeps serving")


def validation_message(exc: RequestValidationError) -> str:
    """The first few validation problems as one line: where (``body.texts.0``) and what."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    more = len(exc.errors()) - len(parts)
    return "invalid request: " + "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, exc: ApiError) -> JSONResponse:
        return exc.response(request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return ApiError(422, "validation_error", validation_message(exc)).response(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "invalid_json", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = {400: "the body is not valid JSON in UTF-8; send Content-Type: application/json",
                   404: f"no endpoint at {request.url.path}; see /docs or /openapi.json",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
        return ApiError(exc.status_code, code, message, dict(exc.headers or {})).response(request.url.path)

    @app.exception_handler(Exception)
    async def _any(request: Request, exc: Exception) -> JSONResponse:
        return as_api_error(exc).response(request.url.path)
