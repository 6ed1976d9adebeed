"""Reader for the text annotations of MELD (Poria et al. 2019, "MELD: A Multimodal
Multi-Party Dataset for Emotion Recognition in Conversations", ACL; GPL-3.0).

``meld/{train,dev,test}_sent_emo.csv`` hold one utterance of the TV series *Friends* per row
with header ``Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,
Episode,StartTime,EndTime``. Rows are grouped by ``Dialogue_ID`` into one ``Conversation``
per dialogue (in dialogue id order), its turns ordered by ``Utterance_ID``. Ids follow
MELD's video file names: dialogue ``"dia12"``, turn ``"dia12_utt3"``. Emotions are already
the shared 7 labels.

Mojibake: some MELD copies carry UTF-8 text that was decoded as Windows-1252 and saved
again (``don’t`` → ``donâ€™t``). ``fix_mojibake`` undoes that when the text encodes to
cp1252 and the bytes decode as UTF-8; otherwise the text is left as it is. Correct text
never round-trips that way (``’`` is the single cp1252 byte 0x92, not valid UTF-8), so
clean rows pass unchanged; the copy in the shared data is clean.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from emotive._errors import InputError
from emotive.datasets._io import csv_rows
from emotive.datasets._paths import corpus_dir
from emotive.schema import Conversation, Utterance

SPLITS = ("train", "dev", "test")
LICENSE = "GPL-3.0"
COMMERCIAL_USE = True
EMOTIONS = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
SENTIMENTS = ("negative", "neutral", "positive")
COLUMNS = ("Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID", "Utterance_ID",
           "Season", "Episode")


def fix_mojibake(text: str) -> str:
    """Undo UTF-8 text that was decoded as cp1252; leave any other text as it is.

    >>> fix_mojibake("donâ€™t")
    'don’t'
    >>> fix_mojibake("don’t")
    'don’t'
    """
    if text.isascii():
        return text
    try:
        return text.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return text


def read(split: str, root: str | os.PathLike[str] | None = None) -> Iterator[Conversation]:
    """Yield the dialogues of ``split`` (train, dev or test).

    >>> next(read("test")).turns[0].annotations["emotion"]  # doctest: +SKIP
    'surprise'
    """
    if split not in SPLITS:
        raise InputError(f"unknown MELD split {split!r}; choose one of: {', '.join(SPLITS)}")
    path = corpus_dir("meld", root) / f"{split}_sent_emo.csv"
    dialogues: dict[int, list[tuple[int, Utterance]]] = {}
    episodes: dict[int, dict[str, int]] = {}
    for lineno, row in csv_rows(path, COLUMNS):
        try:
            dia, utt = int(row["Dialogue_ID"]), int(row["Utterance_ID"])
            episode = {"season": int(row["Season"]), "episode": int(row["Episode"])}
        except ValueError:
            raise InputError("Dialogue_ID, Utterance_ID, Season and Episode must be integers",
                             source=str(path), line=lineno) from None
        _check_labels(row, path, lineno)
        dialogues.setdefault(dia, []).append((utt, _utterance(row, dia, utt)))
        episodes.setdefault(dia, episode)
    for dia in sorted(dialogues):
        turns = tuple(u for _, u in sorted(dialogues[dia], key=lambda pair: pair[0]))
        yield Conversation(id=f"dia{dia}", turns=turns, annotations=episodes[dia])


def _utterance(row: dict[str, str], dia: int, utt: int) -> Utterance:
    annotations = {"emotion": row["Emotion"], "sentiment": row["Sentiment"]}
    return Utterance(fix_mojibake(row["Utterance"]), speaker=row["Speaker"],
                     id=f"dia{dia}_utt{utt}", annotations=annotations)


def _check_labels(row: dict[str, str], path: Path, lineno: int) -> None:
    if row["Emotion"] not in EMOTIONS:
        raise InputError(f"unknown emotion {row['Emotion']!r}; expected one of: "
                         f"{', '.join(EMOTIONS)}", source=str(path), line=lineno)
    if row["Sentiment"] not in SENTIMENTS:
        raise InputError(f"unknown sentiment {row['Sentiment']!r}; expected one of: "
                         f"{', '.join(SENTIMENTS)}", source=str(path), line=lineno)
