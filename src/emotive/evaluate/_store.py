"""The run store: one SQLite file holding every request and response of every run.

- ``answers``: one row per distinct request (its key is a hash of the backend's identity,
  the messages, the settings and the sample number) with the response: a rerun, or another
  run asking the same thing, reuses it instead of asking again;
- ``runs``: each run's settings and the time it first started (the report's date, so a
  rerun writes the same bytes);
- ``failures``: every failed attempt, per run (failures are not cached: a rerun asks again).

Each answer is committed as it arrives, so a run killed at any point resumes from the
answers it already has.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from emotive._errors import ConfigError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY, created TEXT NOT NULL, settings TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, request TEXT NOT NULL, text TEXT NOT NULL,
                                    metadata TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failures (run_id TEXT NOT NULL, key TEXT NOT NULL, error TEXT NOT NULL,
                                     created TEXT NOT NULL);
"""


def utc_now() -> str:
    """The current UTC time to the second, ISO 8601."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class RunStore:
    """The SQLite run store at ``path`` (created with its folder when missing).

    >>> import tempfile, os
    >>> store = RunStore(os.path.join(tempfile.mkdtemp(), "runs.sqlite"))
    >>> store.put("k1", {"messages": []}, "Answer: (b)", {"model": "m"})
    >>> store.get("k1")
    ('Answer: (b)', {'model': 'm'})
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"run store {str(self.path)!r} cannot be opened as SQLite ({exc}); "
                              "give another --store file or remove this one") from None
        self._lock = threading.Lock()

    def open_run(self, run_id: str, settings: dict[str, Any]) -> str:
        """Register the run (once) and return the time it first started."""
        with self._lock:
            row = self._db.execute("SELECT created FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is not None:
                return str(row[0])
            created = utc_now()
            self._db.execute("INSERT INTO runs VALUES (?, ?, ?)",
                             (run_id, created, json.dumps(settings, sort_keys=True, default=str)))
            return created

    def get(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """The stored response to request ``key``: (text, metadata), or None."""
        with self._lock:
            row = self._db.execute("SELECT text, metadata FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else (str(row[0]), json.loads(row[1]))

    def put(self, key: str, request: dict[str, Any], text: str, metadata: dict[str, Any]) -> None:
        """Store a response (committed at once)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                             (key, json.dumps(request, sort_keys=True, default=str), text,
                              json.dumps(metadata, sort_keys=True, default=str), utc_now()))

    def fail(self, run_id: str, key: str, error: str) -> None:
        """Record a failed attempt."""
        with self._lock:
            self._db.execute("INSERT INTO failures VALUES (?, ?, ?, ?)", (run_id, key, error, utc_now()))

    def count(self) -> int:
        """How many responses the store holds."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
