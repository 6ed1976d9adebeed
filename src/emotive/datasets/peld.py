"""Reader for PELD, the Personality EmotionLines Dataset (Wen et al. 2021, "Automatically
Select Emotion for Response via Personality-affected Emotion Transition", Findings of ACL).

License: none stated in the source repository (preke/PELD). PELD is derived from MELD
(GPL-3.0), EmoryNLP and FriendsPersona; with no grant of rights it is treated as not for
commercial use.

``peld/Dyadic_PELD.tsv`` holds 6,510 dialogue triples, one per row, with header
``Speaker_1 Speaker_2 Personality Utterance_1 Utterance_2 Utterance_3 Emotion_1 Emotion_2
Emotion_3 Sentiment_1 Sentiment_2 Sentiment_3`` (tab-separated, no quoting: texts may hold
a bare ``"``). ``Personality`` is Speaker_1's OCEAN vector. Utterances 1 and 3 are
Speaker_1's, utterance 2 Speaker_2's.

The corpus has no split (the paper splits at random), so ``split`` makes **our own**
deterministic 80/10/10 train/dev/test split from a seed. Consecutive triples of one
dialogue share utterances, so a random row split lets some text occur in two splits.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from emotive._errors import InputError
from emotive.datasets._paths import corpus_dir

T = TypeVar("T")

SPLITS = ("train", "dev", "test")
LICENSE = "none stated (derived from MELD GPL-3.0, EmoryNLP and FriendsPersona)"
COMMERCIAL_USE = False
EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
SENTIMENTS = ("negative", "neutral", "positive")
OCEAN = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")
COLUMNS = ("Speaker_1", "Speaker_2", "Personality", "Utterance_1", "Utterance_2",
           "Utterance_3", "Emotion_1", "Emotion_2", "Emotion_3", "Sentiment_1", "Sentiment_2",
           "Sentiment_3")


@dataclass(frozen=True)
class PeldTriple:
    """Three consecutive turns of a dyadic dialogue and Speaker_1's personality (OCEAN)."""

    speaker_1: str
    speaker_2: str
    personality: tuple[float, float, float, float, float]
    utterances: tuple[str, str, str]
    emotions: tuple[str, str, str]
    sentiments: tuple[str, str, str]


def read(split: str | None = None, root: str | os.PathLike[str] | None = None, *,
         seed: int = 0) -> Iterator[PeldTriple]:
    """Yield every triple in file order, or those of our ``split`` (train, dev or test).

    >>> next(read()).personality  # doctest: +SKIP
    (0.648, 0.375, 0.386, 0.58, 0.477)
    """
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown PELD split {split!r}; choose one of: {', '.join(SPLITS)} "
                         "(or None for all rows)")
    path = corpus_dir("peld", root) / "Dyadic_PELD.tsv"
    if split is None:
        yield from _read_tsv(path)
    else:
        yield from _partition(list(_read_tsv(path)), seed)[split]


def split(rows: Iterable[T], seed: int = 0) -> dict[str, list[T]]:
    """Our deterministic 80/10/10 split: ``{"train": …, "dev": …, "test": …}``.

    The rows are shuffled with ``random.Random(seed)``; each part keeps the input order.

    >>> {k: len(v) for k, v in split(range(10)).items()}
    {'train': 8, 'dev': 1, 'test': 1}
    """
    return _partition(list(rows), seed)


def _partition(rows: list[T], seed: int) -> dict[str, list[T]]:
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    tenth = len(rows) // 10
    parts = {"test": order[:tenth], "dev": order[tenth:2 * tenth], "train": order[2 * tenth:]}
    return {name: [rows[i] for i in sorted(parts[name])] for name in SPLITS}


def _read_tsv(path: Path) -> Iterator[PeldTriple]:
    with path.open(encoding="utf-8", newline="") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.rstrip("\r\n").split("\t")
            if lineno == 1:
                if tuple(parts) != COLUMNS:
                    raise InputError(f"unexpected header; expected {' '.join(COLUMNS)} "
                                     "separated by tabs", source=str(path), line=1)
                continue
            if parts == [""]:
                continue
            if len(parts) != len(COLUMNS):
                raise InputError(f"expected {len(COLUMNS)} tab-separated columns, got "
                                 f"{len(parts)}", source=str(path), line=lineno)
            yield _triple(parts, path, lineno)


def _triple(parts: list[str], path: Path, lineno: int) -> PeldTriple:
    emotions, sentiments = tuple(parts[6:9]), tuple(parts[9:12])
    checks: list[tuple[str, tuple[str, ...]]] = [(label, EMOTIONS) for label in emotions]
    checks += [(label, SENTIMENTS) for label in sentiments]
    for label, allowed in checks:
        if label not in allowed:
            raise InputError(f"unknown label {label!r}; expected one of: {', '.join(allowed)}",
                             source=str(path), line=lineno)
    return PeldTriple(speaker_1=parts[0], speaker_2=parts[1],
                      personality=_personality(parts[2], path, lineno),
                      utterances=(parts[3], parts[4], parts[5]),
                      emotions=(emotions[0], emotions[1], emotions[2]),
                      sentiments=(sentiments[0], sentiments[1], sentiments[2]))


def _personality(field: str, path: Path, lineno: int) -> tuple[float, float, float, float, float]:
    try:
        o, c, e, a, n = (float(x) for x in field.strip().strip("[]").split(","))
    except ValueError:
        raise InputError(f"Personality must be a list of 5 numbers (OCEAN), got {field!r}",
                         source=str(path), line=lineno) from None
    return (o, c, e, a, n)
