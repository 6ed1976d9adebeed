"""Which language a text is in, so that texts the models cannot read are said, not guessed.

The models are trained on English only. ``detect`` gives each text an ISO 639-1 code, or
None when the text is too short or too mixed to tell ("ok", "lol", "thx!!", emoji), and
whether it is supported. Undetermined texts count as supported: a very short English text
must never be called foreign.

The detector is py3langid (a naive Bayes over byte n-grams that ships its own model; see
benchmarks/language_detect.py for why it was picked over langdetect and lingua), limited
to the common languages below, and used only where it is needed:

1. a text whose letters are mostly of a non-Latin script (Han, kana, Hangul, Cyrillic,
   Arabic, Devanagari, Greek, ...) is not English whatever its length: the detector names it;
2. a Latin-script text with fewer than ``MIN_LETTERS`` letters is undetermined;
3. a Latin-script text with at least ``ENGLISH_HITS`` distinct English function words and
   no accented letters is English without running the detector (most English texts: cheap);
4. otherwise the detector decides, and a language is named only at ``CONFIDENCE`` or more.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

SUPPORTED = frozenset({"en"})
MIN_LETTERS = 12
CONFIDENCE = 0.9
ENGLISH_HITS = 2
LANGUAGES = ("ar", "bg", "cs", "da", "de", "el", "en", "es", "fa", "fi", "fr", "he", "hi", "hu",
             "id", "it", "ja", "ko", "nl", "no", "pl", "pt", "ro", "ru", "sv", "th", "tl", "tr",
             "uk", "vi", "zh")
# English words that are not (common) words of the other languages above
ENGLISH = frozenset("""the and you your you're is are this that with what have has just my it's i'm
don't can't not but they them their she we were would could should there here about because
really think know like people been being when which who why how than then only also very
something anything nothing thing things it of be""".split())
_NOISE = re.compile(r"\[[A-Z]+\]|https?://\S+|www\.\S+|[@#/]\w+")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_LOCK = threading.Lock()


Classify = Callable[[str], tuple[str, float]]


def detect_languages(texts: Sequence[str], classify: Classify | None = None) -> list[tuple[str | None, bool]]:
    """``(language, supported)`` per text; ``classify`` (text -> (ISO 639-1 code, confidence))
    replaces py3langid (benchmarks compare detectors under the same rules).

    >>> detect_languages(["lol", "I can't believe it actually worked!"])
    [(None, True), ('en', True)]
    >>> detect_languages(["我今天真的很难过。"])  # doctest: +SKIP
    [('zh', False)]
    """
    return [_one(t, classify or _classify) for t in texts]


def _one(text: str, classify: Classify) -> tuple[str | None, bool]:
    clean = _NOISE.sub(" ", text)
    latin, other, accented = _letters(clean)
    if other >= 2 and other > latin:
        lang, _ = classify(clean)
        return lang, lang in SUPPORTED
    if latin + other < MIN_LETTERS:
        return None, True
    words = {w.lower() for w in _WORD.findall(clean)}
    if not accented and len(words & ENGLISH) >= ENGLISH_HITS:
        return "en", True
    lang, conf = classify(clean)
    if conf < CONFIDENCE:
        return None, True
    return lang, lang in SUPPORTED


def _letters(text: str) -> tuple[int, int, int]:
    """Letters of the Latin script, letters of other scripts, accented Latin letters."""
    latin = other = accented = 0
    for ch in text:
        if not ch.isalpha():
            continue
        if ch.isascii():
            latin += 1
        elif "LATIN" in unicodedata.name(ch, ""):
            latin += 1
            accented += 1
        else:
            other += 1
    return latin, other, accented


def _classify(text: str) -> tuple[str, float]:
    with _LOCK:  # the identifier keeps no state per call, but loading it must happen once
        ident = _identifier()
    lang, conf = ident.classify(text)
    return str(lang), float(conf)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(LANGUAGES)
    return ident
