from __future__ import annotations

import re

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
