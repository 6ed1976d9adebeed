"""The Analyze job: emotions of texts and files."""

from __future__ import annotations

from emotive.analyze._analyzer import Analyzer, analyze, text_problem
from emotive.analyze._batch import Summary, TextBatch, analyze_file, language_layout, unsupported_languages
from emotive.analyze._causes import Cause, CauseFinder
from emotive.analyze._context import WINDOW, cause_input, context_input
from emotive.analyze._conv_batch import ConversationBatch, analyze_conversation_file
from emotive.analyze._conversation import ConversationAnalysis, TurnAnalysis
from emotive.analyze._explain import Trigger, candidates, occluded, unit_features
from emotive.analyze._language import LANGUAGES, SUPPORTED, detect_languages
from emotive.analyze._mining import CauseReport, check_emotion, mine_causes
from emotive.analyze._plot import load_or_analyze, render_html, write_plot
from emotive.report import Theme, themes

__all__ = ["Analyzer", "Cause", "CauseFinder", "CauseReport", "ConversationAnalysis",
           "ConversationBatch", "LANGUAGES", "SUPPORTED", "Summary", "TextBatch", "Theme", "Trigger",
           "TurnAnalysis", "WINDOW", "analyze", "analyze_conversation_file", "analyze_file", "candidates",
           "cause_input", "check_emotion", "context_input", "detect_languages", "language_layout",
           "load_or_analyze", "mine_causes",
           "occluded", "render_html", "text_problem", "themes", "unit_features", "unsupported_languages",
           "write_plot"]
