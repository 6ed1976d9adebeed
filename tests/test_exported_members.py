from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

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


SRC = Path(emotive.__file__).resolve().parent
ROOT_PRIVATE = {"emotive._errors", "emotive._files", "emotive._lazy", "emotive._metrics"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """Every module each ``import``/``from ... import`` in the tree names, absolute."""
    here = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # ``from emotive.models import _encoder`` names a module too
                yield node.lineno, f"{base}.{alias.name}"


def _private_module(name: str) -> str | None:
    """The private module that an imported ``name`` lies in (``emotive.a._x`` for
    ``emotive.a._x.y``), or None; the root's own private modules are free for all."""
    parts = name.split(".")
    if parts[0] != "emotive":
        return None
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and not part.startswith("__"):
            private = ".".join(parts[:i + 1])
            return None if private in ROOT_PRIVATE else private
    return None


def test_no_module_imports_another_packages_private_module() -> None:
    bad = set()
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for line, name in _imported(tree, module, path.name == "__init__.py"):
            private = _private_module(name)
            if private is None:
                continue
            owner = private.rpartition(".")[0]  # the package whose private module it is
            if not (module == owner or module.startswith(owner + ".")):
                bad.add((str(path.relative_to(SRC.parent.parent)), line, private))
    assert not bad, "imports of another package's private module:\n" + "\n".join(
        f"{file}:{line}: {private}" for file, line, private in sorted(bad))


def test_private_import_rule_itself() -> None:
    assert _private_module("emotive.models._encoder") == "emotive.models._encoder"
    assert _private_module("emotive.analyze._context.WINDOW") == "emotive.analyze._context"
    assert _private_module("emotive.a.b._x.y") == "emotive.a.b._x"
    assert _private_module("emotive._errors") is None
    assert _private_module("emotive._files.atomic_path") is None
    assert _private_module("emotive._secret") == "emotive._secret"
    assert _private_module("emotive.models") is None
    assert _private_module("emotive.models.__init__") is None
    assert _private_module("numpy._core") is None
    tree = ast.parse("def f():\n    from .._causes import Cause\n    from . import _x\n")
    assert list(_imported(tree, "emotive.analyze._conversation", False)) == [
        (2, "emotive._causes"), (2, "emotive._causes.Cause"), (3, "emotive.analyze"), (3, "emotive.analyze._x")]
    assert list(_imported(ast.parse("from ._x import y"), "emotive.models", True)) == [
        (1, "emotive.models._x"), (1, "emotive.models._x.y")]


def _public_packages() -> list[str]:
    names = (_module_name(p) for p in SRC.rglob("__init__.py"))
    return sorted(n for n in names if not any(part.startswith("_") for part in n.split(".")))


# Public packages without an ``__all__`` (yet): the command-line app is a typer ``app`` and
# ``main``, not a library namespace.
NO_ALL = {"emotive.cli"}
# Packages whose import needs an optional extra: package -> the module to skip without.
NEEDS: dict[str, str] = {}
# Helpers a package may hold without exporting them (TYPE_CHECKING has no __module__;
# lazy_exports comes from the root's own emotive._lazy).
HELPERS = {"TYPE_CHECKING", "lazy_exports"}


def test_public_packages_are_found() -> None:
    found = set(_public_packages())
    assert {"emotive", "emotive.analyze", "emotive.io", "emotive.models", "emotive.respond",
            "emotive.training"} <= found
    assert NO_ALL <= found and set(NEEDS) <= found


@pytest.mark.parametrize("package", _public_packages())
def test_package_all_is_sorted_and_complete(package: str) -> None:
    if package in NEEDS:
        pytest.importorskip(NEEDS[package])
    pkg = importlib.import_module(package)
    if package in NO_ALL and not hasattr(pkg, "__all__"):
        pytest.skip(f"{package} has no __all__")
    exported = pkg.__all__
    assert exported == sorted(exported), f"{package}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{package}.__all__ has duplicates"
    for name in exported:
        assert getattr(pkg, name) is not None, f"{package}.{name}"

    def defined_here(value: object) -> bool:  # a package's own name, not an import from elsewhere
        owner = getattr(value, "__module__", None)
        return owner is None or owner == package or owner.startswith(package + ".")

    public = {n for n in dir(pkg) if not n.startswith("_") and n not in HELPERS}
    own = {n for n in public if not isinstance(getattr(pkg, n), types.ModuleType) and defined_here(getattr(pkg, n))}
    assert own <= set(exported), f"{package} defines names missing from __all__: {sorted(own - set(exported))}"
