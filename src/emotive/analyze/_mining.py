"""Cause mining: what triggers an emotion across a whole file of conversations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emotive._errors import InputError
from emotive.analyze._analyzer import Analyzer
from emotive.analyze._conv_readers import read_conversations
from emotive.analyze._themes import themes


@dataclass
class CauseReport:
    """Recurring cause themes of one emotion (or of every non-neutral one)."""

    source: str
    emotion: str | None
    conversations: int = 0
    emotional_turns: int = 0
    causes: list[dict[str, Any]] = field(default_factory=list)
    themes: list[dict[str, Any]] = field(default_factory=list)
    themes_by: str = "meaning"

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "emotion": self.emotion or "any", "themes_by": self.themes_by,
                "conversations": self.conversations, "emotional_turns": self.emotional_turns,
                "causes": len(self.causes), "themes": self.themes}


THEMES_BY = ("meaning", "words")


def mine_causes(path: str, *, emotion: str | None = None, analyzer: Analyzer | None = None,
                clusters: int | None = None, examples: int = 3, chunk: int = 64,
                themes_by: str = "meaning", encoder: Any = None,
                progress: Callable[[int], None] | None = None, **read_options: Any) -> CauseReport:
    """Extract the causes of ``emotion`` (in-context label; None = any but neutral) in every
    conversation of ``path`` and group the cause spans into themes with counts and quotes.

    ``themes_by``: ``meaning`` (sentence vectors from ``encoder``, by default the shipped
    ``SentenceEncoder``) or ``words`` (TF-IDF). A malformed conversation raises
    ``InputError`` with its line: mining needs every row.
    """
    if themes_by not in THEMES_BY:
        raise InputError(f"themes_by must be one of {', '.join(THEMES_BY)}, got {themes_by!r}")
    analyzer = analyzer or Analyzer()
    report = CauseReport(path, emotion, themes_by=themes_by)
    batch = []
    for row in read_conversations(path, read_options.pop("fmt", None), **read_options):
        if row.error:
            raise InputError(row.error, source=path, line=row.line)
        batch.append(row.conversation)
        if len(batch) >= chunk:
            _collect(report, analyzer, batch, progress)
            batch = []
    if batch:
        _collect(report, analyzer, batch, progress)
    texts = [c["text"] for c in report.causes]
    vectors = None
    if themes_by == "meaning" and texts:
        if encoder is None:
            from emotive.models._encoder import SentenceEncoder

            encoder = SentenceEncoder(threads=analyzer.model.threads)
        vectors = encoder.encode(texts)
    groups = themes(texts, clusters, vectors=vectors)
    report.themes = [_theme(t, report.causes, examples) for t in groups]
    return report


def _collect(report: CauseReport, analyzer: Analyzer, convs: list, progress) -> None:  # type: ignore[no-untyped-def]
    for res in analyzer.analyze_conversations(convs, causes=True):
        report.conversations += 1
        for turn in res.turns:
            if turn.emotion == "neutral" or (report.emotion and turn.emotion != report.emotion):
                continue
            report.emotional_turns += 1
            for c in turn.causes or ():
                if c.text.strip():
                    report.causes.append({"conversation": res.id, "turn": turn.index,
                                          "emotion": turn.emotion, "cause_turn": c.turn,
                                          "text": c.text, "score": round(c.score, 4)})
    if progress is not None:
        progress(len(convs))


def _theme(theme, causes: list[dict[str, Any]], examples: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    members = [causes[i] for i in theme.members]
    unique = {(c["conversation"], c["cause_turn"], c["text"]): c
              for c in sorted(members, key=lambda c: c["score"])}  # best score wins
    quotes = sorted(unique.values(), key=lambda c: -c["score"])[:examples]
    return {"theme": theme.name, "count": len(members),
            "share": round(len(members) / max(1, len(causes)), 3),
            "examples": [{"conversation": q["conversation"], "turn": q["cause_turn"],
                          "text": q["text"]} for q in quotes]}
