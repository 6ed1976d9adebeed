"""Readers for the public corpora in ``../shared/data`` (``$EMOTIVE_DATA``). Nothing downloads."""

from __future__ import annotations

from emotive.datasets._paths import corpus_dir, data_root

__all__ = ["corpus_dir", "data_root"]
