"""Losses of the emotion-cause heads (trained inside the conversation recipe).

The ``cause`` head says whether candidate turn j caused target turn k's emotion (binary
cross-entropy on the pooled encoding); the ``span_start`` / ``span_end`` token heads find
the causal span inside the candidate's own text (cross-entropy over the candidate's tokens,
positive pairs only). Inputs come from ``analyze._context.cause_input``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from emotive.models import encode
from emotive.training._base import nn, torch
from emotive.training._cause_data import CausePair


def span_tokens(enc: Any, offset: int, span: tuple[int, int] | None) -> tuple[int, int] | None:
    """Token indices of a character span of the candidate text (None when truncated away)."""
    if span is None:
        return None
    lo, hi = offset + span[0], offset + span[1]
    inside = [i for i, (sid, (cs, ce)) in enumerate(zip(enc.sequence_ids, enc.offsets))
              if sid == 1 and ce > lo and cs < hi]
    return (inside[0], inside[-1]) if inside else None


def candidate_mask(enc: Any, offset: int, width: int) -> np.ndarray:
    """True for the tokens of the candidate's own text (not the marker, not the target)."""
    mask = np.zeros(width, dtype=bool)
    for i, (sid, (cs, _)) in enumerate(zip(enc.sequence_ids, enc.offsets)):
        mask[i] = sid == 1 and cs >= offset
    return mask


def cause_loss(model, tok, batch: list[CausePair], span_weight: float):  # type: ignore[no-untyped-def]
    enc = encode(tok, [ex.inputs for ex in batch])
    out = model(torch.from_numpy(enc.input_ids), torch.from_numpy(enc.attention_mask))
    labels = torch.tensor([float(ex.label) for ex in batch])
    loss = nn.functional.binary_cross_entropy_with_logits(out["cause"][:, 0], labels)
    width = enc.input_ids.shape[1]
    rows, starts, ends, masks = [], [], [], []
    for r, (ex, e) in enumerate(zip(batch, enc.encodings)):
        where = span_tokens(e, ex.offset, ex.span)
        if where is not None:
            rows.append(r)
            starts.append(where[0])
            ends.append(where[1])
            masks.append(candidate_mask(e, ex.offset, width))
    if rows:
        mask = torch.from_numpy(np.stack(masks))
        s_logits = out["span_start"][rows].masked_fill(~mask, -1e4)
        e_logits = out["span_end"][rows].masked_fill(~mask, -1e4)
        span = (nn.functional.cross_entropy(s_logits, torch.tensor(starts))
                + nn.functional.cross_entropy(e_logits, torch.tensor(ends))) / 2
        loss = loss + span_weight * span
    return loss
