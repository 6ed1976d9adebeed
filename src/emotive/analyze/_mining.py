"""Cause mining: what triggers an emotion across a whole file of conversations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emotive._errors import ConfigError, InputError
from emotive.analyze._analyzer import Analyzer
from emotive.io import ConvRow, open_conversations
from emotive.report import themes
from emotive.runner import Job, chunk_rows, run


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
                progress: Callable[[int, int | None, str], None] | None = None,
                engine: str = "local", engine_options: dict[str, Any] | None = None,
                **read_options: Any) -> CauseReport:
    """Extract the causes of ``emotion`` (in-context label; None = any but neutral) in every
    conversation of ``path`` and group the cause spans into themes with counts and quotes.

    ``themes_by``: ``meaning`` (sentence vectors from ``encoder``, by default the shipped
    ``SentenceEncoder``) or ``words`` (TF-IDF). A malformed conversation raises
    ``InputError`` with its line: mining needs every row. The conversations go through
    the runner (``engine="ray"`` too); the themes are grouped at the end.
    """
    if themes_by not in THEMES_BY:
        raise InputError(f"themes_by must be one of {', '.join(THEMES_BY)}, got {themes_by!r}")
    analyzer = analyzer or Analyzer()
    check_emotion(emotion, analyzer)
    report = CauseReport(path, emotion, themes_by=themes_by)
    source = open_conversations(path, read_options.pop("fmt", None), **read_options)
    job = Job("causes", CauseBatch(analyzer, path, emotion), chunk_rows(chunk), _tally)
    result = run(source, job, sink=lambda turns: report.causes.extend(c for t in turns for c in t["causes"]),
                 progress=progress, engine=engine, engine_options=engine_options)
    report.conversations = int(result.counts.get("conversations", 0))
    report.emotional_turns = int(result.counts.get("emotional_turns", 0))
    texts = [c["text"] for c in report.causes]
    vectors = None
    if themes_by == "meaning" and texts:
        if encoder is None:
            from emotive.models import SentenceEncoder

            encoder = SentenceEncoder(threads=analyzer.model.threads)
        vectors = encoder.encode(texts)
    groups = themes(texts, clusters, vectors=vectors)
    report.themes = [_theme(t, report.causes, examples) for t in groups]
    return report


def check_emotion(emotion: str | None, analyzer: Analyzer) -> None:
    """Refuse an emotion that the in-context scheme does not have."""
    if emotion is None:
        return
    labels = analyzer.conversation_model.manifest.heads["context7"].labels
    if emotion not in labels:
        choices = ", ".join(lab for lab in labels if lab != "neutral")
        raise ConfigError(f"unknown emotion {emotion!r}; choose one of: {choices}")


@dataclass
class CauseBatch:
    """The causes job's batch function: conversations in, one record per emotional turn out,
    holding that turn's cause spans (none for a turn whose causes were not found)."""

    analyzer: Analyzer
    source: str
    emotion: str | None

    def __call__(self, chunk: list[ConvRow]) -> list[dict[str, Any]]:
        for row in chunk:
            if row.error:
                raise InputError(row.error, source=self.source, line=row.line)
        convs = [row.conversation for row in chunk if row.conversation is not None]
        out: list[dict[str, Any]] = []
        for res in self.analyzer.analyze_conversations(convs, causes=True):
            for turn in res.turns:
                if turn.emotion == "neutral" or (self.emotion and turn.emotion != self.emotion):
                    continue
                out.append({"causes": [
                    {"conversation": res.id, "turn": turn.index, "emotion": turn.emotion,
                     "cause_turn": c.turn, "text": c.text, "score": round(c.score, 4)}
                    for c in turn.causes or () if c.text.strip()]})
        return out


def _tally(chunk: list[ConvRow], records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"conversations": len(chunk),
            "emotional_turns": len(records)}


def _theme(theme, causes: list[dict[str, Any]], examples: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    members = [causes[i] for i in theme.members]
    unique = {(c["conversation"], c["cause_turn"], c["text"]): c
              for c in sorted(members, key=lambda c: c["score"])}  # best score wins
    quotes = sorted(unique.values(), key=lambda c: -c["score"])[:examples]
    return {"theme": theme.name, "count": len(members),
            "share": round(len(members) / max(1, len(causes)), 3),
            "examples": [{"conversation": q["conversation"], "turn": q["cause_turn"],
                          "text": q["text"]} for q in quotes]}
