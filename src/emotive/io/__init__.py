"""Reading and writing for every job and edge: txt, csv/tsv, jsonl, parquet and stdin in;
jsonl, csv and parquet out, streaming; one atomic write.

>>> from emotive.io import detect_format
>>> detect_format("tickets.csv")
'csv'
"""

from __future__ import annotations

from emotive._files import atomic_path, atomic_write
from emotive.io._conversations import (
    ConversationSource,
    ConvRow,
    from_object,
    open_conversations,
    read_conversations,
)
from emotive.io._readers import (
    FORMATS,
    MAX_CHARS,
    Row,
    Source,
    check_input,
    detect_format,
    open_rows,
    parquet_rows,
    read_rows,
)
from emotive.io._writers import (
    OUTPUTS,
    ROW_GROUP,
    Layout,
    Writer,
    arrow_schema,
    arrow_table,
    check_output,
    dumps_record,
    output_kind,
    text_layout,
)

__all__ = [
    "ConvRow",
    "ConversationSource",
    "FORMATS",
    "Layout",
    "MAX_CHARS",
    "OUTPUTS",
    "ROW_GROUP",
    "Row",
    "Source",
    "Writer",
    "arrow_schema",
    "arrow_table",
    "atomic_path",
    "atomic_write",
    "check_input",
    "check_output",
    "detect_format",
    "dumps_record",
    "from_object",
    "open_conversations",
    "open_rows",
    "output_kind",
    "parquet_rows",
    "read_conversations",
    "read_rows",
    "text_layout",
]
