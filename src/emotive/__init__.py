"""emotive: emotional intelligence for text and conversations.

>>> from emotive import Analyzer
>>> Analyzer().analyze("Thank you so much, this means a lot").top
'gratitude'

Nothing heavy is imported until a name is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emotive._lazy import lazy_exports

__version__ = "0.1.0"

__all__ = [
    "Analysis",
    "Analyzer",
    "BackendConnectError",
    "BackendError",
    "BackendProtocolError",
    "BackendStatusError",
    "BackendTimeoutError",
    "BackendUnavailableError",
    "ConfigError",
    "Conversation",
    "EmotionScore",
    "EmotiveError",
    "InputError",
    "ModelError",
    "Utterance",
    "analyze",
    "analyze_file",
    "get_scheme",
]

_WHERE = {
    "Analysis": "emotive.schema", "Conversation": "emotive.schema",
    "EmotionScore": "emotive.schema", "Utterance": "emotive.schema",
    "Analyzer": "emotive.analyze", "analyze": "emotive.analyze",
    "analyze_file": "emotive.analyze", "get_scheme": "emotive.taxonomy",
    "BackendConnectError": "emotive._errors", "BackendError": "emotive._errors",
    "BackendProtocolError": "emotive._errors", "BackendStatusError": "emotive._errors",
    "BackendTimeoutError": "emotive._errors", "BackendUnavailableError": "emotive._errors",
    "ConfigError": "emotive._errors", "EmotiveError": "emotive._errors",
    "InputError": "emotive._errors", "ModelError": "emotive._errors",
}

if TYPE_CHECKING:
    from emotive._errors import (
        BackendConnectError,
        BackendError,
        BackendProtocolError,
        BackendStatusError,
        BackendTimeoutError,
        BackendUnavailableError,
        ConfigError,
        EmotiveError,
        InputError,
        ModelError,
    )
    from emotive.analyze import Analyzer, analyze, analyze_file
    from emotive.schema import Analysis, Conversation, EmotionScore, Utterance
    from emotive.taxonomy import get_scheme


__getattr__, __dir__ = lazy_exports("emotive", _WHERE, globals(), __all__)
