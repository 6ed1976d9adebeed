"""Emotion causes with the cause model: which earlier turns, and which span in each.

For a target turn k with emotion e, every turn j <= k (within ``window`` turns) is scored
as a cause (``_context.cause_input``); a candidate over the model's tuned threshold is a
cause, and its span is the best start/end token pair inside the candidate's own text, at
most ``max_span_tokens`` long. Span offsets are character offsets into that turn's text
(Python string indices), clipped to the text, so ``text[start:end]`` is always valid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from emotive.analyze._context import cause_input
from emotive.models import OnnxModel
from emotive.schema import Utterance


@dataclass(frozen=True)
class Cause:
    """Turn ``turn`` caused the emotion; ``text[start:end]`` of that turn is the span."""

    turn: int
    start: int
    end: int
    text: str
    score: float
    truncated: bool = False  # the (target, candidate) input was cut to the model's length

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"turn": self.turn, "start": self.start, "end": self.end, "text": self.text,
                               "score": round(self.score, 4)}
        if self.truncated:
            out["truncated"] = True
        return out


WINDOW = 4  # candidates: the target turn and the 4 before it
MAX_SPAN_TOKENS = 128  # no cap below the model's input length
# Both chosen on RECCON-DD valid (benchmarks/cause_settings.py): against window 8, window 4
# keeps span Pos-F1 (0.573 vs 0.575) and entailment macro-F1 (0.814 vs 0.813), misses 4.6%
# of the annotated causes (they lie further back) and cuts the p95 latency of a 10-turn
# conversation by 30-50% (two runs); a 30-token span cap cost 0.016 span Pos-F1.


class CauseFinder:
    """Scores (target, candidate) pairs with a cause model directory."""

    def __init__(self, model: OnnxModel, *, window: int = WINDOW, max_span_tokens: int = MAX_SPAN_TOKENS):
        self.model = model
        head = model.manifest.heads["cause"]
        self.threshold = head.thresholds[0] if head.thresholds else 0.5
        self.window = window
        self.max_span_tokens = max_span_tokens

    def score(self, inputs: Sequence[tuple[str, str]], offsets: Sequence[int],
              texts: Sequence[str]) -> list[tuple[float, tuple[int, int]]]:
        """Cause probability and span (char offsets into ``texts[i]``) of each pair."""
        return self.score_flagged(inputs, offsets, texts)[0]

    def score_flagged(self, inputs: Sequence[tuple[str, str]], offsets: Sequence[int],
                      texts: Sequence[str]) -> tuple[list[tuple[float, tuple[int, int]]], np.ndarray]:
        """``score`` and, per pair, whether its input was truncated to the model's length."""
        out: list[tuple[float, tuple[int, int]]] = [(0.0, (0, 0))] * len(inputs)
        truncated = np.zeros(len(inputs), dtype=bool)
        for idx, batch, res in self.model.run(self.model.preprocess(inputs)):
            for r, i in enumerate(idx):
                span = best_span(batch.encodings[r], res["span_start"][r], res["span_end"][r],
                                 offsets[i], len(texts[i]), self.max_span_tokens)
                out[i] = (float(res["cause"][r, 0]), span)
            truncated[idx] = batch.truncated
        return out, truncated

    def _readable(self, turns: Sequence[Utterance]) -> list[Utterance]:
        """Each turn cut to the part the model can read (a prefix: offsets stay valid), so
        a huge turn costs what a long one does."""
        return [t if len(t.text) <= 4 * 40 * self.model.manifest.max_length
                else replace(t, text=self.model.readable(t.text)) for t in turns]

    def causes(self, turns: Sequence[Utterance], emotions: Sequence[str],
               targets: Sequence[int] | None = None) -> list[list[Cause]]:
        """Causes of every turn (or of the ``targets`` turns) whose emotion is not neutral
        (``[]`` for the others)."""
        return self.causes_many([(turns, emotions, targets)])[0]

    def causes_many(self, conversations: Sequence[tuple[Sequence[Utterance], Sequence[str],
                                                        Sequence[int] | None]]) -> list[list[list[Cause]]]:
        """``causes`` of several ``(turns, emotions, targets)`` at once: the pairs of all
        conversations share length-sorted batches, which is faster for a file."""
        conversations = [(self._readable(turns), emotions, targets)
                         for turns, emotions, targets in conversations]
        jobs = [(c, k, j) for c, (turns, emotions, targets) in enumerate(conversations)
                for k in (range(len(turns)) if targets is None else targets) if emotions[k] != "neutral"
                for j in range(max(0, k - self.window), k + 1)]
        built = [cause_input(conversations[c][0], k, j, conversations[c][1][k]) for c, k, j in jobs]
        scored, cut = self.score_flagged([(a, b) for a, b, _ in built], [o for _, _, o in built],
                                         [conversations[c][0][j].text for c, _, j in jobs]) \
            if jobs else ([], np.zeros(0, bool))
        found: list[list[list[Cause]]] = [[[] for _ in turns] for turns, _, _ in conversations]
        for (c, k, j), (p, (s, e)), short in zip(jobs, scored, cut):
            if p >= self.threshold:
                text = conversations[c][0][j].text
                found[c][k].append(Cause(j, s, e, text[s:e], p, bool(short)))
        for conv in found:
            for causes in conv:
                causes.sort(key=lambda c: -c.score)
        return found


def best_span(enc: Any, start: np.ndarray, end: np.ndarray, offset: int, length: int,
              max_tokens: int) -> tuple[int, int]:
    """The highest-scoring (start, end) inside the candidate text, as char offsets."""
    cand = [i for i, (sid, (cs, _)) in enumerate(zip(enc.sequence_ids, enc.offsets))
            if sid == 1 and cs >= offset]
    if not cand:
        return (0, 0)
    s_scores, e_scores = start[cand], end[cand]
    total = s_scores[:, None] + e_scores[None, :]
    n = len(cand)
    band = np.triu(np.ones((n, n), dtype=bool)) & ~np.triu(np.ones((n, n), dtype=bool), max_tokens)
    a, b = np.unravel_index(np.where(band, total, -np.inf).argmax(), total.shape)
    lo = enc.offsets[cand[a]][0] - offset
    hi = enc.offsets[cand[b]][1] - offset
    return (max(0, min(lo, length)), max(0, min(hi, length)))
