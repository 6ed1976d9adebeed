"""``sem``: the no-LLM baseline. It answers the suites' questions with emotive's own small
models, so every report has a small-model baseline to beat.

- an emotion question (``What emotion...``, ``How does ... feel``; the two-stage emotion
  line of a guided reply): the analyzer's GoEmotions probabilities ``p`` for the scenario
  (``neutral`` left out: the choices are emotions), and for each choice which labels it
  means, ``w = softmax(s / 0.05)`` of its sentence-encoder similarities ``s`` to the 27
  label names; the choice with the highest ``w·p`` wins;
- any other question (causes, the best response, a support strategy): the choice most
  similar to the scenario (and question) under the sentence encoder;
- the two-stage emotion line of a reply (``Choose it among ...``, the hef suite) over
  EmpatheticDialogues' 32 labels: the conversation model's ED-32 candidates for the user's
  last message (emotive's reading, as the respond job makes it), the best listed label;
  other labels: as an emotion question;
- an open message (a reply is wanted): a short reflective reply naming the top emotion.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field

from emotive.backends import Backend, BackendOptions, GenerateOptions, GenerateResult, Message, message_dicts
from emotive.datasets.empatheticdialogues import LABELS
from emotive.evaluate._parse import letter
from emotive.evaluate._prompts import Reader, read_mc

_AMONG = re.compile(r"Choose it among:? (.+?)(?: first; only if none of them fits, choose among: (.+?))?\.(?:\s|$)")
ED32 = frozenset(LABELS)
TEMPERATURE = 0.05  # how sharply a choice's words pick the labels it means
_EMOTION_Q = re.compile(r"\bemotions?\b|\bfeel(?:s|ing)?\b", re.IGNORECASE)


class SemOptions(BackendOptions):
    """Options of the ``sem`` baseline."""

    model: str | None = Field(None, description="emotion model directory (default: the shipped GoEmotions model)")
    encoder: str | None = Field(None, description="sentence-encoder model (default: emotive.respond-minilm.v1)")
    threads: int | None = Field(None, ge=1, description="ONNX threads")


class SemBackend(Backend):
    """A baseline that answers with emotive's small models (see the module docstring).

    >>> from emotive.evaluate._prompts import mc_messages
    >>> sem = SemBackend()
    >>> sem.generate(mc_messages("Tom's dog died this morning.", "What emotion does Tom feel?",
    ...                          ["Joy", "Grief"])).text  # doctest: +SKIP
    'Answer: (b)'
    """

    name = "sem"
    version = "emotive.sem-baseline.v2"  # part of the cache key: change it when the method changes
    Options = SemOptions
    options: SemOptions

    def __init__(self, **options: Any):
        super().__init__(**options)
        self._analyzer: Any = None
        self._encoder: Any = None
        self._labels: np.ndarray | None = None
        self._lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._reader = Reader()

    def _parts(self) -> tuple[Any, Any, np.ndarray]:
        with self._lock:  # loaded once, whichever thread asks first
            if self._labels is None:
                from emotive import Analyzer
                from emotive.models import SentenceEncoder

                self._analyzer = Analyzer(self.options.model, threads=self.options.threads)
                self._encoder = SentenceEncoder(self.options.encoder, threads=self.options.threads)
                self._labels = self._encoder.encode(list(self._analyzer.labels))
        return self._analyzer, self._encoder, self._labels

    def emotion_scores(self, text: str, choices: Sequence[str]) -> np.ndarray:
        """``w·p`` of each choice (see the module docstring)."""
        analyzer, encoder, labels = self._parts()
        analysis = analyzer.analyze(text)
        keep = [i for i, k in enumerate(analyzer.labels) if k != "neutral"]
        p = np.array([analysis.scores[analyzer.labels[i]] for i in keep])
        p = p / max(float(p.sum()), 1e-12)
        s = (encoder.encode(list(choices)) @ labels.T)[:, keep]
        w = np.exp((s - s.max(axis=1, keepdims=True)) / TEMPERATURE)
        out: np.ndarray = (w / w.sum(axis=1, keepdims=True)) @ p
        return out

    def similarity_scores(self, text: str, choices: Sequence[str]) -> np.ndarray:
        _, encoder, _ = self._parts()
        out: np.ndarray = encoder.encode(list(choices)) @ encoder.encode([text])[0]
        return out

    def generate(self, messages: Sequence[Message], options: GenerateOptions | None = None) -> GenerateResult:
        given = message_dicts(messages)
        user = [m["content"] for m in given if m["role"] == "user"]
        system = " ".join(m["content"] for m in given if m["role"] == "system")
        mc = read_mc(user[-1]) if user else None
        if mc is not None:
            return self._choose(*mc)
        labels = _among(system)
        text = user[-1] if user else ""
        if labels and text.strip():
            best, method = self._label(text, labels)
            return GenerateResult(f"Emotion: {best}\nReply: It sounds like you feel {best}. I'm listening.",
                                  {"method": method, "source": "sem"})
        top = self._parts()[0].analyze(text).top if text.strip() else "neutral"
        return GenerateResult(f"It sounds like you are feeling {top}. I'm here to listen; tell me more.",
                              {"method": "reflect", "source": "sem"})

    def _label(self, text: str, labels: list[str]) -> tuple[str, str]:
        """The best of ``labels`` for ``text`` and the method that chose it."""
        if set(labels) <= ED32:
            with self._read_lock:
                reading = self._reader.read(text)
            found = dict(reading.candidates) if reading is not None else {}
            if found:
                return max(labels, key=lambda k: found.get(k, 0.0)), "ed32-candidates"
        scores = self.emotion_scores(text, labels)
        return labels[int(np.argmax(scores))], "emotion"

    def _choose(self, scenario: str, question: str, choices: list[str]) -> GenerateResult:
        emotional = bool(_EMOTION_Q.search(question)) and not question.lower().startswith("why")
        scores = (self.emotion_scores(scenario, choices) if emotional
                  else self.similarity_scores(f"{scenario} {question}", choices))
        k = int(np.argmax(scores))
        return GenerateResult(f"Answer: ({letter(k)})", {"method": "emotion" if emotional else "similarity",
                                                         "scores": [round(float(x), 4) for x in scores],
                                                         "source": "sem"})


def _among(system: str) -> list[str]:
    """The labels of a two-stage ``Choose it among ...`` line (both stages), else []."""
    m = _AMONG.search(system)
    if not m:
        return []
    labels = [x.strip() for part in m.groups() if part for x in part.split(",")]
    return [x for x in dict.fromkeys(labels) if x]
