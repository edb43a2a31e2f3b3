"""Every checked value of the 79 real letters in ../shared, through the real loader.

The files are loaded as given (PDFs encrypted with an empty password, the seeds' text and
markdown) into a fresh database, and each expected value is compared with what the
database holds. The two expected files sit in the same folders as the letters, so the
load also proves that foreign files are quarantined, not loaded.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from expected_letters import (
    ITEM_CLASS_FIELDS,
    ITEM_PARSE_FIELDS,
    LETTER_FIELDS,
    MTUS_CHAPTER_KEYS,
    as_json,
    expected_letters,
)

from imr_analytics.store.loader import load_paths

SENTENCE_SPELLING = {"Physical Medicine and Rehabilitation": "Physical Medicine & Rehabilitation"}

ITEM_FIELDS = ITEM_PARSE_FIELDS + ITEM_CLASS_FIELDS


@pytest.fixture(scope="module")
def real_db(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    summary = load_paths(
        [shared_dir / "letters", shared_dir / "seeds"], db, workers=2, log=lambda _: None
    )
    con = duckdb.connect(str(db), read_only=True)
    yield con, summary
    con.close()


def test_load_summary(real_db, shared_dir: Path) -> None:
    con, summary = real_db
    expected = expected_letters(shared_dir)
    assert summary.letters_loaded == len(expected) == 79
    assert summary.duplicates == 0
    # expected.jsonl and expected.json are not letters: quarantined with a reason
    quarantined = {Path(p).name: (stage, reason) for p, stage, reason in summary.quarantined}
    assert set(quarantined) == {"expected.jsonl", "expected.json"}
    assert all(stage == "detect" for stage, _ in quarantined.values())


def test_every_checked_value_matches(real_db, shared_dir: Path) -> None:
    con, _ = real_db
    mismatches = []
    for path, exp in expected_letters(shared_dir):
        row = con.execute(
            f"SELECT letter_id, {', '.join(LETTER_FIELDS)} FROM letters WHERE source_path = ?",
            [str(path)],
        ).fetchone()
        assert row is not None, f"{path} was not loaded"
        letter_id, *values = row
        for field, got in zip(LETTER_FIELDS, values, strict=True):
            want = exp[field]
            if field == "reviewer_specialties":
                # The seeds' expected.json keeps the board sentence's spelling; the
                # database holds DWC's credentials-block spelling, as expected.jsonl does.
                want = [SENTENCE_SPELLING.get(w, w) for w in want]
            if as_json(got) != want:
                mismatches.append((exp["file"], field, as_json(got), want))
        items = con.execute(
            f"SELECT item_no, {', '.join(ITEM_FIELDS)} FROM items WHERE letter_id = ? ORDER BY item_no",
            [letter_id],
        ).fetchall()
        if len(items) != len(exp["items"]):
            mismatches.append((exp["file"], "item count", len(items), len(exp["items"])))
            continue
        for got_item, want_item in zip(items, exp["items"], strict=True):
            assert got_item[0] == want_item["item_no"]
            for field, got in zip(ITEM_FIELDS, got_item[1:], strict=True):
                if got != want_item[field]:
                    mismatches.append(
                        (exp["file"], f"item {got_item[0]} {field}", got, want_item[field])
                    )
            for party, key in MTUS_CHAPTER_KEYS.items():
                if key not in want_item:
                    continue
                chapters = [
                    r[0]
                    for r in con.execute(
                        "SELECT chapter FROM citations WHERE letter_id = ? AND item_no = ? AND party = ? "
                        "AND source = 'MTUS' AND chapter IS NOT NULL ORDER BY citation_no",
                        [letter_id, got_item[0], party],
                    ).fetchall()
                ]
                if list(dict.fromkeys(chapters)) != want_item[key]:
                    mismatches.append(
                        (exp["file"], f"item {got_item[0]} {key}", chapters, want_item[key])
                    )
    assert not mismatches, "\n".join(map(str, mismatches))


def test_raw_text_is_kept_for_every_letter(real_db) -> None:
    con, _ = real_db
    missing = con.execute(
        "SELECT count(*) FROM letters l LEFT JOIN documents d USING (content_sha256) WHERE d.text IS NULL"
    ).fetchone()[0]
    assert missing == 0
    extractors = {
        r[0].split()[0] for r in con.execute("SELECT DISTINCT extractor FROM documents").fetchall()
    }
    assert extractors == {"pypdfium2", "text"}


def test_no_empty_strings_stand_for_missing_values(real_db) -> None:
    con, _ = real_db
    for table, column in [
        ("letters", "case_number"),
        ("letters", "case_summary"),
        ("letters", "priority"),
        ("letters", "patient_sex"),
        ("items", "drug_class"),
        ("items", "reviewer_guideline_pages"),
        ("items", "rationale"),
        ("citations", "chapter"),
        ("citations", "sections"),
    ]:
        n = con.execute(f"SELECT count(*) FROM {table} WHERE trim({column}) = ''").fetchone()[0]
        assert n == 0, f"{table}.{column} has empty strings"
