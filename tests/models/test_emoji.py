from __future__ import annotations

import json

import pytest
from tokenizers import Tokenizer

from emotive.models import OnnxModel, load_tokenizer, resolve_model
from emotive.models._emoji import EmojiTokenizer

TABLE = {"🙄": "face with rolling eyes", "❤️": "red heart", "❤": "red heart",
         "🤷‍♀️": "woman shrugging", "😂": "face with tears of joy"}


@pytest.fixture(scope="module")
def plain() -> Tokenizer:
    return load_tokenizer(resolve_model().file("tokenizer"), 128)


def test_texts_without_emoji_tokenize_as_before(plain) -> None:
    emo = EmojiTokenizer(plain, TABLE)
    texts = ["so happy for you", "café au lait, très bien", "我很难过", ("a reply", "a context")]
    for text, a, b in zip(texts, emo.encode_batch(texts), plain.encode_batch(texts)):
        assert a.ids == b.ids and a.offsets == b.offsets, text
        assert not emo.has_emoji(text)


def test_emoji_read_as_names_with_offsets_on_the_emoji(plain) -> None:
    emo = EmojiTokenizer(plain, TABLE)
    text = "sure 🙄 lol"
    enc = emo.encode(text)
    assert enc.tokens[2:6] == ["face", "with", "rolling", "eyes"]
    assert {text[s:e] for s, e in enc.offsets[2:6]} == {"🙄"}
    assert plain.encode(text).tokens[2] == "[UNK]"
    assert "[UNK]" not in emo.encode("love it ❤️❤️").tokens  # the variation selector is dropped


def test_batches_keep_order_and_pairs(plain) -> None:
    emo = EmojiTokenizer(plain, TABLE)
    texts = ["plain", "haha 😂", "also plain", ("ok 🤷‍♀️", "context")]
    encs = emo.encode_batch(texts)
    assert encs[0].ids == plain.encode("plain").ids
    assert "tears" in encs[1].tokens and "shr" in "".join(encs[3].tokens)
    assert encs[3].sequence_ids.count(1) > 0  # the pair stays a pair


def test_truncation_applies_to_both_tokenizers(plain) -> None:
    emo = EmojiTokenizer(Tokenizer.from_str(plain.to_str()), TABLE)
    emo.enable_truncation(max_length=6)
    assert len(emo.encode("😂 " * 20).ids) == 6 and len(emo.encode("word " * 20).ids) == 6


def test_a_model_dir_with_emoji_json_reads_emoji(tmp_path) -> None:
    import shutil

    src = resolve_model().path
    for name in ("manifest.json", "tokenizer.json", "model.onnx"):
        shutil.copyfile(src / name, tmp_path / name)
    (tmp_path / "emoji.json").write_text(json.dumps(TABLE, ensure_ascii=False), encoding="utf-8")
    raw = json.loads((tmp_path / "manifest.json").read_text())
    raw["files"] = {"model": "model.onnx", "tokenizer": "tokenizer.json", "emoji": "emoji.json"}
    raw.pop("sha256", None)
    (tmp_path / "manifest.json").write_text(json.dumps(raw))
    model = OnnxModel(tmp_path, threads=1)
    assert "rolling" in model.encode(["ugh 🙄"]).encodings[0].tokens


def test_emoji_table_names_drop_skin_tones() -> None:
    pytest.importorskip("emoji")
    from emotive.models._emoji import emoji_table

    table = emoji_table()
    assert table["😂"] == "face with tears of joy" and table["👍🏽"] == "thumbs up"
    assert len(table) > 3000 and all(not e.isascii() for e in table)


def test_each_text_gets_only_its_own_emoji_and_threads_agree(plain) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emo = EmojiTokenizer(plain, TABLE)
    assert emo.emoji_in(("ok 🤷‍♀️", "❤️❤️ and ❤")) == ("🤷‍♀️", "❤️", "❤")
    texts = ["haha 😂", "ugh 🙄", "❤️ it", "plain", "ok 🤷‍♀️ 😂"] * 20
    serial = [e.ids for e in emo.encode_batch(texts)]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(lambda t: emo.encode(t).ids, texts))
    assert parallel == serial
    assert emo.encode("ugh 🙄").tokens[-5:] == ["face", "with", "rolling", "eyes", "[SEP]"]
