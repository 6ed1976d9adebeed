"""Tokenization shared by training and inference: truncation, dynamic padding, buckets."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tokenizers import Encoding, Tokenizer


@dataclass(frozen=True)
class Encoded:
    """A padded batch: ``input_ids`` and ``attention_mask`` (int64, same shape)."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    truncated: np.ndarray  # bool per text: it was longer than max_length
    encodings: tuple[Encoding, ...] = ()  # offsets and sequence ids, for span heads


def load_tokenizer(path: str | os.PathLike[str], max_length: int,
                   emoji: str | os.PathLike[str] | None = None) -> Tokenizer:
    """A ``tokenizers`` tokenizer that truncates to ``max_length`` and does not pad;
    ``emoji``: a model's ``emoji.json``, whose emoji are then read as their names
    (:class:`~emotive.models._emoji.EmojiTokenizer`)."""
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(max_length=max_length)
    if emoji is not None:
        from emotive.models._emoji import EmojiTokenizer

        return EmojiTokenizer.from_file(tok, emoji)  # type: ignore[return-value]
    return tok


def encode(tok: Tokenizer, texts: Sequence[str | tuple[str, str]]) -> Encoded:
    """Tokenize ``texts`` and pad to the longest one in the batch (dynamic padding)."""
    return pad(tok.encode_batch(list(texts)))


def pad(encs: Sequence[Encoding]) -> Encoded:
    """Pad tokenized texts to the longest one among them."""
    width = max((len(e.ids) for e in encs), default=1)
    ids = np.zeros((len(encs), width), dtype=np.int64)
    mask = np.zeros((len(encs), width), dtype=np.int64)
    truncated = np.zeros(len(encs), dtype=bool)
    for i, e in enumerate(encs):
        n = len(e.ids)
        ids[i, :n] = e.ids
        mask[i, :n] = 1
        truncated[i] = bool(e.overflowing)
    return Encoded(ids, mask, truncated, tuple(encs))

