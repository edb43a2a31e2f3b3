"""Rows built from a parsed letter: what the loader writes, vocabularies applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from imr_analytics.parse import naming as N
from imr_analytics.parse import parse_letter
from imr_analytics.store.rows import LETTER_COLUMNS, letter_rows

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"


def _a_letter():
    if not SEEDS.is_dir():
        pytest.skip(f"no real seed letters at {SEEDS} (a user's clone has no ../shared)")
    letter = parse_letter((SEEDS / "letter-000.txt").read_text())
    assert letter.items, "the seed letter should have items"
    return letter


def test_a_naming_rule_that_raises_is_recorded_in_parse_warnings(monkeypatch) -> None:
    letter = _a_letter()
    clean_row, clean_items, _ = letter_rows(letter, source_path="x.txt", content_sha256="0" * 64)

    def broken(*_args: object) -> None:
        raise ValueError("rule exploded")

    monkeypatch.setattr(N, "_base", broken)
    row, items, _ = letter_rows(letter, source_path="x.txt", content_sha256="0" * 64)
    warnings = row[LETTER_COLUMNS.index("parse_warnings")]
    expected = [f"item {i.item_no}: naming failed: ValueError: rule exploded" for i in letter.items]
    assert warnings[-len(expected) :] == expected
    assert (clean_row[LETTER_COLUMNS.index("parse_warnings")] or []) == warnings[: -len(expected)]
    assert len(items) == len(clean_items)  # the items are kept, only their naming is empty
