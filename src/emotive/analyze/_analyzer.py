"""``Analyzer``: fine-grained emotions of texts with the shipped ONNX model."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from typing import overload

import numpy as np

from emotive._errors import ConfigError, InputError, ModelError
from emotive.analyze._causes import CauseFinder
from emotive.analyze._conversation import (
    ConversationAnalysis,
    build_turns,
    context_inputs,
    flow,
)
from emotive.analyze._explain import Trigger, candidates, dedupe, head_drops, occluded, rank
from emotive.analyze._language import detect_languages
from emotive.models import OnnxModel, resolve_model
from emotive.schema import Analysis, Conversation
from emotive.taxonomy import BASE, Scheme, get_scheme, scheme_names

HEAD = "goemotions"
CONVERSATION_MODEL = "emotive.conversation-minilm.v1"


class Analyzer:
    """Analyze texts for emotions.

    ``model`` is a shipped model name or a model directory (default: the GoEmotions
    model). ``scheme`` picks the label set of the results (``goemotions``, ``ekman``,
    ``sentiment``); ``threshold`` replaces every tuned per-label threshold; ``top_k``
    cuts the labels to the k best. ``threads`` sets the ONNX threads.

    >>> a = Analyzer()
    >>> a.analyze("Thank you so much, this means a lot").top
    'gratitude'
    """

    def __init__(self, model: str | os.PathLike[str] | None = None, *, scheme: str = BASE,
                 threshold: float | None = None, top_k: int | None = None,
                 threads: int | None = None, batch_size: int = 32,
                 conversation_model: str | os.PathLike[str] | None = None,
                 cause_model: str | os.PathLike[str] | None = None):
        self.model = OnnxModel(resolve_model(model), threads=threads, batch_size=batch_size)
        self._recipe = {"model": str(self.model.manifest.path), "scheme": scheme,
                        "threshold": threshold, "top_k": top_k, "threads": threads,
                        "batch_size": batch_size, "conversation_model": _name(conversation_model),
                        "cause_model": _name(cause_model)}
        self._conversation_model = conversation_model
        self._conv: OnnxModel | None = None
        self._cause_model = cause_model
        self._causes: CauseFinder | None = None
        self._head: tuple[np.ndarray, np.ndarray] | None = None
        head = self.model.manifest.heads[HEAD]
        self.labels = head.labels
        self.thresholds = np.asarray(head.thresholds or [0.5] * len(head.labels))
        self.scheme = text_scheme(scheme).name
        self.threshold = _check_threshold(threshold)
        self.top_k = _check_top_k(top_k)

    def __getstate__(self) -> dict[str, object]:
        """An analyzer pickles as its recipe (model paths and options), not its sessions:
        another process (a Ray worker) loads the same models again."""
        return dict(self._recipe)

    def __setstate__(self, recipe: dict[str, object]) -> None:
        self.__init__(recipe.pop("model"), **recipe)  # type: ignore[misc, arg-type]

    @overload
    def analyze(self, texts: str, **options: object) -> Analysis: ...  # type: ignore[overload-overlap]
    @overload
    def analyze(self, texts: Sequence[str], **options: object) -> list[Analysis]: ...

    def analyze(self, texts, *, scheme=None, threshold=None, top_k=None):  # type: ignore[no-untyped-def]
        """One ``Analysis`` for a string, a list of them for a list of strings.

        Raises ``InputError`` for a text that is not a string or is empty.
        """
        single = isinstance(texts, str)
        batch = [texts] if single else list(texts)
        for i, text in enumerate(batch):
            problem = text_problem(text)
            if problem:
                raise InputError(f"text {i + 1}: {problem}")
        results = self._analyze(batch, scheme, threshold, top_k)
        return results[0] if single else results

    @property
    def conversation_model(self) -> OnnxModel:
        """The in-context/VAD/ED model, loaded on first use."""
        if self._conv is None:
            name = self._conversation_model or CONVERSATION_MODEL
            self._conv = OnnxModel(resolve_model(name), threads=self.model.threads,
                                   batch_size=self.model.batch_size)
        return self._conv

    @property
    def cause_finder(self) -> CauseFinder:
        """The emotion-cause heads: the conversation model's own (one shared encoder), or a
        model directory given as ``cause_model``; loaded on first use."""
        if self._causes is None:
            if self._cause_model is not None:
                model = OnnxModel(resolve_model(self._cause_model), threads=self.model.threads,
                                  batch_size=self.model.batch_size)
            else:
                model = self.conversation_model
            if "cause" not in model.manifest.heads:
                raise ModelError(f"{model.manifest.name} has no cause head; pass cause_model=")
            self._causes = CauseFinder(model)
        return self._causes

    def has_cause_model(self) -> bool:
        """Whether cause heads are available (given or shipped)."""
        try:
            self.cause_finder  # noqa: B018
        except ModelError:
            return False
        return True

    def analyze_conversation(self, conversation: Conversation, *, top_k: int | None = None,
                             causes: bool | None = None) -> ConversationAnalysis:
        """Emotions of every turn in context, VAD, intensity, shifts and contagion.

        >>> from emotive import Conversation, Utterance
        >>> conv = Conversation("c1", (Utterance("My flight got cancelled.", "A"),
        ...                            Utterance("Oh no, I'm so sorry!", "B"),
        ...                            Utterance("Fine.", "A")))
        >>> Analyzer().analyze_conversation(conv).turns[2].emotion  # doctest: +SKIP
        'anger'
        """
        return self.analyze_conversations([conversation], top_k=top_k, causes=causes)[0]

    def analyze_conversations(self, conversations: Sequence[Conversation], *,
                              top_k: int | None = None,
                              causes: bool | None = None) -> list[ConversationAnalysis]:
        """Several conversations at once (their turns share batches: faster).

        ``causes``: add each emotional turn's causes (True), leave them out (False), or
        add them when a cause model is available (None, the default).
        """
        for conv in conversations:
            check_conversation(conv)
        spec = self.conversation_model.manifest.extra.get("input", {})
        window, speakers = spec.get("window", 3), spec.get("speakers", True)
        pairs = [p for c in conversations for p in context_inputs(c, window, speakers)]
        texts = [t.text for c in conversations for t in c.turns]
        fine = self._analyze(texts, None, None, top_k)
        pred = self.conversation_model.predict(pairs)
        labels7 = self.conversation_model.manifest.heads["context7"].labels
        analyzed, start = [], 0
        for conv in conversations:
            sl = slice(start, start + len(conv.turns))
            analyzed.append(build_turns(conv, fine[sl], pred.outputs["context7"][sl],
                                        pred.outputs["vad"][sl], labels7, pred.truncated[sl]))
            start = sl.stop
        if causes or (causes is None and self.has_cause_model()):
            found = self.cause_finder.causes_many(
                [(conv.turns, [t.emotion for t in turns], None) for conv, turns in zip(conversations, analyzed)])
            analyzed = [[replace(t, causes=tuple(c)) for t, c in zip(turns, conv_causes)]
                        for turns, conv_causes in zip(analyzed, found)]
        return [flow(conv.id, turns) for conv, turns in zip(conversations, analyzed)]

    def explain(self, text: str, labels: Sequence[str] | None = None,
                top_n: int = 3, method: str | None = None) -> list[Trigger]:
        """The words that drive each predicted GoEmotions label, best first, one per word
        and label; stop words and punctuation are never triggers (``_explain``).

        ``labels`` defaults to the text's predicted labels other than ``neutral``.
        ``method``: ``head`` (one forward pass; the default when the model has a trigger
        head over its token states) or ``occlusion`` (one extra pass per word).

        >>> [t.text for t in Analyzer().explain("Thank you so much for the help!")][:1]  # doctest: +SKIP
        ['Thank']
        """
        return self.read(text, labels, top_n, method)[1]

    def read(self, text: str, labels: Sequence[str] | None = None, top_n: int = 3,
             method: str | None = None) -> tuple[Analysis, list[Trigger]]:
        """The text's ``Analysis`` (GoEmotions scheme) and its triggers (``explain``), from
        the same forward pass when the model has a trigger head."""
        problem = text_problem(text)
        if problem:
            raise InputError(problem)
        if method not in (None, "head", "occlusion"):
            raise ConfigError(f"unknown method {method!r}; choose head or occlusion")
        if method != "head" and (method == "occlusion" or not self.has_trigger_head):
            return self._analyze([text], BASE, None, None)[0], self._occlusion(text, labels, top_n)
        seen = self.model.readable(text)  # the part the model reads: bounded per-word work
        spans = candidates(seen)
        probs, drops = self._head_pass(seen, spans)
        analysis = self._one(text, probs, len(seen) < len(text), get_scheme(BASE), self.threshold, None,
                             detect_languages([text])[0])
        return analysis, self._rank(seen, spans, probs, probs[None, :] - drops, analysis, labels, top_n)

    def _occlusion(self, text: str, labels: Sequence[str] | None, top_n: int) -> list[Trigger]:
        seen = self.model.readable(text)
        spans = candidates(seen)
        out = self.model.predict([seen, *occluded(seen, spans)]).outputs[HEAD]
        base = self._one(seen, out[0], False, get_scheme(BASE), self.threshold, None, (None, True))
        return self._rank(seen, spans, out[0], out[1:], base, labels, top_n)

    def _rank(self, text, spans, probs, masked, base, labels, top_n) -> list[Trigger]:  # type: ignore[no-untyped-def]
        wanted = list(labels) if labels is not None else [x for x in base.labels if x != "neutral"]
        unknown = set(wanted) - set(self.labels)
        if unknown:
            raise InputError(f"unknown label(s) {sorted(unknown)}; the model's labels are GoEmotions'")
        index = {lab: i for i, lab in enumerate(self.labels)}
        return dedupe(rank(text, spans, probs, masked, wanted, index, top_n)) if spans else []

    @property
    def has_trigger_head(self) -> bool:
        """Whether the model has a trigger head over its token states (one-pass triggers)."""
        return "tokens" in self.model.manifest.heads and "triggers" in self.model.manifest.files

    def _head_pass(self, text: str, spans: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        if not self.has_trigger_head:
            raise ModelError(f"{self.model.manifest.name} has no trigger head; use method='occlusion'")
        if self._head is None:
            with np.load(self.model.manifest.file("triggers")) as npz:
                self._head = (npz["weight"], npz["bias"])
        batch = self.model.encode([text])
        out = self.model.forward(batch, [HEAD, "tokens"])
        drops = head_drops(batch.encodings[0], out["tokens"][0], *self._head, spans)
        return out[HEAD][0], drops

    def pipeline(self, texts: str | Sequence[str], top_k: int | None = None) -> list:
        """The transformers pipeline shape: ``[{"label": ..., "score": ...}, ...]`` per text."""
        batch = [texts] if isinstance(texts, str) else list(texts)
        out = [a.to_pipeline(top_k) for a in self.analyze(batch)]
        return out[0] if isinstance(texts, str) else out

    def _analyze(self, texts: list[str], scheme: str | None, threshold: float | None,
                 top_k: int | None) -> list[Analysis]:
        pred = self.model.predict(texts)
        probs = pred.outputs[HEAD]
        sch = text_scheme(scheme or self.scheme)
        thr = _check_threshold(threshold) if threshold is not None else self.threshold
        k = _check_top_k(top_k) if top_k is not None else self.top_k
        langs = detect_languages(texts)
        return [self._one(t, p, bool(tr), sch, thr, k, lang)
                for t, p, tr, lang in zip(texts, probs, pred.truncated, langs)]

    def _one(self, text, probs, truncated, sch, thr, k, lang) -> Analysis:  # type: ignore[no-untyped-def]
        """One text's ``Analysis``; ``lang``: its ``(language, supported)`` from ``detect_languages``."""
        fine = {lab: float(p) for lab, p in zip(self.labels, probs)}
        scores = fine if sch.name == BASE else sch.convert(fine)
        if thr is not None:
            on = [lab for lab, s in scores.items() if s >= thr]
        else:
            over = [lab for lab, p, t in zip(self.labels, probs, self.thresholds) if p >= t]
            on = list(over) if sch.name == BASE else list(sch.map_labels(over))
        on.sort(key=lambda lab: -scores[lab])
        if not on:
            on = [max(scores, key=scores.__getitem__)]
        return Analysis(text, scores, tuple(on[:k]), sch.name, truncated, *lang)


