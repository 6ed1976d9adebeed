"""PELD response-emotion prediction: what the personality input buys.

Writes ``benchmarks/results/persona_emotion.{json,md}``.

PELD (Wen et al. 2021, "Automatically Select Emotion for Response via Personality-affected
Emotion Transition", Findings of ACL) gives dialogue triples: Speaker_1's turn, Speaker_2's
turn, Speaker_1's reply, with Speaker_1's Big Five. The task: the reply's emotion (7 MELD
labels) from the personality, the two preceding emotions (gold, as in the paper); the
two preceding turns' text is not used (see the recipe). PELD has no official split; emotive
uses its own seeded 80/10/10 split
(``emotive.datasets.peld.split``, seed 0), so the paper's numbers are not comparable.

Side by side, in one run, on our test split: the shipped head with personality, the same
head trained without it, and three baselines (the majority label, the speaker's own
preceding emotion, the other speaker's emotion). Also the Pearson r of the predicted VAD
change against the gold change (VAD anchors of the labels).

    python benchmarks/persona_emotion.py [--model DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive._metrics import single_label_scores  # noqa: E402
from emotive.datasets import peld  # noqa: E402
from emotive.models._encoder import SentenceEncoder  # noqa: E402
from emotive.respond.persona import EmotionTransition, Persona, emotion_vad  # noqa: E402


def scores(gold: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    s = single_label_scores(gold, pred, peld.EMOTIONS)
    return {k: round(float(s[k]), 4) for k in ("macro_f1", "weighted_f1", "accuracy")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="respond model directory (default: shipped)")
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    encoder = SentenceEncoder(args.model)
    parts = peld.split(peld.read(root=args.data), seed=0)
    test, train = parts["test"], parts["train"]
    gold = np.array([peld.EMOTIONS.index(r.emotions[2]) for r in test])
    log(f"{len(test)} PELD test triples")
    m = encoder.manifest
    majority = np.bincount([peld.EMOTIONS.index(r.emotions[2]) for r in train]).argmax()
    runs = {}
    for label, personality in (("with personality (shipped)", True), ("without personality", False)):
        et = EmotionTransition(encoder, personality=personality)
        runs[label] = [et.predict(Persona(r.speaker_1, r.personality), own=r.emotions[0], other=r.emotions[1])
                       for r in test]
    rows = {label: scores(gold, np.array([peld.EMOTIONS.index(p.emotion) for p in preds]))
            for label, preds in runs.items()}
    rows.update({
        "majority label": scores(gold, np.full(len(gold), majority)),
        "speaker's own preceding emotion": scores(gold, np.array([peld.EMOTIONS.index(r.emotions[0]) for r in test])),
        "other speaker's emotion": scores(gold, np.array([peld.EMOTIONS.index(r.emotions[1]) for r in test])),
    })
    delta = np.array([p.delta for p in runs["with personality (shipped)"]])
    true = np.stack([emotion_vad(r.emotions[2]) - emotion_vad(r.emotions[0]) for r in test])
    r_vad = [round(float(np.corrcoef(delta[:, i], true[:, i])[0, 1]), 4) for i in range(3)]
    gain = {k: round(rows["with personality (shipped)"][k] - rows["without personality"][k], 4)
            for k in ("macro_f1", "weighted_f1")}
    payload = {"benchmark": "persona_emotion", "date": utc_now(), "command": command_line(),
               "model": m.name, "n": len(test), "results": rows, "personality_gain": gain,
               "delta_vad_pearson": dict(zip("vad", r_vad)), "machine": machine_info(["onnxruntime"])}
    table = markdown_table(["predictor", "macro-F1", "weighted-F1", "accuracy"],
                           [(k, v["macro_f1"], v["weighted_f1"], v["accuracy"]) for k, v in rows.items()])
    md = (f"# PELD test (our seeded split): the reply's emotion, 7 classes ({len(test)} triples)\n\n{table}\n\n"
          f"Personality buys {gain['macro_f1']:+.4f} macro-F1 and {gain['weighted_f1']:+.4f} weighted-F1. "
          f"Predicted VAD change vs gold: Pearson r V {r_vad[0]}, A {r_vad[1]}, D {r_vad[2]}.\n"
          "PELD has six personalities only (the Friends main characters).\n\n"
          f"Command: `{payload['command']}`\n")
    write_results("persona_emotion", payload, md)
    print(md)


if __name__ == "__main__":
    main()
