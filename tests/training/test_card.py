"""The model card's test-metric table follows the manifest after a re-measure."""

from __future__ import annotations

import json
from pathlib import Path

from emotive.training._card import refresh_test_metrics, write_card


def test_refresh_rewrites_only_the_test_metric_table(tmp_path: Path) -> None:
    manifest = {"name": "emotive.x.v1", "version": "1.0.1", "base": "b", "max_length": 8,
                "data": [{"name": "D", "license": "MIT"}], "heads": {"h": {"labels": ["a"], "activation": "softmax"}},
                "metrics": {"meld_test": {"weighted_f1": 0.5811}, "emobank_test_r_v": 0.6978}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    write_card(tmp_path, manifest, "## Notes\nkept as written.\n")
    card = tmp_path / "README.md"
    card.write_text(card.read_text(encoding="utf-8") + "\n## Quantization\nalso kept.\n", encoding="utf-8")
    manifest["metrics"] = {"meld_test": {"weighted_f1": 0.5802}, "emobank_test_r_v": 0.7025}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    refresh_test_metrics(tmp_path)
    text = card.read_text(encoding="utf-8")
    assert "| meld_test.weighted_f1 | 0.5802 |" in text and "| emobank_test_r_v | 0.7025 |" in text
    assert "0.5811" not in text and "0.6978" not in text
    assert "kept as written." in text and "also kept." in text