def text_scheme(name: str) -> Scheme:
    """A scheme that text scores can be given in (not one that only a model head makes)."""
    sch = get_scheme(name)
    if sch.native:
        usable = [n for n in scheme_names() if not get_scheme(n).native]
        raise ConfigError(f"scheme {sch.name!r} comes from its own model head (see "
                          f"analyze_conversation); for texts choose one of: {', '.join(usable)}")
    return sch


def check_conversation(conv: Conversation) -> None:
    """Raise ``InputError`` for a conversation with no turns or an unusable turn."""
    if not conv.turns:
        raise InputError(f"conversation {conv.id!r} has no turns")
    for k, turn in enumerate(conv.turns):
        problem = text_problem(turn.text)
        if problem:
            raise InputError(f"conversation {conv.id!r}, turn {k}: {problem}")


def text_problem(text: object) -> str | None:
    """Why ``text`` cannot be analyzed, or None when it can."""
    if not isinstance(text, str):
        return f"expected a string, got {type(text).__name__}"
    if not text.strip():
        return "empty text"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"not valid Unicode: a lone surrogate at character {exc.start}"
    return None


def _name(model: str | os.PathLike[str] | None) -> str | None:
    return None if model is None else str(model)


def _check_threshold(value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise InputError(f"threshold must be between 0 and 1, got {value}")
    return value


def _check_top_k(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise InputError(f"top_k must be at least 1, got {value}")
    return value


def analyze(texts, **options):  # type: ignore[no-untyped-def]
    """Shortcut: ``Analyzer().analyze(texts)`` with a cached default analyzer.

    >>> analyze("I can't believe I lost my keys again").top  # doctest: +SKIP
    'annoyance'
    """
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Analyzer()
    return _DEFAULT.analyze(texts, **options)


_DEFAULT: Analyzer | None = None
