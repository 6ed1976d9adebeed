"""Language detection: short English is never called foreign; other languages are said."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from emotive.analyze import SUPPORTED, detect_languages

pytest.importorskip("py3langid")

SHORT_ENGLISH = ["ok", "lol", "thx!!", "😂😂😂", "🙄", "ty", "k.", "[NAME] lol same", "omg yes", "nope"]
ENGLISH = ["This is terrible.", "Oh great, another Monday meeting... Love that for me.",
           "I can't believe it actually worked!", "just got ghosted again 💀 whatever i'm fine",
           "No. I'm completely panicking right now."]
FOREIGN = [("es", "Estoy muy cansada de este trabajo, ya no puedo más."), ("zh", "我今天真的很难过。"),
           ("de", "Ich vermisse dich jeden Tag."), ("fr", "Merci beaucoup, c'est très gentil de ta part."),
           ("ru", "Спасибо большое, ты лучший!"), ("ja", "明日の面接が怖い。")]


def test_very_short_english_is_undetermined_and_supported() -> None:
    assert detect_languages(SHORT_ENGLISH) == [(None, True)] * len(SHORT_ENGLISH)


def test_english_sentences_are_english() -> None:
    assert [lang for lang, _ in detect_languages(ENGLISH)] == ["en"] * len(ENGLISH)
    assert "en" in SUPPORTED


def test_other_languages_are_named_and_unsupported() -> None:
    assert detect_languages([t for _, t in FOREIGN]) == [(code, False) for code, _ in FOREIGN]


def test_a_custom_classifier_follows_the_same_rules() -> None:
    calls: list[str] = []

    def unsure(text: str) -> tuple[str, float]:
        calls.append(text)
        return "es", 0.5

    # short: no call; English function words: no call; unsure: undetermined
    assert detect_languages(["lol", "this is what they said", "Hasta mañana amigos míos"], unsure) == \
        [(None, True), ("en", True), (None, True)]
    assert calls == ["Hasta mañana amigos míos"]


def test_every_analysis_carries_language_and_supported(tiny_analyzer) -> None:  # type: ignore[no-untyped-def]
    es, en = tiny_analyzer.analyze(["Estoy muy cansada de este trabajo, ya no puedo más.", "lol"])
    assert (es.language, es.supported) == ("es", False)
    assert (en.language, en.supported) == (None, True)
    assert {"language": "es", "supported": False}.items() <= es.to_dict().items()


def test_the_cli_summary_counts_unsupported_texts(tiny_model: Path, cli_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.txt"
    src.write_text("I love this so much!\nEstoy muy cansada de este trabajo, ya no puedo más.\n"
                   "我今天真的很难过。\nlol\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    proc = subprocess.run([sys.executable, "-m", "emotive", "analyze", str(src), "--model", str(tiny_model),
                           "-o", str(out)], capture_output=True, text=True, env=cli_env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "2 of 4 texts in unsupported languages (es 1, zh 1)" in " ".join(proc.stderr.split())
    header, *rows = out.read_text(encoding="utf-8").splitlines()
    assert "language" in header.split(",") and "supported" in header.split(",")
    jsonl = subprocess.run([sys.executable, "-m", "emotive", "analyze", str(src), "--model", str(tiny_model), "-q"],
                           capture_output=True, text=True, env=cli_env, timeout=120, stdin=subprocess.DEVNULL)
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [(r["language"], r["supported"]) for r in records] == [("en", True), ("es", False), ("zh", False),
                                                                  (None, True)]
