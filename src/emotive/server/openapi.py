"""Write the committed OpenAPI schema: ``python -m emotive.server.openapi``.

The file ``src/emotive/server/openapi.json`` must equal what ``/openapi.json`` serves;
``tests/server/test_openapi.py`` checks it.
"""

from __future__ import annotations

import json
from pathlib import Path

from emotive.server._app import openapi_schema

PATH = Path(__file__).with_name("openapi.json")


def render() -> str:
    """The schema as the committed file holds it (sorted keys, 2-space indent)."""
    return json.dumps(openapi_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {PATH}")
