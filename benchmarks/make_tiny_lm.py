"""Write a tiny random causal LM directory (GPT-2 shape, word-level tokenizer from ED train
listener replies) to exercise the ``transformers`` backend end to end without a download.

Its replies are word salad: it shows the mechanics (prompt, generation, parsing, metrics),
not the quality of a real LLM.

    python benchmarks/make_tiny_lm.py OUT_DIR
"""

from __future__ import annotations

import sys
from collections import Counter

from emotive.datasets import empatheticdialogues


def main(out: str) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    words = Counter(w for c in empatheticdialogues.read("train") for t in c.turns
                    if t.speaker == "listener" for w in t.text.lower().split())
    vocab = {"[UNK]": 0, "[EOS]": 1, **{w: i + 2 for i, (w, _) in enumerate(words.most_common(4000))}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", eos_token="[EOS]", pad_token="[EOS]")
    cfg = GPT2Config(vocab_size=len(vocab), n_positions=512, n_embd=64, n_layer=2, n_head=2,
                     bos_token_id=1, eos_token_id=1)
    GPT2LMHeadModel(cfg).save_pretrained(out)
    fast.save_pretrained(out)
    print(f"wrote {out} ({len(vocab)} words)")


if __name__ == "__main__":
    main(sys.argv[1])
