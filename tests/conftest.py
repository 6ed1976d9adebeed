"""Shared fixtures: a tiny model trained and exported in the test session, data paths."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_root() -> Path:
    from emotive.datasets import data_root as find

    return find()


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer random BERT with the MiniLM tokenizer, saved as a HF directory."""
    transformers = pytest.importorskip("transformers")
    from emotive.training._base import default_base_dir

    out = tmp_path_factory.mktemp("tiny_base")
    cfg = transformers.BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                                  num_attention_heads=2, intermediate_size=64,
                                  max_position_embeddings=128)
    transformers.BertModel(cfg).save_pretrained(out)
    shutil.copyfile(default_base_dir() / "tokenizer.json", out / "tokenizer.json")
    return out


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path, data_root: Path) -> Path:
    """A model directory made by the real GoEmotions recipe on a tiny base and 64 rows."""
    from emotive.training.goemotions import Config, train

    out = tmp_path_factory.mktemp("tiny_model")
    work = tmp_path_factory.mktemp("tiny_work")
    train(out, work_dir=work, data=str(data_root),
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
                    data_root: Path) -> Path:
    """A conversation model made by the real multi-task recipe on a tiny base."""
    from emotive.training.conversation import Config, train

    out = tmp_path_factory.mktemp("tiny_conv_model")
    train(out, work_dir=tmp_path_factory.mktemp("tiny_conv_work"), data=str(data_root),
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
def tiny_respond_model(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path, data_root: Path) -> Path:
    """A respond model (encoder + planner heads) made by the real recipe on a tiny base."""
    from emotive.training.respond import Config, train

    out = tmp_path_factory.mktemp("tiny_respond_model")
    train(out, work_dir=tmp_path_factory.mktemp("tiny_respond_work"), data=str(data_root),
          config=Config(limit=8, base=str(tiny_base)))
    return out


@pytest.fixture(scope="session")
def tiny_encoder(tiny_respond_model: Path):
    from emotive.models._encoder import SentenceEncoder

    return SentenceEncoder(tiny_respond_model, threads=1)
