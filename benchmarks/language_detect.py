"""Which language detector tells unsupported languages apart, on short texts, cheaply.

Each candidate runs under the same rules (``emotive.analyze._language``: non-Latin scripts
are named whatever their length, Latin texts under 12 letters are undetermined, texts with
English function words and no accents are English, else the detector must be >= 0.9 sure):

- **false unsupported**: GoEmotions test texts (English Reddit comments, many very short)
  called a non-English language (should be ~0);
- **false supported**: benchmarks/data/languages.jsonl (60 everyday sentences in 20
  languages, written for this benchmark) left supported; and how many get the right code;
- **speed**: texts/s of the rules + detector on GoEmotions test, the detector's load
  time, and the analyzer's texts/s with and without language detection (same run).

Candidates: py3langid (shipped), langdetect and lingua-language-detector (limited to the
same 31 languages). The latter two are not dependencies: pass ``--extra-path`` to a folder
they were installed into (``pip install --target DIR langdetect lingua-language-detector``).

    python benchmarks/language_detect.py [--extra-path DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO_ROOT, command_line, log, machine_info, markdown_table, utc_now, write_results  # noqa: E402

from emotive.analyze import LANGUAGES, detect_languages  # noqa: E402
from emotive.datasets import goemotions  # noqa: E402

FOREIGN = REPO_ROOT / "benchmarks" / "data" / "languages.jsonl"


def py3langid() -> Callable[[str], tuple[str, float]]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(LANGUAGES)
    return lambda text: tuple(ident.classify(text))  # type: ignore[return-value]


def langdetect() -> Callable[[str], tuple[str, float]]:
    from langdetect import DetectorFactory, detect_langs
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def classify(text: str) -> tuple[str, float]:
        try:
            best = detect_langs(text)[0]
        except LangDetectException:
            return "und", 0.0
        return best.lang.split("-")[0], float(best.prob)

    return classify


def lingua() -> Callable[[str], tuple[str, float]]:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LANGUAGES
             if hasattr(IsoCode639_1, c.upper())]
    detector = LanguageDetectorBuilder.from_languages(*langs).with_preloaded_language_models().build()

    def classify(text: str) -> tuple[str, float]:
        values = detector.compute_language_confidence_values(text)
        if not values:
            return "und", 0.0
        return values[0].language.iso_code_639_1.name.lower(), float(values[0].value)

    return classify


CANDIDATES = {"py3langid": py3langid, "langdetect": langdetect, "lingua": lingua}


def measure(name: str, english: list[str], foreign: list[dict[str, str]]) -> dict[str, Any]:
    start = time.perf_counter()
    classify = CANDIDATES[name]()
    load = time.perf_counter() - start
    start = time.perf_counter()
    got = detect_languages(english, classify)
    speed = len(english) / (time.perf_counter() - start)
    false_unsupported = [(t, lang) for t, (lang, ok) in zip(english, got) if not ok]
    fgot = detect_languages([f["text"] for f in foreign], classify)
    false_supported = [f["text"] for f, (_, ok) in zip(foreign, fgot) if ok]
    right = sum(lang == f["lang"] for f, (lang, _) in zip(foreign, fgot))
    return {"load_s": round(load, 2), "texts_per_s": round(speed, 1),
            "goemotions_test_false_unsupported": len(false_unsupported),
            "goemotions_test_false_unsupported_rate": round(len(false_unsupported) / len(english), 5),
            "goemotions_test_undetermined": sum(lang is None for lang, _ in got),
            "foreign_false_supported": len(false_supported), "foreign_right_code": right,
            "foreign_n": len(foreign), "examples_false_unsupported": false_unsupported[:10],
            "examples_false_supported": false_supported[:10]}


def analyzer_cost(texts: list[str], rounds: int = 3) -> dict[str, float]:
    """Analyzer texts/s with detection and with it switched off (interleaved, best round)."""
    import emotive.analyze._analyzer as analyzer_module
    from emotive import Analyzer

    a = Analyzer(threads=2)
    a.analyze(texts[:64])
    real = analyzer_module.detect_languages
    best = {"with language": 0.0, "without language": 0.0}
    for _ in range(rounds):
        for key in best:
            analyzer_module.detect_languages = real if key == "with language" else (lambda ts: [(None, True)] * len(ts))
            start = time.perf_counter()
            a.analyze(texts)
            best[key] = max(best[key], len(texts) / (time.perf_counter() - start))
    analyzer_module.detect_languages = real
    out = {k: round(v, 1) for k, v in best.items()}
    out["ratio"] = round(out["with language"] / out["without language"], 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extra-path", default=None, help="folder with langdetect / lingua installed")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.extra_path:
        sys.path.append(args.extra_path)
    english = [r.text for r in goemotions.read("test")]
    foreign = [json.loads(line) for line in FOREIGN.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = {}
    for name in CANDIDATES:
        log(name)
        try:
            results[name] = measure(name, english, foreign)
        except ImportError as exc:
            results[name] = {"error": f"not installed: {exc}"}
    log("analyzer cost")
    cost = analyzer_cost(english[:2000])
    payload = {"date": utc_now(), "command": command_line(), "machine": machine_info(["py3langid"]),
               "goemotions_test_n": len(english), "results": results, "analyzer_texts_per_s": cost}
    rows = [[n, r.get("goemotions_test_false_unsupported", "-"), r.get("goemotions_test_undetermined", "-"),
             f"{r.get('foreign_false_supported', '-')}/{r.get('foreign_n', '-')}", r.get("foreign_right_code", "-"),
             r.get("texts_per_s", "-"), r.get("load_s", "-")] for n, r in results.items()]
    md = (f"# Language detection on short texts\n\n`{command_line()}`\n\n"
          + markdown_table(["detector", f"false unsupported (of {len(english)} GoEmotions test)", "undetermined",
                            "false supported (foreign)", "right code", "texts/s", "load s"], rows)
          + f"\n\nAnalyzer texts/s (2,000 GoEmotions test texts): {cost}\n")
    write_results("language_detect", payload, md, args.out)
    print(md)


if __name__ == "__main__":
    main()
