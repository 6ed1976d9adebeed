from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from emotive._errors import BackendError, ConfigError
from emotive.backends import GenerateOptions, get_backend
from emotive.backends import _retrieval_index as ix
from emotive.datasets.esconv import STRATEGIES
from emotive.schema import Plan, Turn


@pytest.fixture
def backend(tmp_path, tiny_respond_model, data_root):
    return get_backend("retrieval", model=str(tiny_respond_model), data=str(data_root), limit=4,
                       cache_dir=str(tmp_path))


def test_builds_caches_and_reloads_the_index(backend, tmp_path, tiny_respond_model, data_root, monkeypatch) -> None:
    index = backend.prepare()
    corpora = {c.corpus for c in index.candidates}
    assert corpora == {"empatheticdialogues", "esconv"}
    assert len(index.candidates) == len(index.ctx) == len(index.reply) == len(index.strategy)
    assert set(index.reply_emotion.tolist()) <= set(range(7))
    folders = [p for p in tmp_path.iterdir() if p.name.startswith("retrieval-")]
    assert len(folders) == 1 and not any(p.name.endswith(".partial") for p in tmp_path.iterdir())

    def no_build(*a, **k):
        raise AssertionError("the cached index should be reused")

    monkeypatch.setattr(ix, "build", no_build)
    again = get_backend("retrieval", model=str(tiny_respond_model), data=str(data_root), limit=4,
                        cache_dir=str(tmp_path)).prepare()
    assert [c.reply for c in again.candidates] == [c.reply for c in index.candidates]


def test_reply_is_a_human_written_candidate_and_not_an_echo(backend) -> None:
    index = backend.prepare()
    replies = {c.reply for c in index.candidates}
    first = index.candidates[0].reply
    out = backend.generate([{"role": "user", "content": first}])
    assert out.text in replies and out.text != first
    assert out.metadata["corpus"] in ix.CORPORA and out.metadata["strategy"] in STRATEGIES
    assert not hasattr(backend, "last_choice")  # nothing about a call is kept on the backend


def test_the_plan_steers_the_choice(backend) -> None:
    index = backend.prepare()
    heavy = get_backend("retrieval", **{**backend.options.model_dump(), "strategy_weight": 10.0, "top_k": 10_000})
    heavy._index, heavy._encoder = index, backend.encoder
    messages = [{"role": "user", "content": "I feel so alone since I moved to this city."}]
    strategies = sorted({STRATEGIES[int(s)] for s in index.strategy[:20]})
    for strategy in strategies:
        out = heavy.generate(messages, GenerateOptions(plan=Plan(strategy=strategy)))
        assert out.metadata["strategy"] == strategy
    plans = [Plan((Turn("user", messages[0]["content"]),), strategy=s) for s in strategies * 4]
    with ThreadPoolExecutor(4) as pool:  # concurrent calls: each result is its own plan's
        results = list(pool.map(lambda p: heavy.generate(messages, GenerateOptions(plan=p)), plans))
    assert [r.metadata["strategy"] for r in results] == [p.strategy for p in plans]


def test_errors(backend, tmp_path, tiny_respond_model, data_root) -> None:
    with pytest.raises(BackendError, match="at least one user message"):
        backend.generate([{"role": "system", "content": "be nice"}])
    with pytest.raises(ConfigError, match="unknown retrieval corpora"):
        get_backend("retrieval", corpora=["reddit"])
    with pytest.raises(ConfigError, match="top_k"):
        get_backend("retrieval", top_k=0)
    scores = backend.rank(["I lost my dog"], ["I'm so sorry about your dog.", "Stocks rose today."])
    assert scores.shape == (2,)
