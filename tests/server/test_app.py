"""The emotion endpoints, limits, keys and the one error shape (FastAPI's TestClient)."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from emotive.server import ServerConfig, create_app

CONV = {"id": "t1", "turns": [{"speaker": "user", "text": "My flight got cancelled and I lost my job interview."},
                              {"speaker": "agent", "text": "Oh no, I'm so sorry to hear that."},
                              {"speaker": "user", "text": "I am furious, this airline ruined everything."}]}


@pytest.fixture
def client(shared_analyzer):  # type: ignore[no-untyped-def]
    with TestClient(create_app(ServerConfig(max_texts=4, max_chars=200, max_body_bytes=20_000),
                               analyzer=shared_analyzer)) as c:
        yield c


def _error(r: httpx.Response, status: int, code: str) -> str:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "code", "message"}
    assert body["error"]["code"] == code
    return str(body["error"]["message"])


def test_analyze_matches_the_library(client, shared_analyzer) -> None:  # type: ignore[no-untyped-def]
    texts = ["Thank you so much, this means a lot", "I can't believe I lost my keys again"]
    r = client.post("/v1/analyze", json={"texts": texts, "top_k": 3, "scheme": "ekman"})
    assert r.status_code == 200
    got = r.json()["results"]
    want = [a.to_dict(3) for a in shared_analyzer.analyze(texts, scheme="ekman", top_k=3)]
    assert [g["top"] for g in got] == [w["top"] for w in want]
    assert [list(g["scores"]) for g in got] == [list(w["scores"]) for w in want]
    # the int8 graph's scores do not depend on batch-mates, so a micro-batched text scores exactly as alone
    assert [g["scores"] for g in got] == [w["scores"] for w in want]
    assert [(g["language"], g["supported"]) for g in got] == [(w["language"], w["supported"]) for w in want]


def test_analyze_explain_gives_trigger_words(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/analyze", json={"texts": ["Thank you so much for the help!"], "explain": True})
    triggers = r.json()["results"][0]["triggers"]
    assert triggers and triggers[0]["label"] == "gratitude" and triggers[0]["text"] in "Thank you so much for the help!"


def test_predict_is_tei_shaped(client) -> None:  # type: ignore[no-untyped-def]
    one = client.post("/predict", json={"inputs": "Thank you so much!", "raw_scores": False}).json()
    many = client.post("/predict", json={"inputs": ["Thank you so much!", "This is awful"], "truncate": True}).json()
    assert one[0]["label"] == "gratitude" and len(one) == 28
    assert [s["score"] for s in one] == sorted((s["score"] for s in one), reverse=True)
    assert len(many) == 2 and many[0][0]["label"] == "gratitude"


def test_conversations_and_causes(client, shared_analyzer) -> None:  # type: ignore[no-untyped-def]
    from emotive import Conversation, Utterance

    r = client.post("/v1/conversations/analyze", json={"conversations": [CONV], "causes": True})
    assert r.status_code == 200, r.text
    conv = r.json()["results"][0]
    lib = shared_analyzer.analyze_conversation(
        Conversation("t1", tuple(Utterance(t["text"], t["speaker"]) for t in CONV["turns"])), causes=True).to_dict()
    assert conv["id"] == "t1" and [t["emotion"] for t in conv["turns"]] == [t["emotion"] for t in lib["turns"]]
    assert set(conv["turns"][2]["vad"]) == {"v", "a", "d"} and conv["shifts"] == lib["shifts"]
    emotion = lib["turns"][2]["emotion"]
    causes = client.post("/v1/causes", json={"conversations": [CONV], "emotion": emotion}).json()
    assert causes["emotion"] == emotion and 2 in [t["turn"] for t in causes["turns"]]
    assert [c["text"] for t in causes["turns"] if t["turn"] == 2 for c in t["causes"]] == \
        [c["text"] for c in lib["turns"][2].get("causes", [])]
    msg = _error(client.post("/v1/causes", json={"conversations": [CONV], "emotion": "rage"}), 422, "invalid_input")
    assert "anger" in msg


def test_respond_offline(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/respond", json={"turns": [{"speaker": "user", "text": "I failed my driving test again."}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["reply"] and body["backend"] == "retrieval" and body["flagged"] is False
    assert body["guidance"]["strategy"]["strategy"]
    crisis = client.post("/v1/respond", json={"turns": [{"speaker": "user", "text": "I want to kill myself"}]}).json()
    assert crisis["flagged"] is True and crisis["backend"] == "safety"


def test_models_health_ready_metrics(client) -> None:  # type: ignore[no-untyped-def]
    models = client.get("/v1/models").json()
    assert "emotive/supportive:retrieval" in {m["id"] for m in models["data"]}
    assert {"emotive.goemotions-minilm.v1"} <= {m["name"] for m in models["emotion_models"]}
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/readyz").json()["models_loaded"] is True
    client.post("/v1/analyze", json={"texts": ["hello there"]})
    text = client.get("/metrics").text
    assert 'emotive_requests_total{method="POST",route="/v1/analyze",status="200"}' in text
    assert "emotive_batch_texts_bucket" in text and "emotive_queue_texts" in text


def test_limits_say_the_limit_and_the_option(client) -> None:  # type: ignore[no-untyped-def]
    assert "--max-texts" in _error(client.post("/v1/analyze", json={"texts": ["a"] * 5}), 422, "too_many_texts")
    assert "--max-chars" in _error(client.post("/v1/analyze", json={"texts": ["x" * 201]}), 422, "text_too_long")
    big = client.post("/v1/analyze", content=b'{"texts": ["' + b"x" * 30_000 + b'"]}',
                      headers={"content-type": "application/json"})
    assert "--max-body-bytes" in _error(big, 413, "body_too_large")
    assert "empty" in _error(client.post("/v1/analyze", json={"texts": ["  "]}), 422, "invalid_text")


def test_every_error_has_the_one_shape(client) -> None:  # type: ignore[no-untyped-def]
    _error(client.get("/v1/nothing"), 404, "not_found")
    _error(client.get("/v1/analyze"), 405, "method_not_allowed")
    _error(client.post("/v1/analyze", content=b"{not json", headers={"content-type": "application/json"}),
           422, "validation_error")
    _error(client.post("/v1/analyze", json={"texts": ["a"], "surprise": 1}), 422, "validation_error")
    _error(client.post("/v1/analyze", json={"texts": ["a"], "scheme": "ekmann"}), 422, "invalid_input")
    chat = client.post("/v1/chat/completions", json={"model": "emotive", "messages": []})
    assert chat.status_code == 422 and chat.json()["error"]["param"] is None  # the OpenAI shape
    assert client.get("/healthz").status_code == 200  # still serving


def test_api_keys(tiny_analyzer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = create_app(ServerConfig(api_keys=("k-one", "k-two")), analyzer=tiny_analyzer)
    with TestClient(app) as c:
        assert "EMOTIVE_API_KEYS" in _error(c.post("/v1/analyze", json={"texts": ["hi"]}), 401, "invalid_api_key")
        _error(c.post("/v1/analyze", json={"texts": ["hi"]}, headers={"Authorization": "Bearer nope"}),
               401, "invalid_api_key")
        ok = c.post("/v1/analyze", json={"texts": ["hi"]}, headers={"Authorization": "Bearer k-two"})
        assert ok.status_code == 200
        assert c.post("/v1/analyze", json={"texts": ["hi"]}, headers={"X-API-Key": "k-one"}).status_code == 200
        assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200


class SlowAnalyzer:
    """The real analyzer, a second slower (to reach the request deadline)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner

    def analyze(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(1.0)
        return self.inner.analyze(*args, **kwargs)


def test_request_deadline_is_a_408(tiny_analyzer) -> None:  # type: ignore[no-untyped-def]
    app = create_app(ServerConfig(request_timeout=0.2), analyzer=SlowAnalyzer(tiny_analyzer))
    with TestClient(app) as c:
        assert "--request-timeout" in _error(c.post("/v1/analyze", json={"texts": ["hi"]}), 408, "request_timeout")
        assert c.get("/healthz").status_code == 200


def test_full_queue_is_a_503_with_retry_after(tiny_analyzer) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(ServerConfig(queue_size=2), analyzer=tiny_analyzer)) as c:
        r = c.post("/v1/analyze", json={"texts": ["a", "b", "c"]})
        assert "--queue-size" in _error(r, 503, "queue_full") and r.headers["Retry-After"] == "1"
        assert c.post("/v1/analyze", json={"texts": ["a", "b"]}).status_code == 200


