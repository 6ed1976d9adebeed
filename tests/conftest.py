"""Shared fixtures: a tiny model trained and exported in the test session, data paths.

Corpora: the real ones live in ``../shared/data`` (or ``$EMOTIVE_DATA``). Without them,

- a test marked ``@pytest.mark.corpus("goemotions", ...)`` (or a module with that
  ``pytestmark``) is skipped, saying which corpora are missing and where they were looked
  for; so is every test that asks for the ``data_root`` fixture;
- the tiny models are trained by the real recipes on small made-up corpora in the same
  formats (``tests/_synthetic_corpora.py``), so the mechanics tests still run. With the
  real corpora present the tiny models are trained on them, as before.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# The files of each corpus the suite reads (relative to the corpus folder).
CORPORA: dict[str, tuple[str, ...]] = {
    "goemotions": ("emotions.txt", "train.tsv", "dev.tsv", "test.tsv"),
    "dailydialog": tuple(f"convlab3_unified/{s}.jsonl" for s in ("train", "validation", "test"))
    + tuple(f"original/{s}/dialogues_{s}.txt" for s in ("validation", "test")),
    "meld": tuple(f"{s}_sent_emo.csv" for s in ("train", "dev", "test")),
    "empatheticdialogues": ("train.csv", "valid.csv", "test.csv"),
    "emobank": ("emobank.csv", "reader.csv", "writer.csv"),
    "reccon": tuple(f"original_annotation/{s}.json" for s in
                    ("dailydialog_train", "dailydialog_valid", "dailydialog_test", "iemocap_test")),
    "esconv": ("train.jsonl", "valid.jsonl", "test.jsonl", "strategy.json"),
    "peld": ("Dyadic_PELD.tsv",),
}
# The corpora each tiny model's recipe reads.
GOEMOTIONS_RECIPE = ("goemotions",)
CONVERSATION_RECIPE = ("dailydialog", "meld", "empatheticdialogues", "emobank", "reccon")
RESPOND_RECIPE = ("esconv", "peld")


@cache
def real_data_root() -> Path | None:
    """The real data folder (``$EMOTIVE_DATA`` or ``shared/data`` found as the package finds
    it), or None when there is none."""
    from emotive._errors import ConfigError
    from emotive.datasets import data_root as find

    try:
        root = find()
    except ConfigError:
        return None
    return root if root.is_dir() else None


@cache
def missing_corpora(names: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``names`` that the real data folder lacks (or has only in part)."""
    root = real_data_root()
    unknown = set(names) - set(CORPORA)
    if unknown:
        raise ValueError(f"unknown corpus name(s) {sorted(unknown)}; known: {sorted(CORPORA)}")
    return tuple(n for n in names
                 if root is None or not all((root / n / f).is_file() for f in CORPORA[n]))


def corpus_skip_reason(names: tuple[str, ...]) -> str:
    root = real_data_root()
    missing = missing_corpora(names)
    what = ", ".join(missing) if len(missing) < len(CORPORA) else "all of them"
    where = f"in {root}" if root is not None else "(no $EMOTIVE_DATA, no shared/data found)"
    return f"needs the corpora in ../shared/data (or $EMOTIVE_DATA): {what} missing {where}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "corpus(*names): the test reads these real corpora (goemotions, meld, ...); "
        "it is skipped when ../shared/data (or $EMOTIVE_DATA) lacks one of them")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        names = tuple(n for mark in item.iter_markers("corpus") for n in mark.args)
        if names and missing_corpora(names):
            item.add_marker(pytest.mark.skip(reason=corpus_skip_reason(names)))


