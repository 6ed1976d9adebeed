"""The prompts the suites send: multiple-choice questions in one format (which the ``sem``
baseline reads too) and the lines of emotive's guidance added in the guided condition."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from emotive.evaluate._parse import letter

if TYPE_CHECKING:
    from emotive.respond import Reading

MC_SYSTEM = ("You answer multiple-choice questions about people's emotions. Think about the situation, then "
             "give the letter of the one best choice on the last line, as `Answer: (x)`.")
GUIDANCE_HEAD = "What emotive's small emotion models read in the text (they can be wrong):"
_CHOICE = re.compile(r"^\(([a-z])\)\s+(.*)$")


def mc_messages(scenario: str, question: str, choices: Sequence[str], *, guidance: Sequence[str] = (),
                system: str = MC_SYSTEM, guidance_head: str = GUIDANCE_HEAD) -> tuple[dict[str, str], ...]:
    """The chat messages of one multiple-choice question; ``guidance`` lines go into the
    system message (the guided condition).

    >>> m = mc_messages("Ann lost her keys.", "How does Ann feel?", ["Joy", "Annoyance"])
    >>> print(m[1]["content"])
    Scenario: Ann lost her keys.
    <BLANKLINE>
    Question: How does Ann feel?
    <BLANKLINE>
    Choices:
    (a) Joy
    (b) Annoyance
    <BLANKLINE>
    Answer with the letter of one choice.
    """
    sys_text = system if not guidance else "\n".join([system, "", guidance_head, *guidance])
    lines = [f"Scenario: {scenario}", "", f"Question: {question}", "", "Choices:",
             *(f"({letter(i)}) {c}" for i, c in enumerate(choices)), "", "Answer with the letter of one choice."]
    return ({"role": "system", "content": sys_text}, {"role": "user", "content": "\n".join(lines)})


def read_mc(text: str) -> tuple[str, str, list[str]] | None:
    """(scenario, question, choices) of a prompt made by :func:`mc_messages`, else None.

    >>> read_mc(mc_messages("S.", "Q?", ["x", "y"])[1]["content"])
    ('S.', 'Q?', ['x', 'y'])
    """
    if not text.startswith("Scenario: ") or "\nChoices:\n" not in text:
        return None
    head, _, rest = text.partition("\nChoices:\n")
    scenario, _, question = head[len("Scenario: "):].partition("\n\nQuestion: ")
    choices = [m.group(2) for line in rest.splitlines() if (m := _CHOICE.match(line))]
    return (scenario.strip(), question.strip(), choices) if choices else None


def guidance_lines(reading: Reading | None) -> list[str]:
    """emotive's reading of a text as prompt lines: emotions, overall emotion and VAD,
    the emotion-eliciting words."""
    if reading is None:
        return []
    out = []
    if reading.emotions:
        out.append("- Emotions: " + ", ".join(f"{k} ({v:.2f})" for k, v in reading.emotions[:3]))
    v, a, _ = reading.vad
    out.append(f"- Overall: {reading.emotion7} (valence {v:.1f}/5, arousal {a:.1f}/5)")
    words = list(dict.fromkeys(t.text for t in reading.triggers if t.text.strip()))[:3]
    if words:
        out.append("- Emotion-eliciting words: " + ", ".join(f'"{w}"' for w in words))
    return out


def reading_dict(reading: Reading | None) -> Mapping[str, Any] | None:
    """The parts of a reading a transcript keeps."""
    if reading is None:
        return None
    return {"emotions": [[k, round(v, 4)] for k, v in reading.emotions[:3]], "emotion7": reading.emotion7,
            "candidates": [k for k, _ in reading.candidates[:3]]}


class Reader:
    """emotive's reading of a text as the user's turn (the respond job's understanding
    step, without safety, strategy or persona); loaded on first use."""

    def __init__(self) -> None:
        self._responder: Any = None
        self._seen: dict[str, Reading | None] = {}

    def read(self, text: str) -> Reading | None:
        from emotive.respond import Responder, Steps
        from emotive.schema import Conversation, Utterance

        if text in self._seen:
            return self._seen[text]
        if self._responder is None:
            self._responder = Responder("mock", steps=Steps(safety=False, strategy=False, persona=False,
                                                            two_stage=False))
        reading: Reading | None = self._responder.guide(Conversation("scenario", (Utterance(text, "user"),))).reading
        self._seen[text] = reading
        return reading
