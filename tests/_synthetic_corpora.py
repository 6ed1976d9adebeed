"""Small made-up corpora in the exact on-disk formats of ``../shared/data`` (see its
``MANIFEST.md``), for a machine without the real ones.

They exist so that the tiny models of ``tests/conftest.py`` can be trained by the real
recipes (GoEmotions, conversation, respond) without the corpora: the mechanics tests (batch
runner, CLI, causes, respond planning) then still run. The texts are generated from a few
word lists with a fixed seed; they mean nothing and no test may check what a model learns
from them. Tests of the corpora themselves (counts, first records) never use them: they
skip when the real corpus is missing.

``write(root)`` fills ``root`` with one folder per corpus and returns ``root``.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

GOEMOTIONS = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion",
    "curiosity", "desire", "disappointment", "disapproval", "disgust", "embarrassment",
    "excitement", "fear", "gratitude", "grief", "joy", "love", "nervousness", "optimism",
    "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)
DD_EMOTIONS = ("no emotion", "anger", "disgust", "fear", "happiness", "sadness", "surprise")
DD_ACTS = ("inform", "question", "directive", "commissive")
EMOTIONS7 = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
SENTIMENT = {"anger": "negative", "disgust": "negative", "fear": "negative", "joy": "positive",
             "neutral": "neutral", "sadness": "negative", "surprise": "positive"}
ED_LABELS = (
    "afraid", "angry", "annoyed", "anticipating", "anxious", "apprehensive", "ashamed",
    "caring", "confident", "content", "devastated", "disappointed", "disgusted",
    "embarrassed", "excited", "faithful", "furious", "grateful", "guilty", "hopeful",
    "impressed", "jealous", "joyful", "lonely", "nostalgic", "prepared", "proud", "sad",
    "sentimental", "surprised", "terrified", "trusting",
)
STRATEGIES = ("Question", "Restatement or Paraphrasing", "Reflection of feelings",
              "Self-disclosure", "Affirmation and Reassurance", "Providing Suggestions",
              "Information", "Others")
RECCON_DD = ("neutral", "happiness", "surprise", "anger", "sadness", "disgust", "fear", "happy")
RECCON_IEMOCAP = ("neutral", "excited", "happy", "sad", "angry", "frustrated")
FRIENDS = {"Chandler": (0.648, 0.375, 0.386, 0.58, 0.477),
           "Joey": (0.574, 0.614, 0.297, 0.545, 0.455),
           "Monica": (0.713, 0.457, 0.457, 0.66, 0.511),
           "Phoebe": (0.6, 0.48, 0.31, 0.46, 0.56),
           "Rachel": (0.635, 0.354, 0.521, 0.552, 0.469),
           "Ross": (0.722, 0.489, 0.6, 0.533, 0.356)}

SUBJECTS = ("I", "My sister", "The new neighbour", "Our team", "My boss", "The landlord", "We",
            "My best friend", "The teacher", "Everyone at work")
VERBS = ("finally fixed", "completely forgot", "lost", "found", "cancelled", "won",
         "broke", "loved", "missed", "painted", "sold", "cooked")
OBJECTS = ("the car", "my phone", "the whole dinner", "the tickets", "the old piano",
           "our holiday plans", "the birthday cake", "the garden", "the final exam",
           "the apartment keys")
ENDINGS = ("today", "again", "last night", "this morning", "after all these years",
           "without telling anyone", "for the third time", "just before the deadline")
REPLIES = ("Oh no, what happened next?", "That sounds really hard.", "Wow, that is great news!",
           "Are you okay?", "I can't believe it.", "Tell me more about it.",
           "That must have been scary.", "I am so happy for you.", "Why would they do that?",
           "Sure, let's talk about it.")


def write(root: Path, seed: int = 0) -> Path:
    """Write every synthetic corpus under ``root`` (created if needed); returns ``root``."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "SYNTHETIC.md").write_text(
        "Made-up corpora written by tests/_synthetic_corpora.py for a test run without "
        "../shared/data. Not real data.\n", encoding="utf-8")
    _goemotions(root / "goemotions", rng)
    _dailydialog(root / "dailydialog", rng)
    _meld(root / "meld", rng)
    _empatheticdialogues(root / "empatheticdialogues", rng)
    _emobank(root / "emobank", rng)
    _reccon(root / "reccon" / "original_annotation", rng)
    _esconv(root / "esconv", rng)
    _peld(root / "peld", rng)
    return root


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
            f"{rng.choice(ENDINGS)}.")


