"""The Analyze job: emotions of texts and files."""

from __future__ import annotations

from emotive.analyze._analyzer import Analyzer, analyze
from emotive.analyze._batch import Summary, analyze_file

__all__ = ["Analyzer", "Summary", "analyze", "analyze_file"]
