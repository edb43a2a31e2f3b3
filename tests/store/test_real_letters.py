"""Every checked value of the 79 real letters in ../shared, through the real loader.

The files are loaded as given (PDFs encrypted with an empty password, the seeds' text and
markdown) into a fresh database, and each expected value is compared with what the
database holds. The two expected files sit in the same folders as the letters, so the
load also proves that foreign files are quarantined, not loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from imr_analytics.store.loader import load_paths

SENTENCE_SPELLING = {"Physical Medicine and Rehabilitation": "Physical Medicine & Rehabilitation"}

LETTER_FIELDS = [
    "case_number",
    "date_assigned",
    "decision_date",
    "injury_date",
    "ur_denial_date",
    "application_received",
    "priority",
    "patient_age",
    "patient_sex",
    "reviewer_specialties",
    "reviewer_licensure",
]
ITEM_FIELDS = [
    "item_text",
    "disputed_text",
    "modified_request",
    "decision",
    "ca_guideline_sources",
    "reviewer_guideline_sources",
    "reviewer_guideline_pages",
    "item_category",
    "drug_class",
]


@pytest.fixture(scope="module")
def real_db(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    summary = load_paths(
        [shared_dir / "letters", shared_dir / "seeds"], db, workers=2, log=lambda _: None
    )
    con = duckdb.connect(str(db), read_only=True)
    yield con, summary
    con.close()


def _expected(shared_dir: Path) -> list[tuple[str, dict]]:
    out = []
    for line in (shared_dir / "letters" / "expected.jsonl").read_text().splitlines():
        row = json.loads(line)
        out.append((str(shared_dir / "letters" / row["file"]), row))
    seeds = json.loads((shared_dir / "seeds" / "expected.json").read_text())
    for row in seeds["letters"]:
        out.append((str(shared_dir / "seeds" / row["file"]), row))
    return out


def _as_json(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def test_load_summary(real_db, shared_dir: Path) -> None:
    con, summary = real_db
    expected = _expected(shared_dir)
    assert summary.letters_loaded == len(expected) == 79
    assert summary.duplicates == 0
    # expected.jsonl and expected.json are not letters: quarantined with a reason
    quarantined = {Path(p).name: (stage, reason) for p, stage, reason in summary.quarantined}
    assert set(quarantined) == {"expected.jsonl", "expected.json"}
    assert all(stage == "detect" for stage, _ in quarantined.values())


def test_every_checked_value_matches(real_db, shared_dir: Path) -> None:
    con, _ = real_db
    mismatches = []
    for path, exp in _expected(shared_dir):
        row = con.execute(
            f"SELECT letter_id, {', '.join(LETTER_FIELDS)} FROM letters WHERE source_path = ?",
            [path],
        ).fetchone()
        assert row is not None, f"{path} was not loaded"
        letter_id, *values = row
        for field, got in zip(LETTER_FIELDS, values, strict=True):
            want = exp[field]
            if field == "reviewer_specialties":
                # The seeds' expected.json keeps the board sentence's spelling; the
                # database holds DWC's credentials-block spelling, as expected.jsonl does.
                want = [SENTENCE_SPELLING.get(w, w) for w in want]
            if _as_json(got) != want:
                mismatches.append((exp["file"], field, _as_json(got), want))
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
            for party, key in (
                ("claims_administrator", "ca_mtus_chapters"),
                ("reviewer", "reviewer_mtus_chapters"),
            ):
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
