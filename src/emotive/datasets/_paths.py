"""Where the shared corpora live: ``$EMOTIVE_DATA`` or ``../shared/data`` beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

from emotive._errors import ConfigError

ENV_VAR = "EMOTIVE_DATA"


def data_root() -> Path:
    """The folder that holds the corpora (``goemotions/``, ``meld/`` …).

    ``$EMOTIVE_DATA`` wins; otherwise ``shared/data`` is looked for beside the current
    directory and beside the source checkout.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    candidates = [Path.cwd() / ".." / "shared" / "data", Path.cwd() / "shared" / "data"]
    candidates += [p / "shared" / "data" for p in here.parents]
    for cand in candidates:
        if (cand / "MANIFEST.md").exists():
            return cand.resolve()
    raise ConfigError(
        f"cannot find the shared corpora; set {ENV_VAR} to the folder that holds "
        "goemotions/, meld/, … (for example ../shared/data)"
    )


def corpus_dir(name: str, root: str | os.PathLike[str] | None = None) -> Path:
    """The folder of one corpus, checked to exist."""
    base = Path(root) if root is not None else data_root()
    path = base / name
    if not path.is_dir():
        raise ConfigError(f"corpus folder not found: {path} (set {ENV_VAR} or pass a path)")
    return path