def test_concurrent_requests_share_one_batch(tiny_analyzer) -> None:  # type: ignore[no-untyped-def]
    app = create_app(ServerConfig(batch_wait_ms=300, batch_size=64), analyzer=tiny_analyzer)
    texts = [f"I am so happy about day {i}!" if i % 2 else f"Day {i} was awful and sad." for i in range(8)]

    async def fire() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            return await asyncio.gather(*(c.post("/v1/analyze", json={"texts": [t]}) for t in texts))

    responses = asyncio.run(fire())
    assert [r.json()["results"][0]["text"] for r in responses] == texts
    metrics = app.state.engine.metrics
    batches = metrics.batch_requests.collect()[0].samples
    count = next(s.value for s in batches if s.name.endswith("_count"))
    total = next(s.value for s in batches if s.name.endswith("_sum"))
    assert total == 8 and count < 8  # gathered: fewer model calls than requests
    assert app.state.engine.batcher.in_flight == 0  # every request counted out again
    app.state.engine.close()


def test_a_lone_request_does_not_wait_for_a_batch(tiny_analyzer) -> None:  # type: ignore[no-untyped-def]
    app = create_app(ServerConfig(batch_wait_ms=60_000, request_timeout=10), analyzer=tiny_analyzer)
    with TestClient(app) as c:  # a 60 s wait would end in a 408 after 10 s
        assert c.post("/v1/analyze", json={"texts": ["hi there"]}).status_code == 200


def test_cors_off_by_default_and_on_when_given(tiny_analyzer) -> None:  # type: ignore[no-untyped-def]
    pre = {"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    with TestClient(create_app(ServerConfig(), analyzer=tiny_analyzer)) as c:
        assert "access-control-allow-origin" not in c.options("/v1/analyze", headers=pre).headers
    app = create_app(ServerConfig(cors_origins=("https://app.example",)), analyzer=tiny_analyzer)
    with TestClient(app) as c:
        assert c.options("/v1/analyze", headers=pre).headers["access-control-allow-origin"] == "https://app.example"


def test_no_content_in_logs_unless_asked(tiny_analyzer, caplog) -> None:  # type: ignore[no-untyped-def]
    secret = "my secret diagnosis is zebra-42"
    caplog.set_level(logging.INFO, logger="emotive.server")
    with TestClient(create_app(ServerConfig(), analyzer=tiny_analyzer)) as c:
        c.post("/v1/analyze", json={"texts": [secret]})
        c.post("/v1/analyze", json={"texts": [secret], "scheme": "nope"})
    assert "POST /v1/analyze 200" in caplog.text and secret not in caplog.text
    caplog.clear()
    with TestClient(create_app(ServerConfig(log_content=True), analyzer=tiny_analyzer)) as c:
        c.post("/v1/analyze", json={"texts": [secret]})
    assert secret in caplog.text
