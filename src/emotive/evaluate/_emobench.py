"""``emobench``: multiple-choice emotional understanding (EU) and application (EA) in the
public EmoBench JSONL format (Sabour et al. 2024, "EmoBench: Evaluating the Emotional
Intelligence of Large Language Models", ACL), from a file or folder the user gives.

- EU rows: ``qid, language, coarse_category, finegrained_category, scenario, subject,
  emotion_choices, emotion_label, cause_choices, cause_label``; each row is two questions:
  the emotion the subject feels, then why they feel the gold emotion;
- EA rows: ``qid, language, category, question type, scenario, subject, choices, label``:
  the most effective response or action.

A label is a choice's text (or its 0-based index). Accuracy is reported per task (EU
emotion, EU cause, EA) and per category; an answer that names no choice is counted wrong.
In the guided condition the system message adds emotive's reading of the scenario.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from emotive._errors import InputError
from emotive.evaluate._prompts import Reader, guidance_lines, mc_messages, reading_dict
from emotive.evaluate._suite import Suite, file_digest, need_file
from emotive.evaluate._types import GUIDED, UNGUIDED, Task

EU_FIELDS = ("qid", "scenario", "subject", "emotion_choices", "emotion_label", "cause_choices", "cause_label")
EA_FIELDS = ("qid", "scenario", "subject", "choices", "label")


def files_of(path: Path) -> list[Path]:
    """The JSONL files of ``path``: itself, or a folder's ``*.jsonl`` (EU.jsonl, EA.jsonl)."""
    if path.is_dir():
        found = sorted(path.glob("*.jsonl"))
        if not found:
            raise InputError(f"no .jsonl files in folder {str(path)!r}; give EmoBench's EU.jsonl or EA.jsonl")
        return found
    return [path]


def read_rows(path: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """(file, line, row) of every non-blank line; bad JSON names the file and line."""
    for file in files_of(path):
        with file.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid JSON ({exc.msg}); each line must be one EmoBench item",
                                     source=str(file), line=lineno) from None
                if not isinstance(row, dict):
                    raise InputError(f"expected a JSON object, got {type(row).__name__}", source=str(file),
                                     line=lineno)
                yield file, lineno, row


def _choices(row: Mapping[str, Any], key: str, where: tuple[str, int]) -> tuple[str, ...]:
    value = row[key]
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(c, str) and c.strip() for c in value):
        raise InputError(f"{key!r} must be a list of at least two non-empty strings", source=where[0], line=where[1])
    return tuple(value)


def _label(row: Mapping[str, Any], key: str, choices: tuple[str, ...], where: tuple[str, int]) -> str:
    value = row[key]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(choices):
        return choices[value]
    if isinstance(value, str) and value in choices:
        return value
    raise InputError(f"{key} {value!r} is not one of the choices {list(choices)}", source=where[0], line=where[1])


def _kind(row: Mapping[str, Any], where: tuple[str, int]) -> str:
    if all(k in row for k in EU_FIELDS):
        return "EU"
    if all(k in row for k in EA_FIELDS):
        return "EA"
    eu = [k for k in EU_FIELDS if k not in row]
    ea = [k for k in EA_FIELDS if k not in row]
    raise InputError(f"not an EmoBench item: an EU item lacks {', '.join(eu)}; an EA item lacks {', '.join(ea)}",
                     source=where[0], line=where[1])


def questions(row: Mapping[str, Any], where: tuple[str, int]) -> list[dict[str, Any]]:
    """The one (EA) or two (EU) questions of a row: id, question, choices, gold, categories."""
    kind, subject = _kind(row, where), str(row["subject"])
    qid = str(row["qid"])
    if kind == "EA":
        choices = _choices(row, "choices", where)
        qtype = str(row.get("question type") or row.get("question_type") or "response").lower()
        return [{"id": f"EA:{qid}", "question": f"In this situation, what is the most effective {qtype} for {subject}?",
                 "choices": choices, "gold": _label(row, "label", choices, where),
                 "categories": ("task:EA", f"category:{row.get('category', '?')}")}]
    emo = _choices(row, "emotion_choices", where)
    cause = _choices(row, "cause_choices", where)
    gold_emotion = _label(row, "emotion_label", emo, where)
    cats = (f"category:{row.get('coarse_category', '?')}", f"finegrained:{row.get('finegrained_category', '?')}")
    return [{"id": f"EU-emotion:{qid}", "question": f"What emotion(s) would {subject} ultimately feel in this "
             "situation?", "choices": emo, "gold": gold_emotion, "categories": ("task:EU-emotion", *cats)},
            {"id": f"EU-cause:{qid}", "question": f"Why would {subject} feel {gold_emotion} in this situation?",
             "choices": cause, "gold": _label(row, "cause_label", cause, where),
             "categories": ("task:EU-cause", *cats)}]


class EmoBench(Suite):
    """See the module docstring."""

    name = "emobench"
    default_modes = (UNGUIDED,)

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.path = need_file(settings.data, "emobench suite", "--data") if not (
            settings.data and Path(settings.data).expanduser().is_dir()) else Path(settings.data).expanduser()
        self.reader = Reader()

    def describe(self) -> dict[str, Any]:
        return {"data": [{"file": f.name, "sha256": file_digest(f)} for f in files_of(self.path)]}

    def items(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: dict[str, str] = {}
        for file, lineno, row in read_rows(self.path):
            where = (str(file), lineno)
            for q in questions(row, where):
                if q["id"] in seen:
                    raise InputError(f"qid {row['qid']!r} appears twice (first at {seen[q['id']]})",
                                     source=str(file), line=lineno)
                seen[q["id"]] = f"{file.name}:{lineno}"
                out.append({**q, "scenario": str(row["scenario"]), "language": row.get("language")})
        if not out:
            raise InputError("no EmoBench items in the file", source=str(self.path))
        n = self.size(None)
        if n is not None and n < len(out):
            out = sorted(random.Random(self.settings.seed).sample(out, n), key=lambda q: out.index(q))
        return out

    def tasks(self) -> list[Task]:
        tasks = []
        for q in self.items():
            for mode in self.modes:
                reading = self.reader.read(q["scenario"]) if mode == GUIDED else None
                messages = mc_messages(q["scenario"], q["question"], q["choices"], guidance=guidance_lines(reading))
                tasks.append(Task(q["id"], mode, messages, gold=q["gold"], choices=q["choices"],
                                  categories=q["categories"], meta={"language": q["language"],
                                                                    "reading": reading_dict(reading)}))
        return tasks
