"""Training-time noise that keeps a text's meaning: typos, chat spellings, emoji alone.

People type "ur" for "your" and "becuase" for "because"; GoEmotions' Reddit comments are
mostly clean. :func:`noisy` rewrites a share of the training texts each epoch, seeded by
(seed, epoch, row) so a resumed run sees the same texts.

>>> noisy("I really want to go because you are my friend", seed=3, typo=0.0, slang=1.0)
'I rly wanna go cuz u r my friend'
>>> noisy("What a wonderful surprise this is", seed=1, typo=1.0, slang=0.0)
'What a wonderful surpirse this is'
"""

from __future__ import annotations

import random
import re

# common chat spellings, each meaning what it replaces (lower case; matched as whole words)
SLANG = {
    "you": "u", "your": "ur", "you're": "ur", "are": "r", "really": "rly", "because": "cuz",
    "okay": "ok", "please": "pls", "people": "ppl", "though": "tho", "thanks": "thx",
    "want to": "wanna", "going to": "gonna", "got to": "gotta", "kind of": "kinda",
    "don't know": "dunno", "i don't know": "idk", "to be honest": "tbh", "oh my god": "omg",
    "by the way": "btw", "right now": "rn", "tonight": "tonite", "probably": "prob",
    "seriously": "srsly", "whatever": "whatevs", "nothing": "nothin", "something": "somethin",
    "love": "luv", "before": "b4", "see you": "cya", "for real": "fr", "what": "wat",
}
_SLANG = re.compile(r"\b(" + "|".join(sorted(map(re.escape, SLANG), key=len, reverse=True)) + r")\b",
                    re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z]{4,}")


def noisy(text: str, *, seed: int | str, typo: float, slang: float, emoji_only: float = 0.0) -> str:
    """``text`` with chat spellings (probability ``slang``) and one or two typos in words of
    four letters or more (probability ``typo``); unchanged otherwise. A text that holds emoji
    is cut to its emoji alone with probability ``emoji_only`` (people answer with "😂😂"),
    keeping its labels."""
    rng = random.Random(seed)
    if emoji_only > 0:
        alone = emoji_alone(text)
        if alone and rng.random() < emoji_only:
            return alone
    if rng.random() < slang:
        text = _SLANG.sub(lambda m: SLANG[m.group(0).lower()], text)
    if rng.random() < typo:
        words = list(_WORD.finditer(text))
        for m in sorted(rng.sample(words, min(len(words), rng.choice((1, 2)))),
                        key=lambda m: m.start(), reverse=True):
            text = text[:m.start()] + _typo(m.group(0), rng) + text[m.end():]
    return text


def _typo(word: str, rng: random.Random) -> str:
    kind = rng.choice(("swap", "drop", "double"))
    i = rng.randrange(1, len(word) - (2 if kind == "swap" else 1))  # first and last letters stay
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == "drop":
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def emoji_alone(text: str) -> str:
    """The emoji of ``text`` in order, space-separated as typed ("" when it has none).

    >>> emoji_alone("Lmao stole my joke! 😂😂 so good 👏")
    '😂😂 👏'
    """
    import emoji  # the [train] extra

    found = emoji.emoji_list(text)
    out, last = "", None
    for item in found:
        if last is not None and item["match_start"] > last:
            out += " "
        out += item["emoji"]
        last = item["match_end"]
    return out
