"""Helpers shared by the benchmarks: timing, percentiles, peak RSS, machine info, output.

Nothing here imports torch, transformers or onnxruntime: versions are read from package
metadata so a parent process stays small and each worker pays only for what it loads.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import resource
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"


def log(message: str) -> None:
    """One progress line on stderr (stdout is kept for machine-readable output)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Call ``fn`` once; return its result and the wall time in seconds."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def latencies_ms(fn: Callable[[T], object], items: Iterable[T]) -> list[float]:
    """Wall time in milliseconds of ``fn(item)`` for each item, one call at a time."""
    out = []
    for item in items:
        start = time.perf_counter_ns()
        fn(item)
        out.append((time.perf_counter_ns() - start) / 1e6)
    return out


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation, as ``numpy.percentile``.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.5
    """
    if not values:
        raise ValueError("percentile of an empty sequence")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (``ru_maxrss``)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def package_version(name: str) -> str | None:
    """Installed version of a distribution, or None when it is absent."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_info(packages: Sequence[str] = ()) -> dict[str, Any]:
    """CPU, OS, Python, load average and the versions of ``packages``."""
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    if hasattr(os, "getloadavg"):
        info["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    info["packages"] = {name: package_version(name) for name in packages}
    return info


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string, to the second."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def command_line() -> str:
    """The command that started this process, shell-quoted, for copy and paste; absolute
    paths are written relative to the repository root, where the command is run from."""
    args = [os.path.relpath(a, REPO_ROOT) if os.path.isabs(a) else a for a in sys.argv]
    return shlex.join(["python", *args])


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured markdown table; numbers right-aligned."""
    cells = [[str(cell) for cell in row] for row in rows]
    align = ["---:" if cells and _is_number(cells[0][i]) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def _is_number(cell: str) -> bool:
    try:
        float(cell.replace(",", "").rstrip("×x"))
    except ValueError:
        return False
    return True


def write_results(name: str, payload: dict[str, Any], markdown: str,
                  out_dir: str | os.PathLike[str] | None = None) -> tuple[Path, Path]:
    """Write ``{name}.json`` and ``{name}.md`` into ``out_dir`` (default benchmarks/results).

    Each file is written to a temporary file in the same folder and renamed, so a reader
    never sees half a result.
    """
    folder = Path(out_dir) if out_dir is not None else RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / f"{name}.json", folder / f"{name}.md"
    _write_atomic(json_path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    _write_atomic(md_path, markdown.rstrip("\n") + "\n")
    return json_path, md_path


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), 0o644)  # mkstemp makes 0600 files
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def scheme_scores(probs: Any, fine: Sequence[str], scheme: str = "ekman") -> Any:
    """A coarse scheme's score matrix from fine probabilities ``(n, len(fine))``: each group's
    score is its best member's (the README's rule), columns in the scheme's label order."""
    import numpy as np

    from emotive.taxonomy import get_scheme

    sch = get_scheme(scheme)
    fine = list(fine)
    return np.stack([probs[:, [fine.index(m) for m in sch.groups[g]]].max(1) for g in sch.labels], 1)


def words(text: str) -> set[str]:
    """The lowercase word tokens of ``text`` (for token-overlap scores)."""
    return set(re.findall(r"\w+", text.lower()))


def set_f1(pred: set[str], gold: set[str]) -> float:
    """F1 of two token sets; 1.0 when both are empty."""
    common = len(pred & gold)
    if not pred or not gold or not common:
        return float(pred == gold)
    p, r = common / len(pred), common / len(gold)
    return 2 * p * r / (p + r)
