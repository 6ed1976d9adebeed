"""Safety check before any strategy-driven reply: does the user signal a risk of self-harm
or of harm to others? Two layers:

1. **rules** (high precision): phrase rules as data in ``safety_rules.json`` (English,
   Spanish, French, German, Chinese, Portuguese, Italian), matched after the evasions are
   undone (``normalize``: invisible and tag characters, fullwidth and look-alike letters,
   leetspeak, letters spaced or hyphenated apart, long letter runs) and slang is spelled
   out (``kms`` -> kill myself);
2. **classifier** (recall): ``CrisisHead`` (``crisis.npz`` of the respond model) on the
   shared MiniLM sentence embedding of ``prepare(text)``: a linear head over ``none`` /
   ``self_harm`` / ``harm_to_others`` and the nearest-neighbour margin to the contrast
   set, stacked into one calibrated risk (Platt scaling); a message is flagged when the
   risk reaches the threshold chosen on the calibration set (the manifest's
   ``crisis.threshold``). The encoder reads English; the other languages rest on the rules.

``check_turns`` reads the recent user turns, newest weighted: a risk statement in an earlier
turn still flags unless a later turn clearly takes it back ("just kidding", "I meant in the
game"; minimizing words such as "whatever" or "I'm fine" do not). A flagged message gets the
category's safe reply, which names the crisis lines of the configured ``locale``
(``safety_resources.json``) instead of a generated reply. No message text is logged. This
is a first line of defence, not a clinical risk assessment.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError, ModelError
from emotive.respond._cache import EmbeddingCache
from emotive.respond._normalize import normalize as _normalize

RESPOND_MODEL = "emotive.respond-minilm.v1"
MAX_CHARS = 6_000  # of each turn that the rules read: its start and its end (the classifier reads 256 tokens)
_MACRO = re.compile(r"\{([A-Z_]+)\}")
_WORDS = re.compile(r"[a-z]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class SafetyFlag:
    """Why a message was flagged: the category, the layer that caught it (``rules`` or
    ``classifier``), the matched words (rules; normalized) or the calibrated risk score
    (classifier), which user turn (0 = the newest), and the safe reply."""

    category: str
    matched: str
    reply: str
    layer: str = "rules"
    score: float | None = None
    turn: int = 0
    language: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "matched": self.matched, "reply": self.reply,
                "layer": self.layer, "score": None if self.score is None else round(self.score, 4),
                "turn": self.turn, "language": self.language}


@dataclass(frozen=True)
class _Category:
    name: str
    patterns: tuple[tuple[str, re.Pattern[str]], ...]  # (language, pattern)
    unless: tuple[re.Pattern[str], ...]
    reply: str | None


class Safety:
    """The safety check; ``check(text)`` and ``check_turns(user_texts)`` return a
    ``SafetyFlag`` or None.

    ``model``: the model directory (or registry name) whose ``crisis`` head is the
    classifier layer; ``False`` for the rules alone. ``threshold`` overrides the dev-chosen
    one. ``locale`` (``en-US``, ``en-GB``, ``de-DE``, ``es``...) picks the crisis lines of
    the safe reply from ``resources`` (a dict or a JSON path; default the shipped
    ``safety_resources.json``). ``turns``: how many recent user turns ``check_turns`` reads;
    ``turn_weights``: the classifier score's weight for the newest, the one before, ...

    >>> Safety().check("I want to end my life").category
    'self_harm'
    >>> Safety().check("kill the server and restart it") is None
    True
    """

    def __init__(self, rules: Mapping[str, Any] | None = None, *,
                 extra_rules: Mapping[str, Sequence[str]] | None = None,
                 model: str | os.PathLike[str] | bool = True, threshold: float | None = None,
                 locale: str | None = None, resources: Mapping[str, Any] | str | os.PathLike[str] | None = None,
                 turns: int = 3, turn_weights: Sequence[float] = (1.0, 0.9, 0.8), threads: int | None = None):
        raw = rules if rules is not None else default_rules()
        self.canonical, self.vocabulary = _lexicon(raw)
        try:
            macros = {k: str(v) for k, v in raw.get("macros", {}).items()}
            self.exceptions = tuple(_compile(p, macros) for p in raw.get("exceptions", ()))
            self.retractions = tuple(_compile(p, macros) for p in raw.get("retractions", ()))
            self.categories = [_category(name, spec, list((extra_rules or {}).get(name, ())), macros)
                               for name, spec in raw["categories"].items()]
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"malformed safety rules ({type(exc).__name__}: {exc}); expected "
                              "{exceptions: [regex], categories: {name: {patterns: [regex] or "
                              "{language: [regex]}, reply: str (optional)}}}") from None
        unknown = set(extra_rules or {}) - {c.name for c in self.categories}
        if unknown:
            raise ConfigError(f"extra rules for unknown categories {sorted(unknown)}; known: "
                              f"{', '.join(c.name for c in self.categories)}")
        if turns < 1 or len(turn_weights) < 1:
            raise ConfigError(f"turns must be >= 1 and turn_weights non-empty (got {turns}, {list(turn_weights)})")
        self.turns, self.turn_weights = turns, tuple(float(w) for w in turn_weights)
        self.replies = _Replies(resources, locale, [c for c in self.categories if c.reply is None])
        self.locale = self.replies.locale
        self.classifier = _Classifier(model, threshold, threads) if model is not False else None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **options: Any) -> Safety:
        """Rules from a JSON file shaped like the shipped ``safety_rules.json``."""
        try:
            return cls(json.loads(Path(path).read_text(encoding="utf-8")), **options)
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read safety rules {path}: {exc}") from None

    # -- checks ------------------------------------------------------------------------
    def check(self, text: str) -> SafetyFlag | None:
        """One message: the rules first, then the classifier."""
        return self.check_turns([text])

    def check_turns(self, user_texts: Sequence[str]) -> SafetyFlag | None:
        """The last ``turns`` user turns (oldest first, as in the conversation): a rule match
        in any of them, newest first, or a classifier score that reaches the threshold after
        its turn's weight (the turns joined count as the newest); an earlier turn's risk
        counts unless a later turn is a clear retraction.

        >>> Safety().check_turns(["I want to kill myself tonight", "whatever"]).turn
        1
        """
        texts = [user_texts] if isinstance(user_texts, str) else list(user_texts)
        newest = [_clip(t) for t in texts[-self.turns:]][::-1]
        if not newest:
            return None
        views = [self.prepare(t) for t in newest]
        retracted = [any(self._retraction(v) for v in views[:i]) for i in range(len(views))]
        for i, view in enumerate(views):
            hit = self._rules(view)
            if hit is not None and not retracted[i]:
                name, matched, language = hit
                return SafetyFlag(name, matched, self.replies.reply(name, language, self._custom(name)),
                                  "rules", None, i, language)
        if self.classifier is None:
            return None
        return self._classify(newest, retracted)

    def _classify(self, newest: list[str], retracted: list[bool]) -> SafetyFlag | None:
        assert self.classifier is not None
        inputs = [prepare(t) for t in newest]
        weights = [self.turn_weights[min(i, len(self.turn_weights) - 1)] for i in range(len(inputs))]
        turns = list(range(len(inputs)))
        if len(inputs) > 1 and not any(retracted):
            inputs.append(" ".join(inputs[::-1]))
            weights.append(self.turn_weights[0])
            turns.append(0)
        risk, probs = self.classifier.scores(inputs)
        best: tuple[float, int] | None = None
        for k, (r, w, turn) in enumerate(zip(risk, weights, turns)):
            score = float(r) * w
            if score >= self.classifier.threshold and not retracted[turn] and (best is None or score > best[0]):
                best = (score, k)
        if best is None:
            return None
        score, k = best
        name = self.classifier.labels[1 + int(probs[k][1:].argmax())]
        return SafetyFlag(name, "", self.replies.reply(name, None, self._custom(name)), "classifier",
                          score, turns[k], None)

    def score(self, texts: Sequence[str]) -> list[float]:
        """The classifier's calibrated risk for each text on its own (no rules, no turns)."""
        if self.classifier is None:
            raise ConfigError("this Safety has no classifier (model=False)")
        return [float(r) for r in self.classifier.scores([prepare(t) for t in texts])[0]]

    def rules_match(self, text: str) -> tuple[str, str, str] | None:
        """(category, matched words, language) of the first rule that matches, or None."""
        return self._rules(self.prepare(text))

    def prepare(self, text: str) -> str:
        """What the rules read: ``normalize`` then the canonical words of these rules."""
        return _canonical(_normalize(_clip(text), self.vocabulary), self.canonical)

    # -- rules -------------------------------------------------------------------------
    def _rules(self, view: str) -> tuple[str, str, str] | None:
        masked = view
        for pattern in self.exceptions:
            for m in pattern.finditer(view):
                masked = masked[:m.start()] + " " * (m.end() - m.start()) + masked[m.end():]
        for cat in self.categories:
            if any(u.search(view) for u in cat.unless):
                continue
            for language, pattern in cat.patterns:
                hit = pattern.search(masked)
                if hit:
                    return cat.name, hit.group(0).strip(), language
        return None

    def _retraction(self, view: str) -> bool:
        return any(p.search(view) for p in self.retractions) and self._rules(view) is None

    def _custom(self, name: str) -> str | None:
        return next(c.reply for c in self.categories if c.name == name)


