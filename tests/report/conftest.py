"""Results files of ``emotive analyze`` made in the test, with no model: analysis records
built with the real flow rules (shifts, contagion) and written by the real writers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emotive.analyze._causes import Cause
from emotive.analyze._conv_batch import TURN_COLUMNS, flat_turn
from emotive.analyze._conversation import TurnAnalysis, flow
from emotive.io import Layout, Writer, text_layout
from emotive.schema import Analysis
from emotive.taxonomy import get_scheme

VALENCE = {"joy": 3.5, "sadness": 2.5, "anger": 2.35, "neutral": 2.9, "surprise": 3.2, "fear": 2.6}
FINE = {"joy": "gratitude", "sadness": "disappointment", "anger": "annoyance", "neutral": "neutral",
        "surprise": "surprise", "fear": "nervousness"}
CHATS = [  # (channel, [(speaker, emotion, text)])
    ("email", [("customer", "anger", "I was charged twice for my subscription and nobody answers."),
               ("agent", "sadness", "I'm sorry about the double charge, let me check."),
               ("customer", "anger", "This is the third time I write about the refund."),
               ("agent", "joy", "The refund is done, you will see it tomorrow.")]),
    ("chat", [("customer", "neutral", "Hi, how do I export my data?"),
              ("agent", "neutral", "Open settings, then export."),
              ("customer", "joy", "Perfect, thank you!")]),
    ("chat", [("customer", "fear", "I'm worried my account was hacked, there are logins from abroad."),
              ("agent", "neutral", "Let's reset your password now."),
              ("customer", "sadness", "I lost all my photos <b>&</b>, they are gone."),
              ("manager", "sadness", "I'm so sorry. We will try to restore them."),
              ("customer", "surprise", "Wait, you can restore them?")]),
]


def turn(k: int, speaker: str, emotion: str, text: str, causes: bool = True) -> TurnAnalysis:
    top = FINE[emotion]
    fine = Analysis(text, {top: 0.8, "neutral": 0.2} if top != "neutral" else {"neutral": 0.9}, (top,))
    found = (Cause(k, 0, len(text), text, 0.6),) if causes and emotion not in ("neutral", "joy") else ()
    return TurnAnalysis(k, speaker, text, fine, emotion, {emotion: 0.9}, (VALENCE[emotion], 3.0, 3.0),
                        0.3 + 0.1 * k, causes=found)


def conversations(copies: int = 1) -> list[dict]:
    """Nested records (``--nested``) with a line, an id and a channel each."""
    out = []
    for c in range(copies):
        for k, (_, script) in enumerate(CHATS):
            res = flow(f"c{c}-{k}", [turn(j, *row) for j, row in enumerate(script)])
            out.append({"line": len(out) + 1, **res.to_dict()})
    return out


def turn_records(copies: int = 1) -> list[dict]:
    """Flat turn records, as ``emotive analyze --conversations`` writes them."""
    out = []
    for c in range(copies):
        for k, (_, script) in enumerate(CHATS):
            res = flow(f"c{c}-{k}", [turn(j, *row) for j, row in enumerate(script)])
            out += [{"line": c * len(CHATS) + k + 1, **rec} for rec in res.turn_records()]
    return out


def write_turns(path: Path, records: list[dict]) -> Path:
    with Writer(str(path), Layout(TURN_COLUMNS, flat_turn), fsync=False) as w:
        w.write_many(records)
    return path


def write_input(path: Path, copies: int = 1) -> Path:
    """The analyzed input: conversations with a channel and per-turn timestamps."""
    lines = []
    for c in range(copies):
        for k, (channel, script) in enumerate(CHATS):
            day = (c * len(CHATS) + k) % 28 + 1
            turns = [{"speaker": s, "text": t, "ts": f"2024-02-{day:02d}T{9 + j:02d}:15:00Z"}
                     for j, (s, _, t) in enumerate(script)]
            lines.append(json.dumps({"id": f"c{c}-{k}", "channel": channel, "turns": turns}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


TEXTS = [("Thank you so much!", "gratitude"), ("The package arrived broken.", "disappointment"),
         ("How does this work?", "confusion"), ("It's fine.", "approval"), ("Disgusting service.", "disgust")]


def text_records() -> list[dict]:
    labels = get_scheme("goemotions").labels
    out = []
    for k, (text, top) in enumerate(TEXTS):
        scores = {lab: (0.9 - 0.05 * k if lab == top else 0.01) for lab in labels}
        out.append({"line": k + 1, "text": text, "labels": [top], "scores": scores, "top": top})
    out.append({"line": len(out) + 1, "error": "no text"})
    return out


def write_texts(path: Path) -> Path:
    with Writer(str(path), text_layout(get_scheme("goemotions").labels), fsync=False) as w:
        w.write_many(text_records())
    return path


@pytest.fixture
def turns_parquet(tmp_path: Path) -> Path:
    return write_turns(tmp_path / "turns.parquet", turn_records())


@pytest.fixture
def chats_input(tmp_path: Path) -> Path:
    return write_input(tmp_path / "chats.jsonl")
