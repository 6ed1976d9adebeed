"""Reader for RECCON, Recognizing Emotion Cause in CONversations (Poria et al. 2021,
"Recognizing Emotion Cause in Conversations", Cognitive Computation).

License: RECCON states none (no LICENSE file, nothing in its README). Its dialogues come
from DailyDialog (CC BY-NC-SA 4.0) and IEMOCAP (USC IEMOCAP release terms), so it is
treated as not for commercial use.

``reccon/original_annotation/<split>.json`` is one JSON object
``{dialog_id: [[turn, …]]}``; a turn has ``turn`` (1-based), ``speaker``, ``utterance``,
``emotion`` and, on emotional turns, ``expanded emotion cause evidence`` (turn numbers)
with the aligned ``expanded emotion cause span`` (texts) and ``type``. Each turn's
annotations:

- ``emotion``: the raw label with its spelling variants normalised (happy, happines →
  happiness; sad → sadness; angry → anger; surprised → surprise; IEMOCAP's excited and
  frustrated stay); ``emotion_raw`` keeps the label as written;
- ``cause_turns`` / ``cause_spans``: the evidence turn numbers and their spans, aligned, with
  the ``"b"`` placeholders (a cause outside the dialogue) dropped from both; empty lists
  on turns without annotation;
- ``turn``: the turn number. Turn ids are ``"<dialog_id>:<turn>"``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

from emotive._errors import InputError
from emotive.datasets._paths import corpus_dir
from emotive.schema import Conversation, Utterance

SPLITS = ("dailydialog_train", "dailydialog_valid", "dailydialog_test", "iemocap_test")
LICENSE = "none stated (data from DailyDialog CC-BY-NC-SA-4.0 and IEMOCAP, USC terms)"
COMMERCIAL_USE = False
EMOTIONS = ("anger", "disgust", "excited", "fear", "frustrated", "happiness", "neutral",
            "sadness", "surprise")
EMOTION_MAP = {"happy": "happiness", "happines": "happiness", "sad": "sadness",
               "angry": "anger", "surprised": "surprise"}
EVIDENCE, SPAN = "expanded emotion cause evidence", "expanded emotion cause span"


def read(split: str, root: str | os.PathLike[str] | None = None) -> Iterator[Conversation]:
    """Yield the dialogues of ``split`` (dailydialog_train/_valid/_test or iemocap_test).

    >>> next(read("dailydialog_test")).id  # doctest: +SKIP
    'tr_9708'
    """
    if split not in SPLITS:
        raise InputError(f"unknown RECCON split {split!r}; choose one of: {', '.join(SPLITS)}")
    path = corpus_dir("reccon", root) / "original_annotation" / f"{split}.json"
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON ({exc.msg})", source=str(path), line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("expected one JSON object {dialog_id: [[turn, ...]]}",
                         source=str(path), line=1)
    for dialog_id, dialogues in data.items():
        try:
            convs = [_conversation(dialog_id if j == 0 else f"{dialog_id}/{j}", turns)
                     for j, turns in enumerate(dialogues)]
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            why = str(exc) if type(exc) is ValueError else f"{type(exc).__name__}: {exc}"
            raise InputError(f"malformed dialogue {dialog_id!r} ({why}); expected [[{{turn, "
                             "speaker, utterance, emotion, ...}]]", source=str(path),
                             line=_line_of(text, dialog_id)) from None
        yield from convs


def _line_of(text: str, key: str) -> int | None:
    """The line where ``"key"`` first appears in the JSON text."""
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def _conversation(conv_id: str, turns: list[Mapping[str, Any]]) -> Conversation:
    return Conversation(id=conv_id, turns=tuple(_utterance(turn, conv_id) for turn in turns))


def _utterance(turn: Mapping[str, Any], conv_id: str) -> Utterance:
    number, raw = turn["turn"], turn["emotion"]
    if not isinstance(number, int):
        raise ValueError(f"turn number must be an integer, got {number!r}")
    emotion = EMOTION_MAP.get(raw, raw)
    if emotion not in EMOTIONS:
        raise ValueError(f"unknown emotion {raw!r} in turn {number}; expected one of: "
                         f"{', '.join(sorted([*EMOTIONS, *EMOTION_MAP]))}")
    evidence, spans = turn.get(EVIDENCE, []), turn.get(SPAN, [])
    if len(evidence) != len(spans):
        raise ValueError(f"turn {number} has {len(evidence)} cause evidence entries but "
                         f"{len(spans)} cause spans")
    pairs = [(e, s) for e, s in zip(evidence, spans, strict=True) if type(e) is int]
    annotations = {"turn": number, "emotion": emotion, "emotion_raw": raw,
                   "cause_turns": [e for e, _ in pairs], "cause_spans": [str(s) for _, s in pairs]}
    return Utterance(turn["utterance"], speaker=turn["speaker"], id=f"{conv_id}:{number}",
                     annotations=annotations)
