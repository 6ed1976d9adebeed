"""The evaluation report as one self-contained HTML page: the Markdown report rendered
(markdown-it-py, which rich already brings), with raw HTML in transcripts escaped, never run.

>>> page = html("# emotive eval hef\\n\\n| a | b |\\n| --- | --- |\\n| 1 | <script>x</script> |\\n", "hef")
>>> "<table>" in page and "<script>x" not in page and "&lt;script&gt;x" in page
True
"""

from __future__ import annotations

from html import escape

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; margin: 0; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
pre { background: #f6f8fa; padding: 10px; overflow-x: auto; white-space: pre-wrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.92em; }
"""


def html(markdown: str, title: str) -> str:
    """``markdown`` (the report's Markdown) as a whole page titled ``title``."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}</main>\n"
            f"</body>\n</html>\n")