class CrisisHead:
    """The classifier layer's model (``crisis.npz``): a linear softmax head (``none`` /
    ``self_harm`` / ``harm_to_others``) on the sentence embedding, and the nearest-neighbour
    margin (mean cosine of the ``k`` closest risk examples of the contrast set minus that of
    the ``k`` closest others), stacked by Platt scaling on dev:
    ``risk = sigmoid(a * logit(1 - p(none)) + b * margin + c)``. The category is the linear
    head's likelier risk class.
    """

    KEYS = ("exemplars", "exemplar_risk", "knn_k", "stack")

    def __init__(self, head: Any, exemplars: Any, exemplar_risk: Any, k: int, stack: Any):
        import numpy as np

        self.head = head
        self.exemplars = np.asarray(exemplars, dtype=np.float32)
        self.exemplar_risk = np.asarray(exemplar_risk, dtype=bool)
        self.k, self.stack = int(k), np.asarray(stack, dtype=np.float64)
        self.labels = tuple(head.labels)

    def features(self, embeddings: Any) -> tuple[Any, Any]:
        """The linear head's probabilities and the ``(n, 2)`` stacking features."""
        import numpy as np

        x = np.asarray(embeddings, dtype=np.float64)
        probs = self.head(x)
        p0 = np.clip(probs[:, 0], 1e-6, 1 - 1e-6)
        sims = x.astype(np.float32) @ self.exemplars.T
        k = max(1, min(self.k, int(self.exemplar_risk.sum()), int((~self.exemplar_risk).sum())))
        risk = np.sort(sims[:, self.exemplar_risk], axis=1)[:, -k:].mean(axis=1)
        rest = np.sort(sims[:, ~self.exemplar_risk], axis=1)[:, -k:].mean(axis=1)
        return probs, np.stack([np.log1p(-p0) - np.log(p0), risk - rest], axis=1)

    def scores(self, embeddings: Any) -> tuple[Any, Any]:
        """Calibrated risk ``(n,)`` and the linear head's probabilities ``(n, 3)``."""
        import numpy as np

        probs, feats = self.features(embeddings)
        return 1.0 / (1.0 + np.exp(-(feats @ self.stack[:2] + self.stack[2]))), probs

    def save(self, path: str | os.PathLike[str]) -> None:
        import numpy as np

        h = self.head
        with Path(path).open("wb") as fh:
            np.savez(fh, weight=h.weight, bias=h.bias, mean=h.mean, scale=h.scale, labels=np.array(h.labels),
                     softmax=np.array(h.softmax), exemplars=self.exemplars.astype(np.float16),
                     exemplar_risk=self.exemplar_risk, knn_k=np.array(self.k), stack=self.stack)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> CrisisHead:
        import numpy as np

        from emotive.models import LinearHead

        head = LinearHead.load(path)
        try:
            with np.load(Path(path)) as f:
                return cls(head, f["exemplars"], f["exemplar_risk"], int(f["knn_k"]), f["stack"])
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot load the crisis head {path}: {exc}") from None


