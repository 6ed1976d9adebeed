"""The Analyze job: emotions of texts and files."""

from __future__ import annotations

from emotive.analyze._analyzer import Analyzer, analyze
from emotive.analyze._batch import Summary, analyze_file
from emotive.analyze._conv_batch import analyze_conversation_file
from emotive.analyze._conversation import ConversationAnalysis, TurnAnalysis

__all__ = ["Analyzer", "ConversationAnalysis", "Summary", "TurnAnalysis", "analyze",
           "analyze_conversation_file", "analyze_file"]
