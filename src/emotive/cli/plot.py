"""``emotive plot``: conversations in, an emotion-flow chart (.html or .png) out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from emotive.cli._render import err

if TYPE_CHECKING:
    from emotive.analyze import Analyzer


def plot_command(
    input: Annotated[str, typer.Argument(
        help="Conversations: a .jsonl of {id, turns: [{speaker, text}]} (analyzed ones are "
             "plotted as they are), or a csv/tsv/jsonl/parquet file with one turn per row and "
             "--conversation-column; - for stdin.", show_default=False)],
    output: Annotated[str, typer.Option(
        "-o", "--output", help="Write a self-contained .html page or a .png image.")] = "flow.html",
    conversation_column: Annotated[Optional[str], typer.Option(
        help="Conversation id column of a file with one turn per row.")] = None,
    speaker_column: Annotated[str, typer.Option(help="Speaker column of a file of turns.")] = "speaker",
    turn_column: Annotated[Optional[str], typer.Option(
        help="Turn number column that orders a conversation (default: file order).")] = None,
    text_column: Annotated[str, typer.Option(help="Text column of a file of turns.")] = "text",
    model: Annotated[Optional[str], typer.Option(
        help="Fine-grained emotion model name or directory.")] = None,
    conversation_model: Annotated[Optional[str], typer.Option(
        help="In-context emotion and valence model name or directory.")] = None,
    limit: Annotated[Optional[int], typer.Option(
        min=1, help="Plot only the first N conversations.")] = None,
) -> None:
    """Chart how emotions flow through conversations: valence per speaker over the turns.

    Examples: emotive plot chats.jsonl -o flow.html
    · emotive plot turns.csv --conversation-column chat_id --speaker-column author -o flow.png
    """
    from emotive.analyze import load_or_analyze, write_plot
    from emotive.cli._run_options import check_paths

    check_paths([input], output)

    def make_analyzer() -> Analyzer:
        from emotive.analyze import Analyzer

        return Analyzer(model, conversation_model=conversation_model)

    analyses = load_or_analyze(
        input, conversation_column=conversation_column, speaker_column=speaker_column,
        turn_column=turn_column, text_column=text_column, limit=limit,
        analyzer_factory=make_analyzer)
    write_plot(analyses, output)
    n = len(analyses)
    err.print(f"wrote {output} ({n} conversation{'s' if n != 1 else ''})", markup=False,
              highlight=False)