class _Classifier:
    """Where the crisis head lives, its labels and threshold (the head and its encoder are
    loaded on first use and shared by every Safety)."""

    def __init__(self, model: str | os.PathLike[str] | bool, threshold: float | None, threads: int | None):
        from emotive.models import resolve_model

        manifest = resolve_model(RESPOND_MODEL if model is True else model)  # type: ignore[arg-type]
        spec = manifest.extra.get("crisis")
        if not spec or "crisis" not in manifest.files:
            raise ModelError(f"model {manifest.name} ({manifest.path}) has no crisis head; train one "
                             "with `emotive train safety` or pass model=False for the rules alone")
        self.path = str(manifest.path)
        self.labels = tuple(spec["labels"])
        self.threshold = float(spec["threshold"] if threshold is None else threshold)
        self.threads = threads
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"safety threshold must be between 0 and 1 (got {self.threshold})")

    def scores(self, texts: Sequence[str]) -> tuple[Any, Any]:
        """Calibrated risk and the category probabilities of each (prepared) text."""
        encoder, head = _loaded(self.path, self.threads)
        return head.scores(_EMBEDDINGS.get(self.path, list(texts), encoder.encode_each))


# the crisis encoder's embeddings of recent turns (one encoder per model directory, loaded once)
_EMBEDDINGS = EmbeddingCache(4096)
_LOCK = threading.Lock()


