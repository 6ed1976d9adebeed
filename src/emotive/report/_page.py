"""One self-contained HTML page of charts: the Vega scripts inlined once, every chart's
spec in one JSON block, drawn by a short script that counts what it drew.

The page loads nothing from anywhere (no script, stylesheet, font or image from another
file or host), so it opens offline, from an e-mail or a ticket. ``window.emotiveCharts``
says how many charts the page has, how many were drawn or failed, and when the last one
was done (``performance.now()``), which the browser test and the benchmark read.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

from emotive.report._bundle import vega_script
from emotive.report._charts import Chart
from emotive.report._vega import vega_spec

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
background:#fff;font-size:15px;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:36px 0 6px;padding-top:12px;
border-top:1px solid #e5e5e5}h3{font-size:16px;margin:22px 0 4px}
.meta,.note{color:#666;font-size:14px;margin:2px 0 10px}
.chart,.chart.vega-embed{display:block;width:100%;overflow-x:auto;margin:8px 0 14px}
nav{font-size:14px;margin:6px 0 12px}nav a{margin-right:14px;color:#0b5cad}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.card{border:1px solid #e3e3e3;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:22px}.card span{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:14px;margin:6px 0 12px}
th,td{border-bottom:1px solid #e3e3e3;padding:4px 12px;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.key{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle;
margin-right:6px}
blockquote{margin:4px 0;padding:2px 10px;border-left:3px solid #ddd;color:#333}
.caveat{background:#fff8e6;border:1px solid #f0d48a;border-radius:6px;padding:8px 14px}
"""

_SCRIPT = """
(function () {
  var specs = JSON.parse(document.getElementById("emotive-specs").textContent);
  var ids = Object.keys(specs);
  var state = window.emotiveCharts = {total: ids.length, drawn: 0, failed: 0,
                                      done: ids.length ? null : performance.now()};
  function settle() { if (state.drawn + state.failed === state.total) state.done = performance.now(); }
  ids.forEach(function (id) {
    var el = document.getElementById(id);
    vegaEmbed(el, specs[id], {mode: "vega-lite", renderer: "svg", actions: false})
      .then(function () { el.setAttribute("data-drawn", "true"); state.drawn++; settle(); })
      .catch(function (err) {
        state.failed++; el.textContent = "This chart could not be drawn: " + err;
        console.error(err); settle();
      });
  });
})();
"""


def esc(value: Any) -> str:
    """Text made safe for HTML: escaped, without control characters.

    >>> esc('<b>&"x')
    '&lt;b&gt;&amp;&quot;x'
    """
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def script_json(value: Any) -> str:
    """JSON that can stand inside a ``<script>`` element: no ``<``, ``>`` or ``&`` in it.

    >>> script_json({"text": "</script><!--"})
    '{"text": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Page:
    """Collects charts (each becomes a ``<div>`` placeholder) and writes the page."""

    def __init__(self, title: str):
        self.title = title
        self.specs: dict[str, dict[str, Any]] = {}

    def chart(self, chart: Chart, *, titled: bool = True) -> str:
        """The placeholder of ``chart``; its spec is kept for the page's script. A chart
        under a heading of its own can leave out its title (``titled=False``)."""
        key = f"chart-{len(self.specs) + 1}"
        spec = vega_spec(chart)
        if not titled:
            spec.pop("title", None)
        self.specs[key] = spec
        return f'<div class="chart" id="{key}" data-kind="{type(chart).__name__.lower()}"></div>'

    def html(self, body: str) -> str:
        """The whole page around ``body`` (already escaped HTML)."""
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{esc(self.title)}</title>\n<style>{CSS}</style>\n"
                f"<script>{vega_script()}</script>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
                f'<script type="application/json" id="emotive-specs">{script_json(self.specs)}</script>\n'
                f"<script>{_SCRIPT}</script>\n</body>\n</html>\n")
