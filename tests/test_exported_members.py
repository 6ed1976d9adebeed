from __future__ import annotations

import subprocess
import sys
import types

import emotive


def test_all_is_sorted_and_complete() -> None:
    assert emotive.__all__ == sorted(emotive.__all__)
    for name in emotive.__all__:
        assert getattr(emotive, name) is not None, name
    public = {n for n in dir(emotive) if not n.startswith("_")
              and not isinstance(getattr(emotive, n), types.ModuleType)}
    assert public - set(emotive.__all__) <= {"TYPE_CHECKING", "annotations", "lazy_exports"}


def test_respond_exports_are_sorted_and_load() -> None:
    import emotive.respond as respond

    assert respond.__all__ == sorted(respond.__all__)
    for name in respond.__all__:
        assert getattr(respond, name) is not None, name


def test_import_loads_nothing_heavy() -> None:
    code = ("import sys, emotive; heavy = {'onnxruntime', 'numpy', 'tokenizers', 'torch', 'typer'}"
            "; print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute() -> None:
    try:
        emotive.nope  # noqa: B018
    except AttributeError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
