"""The backend registry, fed only by entry points, including a real third-party plugin on sys.path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import emotive.backends as registry
from emotive._errors import BackendError, ConfigError
from emotive.backends import backend_class, backend_names, describe_backends, get_backend
from emotive.backends.local_transformers import TransformersBackend
from emotive.backends.mock import MockBackend
from emotive.backends.openai_http import OpenAIBackend

BUILT_IN = {"openai": OpenAIBackend, "transformers": TransformersBackend, "mock": MockBackend}


def test_built_in_backends_are_registered_by_entry_points() -> None:
    assert set(BUILT_IN) <= set(backend_names())  # retrieval too, once it exists
    assert backend_names() == sorted(backend_names())
    for name, cls in BUILT_IN.items():
        assert backend_class(name) is cls
        assert cls.name == name


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown backend 'opnai'; choose one of: .*mock, openai") as info:
        get_backend("opnai")
    assert "transformers" in str(info.value)


def test_bad_option_names_the_option() -> None:
    with pytest.raises(ConfigError, match="timout") as info:
        get_backend("openai", timout=3)
    assert "accepted: base_url, model" in str(info.value)
    with pytest.raises(ConfigError, match="timeout"):
        get_backend("openai", timeout="soon")


def test_get_backend_passes_options() -> None:
    backend = get_backend("openai", base_url="http://127.0.0.1:9/v1", model="m", retries=0)
    assert isinstance(backend, OpenAIBackend)
    assert (backend.options.model, backend.options.retries) == ("m", 0)


def test_describe_backends() -> None:
    described = {d["name"]: d for d in describe_backends()}
    openai = described["openai"]
    assert openai["error"] is None and openai["description"]
    assert (openai["can_stream"], openai["needs_key"], openai["key_env_var"]) == (True, False, "OPENAI_API_KEY")
    options = {o["name"]: o for o in openai["options"]}
    assert options["timeout"]["default"] == 60.0 and options["timeout"]["type"] == "float"
    assert options["retries"]["default"] == 2 and options["connect_timeout"]["default"] == 5.0
    assert all(o["description"] for o in openai["options"])
    path = next(o for o in described["transformers"]["options"] if o["name"] == "path")
    assert path["required"] is True and path["default"] is None
    assert described["mock"]["options"][0]["default"] == []


def test_describe_resolves_the_base_url_default(monkeypatch) -> None:
    monkeypatch.setenv("EMOTIVE_OPENAI_BASE_URL", "http://gpu-box:8000/v1")
    openai = next(d for d in describe_backends() if d["name"] == "openai")
    assert next(o for o in openai["options"] if o["name"] == "base_url")["default"] == "http://gpu-box:8000/v1"


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution on sys.path with a working, a broken and a wrong plugin."""
    (tmp_path / "emotive_test_plugin.py").write_text(
        "from emotive.backends import Backend\n"
        "class Shout(Backend):\n"
        "    name = 'shout'\n"
        "    def generate(self, messages, options=None):\n"
        "        return messages[-1]['content'].upper()\n"
        "NotABackend = object()\n")
    (tmp_path / "emotive_broken_plugin.py").write_text("raise RuntimeError('boom: missing weights')\n")
    info = tmp_path / "emotive_test_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: emotive-test-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[emotive.backends]\n"
        "shout = emotive_test_plugin:Shout\n"
        "broken = emotive_broken_plugin:Backend\n"
        "wrong = emotive_test_plugin:NotABackend\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(registry, "_loaded", {})
    return tmp_path


def test_third_party_plugin_registers_like_built_ins(plugins: Path) -> None:
    assert {"shout", "broken", "wrong"} <= set(backend_names())
    assert get_backend("shout").generate([{"role": "user", "content": "hi"}]) == "HI"
    assert list(get_backend("shout").stream([{"role": "user", "content": "yo"}])) == ["YO"]


def test_a_broken_plugin_does_not_break_the_others(plugins: Path) -> None:
    with pytest.raises(BackendError, match="'broken'.*emotive_broken_plugin:Backend.*boom: missing weights"):
        get_backend("broken")
    with pytest.raises(BackendError, match="not a subclass of emotive.backends.Backend"):
        backend_class("wrong")
    assert get_backend("mock", replies=["fine"]).generate([]).text == "fine"
    described = {d["name"]: d for d in describe_backends()}
    assert "boom" in described["broken"]["error"] and described["broken"]["options"] == []
    assert described["mock"]["error"] is None and described["shout"]["error"] is None


def test_import_is_lazy() -> None:
    code = ("import sys, emotive.backends as b; b.backend_names(); [b.backend_class(n) for n in "
            "('openai', 'transformers', 'mock')]; print(sorted({'torch', 'transformers', 'httpx'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_exports_are_sorted_and_present() -> None:
    assert registry.__all__ == sorted(registry.__all__)
    assert all(hasattr(registry, name) for name in registry.__all__)
