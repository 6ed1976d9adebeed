"""Reader for GoEmotions (Demszky et al. 2020; Apache-2.0).

The files are TSV without a header: ``text``, comma-separated label ids (indices into
``emotions.txt``) and the Reddit comment id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from emotive._errors import InputError
from emotive.datasets._paths import corpus_dir

SPLITS = ("train", "dev", "test")
LICENSE = "Apache-2.0"


@dataclass(frozen=True)
class LabeledText:
    """One GoEmotions example."""

    id: str
    text: str
    labels: tuple[str, ...]


def labels(root: str | os.PathLike[str] | None = None) -> list[str]:
    """The 28 label names in file order (``neutral`` last)."""
    path = corpus_dir("goemotions", root) / "emotions.txt"
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read(split: str, root: str | os.PathLike[str] | None = None) -> Iterator[LabeledText]:
    """Yield the examples of ``split`` (train, dev or test).

    >>> next(read("dev")).labels  # doctest: +SKIP
    ('neutral',)
    """
    if split not in SPLITS:
        raise InputError(f"unknown GoEmotions split {split!r}; choose one of: {', '.join(SPLITS)}")
    folder = corpus_dir("goemotions", root)
    names = labels(folder.parent)
    path = folder / f"{split}.tsv"
    yield from _read_tsv(path, names)


def _read_tsv(path: Path, names: list[str]) -> Iterator[LabeledText]:
    with path.open(encoding="utf-8", newline="") as fh:
        for lineno, line in enumerate(fh, 1):
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 3:
                raise InputError(f"expected 3 tab-separated columns, got {len(parts)}",
                                 source=str(path), line=lineno)
            text, ids, cid = parts
            try:
                labs = tuple(names[int(i)] for i in ids.split(","))
            except (ValueError, IndexError):
                raise InputError(f"bad label ids {ids!r}", source=str(path), line=lineno) from None
            yield LabeledText(id=cid, text=text, labels=labs)
