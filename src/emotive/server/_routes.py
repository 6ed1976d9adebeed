"""The emotion endpoints: each parses its body, calls one library function, renders it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from emotive import __version__
from emotive.server import _schemas as s
from emotive.server._engine import PRESETS, Engine
from emotive.server._http_errors import ApiError, as_api_error

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": s.ErrorBody, "description": what} for code, what in {
        400: "the body is not JSON (or not UTF-8)",
        401: "missing or unknown API key (when EMOTIVE_API_KEYS is set)",
        408: "the request took longer than --request-timeout",
        413: "the body is over --max-body-bytes",
        422: "invalid body, or over --max-texts / --max-chars / --max-turns",
        500: "an unexpected error (logged; never a traceback)",
        503: "the analyze queue is full (--queue-size); see Retry-After",
    }.items()}
UPSTREAM_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    502: {"model": s.ErrorBody, "description": "the upstream LLM failed (connect, HTTP status, protocol)"},
    503: {"model": s.ErrorBody, "description": "the upstream is unavailable (circuit open); see Retry-After"},
    504: {"model": s.ErrorBody, "description": "the upstream LLM timed out"},
}

router = APIRouter()


def engine(request: Request) -> Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def check_texts(texts: Sequence[str], engine: Engine, what: str = "text", count: bool = True) -> None:
    """422 when there are too many texts or one is too long; the message names the option."""
    cfg = engine.config
    if count and len(texts) > cfg.max_texts:
        raise ApiError(422, "too_many_texts", f"{len(texts)} {what}s in one request; the limit is "
                       f"{cfg.max_texts} (--max-texts): split the request")
    for i, text in enumerate(texts):
        if len(text) > cfg.max_chars:
            raise ApiError(422, "text_too_long", f"{what} {i + 1} has {len(text)} characters; the limit is "
                           f"{cfg.max_chars} (--max-chars)")


def check_turns(conversations: Sequence[s.ConversationIn], engine: Engine) -> None:
    turns = [t.text for c in conversations for t in c.turns]
    if len(turns) > engine.config.max_turns:
        raise ApiError(422, "too_many_turns", f"{len(turns)} turns in one request; the limit is "
                       f"{engine.config.max_turns} (--max-turns)")
    check_texts(turns, engine, "turn", count=False)


async def in_thread(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """A blocking library call in the thread pool, its errors in the one error shape."""
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    except Exception as exc:
        raise as_api_error(exc) from None


async def analyzed(request: Request, texts: list[str], options: tuple[Any, ...]) -> list[Any]:
    from emotive.analyze import text_problem

    eng = engine(request)
    check_texts(texts, eng)
    for i, text in enumerate(texts):
        problem = text_problem(text)
        if problem:
            raise ApiError(422, "invalid_text", f"text {i + 1}: {problem}")
    try:
        return await eng.batcher.analyze(texts, options)  # type: ignore[arg-type]
    except Exception as exc:
        raise as_api_error(exc) from None


@router.post("/v1/analyze", response_model=s.AnalyzeResponse, response_model_exclude_none=True, responses=ERRORS,
             tags=["emotions"])
async def analyze(body: s.AnalyzeRequest, request: Request) -> Any:
    """Fine-grained emotions of texts (batched with other requests), as ``emotive analyze``."""
    results = await analyzed(request, body.texts, (body.scheme, body.threshold, body.top_k, body.explain))
    out = []
    for analysis, triggers in results:
        record = analysis.to_dict(body.top_k)
        if triggers is not None:
            record["triggers"] = [t.to_dict() for t in triggers]
        out.append(record)
    return {"results": out}


@router.post("/predict", response_model=list[s.LabelScore] | list[list[s.LabelScore]], responses=ERRORS,
             tags=["emotions"])
async def predict(body: s.PredictRequest, request: Request) -> Any:
    """text-embeddings-inference's classifier route: every label with its score, best first."""
    single = isinstance(body.inputs, str)
    texts = [body.inputs] if isinstance(body.inputs, str) else body.inputs
    if not texts:
        raise ApiError(422, "validation_error", "inputs: give one text or a non-empty list of texts")
    results = await analyzed(request, texts, (None, None, None, False))
    out = [analysis.to_pipeline(None) for analysis, _ in results]
    return out[0] if single else out


def _conversations(body: Sequence[s.ConversationIn]) -> list[Any]:
    from emotive import Conversation, Utterance

    return [Conversation(c.id, tuple(Utterance(t.text, t.speaker) for t in c.turns)) for c in body]


@router.post("/v1/conversations/analyze", response_model=s.ConversationsResponse, responses=ERRORS,
             tags=["emotions"])
