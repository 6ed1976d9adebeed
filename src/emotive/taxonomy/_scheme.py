"""Label schemes as data (``schemes.json``) and conversion of GoEmotions scores into them.

How member scores combine: a coarse label's score is the **maximum** of its GoEmotions
members' probabilities (the model is multi-label with one sigmoid per label, so the
strongest member is the best evidence that the group is present; a sum or noisy-OR would
inflate large groups such as Ekman's joy, which has 12 members). A coarse label is
*predicted* when any of its members is predicted at that member's own tuned threshold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from emotive._errors import ConfigError

BASE = "goemotions"


@dataclass(frozen=True)
class Scheme:
    """A label set; ``groups`` maps each label to its GoEmotions members."""

    name: str
    labels: tuple[str, ...]
    groups: Mapping[str, tuple[str, ...]]
    description: str = ""
    to_goemotions: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def native(self) -> bool:
        """True for a scheme that a model head produces itself (not derivable from GoEmotions)."""
        return not self.groups

    def convert(self, scores: Mapping[str, float]) -> dict[str, float]:
        """GoEmotions scores → this scheme's scores (max over members).

        >>> get_scheme("sentiment").convert({"joy": 0.9, "anger": 0.2, "neutral": 0.1})["positive"]
        0.9
        """
        if self.native:
            raise ConfigError(f"scheme {self.name!r} comes from its own model head and cannot "
                              "be computed from GoEmotions scores")
        return {lab: max((scores.get(m, 0.0) for m in self.groups[lab]), default=0.0)
                for lab in self.labels}

    def map_labels(self, labels: Iterable[str]) -> set[str]:
        """The coarse labels that contain any of the given GoEmotions labels."""
        given = set(labels)
        return {lab for lab in self.labels if given.intersection(self.groups[lab])}


@cache
def _raw() -> dict[str, dict]:
    text = resources.files("emotive.taxonomy").joinpath("schemes.json").read_text("utf-8")
    return json.loads(text)


@cache
def get_scheme(name: str) -> Scheme:
    """The scheme called ``name`` (or one of its aliases).

    >>> get_scheme("ekman").labels
    ('anger', 'disgust', 'fear', 'joy', 'sadness', 'surprise', 'neutral')
    """
    raw = _raw()
    key = name.strip().lower()
    for scheme_name, spec in raw.items():
        if key == scheme_name or key in spec.get("aliases", ()):
            return _build(scheme_name, spec)
    raise ConfigError(f"unknown scheme {name!r}; choose one of: {', '.join(scheme_names())}")


def _build(name: str, spec: dict) -> Scheme:
    description = spec.get("description", "")
    if spec.get("native"):
        return Scheme(name, tuple(spec["labels"]), {}, description, spec.get("to_goemotions", {}))
    if "groups" in spec:
        groups = {k: tuple(v) for k, v in spec["groups"].items()}
    else:
        groups = {lab: (lab,) for lab in spec["labels"]}
    return Scheme(name, tuple(groups), groups, description)


def scheme_names() -> list[str]:
    """Names of every scheme, sorted."""
    return sorted(_raw())


@cache
def vad_anchors() -> dict[str, tuple[float, float, float]]:
    """Valence, arousal, dominance (1-5) of each GoEmotions label, derived from data.

    See ``emotive/training/vad_anchors.py`` for how they are made.

    >>> vad_anchors()["joy"]  # doctest: +SKIP
    (3.6, 3.2, 3.2)
    """
    path = resources.files("emotive.taxonomy").joinpath("vad_anchors.json")
    if not path.is_file():
        raise ConfigError("no VAD anchors shipped; make them with: emotive train vad-anchors")
    raw = json.loads(path.read_text("utf-8"))["labels"]
    return {lab: (x["v"], x["a"], x["d"]) for lab, x in raw.items()}
