from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from emotive import Conversation, InputError, Utterance
from emotive.analyze import analyze_conversation_file
from emotive.io import read_conversations


def write_jsonl(path, objs):
    path.write_text("\n".join(o if isinstance(o, str) else json.dumps(o) for o in objs) + "\n")
    return path


CHAT = {"id": "c1", "turns": [{"speaker": "A", "text": "My flight got cancelled."},
                              {"speaker": "B", "text": "Oh no, I'm so sorry!"},
                              {"speaker": "A", "text": "Fine."}]}


def test_analyze_conversation(tiny_conv_analyzer) -> None:
    conv = Conversation("c1", tuple(Utterance(t["text"], t["speaker"]) for t in CHAT["turns"]))
    res = tiny_conv_analyzer.analyze_conversation(conv)
    assert [t.speaker for t in res.turns] == ["A", "B", "A"]
    for t in res.turns:
        assert sum(t.context_scores.values()) == pytest.approx(1.0, abs=1e-3)
        assert all(1.0 <= x <= 5.0 for x in t.vad) and 0.0 <= t.intensity <= 1.0
        assert len(t.fine.scores) == 28
    assert set(res.speakers) == {"A", "B"}




def test_empty_conversation_and_empty_turn_are_errors(tiny_conv_analyzer) -> None:
    with pytest.raises(InputError, match="conversation 'x' has no turns"):
        tiny_conv_analyzer.analyze_conversation(Conversation("x", ()))
    with pytest.raises(InputError, match="conversation 'y', turn 1: empty text"):
        tiny_conv_analyzer.analyze_conversation(
            Conversation("y", (Utterance("ok", "A"), Utterance(" ", "B"))))


def test_reader_documented_behaviours(tmp_path) -> None:
    p = write_jsonl(tmp_path / "c.jsonl", [
        CHAT, {"text": "a single text", "speaker": "Z"}, {"id": "e", "turns": []},
        {"id": "s", "turns": [{"text": "no speaker"}]}, "{oops", {"id": "t", "turns": [{"speaker": "A"}]}])
    rows = list(read_conversations(str(p)))
    assert rows[0].conversation.id == "c1" and len(rows[0].conversation.turns) == 3
    assert rows[1].conversation.turns[0].speaker == "Z"
    assert rows[2].error == "conversation 'e' has no turns" and rows[2].line == 3
    assert rows[3].conversation.turns[0].speaker == "unknown"
    assert rows[4].error.startswith("malformed JSON") and rows[4].line == 5
    assert "turn 0: no text" in rows[5].error


def test_flat_rows_grouped_ordered_and_duplicates_caught(tmp_path) -> None:
    p = tmp_path / "turns.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["conv", "who", "n", "text"])
        w.writerows([["x", "A", 2, "second"], ["y", "A", 1, "y one"], ["x", "B", 1, "first"],
                     ["z", "A", 1, "dup a"], ["z", "B", 1, "dup b"]])
    rows = list(read_conversations(str(p), conversation_column="conv", speaker_column="who",
                                   turn_column="n"))
    assert [t.text for t in rows[0].conversation.turns] == ["first", "second"]
    assert rows[0].conversation.turns[0].speaker == "B" and rows[1].conversation.id == "y"
    assert "duplicated turn numbers" in rows[2].error and rows[2].line == 5
    with pytest.raises(InputError, match="needs --conversation-column"):
        read_conversations(str(p))


def test_file_per_turn_and_nested_skip_keeps_everything(tmp_path, tiny_conv_analyzer) -> None:
    src = write_jsonl(tmp_path / "chat.jsonl", [CHAT, {"id": "e", "turns": []}, {"text": "solo"}])
    out = tmp_path / "turns.jsonl"
    s = analyze_conversation_file(str(src), str(out), analyzer=tiny_conv_analyzer,
                                  on_error="skip", chunk_turns=2)
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["line"], r.get("turn")) for r in recs] == [(1, 0), (1, 1), (1, 2), (2, None), (3, 0)]
    assert recs[3]["error"] == "conversation 'e' has no turns"
    assert (s.conversations, s.analyzed, s.errors) == (2, 4, 1)
    nested = tmp_path / "nested.jsonl"
    analyze_conversation_file(str(src), str(nested), analyzer=tiny_conv_analyzer,
                              on_error="skip", nested=True)
    convs = [json.loads(x) for x in nested.read_text().splitlines()]
    assert [len(c.get("turns", [])) for c in convs] == [3, 0, 1]
    assert set(convs[0]) >= {"speakers", "shifts", "contagion"}


def test_fail_mode_leaves_no_file(tmp_path, tiny_conv_analyzer) -> None:
    src = write_jsonl(tmp_path / "chat.jsonl", [CHAT, {"id": "e", "turns": []}])
    with pytest.raises(InputError, match=r"chat\.jsonl:2: conversation 'e' has no turns"):
        analyze_conversation_file(str(src), str(tmp_path / "o.csv"), analyzer=tiny_conv_analyzer)
    assert not (tmp_path / "o.csv").exists()


def test_long_conversation_streams_in_bounded_chunks(tmp_path, tiny_conv_analyzer) -> None:
    turns = [{"speaker": "AB"[i % 2], "text": f"message number {i}"} for i in range(2000)]
    src = write_jsonl(tmp_path / "long.jsonl", [{"id": "long", "turns": turns}])
    out = tmp_path / "o.parquet"
    s = analyze_conversation_file(str(src), str(out), analyzer=tiny_conv_analyzer)
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    assert s.analyzed == 2000 and table.num_rows == 2000
    assert np.array_equal(table.column("turn").to_numpy(), np.arange(2000))
