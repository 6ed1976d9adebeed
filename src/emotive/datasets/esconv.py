"""Reader for ESConv, the Emotional Support Conversation corpus (Liu et al. 2021, "Towards
Emotional Support Dialog Systems", ACL; CC BY-NC 4.0, so not for commercial use).

The shared copy is the standard processed 70/15/15 split (``esconv/{train,valid,test}.jsonl``,
one dialogue per line): ``emotion_type``, ``problem_type``, ``situation`` and ``dialog``
(turns with ``text``, ``speaker`` usr|sys and, on sys turns, ``strategy``). The survey
scores and per-turn feedback of the full ``ESConv.json`` are not in it. The processed
dialogues have no ids: dialogue ids are ``"<split>-<0-based line index>"`` and turn ids
``"<dialogue id>:<0-based turn index>"``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from emotive._errors import InputError
from emotive.datasets._io import jsonl_records
from emotive.datasets._paths import corpus_dir
from emotive.schema import Conversation, Utterance

SPLITS = ("train", "valid", "test")
ALIASES = {"dev": "valid"}
LICENSE = "CC-BY-NC-4.0"
COMMERCIAL_USE = False
SPEAKERS = ("usr", "sys")
# The support strategies in the order of ``esconv/strategy.json`` (there in brackets).
STRATEGIES = (
    "Question",
    "Restatement or Paraphrasing",
    "Reflection of feelings",
    "Self-disclosure",
    "Affirmation and Reassurance",
    "Providing Suggestions",
    "Information",
    "Others",
)


def read(split: str, root: str | os.PathLike[str] | None = None) -> Iterator[Conversation]:
    """Yield the dialogues of ``split`` (train, valid or test; dev = valid).

    >>> next(read("test")).turns[0].annotations["strategy"]  # doctest: +SKIP
    'Others'
    """
    name = ALIASES.get(split, split)
    if name not in SPLITS:
        raise InputError(f"unknown ESConv split {split!r}; choose one of: "
                         f"{', '.join(SPLITS)} (dev = valid)")
    path = corpus_dir("esconv", root) / f"{name}.jsonl"
    for index, (lineno, record) in enumerate(jsonl_records(path)):
        try:
            conv = _conversation(record, f"{name}-{index}")
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"malformed dialogue ({type(exc).__name__}: {exc}); expected "
                             "{emotion_type, problem_type, situation, dialog: [{text, speaker, "
                             "strategy?}]}", source=str(path), line=lineno) from None
        except ValueError as exc:
            raise InputError(str(exc), source=str(path), line=lineno) from None
        yield conv


def _conversation(record: Mapping[str, Any], conv_id: str) -> Conversation:
    turns = tuple(_utterance(turn, f"{conv_id}:{k}") for k, turn in enumerate(record["dialog"]))
    annotations = {key: record[key] for key in ("emotion_type", "problem_type", "situation")}
    return Conversation(id=conv_id, turns=turns, annotations=annotations)


def _utterance(turn: Mapping[str, Any], uid: str) -> Utterance:
    speaker = turn["speaker"]
    if speaker not in SPEAKERS:
        raise ValueError(f"unknown speaker {speaker!r} in turn {uid}; "
                         f"expected one of: {', '.join(SPEAKERS)}")
    annotations: dict[str, str] = {}
    if speaker == "sys":
        strategy = turn["strategy"]
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r} in turn {uid}; "
                             f"expected one of: {', '.join(STRATEGIES)}")
        annotations["strategy"] = strategy
    return Utterance(turn["text"], speaker=speaker, id=uid, annotations=annotations)