def pytest_report_header(config: pytest.Config) -> str:
    root = real_data_root()
    missing = missing_corpora(tuple(CORPORA))
    if not missing:
        return f"corpora: {root}"
    return (f"corpora: {root or 'none found'}; missing {', '.join(missing)}: tests that read them "
            "skip, tiny models train on synthetic corpora (tests/_synthetic_corpora.py)")


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real data folder; the test is skipped when there is none (or it holds no corpus)."""
    root = real_data_root()
    if root is None or len(missing_corpora(tuple(CORPORA))) == len(CORPORA):
        pytest.skip(corpus_skip_reason(tuple(CORPORA)))
    return root


def _load_synthetic():  # type: ignore[no-untyped-def]
    """``tests/_synthetic_corpora.py`` (tests/ is no package and not on sys.path)."""
    name = "emotive_tests_synthetic_corpora"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(
            "_synthetic_corpora.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def training_data(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``training_data(*corpora)``: the folder to train a tiny model from: the real data
    folder when it holds all of ``corpora``, else small synthetic corpora (written once)."""
    synthetic: list[Path] = []

    def pick(*names: str) -> Path:
        root = real_data_root()
        if root is not None and not missing_corpora(names):
            return root
        if not synthetic:
            synthetic.append(_load_synthetic().write(tmp_path_factory.mktemp("synthetic_data")))
        return synthetic[0]

    return pick


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer random BERT with the MiniLM tokenizer, saved as a HF directory."""
    transformers = pytest.importorskip("transformers")
    from emotive.training._base import default_base_dir

    out = tmp_path_factory.mktemp("tiny_base")
    import torch

    torch.manual_seed(0)  # the same tiny network every run
    cfg = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, intermediate_size=64,
                                  max_position_embeddings=128)
    transformers.BertModel(cfg).save_pretrained(out)
    shutil.copyfile(default_base_dir() / "tokenizer.json", out / "tokenizer.json")
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path,
               training_data: Callable[..., Path]) -> Path:
    """A model directory made by the real GoEmotions recipe on a tiny base and 64 rows."""
    from emotive.training.goemotions import Config, train

    out = tmp_path_factory.mktemp("tiny_model")
    work = tmp_path_factory.mktemp("tiny_work")
    train(out, work_dir=work, data=str(training_data(*GOEMOTIONS_RECIPE)),
          config=Config(epochs=1, limit=64, base=str(tiny_base), checkpoint_every=1))
    return out


@pytest.fixture(scope="session")
def tiny_fp32(tiny_model: Path) -> Path:
    """The tiny model with its fp32 graph: exact results whatever the batch.

    The shipped int8 graph quantizes activations dynamically per batch, so a text's scores
    move slightly (about 0.01) with the other texts of its batch; fp32 does not.
    """
    return _fp32_twin(tiny_model, "tiny_work")


def _fp32_twin(model: Path, work_prefix: str) -> Path:
    """A copy of a tiny model directory whose graph is the fp32 one of its work dir."""
    out = model.parent / f"{model.name}_fp32"
    if not out.exists():
        shutil.copytree(model, out)
        work = next(p for p in model.parent.iterdir() if p.name.startswith(work_prefix))
        shutil.copyfile(work / "model.fp32.onnx", out / "model.onnx")
    return out


@pytest.fixture(scope="session")
def tiny_analyzer(tiny_model: Path):
    from emotive import Analyzer

    return Analyzer(tiny_model, threads=1)


@pytest.fixture
def cli_env(tiny_model: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="session")
def tiny_conv_model(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path,
                    training_data: Callable[..., Path]) -> Path:
    """A conversation model made by the real multi-task recipe on a tiny base."""
    from emotive.training.conversation import Config, train

    out = tmp_path_factory.mktemp("tiny_conv_model")
    train(out, work_dir=tmp_path_factory.mktemp("tiny_conv_work"),
          data=str(training_data(*CONVERSATION_RECIPE)),
          config=Config(epochs=1, limit=6, base=str(tiny_base), checkpoint_every=1000))
    return out


@pytest.fixture(scope="session")
def tiny_conv_fp32(tiny_conv_model: Path) -> Path:
    """The tiny conversation model with its fp32 graph (batch-independent scores)."""
    return _fp32_twin(tiny_conv_model, "tiny_conv_work")


@pytest.fixture(scope="session")
def tiny_conv_analyzer(tiny_model: Path, tiny_conv_model: Path):
    from emotive import Analyzer

    return Analyzer(tiny_model, conversation_model=tiny_conv_model, threads=1)


@pytest.fixture(scope="session")
def tiny_respond_model(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path,
                       training_data: Callable[..., Path]) -> Path:
    """A respond model (encoder + planner heads) made by the real recipe on a tiny base."""
    from emotive.training.respond import Config, train

    out = tmp_path_factory.mktemp("tiny_respond_model")
    train(out, work_dir=tmp_path_factory.mktemp("tiny_respond_work"),
          data=str(training_data(*RESPOND_RECIPE)),
          config=Config(limit=8, base=str(tiny_base)))
    return out


@pytest.fixture(scope="session")
def tiny_encoder(tiny_respond_model: Path):
    from emotive.models._encoder import SentenceEncoder

    return SentenceEncoder(tiny_respond_model, threads=1)
