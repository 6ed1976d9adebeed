from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from emotive._errors import BackendError, ConfigError
from emotive.backends import GenerateOptions, get_backend
from emotive.backends import retrieval_index as ix
from emotive.datasets.esconv import STRATEGIES
from emotive.schema import Plan, Turn


@pytest.fixture
def backend(tmp_path, tiny_respond_model, data_root):
    return get_backend("retrieval", model=str(tiny_respond_model), data=str(data_root), limit=4,
                       cache_dir=str(tmp_path), index="corpora")


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
                        cache_dir=str(tmp_path), index="corpora").prepare()
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


def test_the_packaged_index_answers_without_corpora(tmp_path, monkeypatch) -> None:
    from emotive.backends import get_backend
    from emotive.schema import Plan, Turn

    monkeypatch.setenv("EMOTIVE_DATA", str(tmp_path / "none"))
    backend = get_backend("retrieval")
    plan = Plan(turns=(Turn("user", "I failed my driving test for the third time."),), strategy="Question")
    out = backend.generate([{"role": "user", "content": "I failed my driving test for the third time."}],
                           GenerateOptions(plan=plan))
    assert out.text and out.metadata["corpus"] in ("empatheticdialogues", "esconv")
    assert not backend.needs_build() and len(backend.prepare().candidates) > 5000


def test_concurrent_first_requests_load_the_index_once() -> None:
    backend = get_backend("retrieval")
    with ThreadPoolExecutor(4) as pool:
        indexes = list(pool.map(lambda _: backend.prepare(), range(4)))
    assert all(index is indexes[0] for index in indexes)


def test_replies_with_numbers_links_or_hotlines_are_never_candidates() -> None:
    from emotive.backends.retrieval_index import usable

    for bad in ("Call the hotline at 1-800-273-8255", "see www.example.org", "text 988 now",
                "mail me at a.b@example.com", "https://help.example"):
        assert not usable(bad), bad
    assert usable("I'm so sorry, that sounds really hard. Do you want to talk about it?")
