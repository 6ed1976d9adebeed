"""Who said what: each turn of a conversation as the user's, the assistant's or a system
instruction.

Speaker names are matched case-insensitively. By default the user is ``user``, ``usr``,
``seeker``, ``speaker`` or ``human``, the assistant ``assistant``, ``sys``, ``listener``,
``supporter`` or ``bot``, and ``system`` turns are the client's instructions; a turn with
no speaker is the user's. Any other name is an error that says how to name the roles: a
silent guess would answer the wrong person. Naming only the assistant
(``Roles.named(assistant="agent")``, ``--assistant agent``) makes every other speaker but
the system the user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emotive._errors import ConfigError, InputError
from emotive.schema import UNKNOWN_SPEAKER, Conversation, Turn, Utterance

USER_NAMES = ("user", "usr", "seeker", "speaker", "human")
ASSISTANT_NAMES = ("assistant", "sys", "listener", "supporter", "bot")
SYSTEM_NAMES = ("system",)
USER, ASSISTANT, SYSTEM = "user", "assistant", "system"


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    """Lowercase names from a comma-separated string or a sequence.

    >>> _names("Agent, bot")
    ('agent', 'bot')
    """
    items = value.split(",") if isinstance(value, str) else value
    return tuple(n.strip().lower() for n in items if n.strip())


@dataclass(frozen=True)
class Roles:
    """Speaker names of the user, the assistant and the system; ``user=None``: every
    speaker that is neither the assistant nor the system is the user.

    >>> Roles().role("Listener"), Roles.named(assistant="agent").role("customer")
    ('assistant', 'user')
    """

    user: tuple[str, ...] | None = USER_NAMES
    assistant: tuple[str, ...] = ASSISTANT_NAMES
    system: tuple[str, ...] = SYSTEM_NAMES

    def __post_init__(self) -> None:
        user = None if self.user is None else _names(self.user)
        assistant, system = _names(self.assistant), _names(self.system)
        if not assistant:
            raise ConfigError("Roles needs at least one assistant speaker name")
        taken = [(n, r) for r, names in ((USER, user or ()), (ASSISTANT, assistant), (SYSTEM, system))
                 for n in names]
        doubles = sorted({n for n, _ in taken if sum(m == n for m, _ in taken) > 1})
        if doubles:
            raise ConfigError(f"speaker name(s) {', '.join(doubles)} given for two roles; give each one role")
        object.__setattr__(self, "user", user)
        object.__setattr__(self, "assistant", assistant)
        object.__setattr__(self, "system", system)

    @classmethod
    def named(cls, user: str | Sequence[str] | None = None, assistant: str | Sequence[str] | None = None,
              system: str | Sequence[str] | None = None) -> Roles:
        """Roles from names (each a name, comma-separated names or a list; None keeps the
        default). Naming the assistant but not the user makes everyone else the user.

        >>> Roles.named(assistant="agent,Ben").user is None
        True
        """
        default = cls()
        users: tuple[str, ...] | None = (_names(user) if user is not None
                                         else None if assistant is not None else default.user)
        return cls(users, _names(assistant) if assistant is not None else default.assistant,
                   _names(system) if system is not None else default.system)

    def role(self, speaker: str | None) -> str | None:
        """``user``, ``assistant``, ``system``, or None for a speaker of no known role."""
        name = (speaker or "").strip().lower()
        if name in self.assistant:
            return ASSISTANT
        if name in self.system:
            return SYSTEM
        if self.user is None or name in self.user or name in ("", UNKNOWN_SPEAKER):
            return USER
        return None

    def user_names(self) -> str:
        return ", ".join(self.user) if self.user is not None else "any other speaker"

    def describe(self) -> str:
        """The names of each role, for error messages."""
        return (f"user: {self.user_names()}; assistant: {', '.join(self.assistant)}; "
                f"system: {', '.join(self.system) or 'none'}")


@dataclass(frozen=True)
class Roled:
    """A conversation split by role: the user's and the assistant's turns (``conversation``
    without the system turns, and the same as ``turns``), and the system instructions."""

    conversation: Conversation
    turns: tuple[Turn, ...]
    instructions: tuple[str, ...]


def split_roles(conv: Conversation, roles: Roles) -> Roled:
    """``conv`` by role; a conversation that has no user turn, a speaker of no known role or
    an assistant turn last raises ``InputError`` saying which and how to fix it."""
    if not conv.turns:
        raise InputError(f"conversation {conv.id!r} has no turns; nothing to reply to")
    kept: list[Utterance] = []
    turns: list[Turn] = []
    instructions: list[str] = []
    for i, utt in enumerate(conv.turns):
        role = roles.role(utt.speaker)
        if role is None:
            raise InputError(f"conversation {conv.id!r}, turn {i + 1}: speaker {utt.speaker!r} has no role "
                             f"({roles.describe()}); name the assistant's speakers with --assistant "
                             "NAME[,NAME] (in Python: Roles.named(assistant=...)), and every other speaker "
                             "is the user")
        if role == SYSTEM:
            instructions.append(utt.text)
        else:
            kept.append(utt)
            turns.append(Turn(role, utt.text))
    _check_user_last(conv, roles, turns)
    return Roled(Conversation(conv.id, tuple(kept), conv.annotations), tuple(turns), tuple(instructions))


def _check_user_last(conv: Conversation, roles: Roles, turns: list[Turn]) -> None:
    if not any(t.role == USER for t in turns):
        seen = sorted({(roles.role(t.speaker) or "?", str(t.speaker)) for t in conv.turns})
        have = ", ".join(f"{role} ({speaker})" for role, speaker in seen)
        raise InputError(f"conversation {conv.id!r} has no turn from the user; its turns are: {have}; the "
                         f"user's speakers are {roles.describe().split(';')[0][6:]}; name the roles with "
                         "--assistant NAME (Roles.named(user=..., assistant=...) in Python)")
    if turns[-1].role == ASSISTANT:
        raise InputError(f"conversation {conv.id!r} ends with the assistant's turn; "
                         "the last turn must be the user's")