async def analyze_conversations(body: s.ConversationsRequest, request: Request) -> Any:
    """Per turn: the emotion in context, VAD, intensity and causes; shifts and contagion."""
    eng = engine(request)
    check_turns(body.conversations, eng)
    analyzer = await in_thread(eng.analyzer)
    results = await in_thread(analyzer.analyze_conversations, _conversations(body.conversations),
                              top_k=body.top_k, causes=body.causes)
    return {"results": [r.to_dict(body.top_k) for r in results]}


@router.post("/v1/causes", response_model=s.CausesResponse, responses=ERRORS, tags=["emotions"])
async def causes(body: s.CausesRequest, request: Request) -> Any:
    """The cause spans of each turn that feels ``emotion`` (in context; default: any but neutral)."""
    from emotive.analyze import check_emotion

    eng = engine(request)
    check_turns(body.conversations, eng)
    analyzer = await in_thread(eng.analyzer)
    await in_thread(check_emotion, body.emotion, analyzer)
    results = await in_thread(analyzer.analyze_conversations, _conversations(body.conversations), causes=True)
    turns = [{"conversation": conv.id, "turn": t.index, "speaker": t.speaker, "emotion": t.emotion,
              "causes": [c.to_dict() for c in t.causes or ()]}
             for conv in results for t in conv.turns
             if (t.emotion == body.emotion if body.emotion else t.emotion != "neutral")]
    return {"emotion": body.emotion or "any", "turns": turns}


@router.post("/v1/respond", response_model=s.RespondResponse, responses=UPSTREAM_ERRORS, tags=["respond"])
async def respond(body: s.RespondRequest, request: Request) -> Any:
    """A guided reply to the last user turn, with what emotive read and planned (``Reply.to_dict``)."""
    from emotive import Conversation, Utterance
    from emotive.respond import Roles

    eng = engine(request)
    check_texts([t.text for t in body.turns], eng, "turn", count=False)
    if len(body.turns) > eng.config.max_turns:
        raise ApiError(422, "too_many_turns", f"{len(body.turns)} turns; the limit is {eng.config.max_turns} "
                       "(--max-turns)")
    if body.preset not in PRESETS:
        raise ApiError(422, "unknown_preset", f"unknown preset {body.preset!r}; choose one of: "
                       f"{', '.join(sorted(PRESETS))}")
    responder = await in_thread(eng.responder, body.preset, eng.config.upstream_model)
    roles = Roles.named(assistant=body.assistant) if body.assistant else None
    conv = Conversation("request", tuple(Utterance(t.text, t.speaker) for t in body.turns))
    try:
        reply = await responder.areply(conv, roles=roles)
    except Exception as exc:
        raise as_api_error(exc) from None
    return reply.to_dict()


@router.get("/v1/models", response_model=s.ModelsResponse, responses=ERRORS, tags=["meta"])
async def models(request: Request) -> Any:
    """The chat model names (OpenAI shape) and the shipped emotion models."""
    from emotive.models import shipped_models

    eng = engine(request)
    upstream = eng.config.upstream_model if eng.has_upstream else eng.config.backend
    now = int(time.time())
    chat = [{"id": f"emotive/{p.name}:{upstream}", "created": now, "owned_by": "emotive",
             "description": p.description} for p in PRESETS.values()]
    sems = [{"name": m.name, "version": m.version, "heads": list(m.heads),
             "metrics": {k: v for k, v in m.metrics.items() if isinstance(v, (int, float))},
             "data": [dict(d) for d in m.data], "commercial_use": m.commercial_use} for m in shipped_models()]
    return {"object": "list", "data": chat, "emotion_models": sems}


@router.get("/healthz", response_model=s.Health, tags=["meta"])
async def healthz() -> Any:
    """The process is up (no model needed)."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz", response_model=s.Ready, responses={503: {"model": s.Ready, "description": "still loading"}},
            tags=["meta"])
async def readyz(request: Request) -> Any:
    """Ready once the models are loaded (loading starts at the first call, or at start with --warm)."""
    eng = engine(request)
    eng.start_loading()
    upstream = eng.config.upstream_base_url
    body = {"status": "ready" if eng.ready else ("error: " + eng.load_error if eng.load_error else "loading"),
            "models_loaded": eng.ready, "upstream": upstream}
    return JSONResponse(body, status_code=200 if eng.ready else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}, **ERRORS},
            tags=["meta"])
async def metrics(request: Request) -> Response:
    """Prometheus metrics: requests, latency histograms, batch sizes, queue depth."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(engine(request).metrics.render(), media_type=CONTENT_TYPE_LATEST)
