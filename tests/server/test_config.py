"""``ServerConfig``: checked options, and the hand-over to worker processes without keys."""

from __future__ import annotations

import pytest

from emotive import ConfigError
from emotive.server import ServerConfig, parse_model


def test_worker_config_round_trip_leaves_keys_to_the_environment(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = ServerConfig(max_texts=7, cors_origins=("https://a.example",), api_keys=("secret-key",),
                          upstream_base_url="http://127.0.0.1:9/v1")
    assert "secret-key" not in config.to_env() and "secret-key" not in repr(config)
    monkeypatch.setenv("EMOTIVE_SERVER_CONFIG", config.to_env())
    monkeypatch.setenv("EMOTIVE_API_KEYS", "k1, k2")
    again = ServerConfig.from_env()
    assert again.max_texts == 7 and again.cors_origins == ("https://a.example",) and again.api_keys == ("k1", "k2")


@pytest.mark.parametrize("options, option", [({"max_texts": 0}, "--max-texts"),
                                             ({"request_timeout": 0}, "--request-timeout"),
                                             ({"upstream_base_url": "localhost:8000"}, "--upstream-base-url")])
def test_bad_options_name_the_option(options, option) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=option):
        ServerConfig(**options)


def test_model_names_map_to_presets() -> None:
    assert [(p.name, m) for p, m in (parse_model("emotive/fast:qwen2.5", "d"), parse_model("emotive/joey", "d"),
                                     parse_model("emotive", "d"), parse_model("llama3", "d"))] == [
        ("fast", "qwen2.5"), ("joey", "d"), ("supportive", "d"), ("supportive", "llama3")]
    with pytest.raises(ConfigError, match="supportive"):
        parse_model("emotive/grumpy:x", "d")
