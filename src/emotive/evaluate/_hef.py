"""``hef``: the Hybrid Empathetic Framework protocol on EmpatheticDialogues test (Yang et
al. 2024, "Enhancing Empathetic Response Generation by Augmenting LLMs with Small-scale
Empathetic Models").

For ``n`` test conversations (seeded sample; the context is the turns before the first
listener reply) the backend writes a reply in the format ``Emotion: <label>`` then
``Reply: ...``:

- guided: every emotive step (the SEM's top ED-32 emotions first in a two-stage choice,
  trigger words and causes, the planned strategy and reply emotion);
- unguided: no SEM reading and no plan; the model still names the user's emotion, in one
  stage among the 32 labels.

Measured: emotion accuracy of the backend's choice against the gold ED label (for a
backend that writes no ``Emotion:`` line but says which conversation its reply comes from,
as the retrieval backend does, that conversation's label), Distinct-1/2 of the replies,
failures; the SEM's own top-1 accuracy for reference. A message the safety step flags gets
its safe reply, no emotion and so counts wrong.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from emotive._metrics import distinct_n
from emotive.datasets import empatheticdialogues
from emotive.evaluate._parse import parse_field, parse_label
from emotive.evaluate._stats import Estimate, bootstrap_mean
from emotive.evaluate._suite import Suite
from emotive.evaluate._types import GUIDED, Answer, Scored, Task
from emotive.schema import Conversation, Utterance

DEFAULT_N = 200
LABELS = tuple(empatheticdialogues.LABELS)


def sample(n: int | None, data: str | None, seed: int = 0) -> list[Conversation]:
    """``n`` ED test conversations (seeded; None: all), cut before the first listener turn."""
    convs = [c for c in empatheticdialogues.read("test", data) if len(c.turns) > 1]
    picked = random.Random(seed).sample(convs, min(n, len(convs))) if n is not None else convs
    out = []
    for c in picked:
        k = next(i for i, t in enumerate(c.turns) if t.speaker == "listener")
        out.append(Conversation(c.id, tuple(Utterance(t.text, "user" if t.speaker == "speaker" else "assistant")
                                            for t in c.turns[:k]), annotations=dict(c.annotations)))
    return [c for c in out if c.turns]


def steps_for(mode: str) -> Any:
    from emotive.respond import Steps

    return Steps() if mode == GUIDED else Steps(understanding=False, causes=False, strategy=False, persona=False)


def reply_text(text: str) -> str:
    """The reply part of an ``Emotion: ...`` / ``Reply: ...`` answer."""
    value = parse_field(text, "reply")
    if value is not None:
        return value
    lines = [ln for ln in text.strip().splitlines() if parse_field(ln, "emotion") is None]
    return "\n".join(lines).strip()


class Hef(Suite):
    """See the module docstring."""

    name = "hef"

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.responders: dict[str, Any] = {}

    def prepare(self, backend: Any, judge: Any) -> None:
        from emotive.respond import Responder

        for mode in self.modes:
            self.responders[mode] = Responder(backend or "mock", steps=steps_for(mode))

    def describe(self) -> dict[str, Any]:
        return {"corpus": "empatheticdialogues", "split": "test", "n": self.size(DEFAULT_N),
                "sample_seed": self.settings.seed}

    def conversations(self) -> list[Conversation]:
        return sample(self.size(DEFAULT_N), self.settings.data, self.settings.seed)

    def tasks(self) -> list[Task]:
        tasks = []
        for conv in self.conversations():
            for mode in self.modes:
                g = self.responders[mode].guide(conv)
                top = g.reading.candidates[0][0] if g.reading is not None and g.reading.candidates else None
                meta = {"context": conv.turns[-1].text, "sem_top1": top}
                tasks.append(Task(conv.id, mode, tuple(g.messages), plan=g.plan(), gold=conv.annotations["emotion"],
                                  choices=LABELS, meta=meta, fixed=g.safety.reply if g.safety is not None else None))
        return tasks

    def score(self, task: Task, answer: Answer, sample: int, judged: Answer | None = None) -> Scored:
        if answer.error is not None or answer.text is None:
            return Scored(task, sample, answer, None, {"correct": 0.0}, "failed")
        said = parse_field(answer.text, "emotion")  # only an Emotion: line names the choice, never a reply's words
        if said is not None:
            choice = parse_label(said, LABELS)
        else:
            label = answer.metadata.get("label")
            choice = label if label in LABELS else None
        values = {"correct": float(choice == task.gold)}
        return Scored(task, sample, answer, choice, values, None if choice is not None else "unparsable")

    def summary(self, scored: Sequence[Scored]) -> dict[str, Any]:
        seed = self.settings.seed
        out: dict[str, Any] = {}
        for mode in dict.fromkeys(s.task.condition for s in scored):
            mine = [s for s in scored if s.task.condition == mode and s.answer.text is not None]
            block: dict[str, Any] = _distinct([reply_text(s.answer.text or "") for s in mine], seed)
            sem = [float(s.task.meta["sem_top1"] == s.task.gold) for s in mine
                   if s.sample == 0 and s.task.meta.get("sem_top1")]
            block["sem_top1_accuracy"] = bootstrap_mean(sem, seed).to_dict()
            out[mode] = block
        return {"suite_metrics": out, "notes": [
            "Distinct-n is a statistic of all replies together, given without an interval: a bootstrap resample "
            "repeats replies, which lowers it by itself.",
            "A backend that writes no `Emotion:` line and names no source conversation (templates, sem's plain "
            "replies) has every answer unparsable here."]}


def _distinct(texts: list[str], seed: int) -> dict[str, Any]:
    """Distinct-1 and Distinct-2 of the replies. They have no interval: a bootstrap resample
    repeats replies, which lowers Distinct-n by itself (the interval would miss the value)."""
    return {f"distinct_{k}": Estimate(distinct_n(texts, k), None, None, len(texts)).to_dict() for k in (1, 2)}
