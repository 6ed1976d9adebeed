"""The retrieval backend's index: human-written listener replies with their contexts.

Two indexes: the **packaged** one (``emotive.replies-ed-esconv.v1``, a filtered,
de-duplicated, stratified subset shipped in the package: works from ``pip install`` with
no corpora), and the full one, built once from the local corpora (EmpatheticDialogues
listener turns, ESConv supporter turns; both CC BY-NC 4.0) and cached as ``index.npz`` +
``candidates.jsonl`` under the cache directory (``$EMOTIVE_CACHE`` or ``~/.cache/emotive``).
Replies with a phone number, a URL, an e-mail address or a hotline are never candidates:
the safety step gives current resources, a corpus reply may give outdated ones. Each candidate keeps its
context and reply embeddings (float16), its strategy (ESConv's gold label; for
EmpatheticDialogues the respond model's tagger fills it in when the index is loaded), its
own detected emotion (Ekman-7) and the conversation's emotion label.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from emotive._errors import ConfigError
from emotive._files import atomic_path
from emotive.datasets import corpus_dir, empatheticdialogues, esconv
from emotive.models import LinearHead, SentenceEncoder
from emotive.schema import Conversation

CONTEXT_TURNS = 3
CORPORA = ("empatheticdialogues", "esconv")
EMOTIONS7 = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
VERSION = 2
MAX_TOKENS = 128  # contexts and replies are read up to here (the build stays fast)
PACKAGED = "emotive.replies-ed-esconv.v1"
_UNSAFE = re.compile(
    r"https?://|www\.|\b[\w.-]+@[\w-]+\.\w|\b[\w-]+\.(?:com|org|net|gov|edu|uk|info)\b"
    r"|\d[\d\s().-]{5,}\d|\b(?:hot|help|life)\s?line|\bcrisis (?:line|text|center)|\b911\b|\b999\b"
    r"|\b988\b|\bsamaritans\b", re.IGNORECASE)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Candidate:
    reply: str
    corpus: str
    source: str  # the turn id in its corpus
    emotion: str  # the conversation's emotion label in its corpus


@dataclass
class Index:
    candidates: list[Candidate]
    ctx: np.ndarray  # (n, dim) unit vectors, float16 on disk (the backend holds float32)
    reply: np.ndarray  # (n, dim)
    strategy: np.ndarray  # (n,) int8 into esconv.STRATEGIES; -1 = unknown (tag with ``tag_strategies``)
    reply_emotion: np.ndarray  # (n,) int8 into EMOTIONS7


def context_text(turns: Sequence[str]) -> str:
    """The last turns joined: the text whose embedding is matched against the index."""
    return " ".join(t.strip() for t in turns[-CONTEXT_TURNS:] if t.strip())


def _pairs(corpus: str, split: str, data: str | None, limit: int | None) -> Iterator[tuple[Conversation, int, str]]:
    reader, role = ((empatheticdialogues.read, "listener") if corpus == "empatheticdialogues"
                    else (esconv.read, "sys"))
    for n, conv in enumerate(reader(split, data)):
        if limit is not None and n >= limit:
            break
        label = conv.annotations.get("emotion") or conv.annotations.get("emotion_type", "")
        for i, turn in enumerate(conv.turns):
            if i > 0 and turn.speaker == role and turn.text.strip():
                yield conv, i, str(label)


def cache_key(corpora: Sequence[str], split: str, data: str | None, limit: int | None,
              encoder: SentenceEncoder) -> str:
    files = sorted(str(p) for c in corpora for p in corpus_dir(c, data).glob(f"{split}.*"))
    stats = [(Path(f).name, os.path.getsize(f)) for f in files]
    digests = json.loads((encoder.manifest.path / "manifest.json").read_text(encoding="utf-8")).get("sha256", {})
    model = digests.get(encoder.manifest.files["model"], "")
    raw = json.dumps([VERSION, list(corpora), split, limit, stats, model], sort_keys=True)
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


def usable(reply: str) -> bool:
    """Whether a reply may be given: no phone number, URL, e-mail address or hotline.

    >>> usable("That sounds hard. What happened?"), usable("Call 1-800-273-8255 now")
    (True, False)
    """
    return not _UNSAFE.search(reply)


def collect(corpora: Sequence[str], split: str, data: str | None,
            limit: int | None) -> tuple[list[Candidate], list[str], list[str | None]]:
    """The usable replies of the corpora, with their contexts and gold strategies."""
    unknown = set(corpora) - set(CORPORA)
    if unknown:
        raise ConfigError(f"unknown retrieval corpora {sorted(unknown)}; choose from: {', '.join(CORPORA)}")
    cands, contexts, strategies = [], [], []
    for corpus in corpora:
        for conv, i, label in _pairs(corpus, split, data, limit):
            turn = conv.turns[i]
            if not usable(turn.text):
                continue
            cands.append(Candidate(turn.text, corpus, turn.id or f"{conv.id}:{i}", label))
            contexts.append(context_text([t.text for t in conv.turns[:i]]))
            strategies.append(turn.annotations.get("strategy"))
    return cands, contexts, strategies


def embed(cands: list[Candidate], contexts: list[str], strategies: list[str | None],
          encoder: SentenceEncoder, emotion_of: Callable[[list[str]], list[str]],
          progress: Progress | None = None) -> Index:
    """Embed every context and reply (float16) and label each reply's emotion."""
    say = progress or (lambda what, done, total: None)
    ctx = _encode_chunks(encoder, contexts, "contexts", say)
    reply = _encode_chunks(encoder, [c.reply for c in cands], "replies", say)
    strat = np.array([esconv.STRATEGIES.index(s) if s else -1 for s in strategies], dtype=np.int8)
    emos: list[str] = []
    for start in range(0, len(cands), 2048):
        emos += emotion_of([c.reply for c in cands[start:start + 2048]])
        say("reply emotions", min(start + 2048, len(cands)), len(cands))
    return Index(cands, ctx, reply, strat, np.array([EMOTIONS7.index(e) for e in emos], dtype=np.int8))


