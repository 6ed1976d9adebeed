"""``retrieval``: the offline default backend; it needs no LLM.

It answers with a human-written listener reply from EmpatheticDialogues or ESConv whose
context is most similar to the conversation's (the respond model's sentence encoder), then
prefers, among the ``top_k`` most similar, the reply whose strategy and emotion match the
plan in ``GenerateOptions.plan`` (``strategy``, ``reply_emotion``), and a reply from a
conversation labelled with the user's most likely emotion (``user_candidates[0]``). Without
a plan it uses similarity alone. The result's metadata says which candidate it chose (its
corpus and turn id, similarity, strategy, emotion and the conversation's label). By default
it answers from the index shipped in the package (``index="packaged"``, no corpora needed);
``index="corpora"`` builds the full index from the local corpora on first use and caches
it. The corpora are CC BY-NC 4.0, so the replies are non-commercial: the ``templates``
backend is the commercial-safe offline choice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from emotive._errors import BackendError, ConfigError
from emotive.backends import retrieval_index as ix
from emotive.backends._base import Backend, BackendOptions, GenerateOptions, GenerateResult, Message
from emotive.datasets.esconv import STRATEGIES
from emotive.schema import Plan


class RetrievalOptions(BackendOptions):
    index: Literal["packaged", "corpora"] = Field("packaged", description=(
        "packaged: the reply index shipped in the package (no corpora needed); corpora: the "
        "full index, built once from the local corpora (about 2 minutes) and cached"))
    corpora: list[str] = Field(default_factory=lambda: list(ix.CORPORA),
                               description="corpora to draw replies from")
    split: str = Field("train", description="corpus split to draw replies from")
    data: str | None = Field(None, description="corpora folder (default: $EMOTIVE_DATA or ../shared/data)")
    limit: int | None = Field(None, description="first N conversations per corpus (small indexes)")
    cache_dir: str | None = Field(None, description="index cache (default: $EMOTIVE_CACHE or ~/.cache/emotive)")
    model: str | None = Field(None, description="sentence-encoder model (default: emotive.respond-minilm.v1)")
    threads: int | None = Field(None, ge=1, description="ONNX threads (default: all cores, at most 4)")
    top_k: int = Field(25, ge=1, description="most similar candidates re-ranked by the plan")
    context_weight: float = Field(0.5, ge=0, le=1, description="weight of context-context vs context-reply similarity")
    strategy_weight: float = Field(0.08, ge=0, description="bonus for the planned strategy")
    emotion_weight: float = Field(0.08, ge=0, description="bonus for the planned reply emotion")
    situation_weight: float = Field(0.08, ge=0, description=(
        "bonus for a reply from a conversation labelled with the user's most likely emotion"))

    @field_validator("corpora")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(ix.CORPORA))
        if unknown or not value:
            raise ValueError(f"unknown retrieval corpora {unknown}; choose from: {', '.join(ix.CORPORA)}")
        return value


class RetrievalBackend(Backend):
    """Picks a human-written reply (see the module docstring).

    >>> RetrievalBackend(limit=50).generate([{"role": "user", "content": "I failed my exam."}]).text  # doctest: +SKIP
    "Oh no, I'm sorry. Do you get to retake it?"
    """

    name = "retrieval"
    can_stream = False
    Options = RetrievalOptions
    options: RetrievalOptions

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._index: ix.Index | None = None
        self._encoder: Any = None
        self._loading = threading.RLock()  # concurrent first requests load (or build) once

    @property
    def encoder(self):  # noqa: ANN201
        with self._loading:
            if self._encoder is None:
                from emotive.models import SentenceEncoder

                self._encoder = SentenceEncoder(self.options.model, threads=self.options.threads,
                                                max_length=ix.MAX_TOKENS)
            return self._encoder

    def needs_build(self) -> bool:
        """Whether ``prepare`` would build the full index from the corpora first."""
        if self._index is not None or self.options.index == "packaged":
            return False
        folder = self._cache_folder()
        return not all((folder / name).is_file() for name in ("index.npz", "candidates.jsonl"))

    def _cache_folder(self):  # noqa: ANN202
        o = self.options
        key = ix.cache_key(o.corpora, o.split, o.data, o.limit, self.encoder)
        return ix.cache_root(o.cache_dir) / f"retrieval-{key}"

    def prepare(self, progress: ix.Progress | None = None) -> ix.Index:
        """The packaged index, or the full one: loaded from the cache, or built and cached
        (once, however many threads ask at the same time)."""
        if self._index is not None:
            return self._index
        with self._loading:
            if self._index is None:
                self._index = self._load(progress)
            return self._index

    def _load(self, progress: ix.Progress | None) -> ix.Index:
        if self.options.index == "packaged":
            index = ix.load_packaged()
            made_with = index_encoder()
            if self.encoder.manifest.name != made_with or self.encoder.dim != index.ctx.shape[1]:
                raise ConfigError(f"the packaged reply index was embedded by {made_with}; with "
                                  f"model={self.options.model!r} use -O index=corpora")
            index.ctx, index.reply = index.ctx.astype(np.float32), index.reply.astype(np.float32)
            return index
        o = self.options
        folder = self._cache_folder()
        cached = ix.load(folder)
        if cached is None:
            index = ix.build(o.corpora, o.split, o.data, o.limit, self.encoder, ekman_labeller(o.threads),
                             progress)
            if not index.candidates:
                raise BackendError(f"no replies found in {', '.join(o.corpora)} ({o.split})")
            ix.save(index, folder)
        else:
            index = cached
        ix.tag_strategies(index, self.encoder)
        # float16 on disk; float32 in memory, where numpy's matrix product is fast (BLAS)
        index.ctx, index.reply = index.ctx.astype(np.float32), index.reply.astype(np.float32)
        return index

    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        """The chosen reply; metadata: ``source`` (the turn id), ``corpus``, ``similarity``,
        ``strategy`` and ``emotion`` of the reply, ``label`` (its conversation's emotion)."""
        plan = (options.plan if options else None) or Plan()
        turns = [t.text for t in plan.turns] or _turns_from(messages)
        if not turns:
            raise BackendError("the retrieval backend needs at least one user message")
        index = self.prepare()
        q = self.encoder.encode([ix.context_text(turns)])[0]
        w = self.options.context_weight
        sim = w * (index.ctx @ q) + (1 - w) * (index.reply @ q)
        k = min(self.options.top_k, len(sim))
        top = np.argpartition(-sim, k - 1)[:k]
        score = sim[top] + self._bonus(index, top, plan)
        seen = {t.strip() for t in turns}
        order = [i for i in top[np.argsort(-score)] if index.candidates[i].reply.strip() not in seen
                 and ix.usable(index.candidates[i].reply)]
        best = int(order[0] if order else top[int(np.argmax(score))])
        c = index.candidates[best]
        return GenerateResult(c.reply, {
            "source": c.source, "corpus": c.corpus, "similarity": round(float(sim[best]), 4),
            "strategy": STRATEGIES[int(index.strategy[best])],
            "emotion": ix.EMOTIONS7[int(index.reply_emotion[best])], "label": c.emotion})

    def rank(self, context: Sequence[str], replies: Sequence[str]) -> np.ndarray:
        """Similarity of each reply to the context (the P@1,100 protocol's scorer)."""
        q = self.encoder.encode([ix.context_text(list(context))])[0]
        return self.encoder.encode(list(replies)) @ q

    def _bonus(self, index: ix.Index, top: np.ndarray, plan: Plan) -> np.ndarray:
        bonus = np.zeros(len(top), dtype=np.float32)
        strategy, emotion = plan.strategy, plan.reply_emotion
        if strategy in STRATEGIES:
            bonus += self.options.strategy_weight * (index.strategy[top] == STRATEGIES.index(strategy))
        if emotion in ix.EMOTIONS7:
            bonus += self.options.emotion_weight * (index.reply_emotion[top] == ix.EMOTIONS7.index(emotion))
        wanted = plan.user_candidates[0] if plan.user_candidates else None
        if wanted:
            bonus += self.options.situation_weight * np.array(
                [index.candidates[i].emotion == wanted for i in top], dtype=np.float32)
        return bonus


def index_encoder() -> str:
    """The sentence encoder the packaged index was embedded with."""
    from emotive.models import resolve_model

    return str(resolve_model(ix.PACKAGED).extra.get("encoder", "emotive.respond-minilm.v1"))


def _turns_from(messages: Sequence[Message]) -> list[str]:
    return [m.get("content", "") for m in messages if m.get("role") in ("user", "assistant")]


def ekman_labeller(threads: int | None) -> Callable[[list[str]], list[str]]:
    """Each reply's strongest Ekman-7 emotion (the GoEmotions model, max over members); the
    model is loaded once, on the first call."""
    from emotive.models import OnnxModel, resolve_model
    from emotive.taxonomy import get_scheme

    model: list[OnnxModel] = []
    ekman = get_scheme("ekman")

    def top(texts: list[str]) -> list[str]:
        if not model:
            model.append(OnnxModel(resolve_model(), threads=threads))
        labels = model[0].manifest.heads["goemotions"].labels
        out = []
        for p in model[0].predict(texts).outputs["goemotions"]:
            scores = ekman.convert(dict(zip(labels, map(float, p))))
            out.append(max(scores, key=scores.__getitem__))
        return out

    return top
