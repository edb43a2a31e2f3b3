"""Every labelled value of ../shared/labels/expected-treatments.jsonl, through the real loader.

The visible real letters and seeds are loaded as given into a fresh database, and each item's
``ingredients``, ``body_regions`` and ``treatment`` are compared with the hand labels (seeds are
matched by file name, letters by case number). The labels file lives apart from ``letters/`` so
that loading that folder sees only letters.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from imr_analytics.store.loader import load_paths

FIELDS = ("ingredients", "body_regions", "treatment")


@pytest.fixture(scope="module")
def labels(shared_dir: Path) -> list[dict]:
    path = shared_dir / "labels" / "expected-treatments.jsonl"
    if not path.is_file():
        pytest.skip(
            f"{path} not found: the treatment labels live in the project's ../shared folder"
        )
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def real_db(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("naming") / "real.duckdb"
    summary = load_paths(
        [shared_dir / "letters", shared_dir / "seeds"], db, workers=2, log=lambda _: None
    )
    con = duckdb.connect(str(db), read_only=True)
    yield con, summary
    con.close()


def _stored(con, label: dict) -> tuple | None:
    return con.execute(
        f"SELECT i.disputed_text, {', '.join('i.' + f for f in FIELDS)} FROM items i "
        "JOIN letters l USING (letter_id) "
        "WHERE (l.case_number = ? OR l.source_path LIKE '%/' || ?) AND i.item_no = ?",
        [label["case_number"], label["file"], label["item_no"]],
    ).fetchone()


def test_every_label_matches(real_db, labels: list[dict]) -> None:
    con, _ = real_db
    assert len(labels) >= 149
    mismatches = []
    for label in labels:
        row = _stored(con, label)
        assert row is not None, f"{label['file']} item {label['item_no']} was not loaded"
        disputed, *values = row
        assert disputed == label["disputed_text"], (label["file"], label["item_no"])
        for field, got in zip(FIELDS, values, strict=True):
            got = list(got) if isinstance(got, list | tuple) else got
            want = label[field]
            if field != "treatment" and got is None:
                got = []  # an empty list is stored as NULL
            if got != want:
                mismatches.append((label["file"], label["item_no"], field, got, want))
    assert not mismatches, "\n".join(map(str, mismatches))


def test_no_labelled_drug_is_unknown(real_db) -> None:
    _, summary = real_db
    assert summary.items_unknown_drug == 0
    assert any(line.strip().startswith("drugs:") for line in summary.lines())