def _turn_text(rng: random.Random, k: int) -> str:
    return _sentence(rng) if k % 2 == 0 or rng.random() < 0.4 else rng.choice(REPLIES)


def _jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records),
                    encoding="utf-8")


def _csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        out.writerows(rows)


def _goemotions(folder: Path, rng: random.Random) -> None:
    """TSV without header: text, comma-separated label ids, comment id; ``emotions.txt``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "emotions.txt").write_text("\n".join(GOEMOTIONS) + "\n", encoding="utf-8")
    for split, n in (("train", 96), ("dev", 80), ("test", 80)):
        lines = []
        for i in range(n):
            k = 1 if rng.random() < 0.8 else 2
            ids = sorted(rng.sample(range(len(GOEMOTIONS) - 1), k)) if rng.random() < 0.7 else [27]
            lines.append(f"{_sentence(rng)}\t{','.join(map(str, ids))}\t{split[0]}{i:05d}\n")
        (folder / f"{split}.tsv").write_text("".join(lines), encoding="utf-8")


def _dailydialog(folder: Path, rng: random.Random) -> None:
    """``convlab3_unified/<split>.jsonl``: one dialogue per line (no ``original/`` text)."""
    for split in ("train", "validation", "test"):
        records = []
        for i in range(10):
            turns = [{"speaker": ("user", "system")[k % 2], "utterance": _turn_text(rng, k),
                      "emotion": rng.choice(DD_EMOTIONS) if rng.random() < 0.6 else "no emotion",
                      "act": rng.choice(DD_ACTS)} for k in range(rng.randint(3, 7))]
            records.append({"dialogue_id": f"dailydialog-{split}-{i}", "original_id": f"{split}-{i}",
                            "topic": rng.choice(("Work", "Relationship", "Ordinary Life")),
                            "turns": turns})
        _jsonl(folder / "convlab3_unified" / f"{split}.jsonl", records)


def _meld(folder: Path, rng: random.Random) -> None:
    header = ("Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID",
              "Utterance_ID", "Season", "Episode", "StartTime", "EndTime")
    for split in ("train", "dev", "test"):
        rows, sr = [], 1
        for dia in range(10):
            speakers = rng.sample(sorted(FRIENDS), 2)
            for utt in range(rng.randint(2, 6)):
                emotion = rng.choice(EMOTIONS7)
                rows.append((sr, _turn_text(rng, utt), speakers[utt % 2], emotion,
                             SENTIMENT[emotion], dia, utt, rng.randint(1, 9), rng.randint(1, 24),
                             "00:16:16,059", "00:16:21,731"))
                sr += 1
        _csv(folder / f"{split}_sent_emo.csv", header, rows)


def _empatheticdialogues(folder: Path, rng: random.Random) -> None:
    header = ("conv_id", "utterance_idx", "context", "prompt", "speaker_role", "utterance")
    for n, split in enumerate(("train", "valid", "test")):
        rows = []
        for i in range(10):
            conv, label, situation = f"hit:{n}{i}_conv:{2 * i}", rng.choice(ED_LABELS), _sentence(rng)
            for k in range(rng.randint(2, 5)):
                rows.append((conv, k + 1, label, situation, ("speaker", "listener")[k % 2],
                             _turn_text(rng, k)))
        _csv(folder / f"{split}.csv", header, rows)


def _emobank(folder: Path, rng: random.Random) -> None:
    """``emobank.csv`` with the split column; ``reader.csv`` and ``writer.csv`` by id (the
    writer view lacks a few sentences, as in the real corpus)."""
    rows, reader, writer = [], [], []
    for split in ("train", "dev", "test"):
        for i in range(12):
            sid = f"SYN{split}_{i}"
            v, a, d = (round(rng.uniform(1.5, 4.5), 1) for _ in range(3))
            rows.append((sid, split, v, a, d, _sentence(rng)))
            reader.append((sid, round(v + rng.uniform(-0.3, 0.3), 1), a, d, 0.5, 0.5, 0.5, 5))
            if i % 4 != 3:
                writer.append((sid, v, round(a + rng.uniform(-0.3, 0.3), 1), d, 0.4, 0.4, 0.4, 5))
    _csv(folder / "emobank.csv", ("id", "split", "V", "A", "D", "text"), rows)
    view = ("id", "V", "A", "D", "stdV", "stdA", "stdD", "N")
    _csv(folder / "reader.csv", view, reader)
    _csv(folder / "writer.csv", view, writer)


def _reccon(folder: Path, rng: random.Random) -> None:
    """``{dialog_id: [[turn, ...]]}``; emotional turns name earlier-or-same cause turns and
    their spans (a piece of the cause turn's text), with the ``"b"`` placeholder sometimes."""
    folder.mkdir(parents=True, exist_ok=True)
    for split in ("dailydialog_train", "dailydialog_valid", "dailydialog_test", "iemocap_test"):
        labels = RECCON_IEMOCAP if split.startswith("iemocap") else RECCON_DD
        data = {}
        for i in range(10):
            turns = []
            for n in range(1, rng.randint(3, 7) + 1):
                text = _turn_text(rng, n - 1)
                turn = {"turn": n, "speaker": "AB"[(n - 1) % 2], "utterance": text,
                        "emotion": rng.choice(labels) if n > 1 or rng.random() < 0.5 else "neutral"}
                if turn["emotion"] != "neutral":
                    causes = sorted(rng.sample(range(1, n + 1), rng.randint(1, min(2, n))))
                    spans = [_span(turns[c - 1]["utterance"] if c < n else text, rng) for c in causes]
                    if rng.random() < 0.2:
                        causes, spans = [*causes, "b"], [*spans, "b"]
                    turn.update({"expanded emotion cause evidence": causes,
                                 "expanded emotion cause span": spans,
                                 "type": ["no-context"]})
                turns.append(turn)
            data[f"tr_{split[:2]}{i}"] = [turns]
        (folder / f"{split}.json").write_text(json.dumps(data, indent=2), encoding="utf-8")


def _span(text: str, rng: random.Random) -> str:
    words = text.split()
    start = rng.randrange(len(words))
    return " ".join(words[start:start + rng.randint(1, 4)])


def _esconv(folder: Path, rng: random.Random) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "strategy.json").write_text(json.dumps([f"[{s}]" for s in STRATEGIES]),
                                          encoding="utf-8")
    for split in ("train", "valid", "test"):
        records = []
        for _ in range(12):
            dialog = []
            for k in range(rng.randint(4, 9)):
                if k % 2:
                    dialog.append({"text": rng.choice(REPLIES), "speaker": "sys",
                                   "strategy": rng.choice(STRATEGIES)})
                else:
                    dialog.append({"text": _sentence(rng), "speaker": "usr"})
            records.append({"emotion_type": rng.choice(("anxiety", "depression", "sadness", "anger")),
                            "problem_type": rng.choice(("job crisis", "breakup with partner",
                                                        "ongoing depression")),
                            "situation": _sentence(rng), "dialog": dialog})
        _jsonl(folder / f"{split}.jsonl", records)


def _peld(folder: Path, rng: random.Random) -> None:
    """``Dyadic_PELD.tsv``: tab-separated, no quoting; no split (``peld.split`` makes one)."""
    folder.mkdir(parents=True, exist_ok=True)
    header = ("Speaker_1", "Speaker_2", "Personality", "Utterance_1", "Utterance_2",
              "Utterance_3", "Emotion_1", "Emotion_2", "Emotion_3", "Sentiment_1",
              "Sentiment_2", "Sentiment_3")
    lines = ["\t".join(header)]
    for _ in range(120):
        one, two = rng.sample(sorted(FRIENDS), 2)
        emotions = [rng.choice(EMOTIONS7) for _ in range(3)]
        lines.append("\t".join([one, two, "[" + ", ".join(map(str, FRIENDS[one])) + "]",
                                _sentence(rng), rng.choice(REPLIES), _sentence(rng), *emotions,
                                *(SENTIMENT[e] for e in emotions)]))
    (folder / "Dyadic_PELD.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
