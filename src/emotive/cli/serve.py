"""``emotive serve``: the HTTP emotion API and the OpenAI-compatible chat proxy."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from emotive._errors import missing_extra


def serve_command(
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes the server to the network.")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (each loads its own models).")] = 1,
    threads: Annotated[Optional[int], typer.Option(help="ONNX threads per worker (default: cores, max 4).")]
    = None,
    model: Annotated[Optional[str], typer.Option(help="Emotion model name or directory.")] = None,
    warm: Annotated[bool, typer.Option(
        "--warm", help="Load every model at start (/readyz says ready once done); default: on first use.")] = False,
    max_body_bytes: Annotated[int, typer.Option(help="Largest request body (413 above).")] = 1_000_000,
    max_texts: Annotated[int, typer.Option(help="Most texts per analyze request (422 above).")] = 64,
    max_chars: Annotated[int, typer.Option(help="Longest text or message, in characters (422 above).")] = 10_000,
    max_turns: Annotated[int, typer.Option(help="Most turns or messages per request (422 above).")] = 200,
    request_timeout: Annotated[float, typer.Option(
        help="Seconds a request may take before its response starts (408 after).")] = 60.0,
    batch_size: Annotated[int, typer.Option(help="Most texts in one micro-batch.")] = 32,
    batch_wait_ms: Annotated[float, typer.Option(help=(
        "Longest wait for more requests to join a micro-batch (only while other analyze requests are in "
        "the server; a lone request never waits)."))] = 5.0,
    queue_size: Annotated[int, typer.Option(help="Most texts waiting for the model (503 + Retry-After above).")]
    = 1024,
    upstream_base_url: Annotated[Optional[str], typer.Option(help=(
        "OpenAI-compatible server behind /v1/chat/completions, e.g. http://localhost:11434/v1 "
        "(default: none; the offline --backend answers)."))] = None,
    upstream_model: Annotated[str, typer.Option(help="Upstream model when the request's model name gives none.")]
    = "default",
    upstream_key_env: Annotated[str, typer.Option(help=(
        "Name of the environment variable holding the upstream API key (the key is never echoed or logged)."))]
    = "OPENAI_API_KEY",
    upstream_timeout: Annotated[float, typer.Option(help="Seconds one upstream reply may take in all.")] = 30.0,
    upstream_retries: Annotated[int, typer.Option(help="Retries on upstream connection errors, 429 and 5xx.")] = 1,
    fallback: Annotated[Optional[str], typer.Option(help=(
        "Backend that answers when the upstream fails (e.g. retrieval); default: an OpenAI-shaped error."))] = None,
    backend: Annotated[str, typer.Option(help="Offline backend when no upstream is set: retrieval or templates.")]
    = "retrieval",
    cors_origin: Annotated[Optional[list[str]], typer.Option(help=(
        "Allow browser calls from this origin (repeatable); default: CORS off."))] = None,
    log_content: Annotated[bool, typer.Option(
        "--log-content", help="Log request bodies (message content); off by default.")] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve emotive over HTTP: /v1/analyze, /v1/conversations/analyze, /v1/causes, /v1/respond,
    /predict (TEI), /v1/chat/completions (OpenAI proxy), /v1/models, /healthz, /readyz, /metrics.

    API keys: set EMOTIVE_API_KEYS=key1,key2 to require one (Authorization: Bearer <key>).

    Example: emotive serve --upstream-base-url http://localhost:11434/v1 --upstream-model llama3.1
    """
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401

        from emotive.server import ServerConfig, keys_from_env, run
    except ImportError as exc:
        raise missing_extra("serve", exc.name or "fastapi") from None
    config = ServerConfig(
        host=host, port=port, model=model, threads=threads, max_body_bytes=max_body_bytes, max_texts=max_texts,
        max_chars=max_chars, max_turns=max_turns, request_timeout=request_timeout, batch_size=batch_size,
        batch_wait_ms=batch_wait_ms, queue_size=queue_size, upstream_base_url=upstream_base_url,
        upstream_model=upstream_model, upstream_key_env=upstream_key_env, upstream_timeout=upstream_timeout,
        upstream_retries=upstream_retries, fallback=fallback, backend=backend, api_keys=keys_from_env(),
        cors_origins=tuple(cors_origin or ()), log_content=log_content, warm=warm)
    _announce(config, workers)
    run(config, workers=workers, log_level=log_level)


def _announce(config, workers: int) -> None:  # type: ignore[no-untyped-def]
    upstream = config.upstream_base_url or f"none (offline backend {config.backend})"
    typer.echo(f"emotive serve on http://{config.host}:{config.port} · upstream {upstream} · "
               f"API keys {'required' if config.api_keys else 'off'} · CORS "
               f"{', '.join(config.cors_origins) or 'off'} · workers {workers}", err=True)
