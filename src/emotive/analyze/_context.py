"""What the in-context model sees for turn k: the turn, then the turns before it.

The input is a text pair. The first segment is the turn itself; the second holds up to
``window`` preceding turns, most recent first, each marked ``(same)`` when its speaker is
the speaker of turn k and ``(other)`` otherwise. Most recent first means that truncation
at the model's length drops the oldest turns. ``speakers=False`` leaves the marks out and
``window=0`` gives no context (the ablations in benchmarks/conversation_accuracy.py).

>>> from emotive.schema import Utterance
>>> turns = [Utterance("My flight got cancelled.", "A"), Utterance("Oh no!", "B"),
...          Utterance("Fine.", "A")]
>>> context_input(turns, 2)
('Fine.', '(other) Oh no! (same) My flight got cancelled.')
"""

from __future__ import annotations

from collections.abc import Sequence

from emotive.schema import Utterance

WINDOW = 3


def context_input(turns: Sequence[Utterance], k: int, *, window: int = WINDOW,
                  speakers: bool = True) -> tuple[str, str]:
    """The (turn, context) pair for turn ``k`` of ``turns``."""
    target = turns[k]
    parts = []
    for prev in reversed(turns[max(0, k - window):k]):
        if speakers:
            mark = "(same)" if prev.speaker == target.speaker else "(other)"
            parts.append(f"{mark} {prev.text}")
        else:
            parts.append(prev.text)
    return target.text, " ".join(parts)


def cause_input(turns: Sequence[Utterance], k: int, j: int, emotion: str) -> tuple[str, str, int]:
    """What the cause model sees for target turn ``k`` (feeling ``emotion``) and candidate
    turn ``j <= k``: ``(target, marked candidate, where the candidate's text starts)``.

    >>> turns = [Utterance("They denied my refund again.", "A"), Utterance("So angry.", "A")]
    >>> cause_input(turns, 1, 0, "anger")
    ('anger: So angry.', '(1 before, same) They denied my refund again.', 17)
    """
    distance = "this turn" if j == k else f"{k - j} before"
    who = "same" if turns[j].speaker == turns[k].speaker else "other"
    prefix = f"({distance}, {who}) "
    return f"{emotion}: {turns[k].text}", prefix + turns[j].text, len(prefix)
