from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from emotive._errors import InputError
from emotive.datasets import peld
from emotive.datasets.peld import PeldTriple, read, split

HEADER = "\t".join(peld.COLUMNS) + "\n"
ROW = ("Ross\tRachel\t[0.1, 0.2, 0.3, 0.4, 0.5]\tHi \"there\"\tHey\tBye\tjoy\tneutral\tsadness\t"
       "positive\tneutral\tnegative\n")


@pytest.fixture(scope="module")
def rows() -> list[PeldTriple]:
    return list(read())


@pytest.mark.corpus("peld")
def test_counts_labels_and_first_row(rows: list[PeldTriple]) -> None:
    assert len(rows) == 6510
    assert {e for r in rows for e in r.emotions} == set(peld.EMOTIONS)
    assert {s for r in rows for s in r.sentiments} == set(peld.SENTIMENTS)
    assert Counter(r.speaker_1 for r in rows).keys() == {
        "Chandler", "Joey", "Monica", "Phoebe", "Rachel", "Ross"}
    assert rows[0] == PeldTriple(
        speaker_1="Chandler", speaker_2="The Interviewer",
        personality=(0.648, 0.375, 0.386, 0.58, 0.477),
        utterances=("also I was the point person on my company s transition from the KL-5 to "
                    "GR-6 system.", "You must ve had your hands full.", "That I did. That I did."),
        emotions=("neutral",) * 3, sentiments=("neutral",) * 3)


@pytest.mark.corpus("peld")
def test_split_is_deterministic_disjoint_and_80_10_10(rows: list[PeldTriple]) -> None:
    parts = split(rows, seed=0)
    assert {k: len(v) for k, v in parts.items()} == {"train": 5208, "dev": 651, "test": 651}
    assert split(rows, seed=0) == parts
    assert split(rows, seed=1)["test"] != parts["test"]
    ids = {name: {id(r) for r in part} for name, part in parts.items()}
    assert not (ids["train"] & ids["dev"] or ids["train"] & ids["test"] or ids["dev"] & ids["test"])
    assert sum(map(len, ids.values())) == len(rows)
    # Pinned: our split must not drift between releases.
    assert parts["test"][0].utterances == ("Hey, did you pick a roommate?", "You betcha!",
                                           "Is it the Italian guy?")
    assert list(read("test")) == parts["test"]


def test_bare_quotes_are_text(tmp_path: Path) -> None:
    (tmp_path / "peld").mkdir()
    (tmp_path / "peld" / "Dyadic_PELD.tsv").write_text(HEADER + ROW, encoding="utf-8")
    (row,) = read(root=tmp_path)
    assert row.utterances == ('Hi "there"', "Hey", "Bye")
    assert row.personality == (0.1, 0.2, 0.3, 0.4, 0.5)


def test_malformed_row_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "peld").mkdir()
    path = tmp_path / "peld" / "Dyadic_PELD.tsv"
    path.write_text(HEADER + ROW + ROW.replace("[0.1, 0.2, ", "[0.1, "), encoding="utf-8")
    with pytest.raises(InputError, match="Personality must be a list of 5 numbers") as exc:
        list(read(root=tmp_path))
    assert (exc.value.source, exc.value.line) == (str(path), 3)
    assert f"{path}:3:" in str(exc.value)


def test_unknown_split_names_choices() -> None:
    with pytest.raises(InputError, match="train, dev, test"):
        next(read("valid"))