@cache
def _loaded_once(path: str, threads: int | None):  # type: ignore[no-untyped-def]
    from emotive.models import SentenceEncoder, load_manifest

    manifest = load_manifest(path)
    # scores() encodes one text per run (encode_each): a risk score moved by up to 0.19 with
    # its batch-mates (28 of 1,401 flags flipped on the contrast eval set)
    return SentenceEncoder(manifest, threads=threads), CrisisHead.load(manifest.file("crisis"))


def _loaded(path: str, threads: int | None):  # type: ignore[no-untyped-def]
    with _LOCK:
        return _loaded_once(path, threads)


class _Replies:
    """The safe reply of each category in a language, naming the locale's crisis lines."""

    def __init__(self, source: Mapping[str, Any] | str | os.PathLike[str] | None, locale: str | None,
                 need: Sequence[_Category]):
        data = default_resources() if source is None else _read_resources(source)
        try:
            self.languages: dict[str, dict[str, str]] = dict(data["languages"])
            locales = {k.lower(): v for k, v in data["locales"].items()}
            wanted = (locale or data.get("default_locale", "en-US")).replace("_", "-")
            entry = locales.get(wanted.lower()) or locales.get(wanted.split("-")[0].lower())
            if entry is None:
                raise ConfigError(f"no safety resources for locale {wanted!r}; choose one of: "
                                  f"{', '.join(sorted(data['locales']))} (or add it to the resources)")
            self.locale, self.entry = wanted, dict(entry)
            self.language = str(entry["language"])
            for cat in need:
                if cat.name not in self.languages[self.language]:
                    raise ConfigError(f"no safe reply for category {cat.name!r}: give the category a "
                                      f"'reply' or add languages.{self.language}.{cat.name} to the resources")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"malformed safety resources ({type(exc).__name__}: {exc}); expected "
                              "{languages: {lang: {self_harm, harm_to_others, lines, ...}}, "
                              "locales: {locale: {language, emergency, lines}}}") from None

    def reply(self, category: str, language: str | None, custom: str | None) -> str:
        if custom is not None:
            return custom
        lang = language if language in self.languages and category in self.languages[language] else self.language
        words = self.languages[lang]
        emergency = self.entry.get("emergency")
        text = words[category].replace("{resources}", self._resources(words)).replace(
            "{emergency}", words["emergency_known"].replace("{n}", emergency) if emergency
            else words["emergency_unknown"])
        return " ".join(text.split())

    def _resources(self, words: Mapping[str, str]) -> str:
        lines = [_line(words, line) for line in self.entry.get("lines", [])]
        if not lines:
            return words["directory"]
        return words["lines"].replace("{list}", words["sep"].join(lines)) + " " + words["elsewhere"]


def _line(words: Mapping[str, str], line: Mapping[str, Any]) -> str:
    call, text = list(line.get("call", [])), list(line.get("text", []))
    joined = words["or"].join
    if call and call == text:
        how = [words["call_text"].replace("{n}", joined(call))]
    else:
        how = ([words["call"].replace("{n}", joined(call))] if call else []) + (
            [words["text"].replace("{n}", joined(text))] if text else [])
    return f"{line['name']}: {words['or'].join(how)}" if how else str(line["name"])


