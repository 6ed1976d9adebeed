"""Undo the usual ways of writing a phrase so that a filter misses it.

``normalize`` removes invisible characters (Unicode format characters, zero-width joiners,
tag characters U+E0000-E007F, variation selectors and other combining marks), folds
compatibility forms (fullwidth, mathematical bold, circled letters) with NFKC, strips
accents, maps Cyrillic and Greek look-alike letters and leetspeak digits inside Latin
words, joins letters spaced, dotted or hyphenated apart, and shortens runs of three or more
repeated letters (to the word of a vocabulary they spell, else to two). Nothing here knows
about risk; the rules and the classifier read the result.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping

QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201b": "'", "`": "'",
                        "\u00b4": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})
# Letters of other scripts that look like Latin ones (after lowercasing).
HOMOGLYPHS = str.maketrans({
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r",
    "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԝ": "w", "ь": "b", "ч": "y",
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ς": "s", "μ": "u",
    "ı": "i", "ɑ": "a", "ɡ": "g", "ǀ": "l", "ɩ": "i", "ꞵ": "b",
})
_GLYPH_CHARS = frozenset(chr(k) for k in HOMOGLYPHS)
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_UNITS = re.compile(r"^\d+(st|nd|rd|th|s|am|pm|k|m|mg|ml|kg|km|g|gb|mb|tb|h|hr|hrs|min|mins|x|d|"
                    r"yo|ish|p|fps|hz|cm|mm|ft|lb|lbs|oz|v|w|mph|kph|c|f|l)$")
_WORD = re.compile(r"[^\W_]+|[0-9@$!]+", re.UNICODE)
_TOKEN = re.compile(r"\S+")
_SEP = "-._*·•~+|/"
_SPLIT_WORD = re.compile(rf"^(?:(?:[^\W\d_]|')[{re.escape(_SEP)}])+(?:[^\W\d_]|')[{re.escape(_SEP)}]?$")
_EVERYWHERE_UNITS = re.compile(r"^\d+(am|pm|mg|ml|kg|km|gb|mb)$")
_REPEAT3 = re.compile(r"([^\W\d_])\1{2,}")
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """Invisible characters out, NFKC, accents stripped, lowercase, straight quotes.

    >>> clean("ｋｉｌｌ\u200b ｍｙｓｅｌｆ \U000E0041 Café")
    'kill myself  cafe'
    """
    kept = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    folded = unicodedata.normalize("NFKC", kept)
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", folded)
                   if unicodedata.category(ch) not in ("Mn", "Me"))
    bare = unicodedata.normalize("NFC", bare).lower().translate(QUOTES)
    return _SPACES.sub(lambda m: "  " if len(m.group(0)) > 1 else " ", bare).strip()  # a gap stays a gap


def _latin(ch: str) -> bool:
    return "a" <= ch <= "z"


def _deglyph(token: str) -> str:
    """Look-alike letters mapped, in a token that mixes them with Latin letters (or is made
    of look-alikes only); a word wholly in Cyrillic or Greek is left alone."""
    if not any(ch in _GLYPH_CHARS for ch in token):
        return token
    letters = [ch for ch in token if ch.isalpha()]
    if any(_latin(ch) for ch in letters) or all(ch in _GLYPH_CHARS for ch in letters):
        return token.translate(HOMOGLYPHS)
    return token


def _deleet(token: str, everywhere: bool = False) -> str:
    """Leetspeak in a word: ``k1ll`` -> kill, ``ki11`` -> kill, ``$uicide`` -> suicide.

    Numbers with units (``5pm``, ``10mg``, ``3rd``) and names ending in digits (``ps5``,
    ``covid19``) are left alone; so is a token with fewer than two letters, unless the whole
    message is written in leetspeak (``everywhere``: ``1 w4n7 70 d13`` -> i want to die).
    """
    letters = sum(ch.isalpha() for ch in token)
    if not any(ch in LEET for ch in token) or (letters < 2 and not everywhere):
        return token
    core = token.rstrip("!?.,")
    if (_EVERYWHERE_UNITS if everywhere else _UNITS).match(core) or (re.fullmatch(r"\d+", core) and not everywhere):
        return token
    if re.fullmatch(r"[^\W\d_]+\d+", core) and not re.fullmatch(r"[^\W\d_]*[il]1+", core) and not everywhere:
        return token  # a name ending in digits (ps5, covid19), not ki11
    out = []
    for i, ch in enumerate(core):
        if ch == "1" and ((i > 0 and core[i - 1] == "1") or (i + 1 < len(core) and core[i + 1] == "1")):
            out.append("l")  # ki11 -> kill
        elif ch == "!" and not (0 < i < len(core) - 1):
            out.append(ch)  # a real exclamation mark
        else:
            out.append(LEET.get(ch, ch))
    return "".join(out) + token[len(core):]


def _leet_everywhere(text: str) -> bool:
    """Most words of the message mix letters and leetspeak digits."""
    tokens = [t for t in _TOKEN.findall(text) if any(c.isalnum() for c in t)]
    mixed = sum(1 for t in tokens if any(c.isalpha() for c in t) and any(c in LEET for c in t.rstrip("!?.,")))
    return mixed >= 2 and mixed >= 0.3 * len(tokens)


def _join_split_words(text: str) -> str:
    """``k-i-l-l`` and ``k.i.l.l`` inside one token become ``kill``."""
    def fix(m: re.Match[str]) -> str:
        tok = m.group(0)
        tail = ""
        while tok and tok[-1] in "!?,;:":
            tail, tok = tok[-1] + tail, tok[:-1]
        if _SPLIT_WORD.match(tok):
            return "".join(ch for ch in tok if ch not in _SEP) + tail
        return m.group(0)
    return _TOKEN.sub(fix, text)


def _join_spaced_letters(text: str, vocabulary: Iterable[str] = ()) -> str:
    """Runs of single characters split by single spaces (``k i l l  m y s e l f``, at least
    three letters) are joined; two or more spaces inside a run mark a word break. Where a
    run has no word breaks, its letters are split into words of ``vocabulary`` when they
    can be (``killmyself`` -> kill myself); apostrophes and punctuation are kept."""
    parts = re.split(r"( +)", text)  # words at even positions, the spaces between at odd ones
    out: list[str] = []
    i = 0
    while i < len(parts):
        j = i
        while j + 2 < len(parts) and _unit(parts[j]) and _unit(parts[j + 2]):
            j += 2
        letters = [p for p in parts[i:j + 1:2] if p.isalpha()]
        if len(letters) >= 3 and any(p not in _CHAT_LETTERS for p in letters):
            words = "".join(p if k % 2 == 0 else (" " if len(p) > 1 else "")
                            for k, p in enumerate(parts[i:j + 1])).split(" ")
            out.append(" ".join(_resegment(w, vocabulary) for w in words) if len(words) == 1 else " ".join(words))
            i = j + 1
        else:
            out.append(parts[i])
            i += 1
    return "".join(out)


def _unit(part: str) -> bool:
    return len(part) == 1 and (part.isalpha() or part in "',.!?;:")


def _resegment(run: str, vocabulary: Iterable[str]) -> str:
    """A joined run as words: split at punctuation and apostrophes (kept), each letter
    stretch split into vocabulary words (``i'vedecided`` -> i've decided)."""
    pieces = re.split(r"([',.!?;:])", run)
    out = []
    for piece in pieces:
        if piece and piece.isalpha():
            out.append(" ".join(segment(piece, vocabulary)))
        else:
            out.append(piece + (" " if piece and piece != "'" else ""))
    return "".join(out).strip()


# Letters that stand alone as chat words ("u r a star"): a run of only these is left as is.
_CHAT_LETTERS = frozenset("aiurycbknox")


def _letter(part: str) -> bool:
    return len(part) == 1 and part.isalpha()


def segment(run: str, vocabulary: Iterable[str] | Mapping[str, int]) -> list[str]:
    """``run`` as the fewest words of ``vocabulary``, or whole. A mapping gives each word a
    rank (lower: more common) that breaks ties.

    >>> segment("killmyself", {"kill", "my", "self", "myself", "i"})
    ['kill', 'myself']
    >>> segment("isthenight", {"is": 1, "the": 0, "night": 5, "ist": 9000, "he": 2})
    ['is', 'the', 'night']
    """
    vocab = vocabulary if isinstance(vocabulary, (set, frozenset, Mapping)) else set(vocabulary)
    if not vocab:
        return [run]
    rank = vocab if isinstance(vocab, Mapping) else {}
    n = len(run)
    best: list[tuple[int, float, list[str]] | None] = [None] * (n + 1)
    best[n] = (0, 0.0, [])
    for start in range(n - 1, -1, -1):
        for end in range(min(n, start + 24), start, -1):
            rest, word = best[end], run[start:end]
            if rest is not None and word in vocab:
                cand = (rest[0] + 1, rest[1] + float(rank.get(word, 30000)), [word, *rest[2]])
                if best[start] is None or cand[:2] < best[start][:2]:  # type: ignore[index]
                    best[start] = cand
    return best[0][2] if best[0] is not None else [run]


def destretch(token: str, vocabulary: Iterable[str] = ()) -> str:
    """Runs of three or more of a letter made one or two: the first spelling (fewest letters
    first) that is a word of ``vocabulary``, else every run made two.

    >>> destretch("kiiilll", {"kill"}), destretch("soooo", {"so"}), destretch("noooo")
    ('kill', 'so', 'noo')
    """
    runs = list(_REPEAT3.finditer(token))
    if not runs:
        return token
    vocab = vocabulary if isinstance(vocabulary, (set, frozenset, Mapping)) else set(vocabulary)
    if vocab and len(runs) <= 4:
        for choice in itertools.product((1, 2), repeat=len(runs)):
            out, pos = [], 0
            for m, n in zip(runs, choice):
                out.append(token[pos:m.start()] + m.group(1) * n)
                pos = m.end()
            word = "".join(out) + token[pos:]
            if word.strip("!?.,;:'\"") in vocab:
                return word
    return _REPEAT3.sub(r"\1\1", token)


def normalize(text: str, vocabulary: Iterable[str] = ()) -> str:
    """The text as it is meant to read: see the module docstring.

    >>> normalize("I want to K I L L  m y s e l f")
    'i want to kill myself'
    >>> normalize("k-i-l-l mys3lf, soooo tired at 5pm")
    'kill myself, soo tired at 5pm'
    """
    vocab = vocabulary if isinstance(vocabulary, (set, frozenset, Mapping)) else frozenset(vocabulary)
    text = clean(text)
    text = _TOKEN.sub(lambda m: _deglyph(m.group(0)), text)
    text = _join_split_words(text)
    text = _join_spaced_letters(text, vocab)
    everywhere = _leet_everywhere(text)
    text = _TOKEN.sub(lambda m: _deleet(m.group(0), everywhere), text)
    text = _TOKEN.sub(lambda m: destretch(m.group(0), vocab), text)
    return _SPACES.sub(" ", text).strip()


