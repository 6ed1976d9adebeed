from __future__ import annotations

import json

import pytest

from emotive import ConfigError, get_scheme
from emotive.taxonomy import scheme_names


def test_goemotions_has_28_labels_neutral_last() -> None:
    s = get_scheme("goemotions")
    assert len(s.labels) == 28 and s.labels[-1] == "neutral"


@pytest.mark.parametrize("name,file", [("ekman", "ekman_mapping.json"),
                                       ("sentiment", "sentiment_dict.json")])
def test_groups_match_the_dataset_files_plus_neutral(name: str, file: str, data_root) -> None:
    upstream = json.loads((data_root / "goemotions" / file).read_text())
    s = get_scheme(name)
    assert {k: sorted(v) for k, v in s.groups.items() if k != "neutral"} == \
        {k: sorted(v) for k, v in upstream.items()}
    assert s.groups["neutral"] == ("neutral",)


@pytest.mark.parametrize("name", ["ekman", "sentiment"])
def test_every_fine_label_belongs_to_exactly_one_group(name: str) -> None:
    members = [m for g in get_scheme(name).groups.values() for m in g]
    assert sorted(members) == sorted(get_scheme("goemotions").labels)


def test_convert_takes_the_strongest_member() -> None:
    scores = dict.fromkeys(get_scheme("goemotions").labels, 0.01)
    scores.update(joy=0.3, gratitude=0.8, anger=0.6)
    ek = get_scheme("ekman").convert(scores)
    assert ek["joy"] == 0.8 and ek["anger"] == 0.6 and ek["fear"] == 0.01
    assert set(ek) == set(get_scheme("ekman").labels)


def test_map_labels_and_aliases() -> None:
    assert get_scheme("Ekman-7").map_labels(["annoyance", "relief"]) == {"anger", "joy"}
    assert get_scheme("sentiment-3").name == "sentiment"


def test_unknown_scheme_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown scheme 'ekmann'; choose one of: ") as err:
        get_scheme("ekmann")
    for name in scheme_names():
        assert name in str(err.value)


@pytest.mark.parametrize("name", ["plutchik", "dialogue7"])
def test_new_grouped_schemes_partition_goemotions(name: str) -> None:
    members = [m for g in get_scheme(name).groups.values() for m in g]
    assert sorted(members) == sorted(get_scheme("goemotions").labels)


def test_dialogue7_is_meld_and_dailydialog_labels() -> None:
    from emotive.datasets import meld

    assert get_scheme("meld").labels == meld.EMOTIONS == get_scheme("context7").labels


def test_ed32_is_native_with_a_partial_map_to_goemotions() -> None:
    from emotive.datasets import empatheticdialogues

    ed = get_scheme("ed32")
    assert ed.native and list(ed.labels) == list(empatheticdialogues.LABELS)
    assert set(ed.to_goemotions) == set(ed.labels)
    fine = set(get_scheme("goemotions").labels)
    assert all(v is None or v in fine for v in ed.to_goemotions.values())
    with pytest.raises(ConfigError, match="cannot be computed from GoEmotions"):
        ed.convert({"joy": 1.0})
