"""Reader for DailyDialog (Li et al. 2017, "DailyDialog: A Manually Labelled Multi-turn
Dialogue Dataset", IJCNLP; CC BY-NC-SA 4.0, so not for commercial use).

The complete splits come from ConvLab-3's unified format
(``convlab3_unified/{train,validation,test}.jsonl``, one dialogue per line). ConvLab
detokenised the text with nltk, which sometimes merges tokens ("you wannabuy"), so for
validation and test each turn's text is taken from the official files
(``original/<split>/dialogues_<split>.txt``, turns separated by ``__eou__``) whenever the
turn counts agree; the official train text is not in the shared data, so train keeps
ConvLab's text.

Emotions are mapped into the shared 7 labels (``no emotion`` → ``neutral``,
``happiness`` → ``joy``); the raw label stays in ``annotations["emotion_raw"]``. Turn ids
are ``"<dialogue id>:<0-based turn index>"``, dialogue ids the official ``"test-0"`` form.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from emotive._errors import InputError
from emotive.datasets._io import jsonl_records
from emotive.datasets._paths import corpus_dir
from emotive.schema import Conversation, Utterance

SPLITS = ("train", "validation", "test")
ALIASES = {"dev": "validation"}
LICENSE = "CC-BY-NC-SA-4.0"
COMMERCIAL_USE = False
EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
ACTS = ("inform", "question", "directive", "commissive")
EMOTIONS_RAW = ("no emotion", "anger", "disgust", "fear", "happiness", "sadness", "surprise")
EMOTION_MAP = {"no emotion": "neutral", "happiness": "joy"}


def read(split: str, root: str | os.PathLike[str] | None = None) -> Iterator[Conversation]:
    """Yield the dialogues of ``split`` (train, validation or test; dev = validation).

    >>> next(read("test")).turns[1].annotations["emotion"]  # doctest: +SKIP
    'surprise'
    """
    name = ALIASES.get(split, split)
    if name not in SPLITS:
        raise InputError(f"unknown DailyDialog split {split!r}; choose one of: "
                         f"{', '.join(SPLITS)} (dev = validation)")
    folder = corpus_dir("dailydialog", root)
    original = _original_texts(folder / "original" / name / f"dialogues_{name}.txt", name)
    path = folder / "convlab3_unified" / f"{name}.jsonl"
    for lineno, record in jsonl_records(path):
        try:
            conv = _conversation(record, original)
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"malformed dialogue ({type(exc).__name__}: {exc}); expected "
                             "{original_id, topic, turns: [{speaker, utterance, emotion, act}]}",
                             source=str(path), line=lineno) from None
        except ValueError as exc:
            raise InputError(str(exc), source=str(path), line=lineno) from None
        yield conv


def _original_texts(path: Path, split: str) -> dict[str, list[str]]:
    """Official turn texts by dialogue id (``"test-0"``); empty when the file is absent."""
    if not path.exists():
        return {}
    texts: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for index, line in enumerate(fh):
            parts = [p.strip() for p in line.rstrip("\r\n").split("__eou__")]
            if parts and not parts[-1]:
                parts.pop()
            texts[f"{split}-{index}"] = parts
    return texts


def _conversation(record: Mapping[str, Any], original: Mapping[str, list[str]]) -> Conversation:
    conv_id = record["original_id"]
    turns = record["turns"]
    texts = original.get(conv_id)
    if texts is None or len(texts) != len(turns):
        texts = [t["utterance"] for t in turns]
    utts = tuple(_utterance(turn, text, f"{conv_id}:{k}")
                 for k, (turn, text) in enumerate(zip(turns, texts, strict=True)))
    return Conversation(id=conv_id, turns=utts, annotations={"topic": record["topic"]})


def _utterance(turn: Mapping[str, Any], text: str, uid: str) -> Utterance:
    raw = turn["emotion"]
    if raw not in EMOTIONS_RAW:
        raise ValueError(f"unknown emotion {raw!r} in turn {uid}; "
                         f"expected one of: {', '.join(EMOTIONS_RAW)}")
    if turn["act"] not in ACTS:
        raise ValueError(f"unknown act {turn['act']!r} in turn {uid}; "
                         f"expected one of: {', '.join(ACTS)}")
    annotations = {"emotion": EMOTION_MAP.get(raw, raw), "emotion_raw": raw, "act": turn["act"]}
    return Utterance(text, speaker=turn["speaker"], id=uid, annotations=annotations)
