"""Group short texts (cause spans) into recurring themes: leader clustering by meaning or words.

By meaning (the default of ``emotive causes``): unit sentence vectors (the shipped
all-MiniLM-L6-v2 encoder). By words: lowercased ``\\w+`` tokens minus a small English stop
list, plus bigrams, as unit TF-IDF vectors. Leader clustering (a span joins the most
similar group when the cosine is at least the threshold, else opens a new one; then
reassignment) forms the groups, the largest ``clusters`` (12) are kept and the rest is
``(other)``. A theme is named by the top TF-IDF terms of its members. On ESConv, themes by
meaning match the annotated problem types far better than themes by words (NMI 0.48 vs
0.17, ``benchmarks/themes_esconv.py``). Deterministic, numpy only.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STOP = frozenset("""a an the and or but if so to of in on at for with from by as is are was were be
been being am i me my we our you your he him his she her it its they them their this that these
those there here what which who whom do does did doing have has had having not no nor just very
too can could would should will shall may might must than then about into over under again
further once all any both each few more most other some such only own same s t don now up down
out off am im it's i'm don't can't""".split())


WORDS_THRESHOLD = 0.25
EMBEDDING_THRESHOLD = 0.2  # chosen on ESConv valid: benchmarks/themes_esconv.py


@dataclass(frozen=True)
class Theme:
    """A group of similar spans: a name from its top terms, and the members' indices."""

    name: str
    terms: tuple[str, ...]
    members: tuple[int, ...]


def terms(text: str) -> list[str]:
    """Unigrams and bigrams of the content words.

    >>> terms("The refund was denied twice")
    ['refund', 'denied', 'twice', 'refund denied', 'denied twice']
    """
    words = [w for w in re.findall(r"\w+", text.lower()) if w not in STOP and len(w) > 1]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


def tfidf(texts: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    docs = [Counter(terms(t)) for t in texts]
    df = Counter(term for d in docs for term in d)
    vocab = sorted(t for t, c in df.items() if c >= 1)
    index = {t: i for i, t in enumerate(vocab)}
    x = np.zeros((len(texts), len(vocab)))
    for r, d in enumerate(docs):
        for term, count in d.items():
            x[r, index[term]] = (1 + math.log(count)) * math.log((1 + len(texts)) / (1 + df[term]) + 1)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0), vocab


def themes(texts: Sequence[str], clusters: int | None = None, threshold: float | None = None,
           vectors: np.ndarray | None = None) -> list[Theme]:
    """Themes of ``texts``, largest first (at most ``clusters``, default 12; the rest and
    spans with no content words go to ``(other)``).

    ``vectors`` (one unit-length row per text, such as ``SentenceEncoder.encode``) groups by
    meaning instead of shared words, at cosine ``threshold`` (default ``EMBEDDING_THRESHOLD``;
    ``WORDS_THRESHOLD`` for TF-IDF); themes are named by their members' top terms either way.
    """
    if not texts:
        return []
    x, vocab = tfidf(texts)
    if vectors is None:
        labels = _leader(x, WORDS_THRESHOLD if threshold is None else threshold)
    else:
        usable = np.asarray(vectors, dtype=np.float64) * x.any(1, keepdims=True)
        labels = _leader(usable, EMBEDDING_THRESHOLD if threshold is None else threshold)
    groups = sorted(set(labels) - {-1}, key=lambda c: -int((labels == c).sum()))
    keep = groups[: clusters or 12]
    out = []
    for c in keep:
        members = np.flatnonzero(labels == c)
        centroid = x[members].mean(0)
        top = tuple(vocab[i] for i in np.argsort(-centroid)[:3] if centroid[i] > 0)
        out.append(Theme(" / ".join(top), top, tuple(int(i) for i in members)))
    rest = np.flatnonzero(~np.isin(labels, keep))
    if len(rest):
        out.append(Theme("(other)", (), tuple(int(i) for i in rest)))
    return out


def _leader(x: np.ndarray, threshold: float, rounds: int = 3) -> np.ndarray:
    """Each vector joins the most similar centroid when the cosine is at least
    ``threshold``, else starts a new group; then a few rounds of reassignment."""
    labels = np.full(len(x), -1)
    centroids: list[np.ndarray] = []
    for i in np.argsort(-np.count_nonzero(x, axis=1), kind="stable"):
        if not x[i].any():
            continue
        near = [float(x[i] @ c) for c in centroids]
        if near and max(near) >= threshold:
            labels[i] = int(np.argmax(near))
        else:
            labels[i] = len(centroids)
            centroids.append(x[i].copy())
    for _ in range(rounds if centroids else 0):
        c = np.array([_unit(x[labels == j].mean(0)) if (labels == j).any() else np.zeros(x.shape[1])
                      for j in range(len(centroids))])
        sims = x @ c.T
        labels = np.where(x.any(1) & (sims.max(1) >= threshold), sims.argmax(1), labels)
    return labels


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n else v
