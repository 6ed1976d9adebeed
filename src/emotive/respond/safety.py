"""Safety check before any strategy-driven reply: phrase rules for risk of self-harm or of
harm to others, kept as data in ``safety_rules.json`` (documented there and in the README).

A flagged message gets the category's safe, resource-pointing reply instead of a generated
one, and the reply is marked ``flagged``. The rules are a first line of defence, not a
clinical risk assessment.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


@dataclass(frozen=True)
class SafetyFlag:
    """Why a message was flagged: the rule category, the matched words, the safe reply."""

    category: str
    matched: str
    reply: str

    def to_dict(self) -> dict[str, str]:
        return {"category": self.category, "matched": self.matched, "reply": self.reply}


@dataclass(frozen=True)
class _Category:
    name: str
    patterns: tuple[re.Pattern[str], ...]
    reply: str


class Safety:
    """Phrase rules; ``check(text)`` returns a ``SafetyFlag`` or None.

    >>> Safety().check("I want to end my life").category
    'self_harm'
    >>> Safety().check("kill the server and restart it") is None
    True
    """

    def __init__(self, rules: Mapping[str, Any] | None = None, *,
                 extra_rules: Mapping[str, Sequence[str]] | None = None):
        raw = rules if rules is not None else default_rules()
        try:
            self.exceptions = tuple(_compile(p) for p in raw.get("exceptions", ()))
            self.categories = [
                _Category(name, tuple(_compile(p) for p in spec["patterns"]
                                      + list((extra_rules or {}).get(name, ()))), spec["reply"])
                for name, spec in raw["categories"].items()]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"malformed safety rules ({type(exc).__name__}: {exc}); expected "
                              "{exceptions: [regex], categories: {name: {patterns: [regex], "
                              "reply: str}}}") from None
        unknown = set(extra_rules or {}) - {c.name for c in self.categories}
        if unknown:
            raise ConfigError(f"extra rules for unknown categories {sorted(unknown)}; known: "
                              f"{', '.join(c.name for c in self.categories)}")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Safety:
        """Rules from a JSON file shaped like the shipped ``safety_rules.json``."""
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read safety rules {path}: {exc}") from None

    def check(self, text: str) -> SafetyFlag | None:
        """The first category whose pattern matches outside every exception span."""
        norm = normalize(text)
        for span in (m.span() for p in self.exceptions for m in p.finditer(norm)):
            norm = norm[:span[0]] + " " * (span[1] - span[0]) + norm[span[1]:]
        for cat in self.categories:
            for pattern in cat.patterns:
                match = pattern.search(norm)
                if match:
                    return SafetyFlag(cat.name, match.group(0), cat.reply)
        return None


def default_rules() -> dict[str, Any]:
    """The shipped rules (``emotive/respond/safety_rules.json``)."""
    text = resources.files("emotive.respond").joinpath("safety_rules.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def normalize(text: str) -> str:
    """Lowercase, straight quotes, single spaces.

    >>> normalize("I  DON\u2019T want")
    "i don't want"
    """
    return " ".join(text.translate(_QUOTES).lower().split())


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ConfigError(f"bad safety pattern {pattern!r}: {exc}") from None
