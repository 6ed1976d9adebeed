"""``templates``: the commercial-safe offline backend; it needs no LLM and no corpus.

It answers with a reply written for emotive (``templates.json``, Apache-2.0 like the code):
one list of replies per ESConv strategy, picked by the plan's ``strategy`` (else
``Reflection of feelings``), with ``{feeling}`` filled from the user's Ekman-7 emotion
(``plan.user_emotion``, else ``neutral``); when the user's emotion is ``joy`` the
``positive`` lists answer instead. The variant is a hash of the last user text and
``seed``, so a reply is reproducible yet varies from text to text, and it moves on when it
would repeat the previous assistant turn word for word. Without a plan it reads the last
user message and answers neutral, with ``Reflection of feelings``. The data carries no phone
numbers, links or hotlines: crisis resources come from the safety step only.

>>> backend = TemplatesBackend()
>>> backend.generate([{"role": "user", "content": "I failed my exam."}]).metadata["strategy"]
'Reflection of feelings'
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import Field

from emotive._errors import ConfigError
from emotive.backends._base import Backend, BackendOptions, GenerateOptions, GenerateResult, Message, message_dicts
from emotive.datasets.esconv import STRATEGIES
from emotive.schema import Plan

EMOTIONS7 = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
DEFAULT_STRATEGY = "Reflection of feelings"
DEFAULT_EMOTION = "neutral"
# what the safety step alone may give: links, phone numbers, hotlines
_FORBIDDEN = re.compile(r"https?://|www\.|\S+\.(?:com|org|net)\b|\d[\d ().-]{4,}\d|hotline|helpline|crisis line",
                        re.IGNORECASE)


@dataclass(frozen=True)
class Templates:
    """The replies: ``feelings`` per Ekman-7 emotion, ``strategies`` and ``positive`` per strategy."""

    feelings: Mapping[str, tuple[str, ...]]
    strategies: Mapping[str, tuple[str, ...]]
    positive: Mapping[str, tuple[str, ...]]


class TemplatesOptions(BackendOptions):
    seed: int = Field(0, description="varies which reply a given text gets")
    file: str | None = Field(None, description="a JSON file of the same shape as the shipped templates.json")


class TemplatesBackend(Backend):
    """Replies written for emotive, by strategy and emotion: no LLM, no corpus, Apache-2.0."""

    name = "templates"
    can_stream = False
    Options = TemplatesOptions
    options: TemplatesOptions

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.templates = load_templates(self.options.file)

    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """The reply; metadata: ``strategy``, ``emotion`` (the user's), ``variant`` (its
        index in the list) and ``source`` (``templates``).

        >>> plan = Plan(strategy="Question", user_emotion="joy")
        >>> TemplatesBackend().generate([], GenerateOptions(plan=plan)).metadata["emotion"]
        'joy'
        """
        given = message_dicts(messages)
        plan = (options.plan if options else None) or Plan()
        turns = [(t.role, t.text) for t in plan.turns] or [(m["role"], m["content"]) for m in given]
        strategy = plan.strategy if plan.strategy in STRATEGIES else DEFAULT_STRATEGY
        emotion = plan.user_emotion if plan.user_emotion in EMOTIONS7 else DEFAULT_EMOTION
        last_user = _last(turns, "user")
        previous = _last(turns, "assistant").strip()
        t = self.templates
        variants = (t.positive if emotion == "joy" else t.strategies)[strategy]
        feelings = t.feelings[emotion]
        h = _hash(f"{self.options.seed}\x00{last_user}")
        feeling = feelings[(h // len(variants)) % len(feelings)]
        i = h % len(variants)
        for _ in range(len(variants) - 1):
            if previous not in {_fill(variants[i], f) for f in feelings}:
                break
            i = (i + 1) % len(variants)
        return GenerateResult(_fill(variants[i], feeling), {
            "strategy": strategy, "emotion": emotion, "variant": i, "source": "templates"})


def load_templates(file: str | None = None) -> Templates:
    """The shipped templates, or those in ``file``; a bad file raises ``ConfigError`` naming it."""
    if file is None:
        return _shipped()
    path = Path(file).expanduser()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"templates file {str(path)!r} cannot be read: {exc}; "
                          "give a JSON file shaped like emotive/backends/templates.json") from None
    return _parse(data, str(path))


@lru_cache(maxsize=1)
def _shipped() -> Templates:
    source = files("emotive.backends") / "templates.json"
    return _parse(json.loads(source.read_text(encoding="utf-8")), "emotive/backends/templates.json")


def _parse(data: Any, where: str) -> Templates:
    if not isinstance(data, Mapping):
        raise ConfigError(f"templates file {where!r} must hold a JSON object with "
                          "'feelings', 'strategies' and 'positive'")
    return Templates(_lists(data, "feelings", EMOTIONS7, where, placeholders=False),
                     _lists(data, "strategies", STRATEGIES, where),
                     _lists(data, "positive", STRATEGIES, where))


def _lists(data: Mapping[str, Any], key: str, names: Sequence[str], where: str,
           placeholders: bool = True) -> dict[str, tuple[str, ...]]:
    table = data.get(key)
    if not isinstance(table, Mapping):
        raise ConfigError(f"templates file {where!r}: {key!r} must be an object with one list per name: "
                          f"{', '.join(names)}")
    missing = [n for n in names if n not in table]
    if missing:
        raise ConfigError(f"templates file {where!r}: {key!r} lacks {', '.join(map(repr, missing))}; "
                          f"it needs a list for each of: {', '.join(names)}")
    out = {}
    for name in names:
        items = table[name]
        if not (isinstance(items, list) and items and all(isinstance(s, str) and s.strip() for s in items)):
            raise ConfigError(f"templates file {where!r}: {key}.{name} must be a non-empty list of non-empty strings")
        for text in items:
            _check(text, f"{where!r}: {key}.{name}", placeholders)
        out[name] = tuple(items)
    return out


def _check(text: str, where: str, placeholders: bool) -> None:
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        raise ConfigError(f"templates file {where}: {text!r}: {exc}; write a literal brace as {{{{ or }}}}") from None
    allowed = {"feeling"} if placeholders else set()
    if fields - allowed:
        raise ConfigError(f"templates file {where}: {text!r} uses {sorted(fields - allowed)}; "
                          f"the only placeholder is {'{feeling}' if placeholders else 'none here'}")
    if _FORBIDDEN.search(text):
        raise ConfigError(f"templates file {where}: {text!r} holds a link, phone number or hotline; "
                          "leave those to the safety step, which gives crisis resources")


def _fill(template: str, feeling: str) -> str:
    return template.format(feeling=feeling)


def _last(turns: Sequence[tuple[str, str]], role: str) -> str:
    return next((text for r, text in reversed(turns) if r == role), "")


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
