"""Respond: small emotion models read the user, a planner decides how to answer, and any
LLM backend writes the reply.

>>> from emotive import Conversation, Utterance
>>> from emotive.respond import ChatSession, Responder
>>> conv = Conversation("c1", (Utterance("I failed my driving test again.", "user"),))
>>> Responder(backend="retrieval").reply(conv).guidance.strategy.strategy  # doctest: +SKIP
'Question'

For a chat, turn by turn (the history and the assistant's own state kept):

>>> chat = ChatSession(Responder("openai"), instructions="You are the help desk of a bike shop.")  # doctest: +SKIP
>>> chat.reply("My new bike's chain broke on the first ride.").text  # doctest: +SKIP

In ``asyncio`` code (a server), the same with ``await``; the steps run in a worker thread:

>>> reply = await Responder("openai").areply(conv)  # doctest: +SKIP
>>> stream = await Responder("openai").astream(conv)  # doctest: +SKIP
>>> async for piece in stream: print(piece, end="")  # doctest: +SKIP

Nothing heavy is imported until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emotive._lazy import lazy_exports

__all__ = ["AssistantState", "AsyncReplyStream", "ChatSession", "EmotionTransition", "Guidance", "Persona", "Reading",
           "Reply", "ReplyEmotion", "ReplyStream", "Responder", "Roles", "Safety", "SafetyFlag", "Steps",
           "StrategyPlan", "StrategyPlanner", "respond_file"]

_WHERE = {
    "AssistantState": "emotive.respond._types", "Guidance": "emotive.respond._types",
    "Reply": "emotive.respond._types", "Steps": "emotive.respond._types",
    "ChatSession": "emotive.respond._session", "Reading": "emotive.respond._reading",
    "ReplyStream": "emotive.respond._stream", "AsyncReplyStream": "emotive.respond._stream",
    "Responder": "emotive.respond._responder",
    "Roles": "emotive.respond._roles",
    "Safety": "emotive.respond.safety", "SafetyFlag": "emotive.respond.safety",
    "Persona": "emotive.respond.persona", "EmotionTransition": "emotive.respond.persona",
    "ReplyEmotion": "emotive.respond.persona",
    "StrategyPlan": "emotive.respond.strategy", "StrategyPlanner": "emotive.respond.strategy",
    "respond_file": "emotive.respond._batch",
}

if TYPE_CHECKING:
    from emotive.respond._batch import respond_file
    from emotive.respond._reading import Reading
    from emotive.respond._responder import Responder
    from emotive.respond._roles import Roles
    from emotive.respond._session import ChatSession
    from emotive.respond._stream import AsyncReplyStream, ReplyStream
    from emotive.respond._types import AssistantState, Guidance, Reply, Steps
    from emotive.respond.persona import EmotionTransition, Persona, ReplyEmotion
    from emotive.respond.safety import Safety, SafetyFlag
    from emotive.respond.strategy import StrategyPlan, StrategyPlanner


__getattr__, __dir__ = lazy_exports("emotive.respond", _WHERE, globals(), __all__)
