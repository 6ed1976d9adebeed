"""The small emotion models: directory format, registry of shipped models, ONNX runtime."""

from __future__ import annotations

from emotive.models._emoji import EmojiTokenizer, emoji_table, write_emoji_table
from emotive.models._encoder import SentenceEncoder
from emotive.models._linear import LinearHead
from emotive.models._manifest import Head, Manifest, load_manifest, write_manifest
from emotive.models._registry import DEFAULT, resolve_model, shipped_models
from emotive.models._runtime import OnnxModel, Prediction
from emotive.models._tokenize import Encoded, encode, load_tokenizer, pad

__all__ = ["DEFAULT", "EmojiTokenizer", "Encoded", "Head", "LinearHead", "Manifest", "OnnxModel",
           "Prediction", "SentenceEncoder", "emoji_table", "encode", "load_manifest",
           "load_tokenizer", "pad", "resolve_model", "shipped_models", "write_emoji_table",
           "write_manifest"]
