"""Reader for EmpatheticDialogues (Rashkin et al. 2019, "Towards Empathetic Open-domain
Conversation Models: a New Benchmark and Dataset", ACL; CC BY-NC 4.0, so not for
commercial use).

The shared copy is a reconstruction (see ``MANIFEST.md``): ``{train,valid,test}.csv`` with
header ``conv_id,utterance_idx,context,prompt,speaker_role,utterance``; commas are plain
``,`` (not ``_comma_``) and ``speaker_role`` (speaker or listener) replaces the worker id.
Rows of one conversation are consecutive. Each conversation carries its emotion
(``context``, one of the 32 ``LABELS``) and situation (``prompt``); turn ids are
``"<conv_id>:<utterance_idx>"`` (1-based, as in the corpus).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from emotive._errors import InputError
from emotive.datasets._io import csv_rows
from emotive.datasets._paths import corpus_dir
from emotive.schema import Conversation, Utterance

SPLITS = ("train", "valid", "test")
ALIASES = {"dev": "valid"}
LICENSE = "CC-BY-NC-4.0"
COMMERCIAL_USE = False
ROLES = ("speaker", "listener")
COLUMNS = ("conv_id", "utterance_idx", "context", "prompt", "speaker_role", "utterance")
LABELS = [
    "afraid", "angry", "annoyed", "anticipating", "anxious", "apprehensive", "ashamed",
    "caring", "confident", "content", "devastated", "disappointed", "disgusted",
    "embarrassed", "excited", "faithful", "furious", "grateful", "guilty", "hopeful",
    "impressed", "jealous", "joyful", "lonely", "nostalgic", "prepared", "proud", "sad",
    "sentimental", "surprised", "terrified", "trusting",
]

Row = tuple[int, dict[str, str]]


def read(split: str, root: str | os.PathLike[str] | None = None) -> Iterator[Conversation]:
    """Yield the conversations of ``split`` (train, valid or test; dev = valid).

    >>> next(read("valid")).annotations["emotion"]  # doctest: +SKIP
    'sentimental'
    """
    name = ALIASES.get(split, split)
    if name not in SPLITS:
        raise InputError(f"unknown EmpatheticDialogues split {split!r}; choose one of: "
                         f"{', '.join(SPLITS)} (dev = valid)")
    path = corpus_dir("empatheticdialogues", root) / f"{name}.csv"
    seen: set[str] = set()
    group: list[Row] = []
    for lineno, row in csv_rows(path, COLUMNS):
        if group and row["conv_id"] != group[0][1]["conv_id"]:
            yield _conversation(group, path, seen)
            group = []
        group.append((lineno, row))
    if group:
        yield _conversation(group, path, seen)


def _conversation(group: list[Row], path: Path, seen: set[str]) -> Conversation:
    first_line, first = group[0]
    conv_id = first["conv_id"]
    if conv_id in seen:
        raise InputError(f"rows of conversation {conv_id!r} are not consecutive",
                         source=str(path), line=first_line)
    seen.add(conv_id)
    if first["context"] not in LABELS:
        raise InputError(f"unknown emotion {first['context']!r}; expected one of: "
                         f"{', '.join(LABELS)}", source=str(path), line=first_line)
    turns = []
    for lineno, row in group:
        if row["speaker_role"] not in ROLES:
            raise InputError(f"unknown speaker_role {row['speaker_role']!r}; expected one of: "
                             f"{', '.join(ROLES)}", source=str(path), line=lineno)
        if not row["utterance_idx"].isdigit():
            raise InputError(f"utterance_idx must be an integer, got {row['utterance_idx']!r}",
                             source=str(path), line=lineno)
        turns.append(Utterance(row["utterance"], speaker=row["speaker_role"],
                               id=f"{conv_id}:{int(row['utterance_idx'])}"))
    annotations = {"emotion": first["context"], "situation": first["prompt"]}
    return Conversation(id=conv_id, turns=tuple(turns), annotations=annotations)
