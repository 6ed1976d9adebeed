"""Emoji read as words: 🙄 becomes "face with rolling eyes" before WordPiece.

MiniLM's vocabulary has no emoji, so every one of them is ``[UNK]`` and "just got ghosted
again 💀" reads like "just got ghosted again". A model directory that lists an ``emoji``
file (a JSON table ``{emoji: name}``, written at training time from the ``emoji``
package's CLDR short names) is read through :class:`EmojiTokenizer`: texts that hold an
emoji are tokenized with ``tokenizers``' ``Replace`` normalizers, which keep every token's
offsets pointing into the original text (``explain`` still highlights the emoji itself);
texts without one, nearly all of them, take the plain tokenizer at full speed.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from typing import Any

from tokenizers import Encoding, Tokenizer, normalizers

Input = str | tuple[str, str]
_SKIN = re.compile(r",? ?(?:(?:medium )?(?:light|dark) |medium )skin tone")


def emoji_table() -> dict[str, str]:
    """``{emoji: "short name"}`` for every emoji the ``emoji`` package knows (training only)."""
    import emoji

    table = {}
    for char, data in emoji.EMOJI_DATA.items():
        if char.isascii():
            continue
        name = data["en"].strip(":").replace("_", " ").replace("-", " ")
        name = _SKIN.sub("", name)  # "thumbs up medium skin tone": the gesture is what counts
        table[char] = " ".join(name.split())
    return table


def write_emoji_table(path: str | os.PathLike[str], table: dict[str, str]) -> None:
    """Write ``table`` (:func:`emoji_table`) as the model directory's ``emoji.json``."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(table, fh, ensure_ascii=False, sort_keys=True, indent=0)


class EmojiTokenizer:
    """A ``tokenizers.Tokenizer`` whose emoji are read as their names; every other method
    is the plain tokenizer's.

    >>> tok = Tokenizer.from_file(str(_packaged_tokenizer()))
    >>> emo = EmojiTokenizer(tok, {"🙄": "face with rolling eyes"})
    >>> enc = emo.encode("sure 🙄")
    >>> enc.tokens[2:6], enc.offsets[2:6]
    (['face', 'with', 'rolling', 'eyes'], [(5, 6), (5, 6), (5, 6), (5, 6)])
    >>> tok.encode("sure 🙄").tokens[2]
    '[UNK]'
    """

    def __init__(self, plain: Tokenizer, table: dict[str, str]):
        self.plain = plain
        self.table = table
        self._chars = frozenset(c for e in table for c in e if ord(c) >= 0x2000
                                and c not in "\u200d\ufe0f")
        self._lengths = sorted({len(e) for e in table}, reverse=True)
        # a second tokenizer whose normalizer is set, per group of texts, to the Replace
        # steps of just the emoji they hold (5,000 steps for every text cost 7 ms a text)
        self.emoji = Tokenizer.from_str(plain.to_str())
        self._rest = [plain.normalizer] if plain.normalizer is not None else []
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, plain: Tokenizer, path: str | os.PathLike[str]) -> EmojiTokenizer:
        with open(path, encoding="utf-8") as fh:
            return cls(plain, json.load(fh))

    def has_emoji(self, text: Input) -> bool:
        parts = (text,) if isinstance(text, str) else text
        return any(not p.isascii() and not self._chars.isdisjoint(p) for p in parts)

    def emoji_in(self, text: Input) -> tuple[str, ...]:
        """The table's emoji in ``text``, longest match first at each place, longest first.

        >>> emo = EmojiTokenizer(Tokenizer.from_file(str(_packaged_tokenizer())),
        ...                      {"❤": "red heart", "❤️": "red heart", "😂": "face with tears of joy"})
        >>> emo.emoji_in("❤️ it 😂😂")
        ('❤️', '😂')
        """
        found: dict[str, None] = {}
        for part in (text,) if isinstance(text, str) else text:
            i = 0
            while i < len(part):
                if part[i] in self._chars:
                    hit = next((part[i:i + n] for n in self._lengths if part[i:i + n] in self.table), None)
                    if hit:
                        found[hit] = None
                        i += len(hit)
                        continue
                i += 1
        return tuple(sorted(found, key=len, reverse=True))

    def encode(self, text: Input, *args: Any, **kwargs: Any) -> Encoding:
        return self.encode_batch([text], *args, **kwargs)[0]

    def encode_batch(self, texts: Sequence[Input], *args: Any, **kwargs: Any) -> list[Encoding]:
        texts = list(texts)
        groups: dict[tuple[str, ...], list[int]] = {}
        for i, t in enumerate(texts):
            if self.has_emoji(t):
                found = self.emoji_in(t)
                if found:
                    groups.setdefault(found, []).append(i)
        out = self.plain.encode_batch(texts, *args, **kwargs)
        for found, idx in groups.items():
            reps = [normalizers.Replace(e, f" {self.table[e]} ") for e in found]
            with self._lock:  # the normalizer is shared state: one group at a time
                self.emoji.normalizer = normalizers.Sequence(
                    reps + [normalizers.Replace("\ufe0f", "")] + self._rest)
                encs = self.emoji.encode_batch([texts[i] for i in idx], *args, **kwargs)
            for i, enc in zip(idx, encs):
                out[i] = enc
        return out

    def enable_truncation(self, *args: Any, **kwargs: Any) -> None:
        self.plain.enable_truncation(*args, **kwargs)
        self.emoji.enable_truncation(*args, **kwargs)

    def no_padding(self) -> None:
        self.plain.no_padding()
        self.emoji.no_padding()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.plain, name)


def _packaged_tokenizer() -> Any:
    from emotive.models._registry import resolve_model

    return resolve_model("emotive.goemotions-minilm.v1").file("tokenizer")