def build(corpora: Sequence[str], split: str, data: str | None, limit: int | None,
          encoder: SentenceEncoder, emotion_of: Callable[[list[str]], list[str]],
          progress: Progress | None = None) -> Index:
    """Read the corpora and embed every usable context and reply."""
    return embed(*collect(corpora, split, data, limit), encoder, emotion_of, progress)


def tag_strategies(index: Index, encoder: SentenceEncoder) -> None:
    """Fill unknown strategies (EmpatheticDialogues replies) with the respond model's tagger,
    from the stored reply embeddings (fast, and the cache does not depend on the tagger)."""
    unknown = np.flatnonzero(index.strategy < 0)
    if len(unknown):
        tagger = LinearHead.load(encoder.manifest.file("strategy_tagger"))
        index.strategy[unknown] = tagger(index.reply[unknown].astype(np.float64)).argmax(1)


def _encode_chunks(encoder: SentenceEncoder, texts: list[str], what: str, say: Progress) -> np.ndarray:
    """Vectors in float16 as they come (memory: 768 bytes a text, not the encoder's batches)."""
    out = np.zeros((len(texts), encoder.dim), dtype=np.float16)
    say(what, 0, len(texts))
    for start in range(0, len(texts), 1024):
        out[start:start + 1024] = encoder.encode(texts[start:start + 1024])
        say(what, min(start + 1024, len(texts)), len(texts))
    return out


def quantized(vectors: np.ndarray) -> np.ndarray:
    """Unit vectors as int8 (x127): half of float16's size, cosine error below 1%."""
    return np.clip(np.rint(vectors.astype(np.float32) * 127), -127, 127).astype(np.int8)


def load_packaged(model: str | None = None) -> Index:
    """The index shipped in the package (or the model directory ``model``)."""
    from emotive.models import resolve_model

    folder = resolve_model(model or PACKAGED).path
    index = load(folder)
    if index is None:
        raise ConfigError(f"the packaged reply index in {folder} is unreadable; reinstall emotive")
    return index


def save(index: Index, folder: Path) -> None:
    """Write the index beside, then rename: an interrupted build leaves no half index."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder) as tmp:
        tmp.mkdir()
        np.savez(tmp / "index.npz", ctx=index.ctx, reply=index.reply, strategy=index.strategy,
                 reply_emotion=index.reply_emotion)
        with (tmp / "candidates.jsonl").open("w", encoding="utf-8") as fh:
            for c in index.candidates:
                fh.write(json.dumps([c.reply, c.corpus, c.source, c.emotion], ensure_ascii=False) + "\n")


def load(folder: Path) -> Index | None:
    """The cached index, or None when there is none (or it is unreadable)."""
    try:
        with np.load(folder / "index.npz") as f:
            arrays = {k: f[k] for k in ("ctx", "reply", "strategy", "reply_emotion")}
        with (folder / "candidates.jsonl").open(encoding="utf-8") as fh:
            cands = [Candidate(*json.loads(line)) for line in fh]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(cands) != len(arrays["ctx"]):
        return None
    for key in ("ctx", "reply"):
        if arrays[key].dtype == np.int8:  # the packaged index: quantized unit vectors
            arrays[key] = arrays[key].astype(np.float32) / 127.0
    return Index(cands, **arrays)


def cache_root(cache_dir: str | None) -> Path:
    return Path(cache_dir or os.environ.get("EMOTIVE_CACHE") or Path.home() / ".cache" / "emotive")
