"""``ChatSession``: one conversation with a ``Responder``, turn by turn.

It keeps the history, the client's system instructions and the assistant's own state (the
strategy and emotion of each of its replies), so every reply is planned from what the
assistant itself did before; ``emotive chat`` runs on it, and so can a server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from emotive._errors import InputError
from emotive.backends import Message, message_dicts
from emotive.respond._roles import ASSISTANT, SYSTEM, USER, Roles
from emotive.respond._stream import ReplyStream
from emotive.respond._types import AssistantState, Reply
from emotive.schema import Conversation, Utterance

if TYPE_CHECKING:
    from emotive.respond._responder import Responder


class ChatSession:
    """A chat: ``reply(text)`` or ``stream(text)`` adds the user's turn and the reply.

    ``user``, ``assistant``, ``system``: the speaker names of the session's turns (and of
    the roles in :meth:`from_messages`); ``instructions``: system instructions that come
    first in every system message. A reply that fails keeps neither turn.

    >>> from emotive.respond import Responder, Steps
    >>> chat = ChatSession(Responder("mock", steps=Steps(understanding=False, strategy=False, persona=False)))
    >>> chat.reply("I passed my exam!").text
    'I hear you. Tell me more about how you feel.'
    >>> [t.speaker for t in chat.conversation().turns]
    ['user', 'assistant']
    """

    def __init__(self, responder: Responder, *, user: str = USER, assistant: str = ASSISTANT,
                 system: str = SYSTEM, instructions: str | Sequence[str] = (), id: str = "chat"):  # noqa: A002
        self.responder = responder
        self.names = {USER: user, ASSISTANT: assistant, SYSTEM: system}
        self.roles = Roles((user,), (assistant,), (system,))
        self.id = id
        self.instructions = (instructions,) if isinstance(instructions, str) else tuple(instructions)
        self.turns: list[Utterance] = []
        self.state = AssistantState()

    @classmethod
    def from_messages(cls, responder: Responder, messages: Sequence[Message], **names: str) -> ChatSession:
        """A session holding chat ``messages`` (``{"role", "content"}``, roles named as in
        ``names``: user, assistant, system); the assistant's state is unknown for them.

        >>> from emotive.respond import Responder
        >>> s = ChatSession.from_messages(Responder("mock"), [{"role": "system", "content": "Be brief."}])
        >>> s.instructions
        ('Be brief.',)
        """
        session = cls(responder, **names)
        for m in message_dicts(messages):
            session.add(m["role"], m["content"])
        return session

    def add(self, speaker: str, text: str, *, strategy: str | None = None, emotion: str | None = None) -> None:
        """Add a turn said by ``speaker`` (one of the session's names); for the assistant,
        its ``strategy`` and ``emotion`` when known."""
        role = {name.lower(): r for r, name in self.names.items()}.get(speaker.lower())
        if role is None:
            raise InputError(f"unknown role {speaker!r}; this session's roles are "
                             f"{', '.join(self.names.values())}")
        if role == SYSTEM:
            self.instructions = (*self.instructions, text)
            return
        self.turns.append(Utterance(text, self.names[role]))
        if role == ASSISTANT:
            self.state = self.state.after(strategy, emotion)

    def conversation(self, text: str | None = None) -> Conversation:
        """The conversation so far (with the system instructions first), plus ``text`` as
        the user's next turn."""
        system = tuple(Utterance(t, self.names[SYSTEM]) for t in self.instructions)
        user = (Utterance(text, self.names[USER]),) if text is not None else ()
        return Conversation(self.id, (*system, *self.turns, *user))

    def reply(self, text: str | None = None) -> Reply:
        """Reply to the user's ``text`` (None: to the history as it is, whose last turn must
        be the user's); both turns are kept once the reply is made."""
        reply = self.responder.reply(self.conversation(text), state=self.state, roles=self.roles)
        self._keep(text, reply)
        return reply

    def stream(self, text: str | None = None) -> ReplyStream:
        """As :meth:`reply`, streamed; the turns are kept once the stream has ended."""
        return self.responder.stream(self.conversation(text), state=self.state, roles=self.roles,
                                     on_reply=lambda reply: self._keep(text, reply))

    def reset(self) -> None:
        """Start over: no turns, no state; the system instructions stay."""
        self.turns, self.state = [], AssistantState()

    def _keep(self, text: str | None, reply: Reply) -> None:
        if text is not None:
            self.add(self.names[USER], text)
        self.add(self.names[ASSISTANT], reply.text, strategy=reply.strategy, emotion=reply.reply_emotion)
