"""The one runner every job uses: source -> chunks -> batch function -> sink, with exact
resume after a crash (a ledger of finished chunks) and ``engine="ray"`` for a cluster.

>>> from emotive.runner import chunk_rows
>>> list(chunk_rows(2)(iter([1, 2, 3])))
[[1, 2], [3]]
"""

from __future__ import annotations

from emotive.runner._ledger import Ledger
from emotive.runner._run import ENGINES, Job, RunResult, chunk_rows, chunk_turns, run

__all__ = ["ENGINES", "Job", "Ledger", "RunResult", "chunk_rows", "chunk_turns", "run"]
