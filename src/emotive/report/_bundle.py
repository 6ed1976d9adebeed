"""The Vega scripts and PNG export, both from ``vl-convert-python`` (extra ``[report]``).

vl-convert bundles Vega, Vega-Lite and Vega-Embed into one script with no imports, made
once per vl-convert version and kept in ``$EMOTIVE_CACHE`` (default ``~/.cache/emotive``):
bundling takes a few seconds, reading it back a few milliseconds. The page inlines it, so
it opens offline and loads nothing from anywhere.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from emotive._errors import missing_extra
from emotive._files import atomic_write

EXTRA = "report"


def vl_convert() -> Any:
    """The ``vl_convert`` module, or the error that names the extra to install."""
    try:
        import vl_convert
    except ImportError:
        raise missing_extra(EXTRA, "vl-convert-python") from None
    return vl_convert


def cache_dir() -> Path:
    return Path(os.environ.get("EMOTIVE_CACHE") or Path.home() / ".cache" / "emotive")


@lru_cache(maxsize=1)
def vega_script() -> str:
    """The bundled Vega + Vega-Lite + Vega-Embed script (globals ``vega``, ``vegaLite``,
    ``vegaEmbed``), from the cache or made now (and cached when the folder is writable)."""
    vlc = vl_convert()
    path = cache_dir() / f"vega-bundle-vl-convert-{vlc.__version__}.js"
    try:
        cached = path.read_text(encoding="utf-8")
        if "window.vegaEmbed" in cached:
            return cached
    except OSError:
        pass
    script = str(vlc.javascript_bundle())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, fsync=False) as fh:
            fh.write(script)
    except OSError:
        pass  # a read-only home: bundle again next time
    return script


def png_bytes(spec: dict[str, Any], scale: float = 1.5) -> bytes:
    """A Vega-Lite spec drawn as a PNG by vl-convert (no browser)."""
    return bytes(vl_convert().vegalite_to_png(spec, scale=scale))
