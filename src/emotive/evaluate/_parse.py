"""Reading a model's answer: which choice of a multiple-choice question, which label.

Models answer in many shapes: ``b``, ``(B)``, ``Answer: (b)``, ``2``, ``Option 2``, the
choice's text, ``The answer is b) Joy``. An answer that names no choice, or names two
different ones, is unparsable: ``None``, reported and counted wrong, never guessed.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

LETTERS = string.ascii_lowercase
_MARKED = re.compile(r"\b(?:final\s+answer|answer|choice|option)\s*(?:is|:|=|-)?\s*[\(\[]?\s*([a-z]|\d{1,2})\s*[\)\]]?"
                     r"(?![a-z0-9])", re.IGNORECASE)
_LEADING = re.compile(r"^\W*[\(\[]?\s*([a-z]|\d{1,2})\s*(?:[\)\]\.:]|$)(?!\d)", re.IGNORECASE)
_BRACKETED = re.compile(r"[\(\[]\s*([a-z]|\d{1,2})\s*[\)\]]", re.IGNORECASE)
_WORD = re.compile(r"[^\w\s]+")


def letter(index: int) -> str:
    """The letter of choice ``index`` (0-based).

    >>> letter(2)
    'c'
    """
    return LETTERS[index]


def _index(token: str, n: int) -> int | None:
    token = token.lower()
    if token.isdigit():
        k = int(token) - 1
        return k if 0 <= k < n else None
    k = LETTERS.find(token)
    return k if 0 <= k < n else None


def _norm(text: str) -> str:
    return " ".join(_WORD.sub(" ", text.lower()).split())


def _by_text(answer: str, choices: Sequence[str]) -> int | None:
    """The one choice whose text the answer is or contains (longest wins over its own parts)."""
    said = f" {_norm(answer)} "
    exact = [i for i, c in enumerate(choices) if _norm(c) and f" {_norm(c)} " == said]
    if len(exact) == 1:
        return exact[0]
    found = [i for i, c in enumerate(choices) if _norm(c) and f" {_norm(c)} " in said]
    found = [i for i in found if not any(i != j and f" {_norm(choices[i])} " in f" {_norm(choices[j])} "
                                         for j in found)]
    return found[0] if len(set(_norm(choices[i]) for i in found)) == 1 and found else None


def parse_choice(answer: str | None, choices: Sequence[str]) -> int | None:
    """The 0-based index of the choice ``answer`` names, or None when it names none or
    several.

    >>> choices = ["Joy", "Sadness", "Anger & Fear"]
    >>> [parse_choice(a, choices) for a in ["b", "Answer: (c)", "2", "anger & fear", "The answer is A) Joy"]]
    [1, 2, 1, 2, 0]
    >>> parse_choice("(a) or (b)", choices) is None, parse_choice("I cannot tell.", choices) is None
    (True, True)
    """
    if not answer or not answer.strip():
        return None
    text, n = answer.strip(), len(choices)
    marked = {_index(m.group(1), n) for m in _MARKED.finditer(text)} - {None}
    if len(marked) == 1:
        return marked.pop()
    if len(marked) > 1:
        return None
    bracketed = {_index(m.group(1), n) for m in _BRACKETED.finditer(text)} - {None}
    if len(bracketed) > 1:
        return None
    first = text.splitlines()[0].strip()
    lead = _LEADING.match(first)
    if lead and (k := _index(lead.group(1), n)) is not None and (len(first) <= 4 or not first[0].isalpha()
                                                                 or first[1:2] in ").:"):
        return k
    by_text = _by_text(text, choices)
    if by_text is not None:
        return by_text
    return bracketed.pop() if bracketed else None


def parse_field(text: str | None, field: str) -> str | None:
    """The value of a ``Field: value`` line (any case, markdown bold allowed), else None.

    >>> parse_field("Emotion: **Sad**\\nReply: I'm sorry.", "emotion")
    'Sad'
    """
    if not text:
        return None
    pattern = re.compile(rf"^\s*\**\s*{re.escape(field)}\s*\**\s*[:=]\s*\**\s*(.+?)\s*\**\s*$", re.IGNORECASE)
    for line in text.splitlines():
        m = pattern.match(line)
        if m:
            return m.group(1).strip()
    return None


def parse_label(text: str | None, labels: Sequence[str], field: str | None = None) -> str | None:
    """The label an answer names (in its ``field`` line when it has one), else None.

    >>> labels = ["afraid", "sad", "proud"]
    >>> parse_label("Emotion: Sad.\\nReply: I'm sorry.", labels, "emotion"), parse_label("(c)", labels)
    ('sad', 'proud')
    """
    value = parse_field(text, field) if field else None
    k = parse_choice(value if value is not None else text, labels)
    return labels[k] if k is not None else None