def default_rules() -> dict[str, Any]:
    """The shipped rules (``emotive/respond/safety_rules.json``)."""
    text = resources.files("emotive.respond").joinpath("safety_rules.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def default_resources() -> dict[str, Any]:
    """The shipped crisis resources per locale (``emotive/respond/safety_resources.json``)."""
    text = resources.files("emotive.respond").joinpath("safety_resources.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def normalize(text: str) -> str:
    """The text with the usual evasions undone: invisible, tag and combining characters
    out, NFKC (fullwidth), accents stripped, lowercase, straight quotes, look-alike letters
    and leetspeak mapped, letters spaced or hyphenated apart joined, letter runs of three or
    more made two.

    >>> normalize("I  DON\u2019T want to k i l l  m y s e l f")
    "i don't want to kill myself"
    >>> normalize("ｓ\u200bｕｉｃｉｄｅ, k1ll, ki11, кill")
    'suicide, kill, kill, kill'
    """
    return _normalize(text)


def prepare(text: str) -> str:
    """What the classifier reads: ``normalize`` (with the shipped rules' words to split
    joined letters), the shipped canonical words (``kms`` -> kill myself, ``im`` -> i am),
    and the shipped rules' exception spans (idioms, developer and gaming phrases, negations
    such as "I would never hurt myself") replaced by "..."; the crisis head was trained on
    exactly this.

    >>> prepare("im gonna kms tn")
    'i am going to kill myself tonight'
    >>> prepare("I cut myself shaving, and killed some time")
    'i ..., and ...'
    """
    canonical, vocabulary, exceptions = _default_lexicon()
    view = _canonical(_normalize(_clip(text), vocabulary), canonical)
    for pattern in exceptions:
        view = pattern.sub("...", view)
    return view


def _clip(text: str) -> str:
    """A long text's start and end (a risk statement often closes a long message)."""
    if len(text) <= MAX_CHARS:
        return text
    half = MAX_CHARS // 2
    return text[:half] + " \n " + text[-half:]


@cache
def _default_lexicon():  # type: ignore[no-untyped-def]
    raw = default_rules()
    macros = {k: str(v) for k, v in raw.get("macros", {}).items()}
    return (*_lexicon(raw, emoji=False), tuple(_compile(p, macros) for p in raw.get("exceptions", ())))


def _lexicon(raw: Mapping[str, Any], emoji: bool = True
             ) -> tuple[tuple[re.Pattern[str] | None, dict[str, str]], dict[str, int]]:
    """The canonical-words replacer and the vocabulary that splits joined letters. With
    ``emoji`` (the rules' view), emoji that name a means or death read as that word
    ("the 🔪 is on my wrist" -> "the knife is on my wrist"); the classifier's view keeps
    them, as the crisis head was trained."""
    mapping = {str(k).lower(): str(v) for k, v in dict(raw.get("canonical", {})).items()}
    if emoji:
        mapping.update({str(k): f" {v} " for k, v in dict(raw.get("emoji", {})).items()})
    keys = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, keys)) + r")(?![\w'-])") if keys else None
    words: set[str] = set()
    for spec in dict(raw.get("categories", {})).values():
        pats = spec.get("patterns", []) if isinstance(spec, Mapping) else []
        for p in (sum(pats.values(), []) if isinstance(pats, Mapping) else pats):
            words.update(_WORDS.findall(re.sub(r"\\[a-zA-Z]", " ", str(p))))
    for v in mapping.values():
        words.update(v.split())
    dictionary = _dictionary()
    ranked = dict(dictionary)
    ranked.update({w: dictionary.get(w, 15000) for w in words if len(w) > 1 or w in ("i", "a")})
    return (pattern, mapping), ranked


@cache
def _dictionary() -> dict[str, int]:
    """English words (with a rank: lower is more common) to split letters joined by an
    evasion: the whole-word entries of the shipped sentence encoder's vocabulary (about
    21,000; WordPiece ids run roughly by frequency)."""
    from emotive.models import resolve_model

    try:
        path = resolve_model(RESPOND_MODEL).file("tokenizer")
        vocab = json.loads(Path(path).read_text(encoding="utf-8"))["model"]["vocab"]
    except (ModelError, OSError, KeyError, ValueError):
        return {}
    return {w: int(i) for w, i in vocab.items()
            if w.isascii() and w.isalpha() and w.islower() and (len(w) > 1 or w in "ai")}


def _canonical(text: str, lexicon: tuple[re.Pattern[str] | None, dict[str, str]]) -> str:
    pattern, mapping = lexicon
    if pattern is None:
        return text
    out = pattern.sub(lambda m: mapping[m.group(0)], text)
    return _SPACES.sub(" ", out).strip() if out != text else out


def _category(name: str, spec: Mapping[str, Any], extra: list[str], macros: Mapping[str, str]) -> _Category:
    pats = spec["patterns"]
    grouped = dict(pats) if isinstance(pats, Mapping) else {"any": list(pats)}
    if extra:
        grouped["extra"] = grouped.get("extra", []) + extra
    compiled = tuple((lang, _compile(p, macros)) for lang, ps in grouped.items() for p in ps)
    unless = tuple(_compile(p, macros) for p in spec.get("unless", ()))
    reply = spec.get("reply")
    return _Category(name, compiled, unless, None if reply is None else str(reply))  # type: ignore[arg-type]


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    for _ in range(3):  # macros may name macros
        pattern = _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
    return pattern


def _compile(pattern: str, macros: Mapping[str, str]) -> re.Pattern[str]:
    try:
        return re.compile(_expand(pattern, macros))
    except re.error as exc:
        raise ConfigError(f"bad safety pattern {pattern!r}: {exc}") from None


def _read_resources(source: Mapping[str, Any] | str | os.PathLike[str]) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    try:
        return dict(json.loads(Path(source).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read safety resources {source}: {exc}") from None
