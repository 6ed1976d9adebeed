"""Reader for EmoBank (Buechel & Hahn 2017, "EmoBank: Studying the Impact of Annotation
Perspective and Representation Format on Dimensional Emotion Analysis", EACL; CC-BY-SA 4.0).

``emobank/emobank.csv`` (header ``id,split,V,A,D,text``) holds 10,062 sentences with their
Valence/Arousal/Dominance on a 1–5 scale and the official split (train 8,062, dev 1,000,
test 1,000). ``reader.csv`` and ``writer.csv`` (header ``id,V,A,D,stdV,stdA,stdD,N``) hold
the two annotation perspectives; they are joined by ``id`` as ``(v, a, d)`` tuples, ``None``
where a perspective lacks the sentence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from emotive._errors import InputError
from emotive.datasets._io import csv_rows
from emotive.datasets._paths import corpus_dir

SPLITS = ("train", "dev", "test")
LICENSE = "CC-BY-SA-4.0"
COMMERCIAL_USE = True
COLUMNS = ("id", "split", "V", "A", "D", "text")
VIEW_COLUMNS = ("id", "V", "A", "D")

Vad = tuple[float, float, float]


@dataclass(frozen=True)
class VadText:
    """One sentence with its Valence/Arousal/Dominance (1–5) and the two perspectives."""

    id: str
    split: str
    text: str
    v: float
    a: float
    d: float
    reader: Vad | None = None
    writer: Vad | None = None


def read(split: str | None = None,
         root: str | os.PathLike[str] | None = None) -> Iterator[VadText]:
    """Yield the sentences of ``split`` (train, dev or test), or all of them for ``None``.

    >>> next(read("test")).v  # doctest: +SKIP
    2.8
    """
    if split is not None and split not in SPLITS:
        raise InputError(f"unknown EmoBank split {split!r}; choose one of: {', '.join(SPLITS)} "
                         "(or None for all rows)")
    folder = corpus_dir("emobank", root)
    reader, writer = _view(folder / "reader.csv"), _view(folder / "writer.csv")
    path = folder / "emobank.csv"
    for lineno, row in csv_rows(path, COLUMNS):
        if row["split"] not in SPLITS:
            raise InputError(f"unknown split {row['split']!r}; expected one of: "
                             f"{', '.join(SPLITS)}", source=str(path), line=lineno)
        if split is not None and row["split"] != split:
            continue
        v, a, d = _vad(row, path, lineno)
        yield VadText(id=row["id"], split=row["split"], text=row["text"], v=v, a=a, d=d,
                      reader=reader.get(row["id"]), writer=writer.get(row["id"]))


def _view(path: Path) -> dict[str, Vad]:
    """One annotation perspective: ``(v, a, d)`` by sentence id."""
    return {row["id"]: _vad(row, path, lineno) for lineno, row in csv_rows(path, VIEW_COLUMNS)}


def _vad(row: dict[str, str], path: Path, lineno: int) -> Vad:
    try:
        return float(row["V"]), float(row["A"]), float(row["D"])
    except ValueError:
        raise InputError(f"V, A and D must be numbers, got {row['V']!r}, {row['A']!r}, "
                         f"{row['D']!r}", source=str(path), line=lineno) from None
