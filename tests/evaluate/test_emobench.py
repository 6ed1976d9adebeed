"""emobench end to end: a real OpenAI-compatible server on loopback answering in many shapes,
a failing item, a nonsense item, rate limiting, the cache, and the sem baseline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emotive import InputError
from emotive.evaluate import RunStore, evaluate
from emotive.evaluate._parse import letter

SHAPES = [lambda k, c: f"Answer: ({letter(k)})", lambda k, c: letter(k).upper(), lambda k, c: str(k + 1),
          lambda k, c: c[k], lambda k, c: f"Let me think. The answer is {letter(k)}) {c[k]}"]


def scripted(limited: dict[str, int], gold: Any) -> Any:
    """Right answers in rotating shapes; 'Ravi' gets nonsense, 'Omar' an HTTP 500 and
    'Priya' a 429 the first time it is asked."""

    def answer(scenario: str, question: str, choices: list[str], body: dict[str, Any]) -> str | int:
        if "Ravi" in scenario:
            return "Hmm, people are complicated."
        if "Omar" in scenario:
            return 500
        if "Priya" in scenario and "emotion" in question and limited.setdefault("priya", 0) == 0:
            limited["priya"] = 1
            return 429
        k, _ = gold[(scenario, question)]
        return SHAPES[sum(map(ord, question)) % len(SHAPES)](k, choices)
    return answer


def test_emobench_over_http_scores_records_failures_and_reruns_from_the_store(
        loopback: Any, emobench_dir: Path, tmp_path: Path, helpers: Any) -> None:
    limited: dict[str, int] = {}
    loopback.script(helpers.mc_action(scripted(limited, helpers.gold_answers())))
    opts = {"base_url": loopback.url, "model": "scripted", "retries": 0}
    first = evaluate("emobench", data=str(emobench_dir), backend="openai", options=opts, out=tmp_path / "run",
                     concurrency=3)
    block = first.data["conditions"]["unguided"]
    assert block["items"] == 16 and block["failed"] == 1 and block["unparsable"] == 1
    assert block["metrics"]["correct"]["value"] == pytest.approx(14 / 16, abs=1e-4)
    low, high = block["metrics"]["correct"]["low"], block["metrics"]["correct"]["high"]
    assert low < 14 / 16 < high
    cats = block["categories"]
    assert cats["task:EA"]["correct"]["value"] == 0.5  # Ravi: nonsense, Omar: failed
    assert cats["task:EU-emotion"]["correct"]["value"] == 1.0  # Priya answered after the 429
    by_item = {t["item"]: t for t in first.data["transcripts"]}
    assert "500" in by_item["EA:ea-4"]["error"] and by_item["EA:ea-4"]["values"]["correct"] == 0.0
    assert by_item["EA:ea-2"]["note"] == "unparsable" and by_item["EA:ea-2"]["parsed"] is None
    assert limited["priya"] == 1
    assert first.data["backend"]["endpoint"] == loopback.url and first.data["backend"]["served_models"] == ["scripted"]
    assert len(loopback.requests) == 16 + 1  # every question once, Priya's twice (429)
    assert all(r.body["temperature"] == 0.0 and r.body["seed"] == 0 for r in loopback.requests)

    md = first.paths["markdown"].read_bytes()
    again = evaluate("emobench", data=str(emobench_dir), backend="openai", options=opts, out=tmp_path / "run",
                     concurrency=3)
    assert again.asked == 1  # only the failed item is asked again
    assert len(loopback.requests) == 18
    assert again.paths["markdown"].read_bytes() == md
    assert again.paths["json"].read_bytes() == first.paths["json"].read_bytes()
    with RunStore(tmp_path / "run" / "runs.sqlite") as store:
        assert store.count() == 15


def test_guided_adds_emotives_reading_and_reports_the_paired_difference(
        loopback: Any, emobench_dir: Path, tmp_path: Path, helpers: Any) -> None:
    gold = helpers.gold_answers()

    def answer(scenario: str, question: str, choices: list[str], body: dict[str, Any]) -> str:
        guided = "What emotive's small emotion models read" in body["messages"][0]["content"]
        k, _ = gold[(scenario, question)]
        return f"Answer: ({letter(k if guided else (k + 1) % len(choices))})"

    loopback.script(helpers.mc_action(answer))
    report = evaluate("emobench", data=str(emobench_dir / "EU.jsonl"), backend="openai",
                      options={"base_url": loopback.url}, out=tmp_path, modes=("guided", "unguided"))
    assert report.metric("guided") == 1.0 and report.metric("unguided") == 0.0
    diff = report.data["differences"]["guided - unguided"]
    assert diff["value"] == 1.0 and diff["n"] == 12
    guided = next(t for t in report.data["transcripts"] if t["condition"] == "guided")
    assert "- Emotions: " in guided["messages"][0]["content"] and guided["meta"]["reading"]["emotion7"]


def test_samples_are_averaged_not_best_of(loopback: Any, emobench_dir: Path, tmp_path: Path,
                                          helpers: Any) -> None:
    gold = helpers.gold_answers()
    seen: dict[tuple[str, str], int] = {}

    def answer(scenario: str, question: str, choices: list[str], body: dict[str, Any]) -> str:
        k, _ = gold[(scenario, question)]  # right on the first sample, wrong on the second
        return f"Answer: ({letter(k if body['seed'] == 0 else (k + 1) % len(choices))})"

    loopback.script(helpers.mc_action(answer))
    report = evaluate("emobench", data=str(emobench_dir / "EA.jsonl"), backend="openai",
                      options={"base_url": loopback.url}, out=tmp_path, samples=2, temperature=0.7)
    assert report.metric("unguided") == 0.5
    assert len(loopback.requests) == 8 and not seen


def test_sem_baseline_answers_every_question(emobench_dir: Path, tmp_path: Path) -> None:
    report = evaluate("emobench", data=str(emobench_dir), backend="sem", out=tmp_path, concurrency=2)
    block = report.data["conditions"]["unguided"]
    assert block["items"] == 16 and block["failed"] == 0 and block["unparsable"] == 0
    methods = {t["item"].split(":")[0]: t["metadata"]["method"] for t in report.data["transcripts"]}
    assert methods == {"EU-emotion": "emotion", "EU-cause": "similarity", "EA": "similarity"}


@pytest.mark.parametrize(("content", "message"), [
    ('{"qid": "a"}\n{not json\n', "bad.jsonl:1: not an EmoBench item"),
    ('\n{not json\n', "bad.jsonl:2: invalid JSON"),
    ('[1, 2]\n', "bad.jsonl:1: expected a JSON object"),
])
def test_a_malformed_suite_file_names_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    with pytest.raises(InputError) as err:
        evaluate("emobench", data=str(bad), backend="sem", out=tmp_path / "o")
    assert message in str(err.value)


def test_a_label_that_is_no_choice_names_its_line(emobench_dir: Path, tmp_path: Path) -> None:
    rows = (emobench_dir / "EU.jsonl").read_text().splitlines()
    row = json.loads(rows[2])
    row["emotion_label"] = "Happiness"
    bad = tmp_path / "EU.jsonl"
    bad.write_text("\n".join([rows[0], rows[1], json.dumps(row)]) + "\n")
    with pytest.raises(InputError, match=r"EU.jsonl:3: emotion_label 'Happiness' is not one of the choices"):
        evaluate("emobench", data=str(bad), backend="sem", out=tmp_path / "o")
