"""The packaged reply index of the retrieval backend (``emotive.replies-ed-esconv.v1``).

From the train splits of EmpatheticDialogues (listener turns) and ESConv (supporter turns),
both CC BY-NC 4.0: replies with a phone number, URL, e-mail address or hotline are dropped
(``usable``), then exact repeats (case and spacing aside) and replies under 12 or over 300
characters; then a stratified, seeded sample: up to ``per_strategy`` ESConv replies per
gold strategy and up to ``per_emotion`` EmpatheticDialogues replies per conversation
emotion. Contexts and replies are embedded with the respond model's sentence encoder
(``MAX_TOKENS`` tokens) and stored as int8 unit vectors, with each reply's strategy (gold,
or the tagger's for EmpatheticDialogues) and Ekman-7 emotion.

    emotive train replies --out src/emotive/models/replies-ed-esconv-v1
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from emotive.backends import retrieval_index as ix
from emotive.backends.retrieval import ekman_labeller
from emotive.models import SentenceEncoder, write_manifest

LICENSE = "CC BY-NC 4.0"


def select(cands: list[ix.Candidate], contexts: list[str], strategies: list[str | None], *,
           per_strategy: int = 375, per_emotion: int = 94, seed: int = 0) -> list[int]:
    """Indices of the kept replies (see the module docstring), in corpus order."""
    seen: set[str] = set()
    groups: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(cands):
        key = re.sub(r"\s+", " ", c.reply.strip().lower())
        if key in seen or not 12 <= len(key) <= 300 or not contexts[i]:
            continue
        seen.add(key)
        group = strategies[i] if c.corpus == "esconv" else c.emotion
        groups.setdefault((c.corpus, str(group)), []).append(i)
    rng = np.random.default_rng(seed)
    kept: list[int] = []
    for (corpus, _), members in sorted(groups.items()):
        cap = per_strategy if corpus == "esconv" else per_emotion
        picks = rng.permutation(len(members))[:cap]
        kept += [members[int(k)] for k in picks]
    return sorted(kept)


def train(out_dir: str | os.PathLike[str], *, data: str | None = None, threads: int | None = None,
          progress: Callable[[str, int, int], None] | None = None, **select_options: Any) -> dict[str, Any]:
    """Build the packaged index into ``out_dir``; returns its counts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cands, contexts, strategies = ix.collect(ix.CORPORA, "train", data, None)
    keep = select(cands, contexts, strategies, **select_options)
    encoder = SentenceEncoder(threads=threads, max_length=ix.MAX_TOKENS)
    index = ix.embed([cands[i] for i in keep], [contexts[i] for i in keep],
                     [strategies[i] for i in keep], encoder, ekman_labeller(threads), progress)
    ix.tag_strategies(index, encoder)
    index.ctx, index.reply = ix.quantized(index.ctx), ix.quantized(index.reply)
    for name in ("index.npz", "candidates.jsonl"):
        (out / name).unlink(missing_ok=True)
    ix.save(index, out)
    counts = {"candidates": len(keep), "of_usable_replies": len(cands),
              "by_corpus": {c: sum(k.corpus == c for k in index.candidates) for c in ix.CORPORA}}
    _manifest(out, counts, encoder)
    return counts


def _manifest(out: Path, counts: dict[str, Any], encoder: SentenceEncoder) -> None:
    manifest = {
        "name": ix.PACKAGED, "version": "1.0.0", "task": "reply index of the retrieval backend",
        "max_length": ix.MAX_TOKENS, "heads": {},
        "files": {"index": "index.npz", "candidates": "candidates.jsonl"},
        "metrics": counts, "encoder": encoder.manifest.name,
        "data": [{"name": "EmpatheticDialogues (Rashkin et al. 2019)", "license": LICENSE,
                  "commercial_use": False},
                 {"name": "ESConv (Liu et al. 2021)", "license": LICENSE, "commercial_use": False}],
    }
    write_manifest(out, manifest)
    strategies = json.dumps(counts["by_corpus"])
    (out / "README.md").write_text(f"""# {ix.PACKAGED} (version 1.0.0)

The reply index the `retrieval` backend answers from by default: {counts['candidates']:,}
human-written listener replies (of {counts['of_usable_replies']:,} usable ones in the train
splits; per corpus {strategies}) with their contexts, embedded by {encoder.manifest.name}
(int8 unit vectors), each with its strategy and Ekman-7 emotion. Made by
`emotive train replies` (see `emotive/training/replies.py` for the filters and the sample).

Replies with a phone number, URL, e-mail address or hotline were dropped: the safety step
gives current resources.

## Data and licence
EmpatheticDialogues (Rashkin et al. 2019) and ESConv (Liu et al. 2021), both **{LICENSE}**:
the replies are for non-commercial use. The `templates` backend is the commercial-safe
offline choice (replies written for emotive, Apache-2.0).
""", encoding="utf-8")
