"""Reports of results: the chart model, its Vega-Lite renderer, the emotion report, and the
grouping of cause texts into themes (used by the causes job too)."""

from __future__ import annotations

from emotive.report._aggregate import Tally
from emotive.report._charts import (
    Bar,
    Bars,
    Bin,
    Cell,
    Chart,
    Contagion,
    Flow,
    FlowPoint,
    Heatmap,
    Histogram,
    Lines,
    Part,
    Point,
    Stacks,
)
from emotive.report._flow import conversation_record, flow_chart, points_of, speaker_colors, valence_domain
from emotive.report._load import Results, open_results
from emotive.report._page import Page
from emotive.report._plots import flows_html, flows_png, write_flows
from emotive.report._report import Report, build_report, make_report, report_html, write_report
from emotive.report._themes import Theme, themes
from emotive.report._vega import vega_spec

__all__ = ["Bar", "Bars", "Bin", "Cell", "Chart", "Contagion", "Flow", "FlowPoint", "Heatmap",
           "Histogram", "Lines", "Page", "Part", "Point", "Report", "Results", "Stacks", "Tally", "Theme",
           "build_report", "conversation_record", "flow_chart", "flows_html", "flows_png",
           "make_report", "open_results", "points_of", "report_html", "speaker_colors", "themes",
           "valence_domain", "vega_spec", "write_flows", "write_report"]
