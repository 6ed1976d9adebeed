"""``engine="ray"`` on a local 2-CPU Ray cluster: the same rows, order and values as the
local engine (exact with the fp32 twins of the tiny models)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emotive import Analyzer, analyze_file
from emotive.analyze import analyze_conversation_file

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR",
             configure_logging=False)
    yield {"concurrency": 2}
    ray.shutdown()


def test_texts_on_ray_equal_the_local_engine(cluster, tmp_path: Path, tiny_fp32: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("\n".join(f"message {i}: {'great' if i % 3 else 'awful'} service" for i in range(700))
                   + "\n\n   \n")
    analyzer = Analyzer(tiny_fp32, threads=1)
    for fmt in ("jsonl", "parquet"):
        local = analyze_file(str(src), str(tmp_path / f"local.{fmt}"), analyzer=analyzer, chunk_size=50)
        on_ray = analyze_file(str(src), str(tmp_path / f"ray.{fmt}"), analyzer=analyzer, chunk_size=50,
                              engine="ray", engine_options=cluster)
        assert (tmp_path / f"ray.{fmt}").read_bytes() == (tmp_path / f"local.{fmt}").read_bytes()
        assert on_ray.to_dict() == local.to_dict() and on_ray.rows == 700 and on_ray.blank == 2


def test_conversations_on_ray_equal_the_local_engine(cluster, tmp_path: Path, tiny_fp32: Path,
                                                     tiny_conv_fp32: Path) -> None:
    src = tmp_path / "chats.jsonl"
    with src.open("w") as fh:
        for i in range(40):
            turns = [{"speaker": "AB"[k % 2], "text": f"turn {k} of chat {i}, {'sorry' if k % 2 else 'why'}"}
                     for k in range(1 + i % 5)]
            fh.write(json.dumps({"id": f"c{i}", "turns": turns}) + "\n")
    analyzer = Analyzer(tiny_fp32, conversation_model=tiny_conv_fp32, threads=1)
    local = analyze_conversation_file(str(src), str(tmp_path / "local.jsonl"), analyzer=analyzer,
                                      chunk_turns=16)
    analyze_conversation_file(str(src), str(tmp_path / "ray.jsonl"), analyzer=analyzer, chunk_turns=16,
                              engine="ray", engine_options=cluster)
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert local.conversations == 40


def test_a_bad_row_on_a_worker_is_the_same_clear_error(cluster, tmp_path: Path, tiny_fp32: Path) -> None:
    from emotive import InputError

    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "fine"}\n{"text": ""}\n')
    with pytest.raises(InputError, match=r"in\.jsonl:2: empty text"):
        analyze_file(str(src), str(tmp_path / "o.jsonl"), analyzer=Analyzer(tiny_fp32, threads=1),
                     engine="ray", engine_options=cluster)
