from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emotive.training._augment import SLANG, noisy


def test_no_noise_leaves_the_text_alone() -> None:
    text = "I really want to go because you are my friend"
    assert noisy(text, seed=0, typo=0.0, slang=0.0) == text


def test_same_seed_same_text_other_seeds_vary() -> None:
    text = "What a wonderful surprise this is, honestly"
    once = noisy(text, seed="13:0:7", typo=1.0, slang=1.0)
    assert once == noisy(text, seed="13:0:7", typo=1.0, slang=1.0)
    assert len({noisy(text, seed=f"13:0:{i}", typo=1.0, slang=0.0) for i in range(20)}) > 5


def test_slang_replaces_whole_words_only() -> None:
    assert noisy("you are yours, okay?", seed=0, typo=0.0, slang=1.0) == "u r yours, ok?"
    assert noisy("Oh my god, I don't know", seed=0, typo=0.0, slang=1.0) == "omg, idk"
    assert all(k == k.lower() for k in SLANG)


@settings(max_examples=200, derandomize=True)
@given(st.text(alphabet=st.sampled_from("abcdefgh XYZ,."), max_size=60), st.integers(0, 10**6))
def test_typos_keep_word_count_and_outer_letters(text: str, seed: int) -> None:
    out = noisy(text, seed=seed, typo=1.0, slang=0.0)
    words, new = text.split(), out.split()
    assert len(words) == len(new)
    for a, b in zip(words, new):
        assert a[0] == b[0] and a[-1] == b[-1]
        assert abs(len(a) - len(b)) <= 1 or re.fullmatch(r"[A-Za-z]{4,}", a) is None


def test_emoji_only_keeps_the_emoji_alone_and_leaves_other_texts() -> None:
    pytest.importorskip("emoji")
    from emotive.training._augment import emoji_alone

    assert noisy("Lmao stole my joke! 😂😂 so good 👏", seed=0, typo=0.0, slang=0.0, emoji_only=1.0) == "😂😂 👏"
    assert noisy("I ❤️ this 👨‍👩‍👧", seed=0, typo=0.0, slang=0.0, emoji_only=1.0) == "❤️ 👨‍👩‍👧"
    assert emoji_alone("no emoji here :)") == ""
    # a text without emoji, or emoji_only=0, draws the same noise as before the option existed
    for i in range(20):
        seed = f"13:1:{i}"
        assert (noisy("you are really great, thanks", seed=seed, typo=0.5, slang=0.5, emoji_only=1.0)
                == noisy("you are really great, thanks", seed=seed, typo=0.5, slang=0.5))
        assert (noisy("you are great 😂", seed=seed, typo=0.5, slang=0.5, emoji_only=0.0)
                == noisy("you are great 😂", seed=seed, typo=0.5, slang=0.5))
    cut = [noisy("so funny 😂", seed=f"13:0:{i}", typo=0.0, slang=0.0, emoji_only=0.5) for i in range(200)]
    assert 60 < cut.count("😂") < 140 and set(cut) == {"😂", "so funny 😂"}
