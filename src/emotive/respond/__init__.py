"""Respond: small emotion models read the user, a planner decides how to answer, and any
LLM backend writes the reply.

>>> from emotive import Conversation, Utterance
>>> from emotive.respond import Responder
>>> conv = Conversation("c1", (Utterance("I failed my driving test again.", "user"),))
>>> Responder(backend="retrieval").reply(conv).guidance.strategy["strategy"]  # doctest: +SKIP
'Question'

Nothing heavy is imported until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emotive._lazy import lazy_exports

__all__ = ["EmotionTransition", "Guidance", "Persona", "Reply", "Responder", "Safety", "SafetyFlag",
           "Steps", "StrategyPlanner", "respond_file"]

_WHERE = {
    "Guidance": "emotive.respond._responder", "Reply": "emotive.respond._responder",
    "Responder": "emotive.respond._responder", "Steps": "emotive.respond._responder",
    "Safety": "emotive.respond.safety", "SafetyFlag": "emotive.respond.safety",
    "Persona": "emotive.respond.persona", "EmotionTransition": "emotive.respond.persona",
    "StrategyPlanner": "emotive.respond.strategy", "respond_file": "emotive.respond._batch",
}

if TYPE_CHECKING:
    from emotive.respond._batch import respond_file
    from emotive.respond._responder import Guidance, Reply, Responder, Steps
    from emotive.respond.persona import EmotionTransition, Persona
    from emotive.respond.safety import Safety, SafetyFlag
    from emotive.respond.strategy import StrategyPlanner


__getattr__, __dir__ = lazy_exports("emotive.respond", _WHERE, globals(), __all__)
