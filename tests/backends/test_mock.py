"""The scripted mock backend."""

from __future__ import annotations

import pytest

from emotive._errors import BackendError, ConfigError
from emotive.backends import GenerateOptions, GenerateResult, ResultStream, get_backend
from emotive.backends.mock import NEUTRAL_REPLY, MockBackend
from emotive.schema import Plan

HI = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "I feel sad."}]


def test_replies_in_order_then_exhausted() -> None:
    mock = MockBackend(replies=["one", "two"])
    assert [mock.generate(HI).text, mock.generate(HI).text] == ["one", "two"]
    with pytest.raises(BackendError, match="all 2 scripted replies were used.*cycle=True"):
        mock.generate(HI)


def test_cycle_starts_again() -> None:
    mock = MockBackend(replies=["one", "two"], cycle=True)
    assert [mock.generate(HI).text for _ in range(5)] == ["one", "two", "one", "two", "one"]


def test_echo_repeats_the_last_user_message() -> None:
    mock = MockBackend(echo=True)
    messages = [*HI, {"role": "assistant", "content": "Why?"}, {"role": "user", "content": "Work."}]
    assert mock.generate(messages).text == "Work."
    assert mock.generate([{"role": "system", "content": "only system"}]).text == ""


def test_default_is_the_neutral_reply() -> None:
    assert MockBackend().generate(HI) == GenerateResult(NEUTRAL_REPLY, {"call": 1})
    assert "".join(MockBackend().stream(HI)) == NEUTRAL_REPLY


def test_stream_in_chunks_shares_the_script() -> None:
    mock = MockBackend(replies=["abcdefghijk", "xyz"], chunk_size=4)
    stream = ResultStream(mock.stream(HI))
    assert list(stream) == ["abcd", "efgh", "ijk"]
    assert stream.result == GenerateResult("abcdefghijk", {"call": 1})
    assert mock.generate(HI) == GenerateResult("xyz", {"call": 2})


def test_calls_are_recorded() -> None:
    mock = get_backend("mock", replies=["a", "b"])
    options = GenerateOptions(max_tokens=5, plan=Plan(strategy="Question"))
    mock.generate(HI, options)
    list(mock.stream(HI[1:]))
    assert [c.messages for c in mock.calls] == [HI, HI[1:]]
    assert mock.calls[0].options is options and mock.calls[1].options == GenerateOptions()
    assert mock.calls[0].options.plan.strategy == "Question"
    assert [c.stream for c in mock.calls] == [False, True]


def test_recorded_messages_are_copies() -> None:
    mock = MockBackend()
    message = {"role": "user", "content": "before"}
    mock.generate([message])
    message["content"] = "after"
    assert mock.calls[0].messages[0]["content"] == "before"


def test_bad_options() -> None:
    with pytest.raises(ConfigError, match="replies or echo"):
        MockBackend(replies=["a"], echo=True)
    with pytest.raises(ConfigError, match="chunk_size"):
        MockBackend(chunk_size=0)
    with pytest.raises(ConfigError, match="reply"):  # misspelt 'replies'
        MockBackend(reply=["a"])
