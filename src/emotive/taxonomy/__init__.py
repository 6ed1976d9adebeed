"""Label schemes (GoEmotions-28, Ekman-7, sentiment-3, …) and mappings between them."""

from __future__ import annotations

from emotive.taxonomy._scheme import BASE, Scheme, get_scheme, scheme_names, vad_anchors

__all__ = ["BASE", "Scheme", "get_scheme", "scheme_names", "vad_anchors"]
