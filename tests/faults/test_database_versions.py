"""Corrections and versions: a changed file changes its letter; every version stays queryable.

The rule (docs/database.md): a file changed in place replaces the version it had produced;
among the remaining versions of a case number the later decision date wins, then the later
load. Loads run the real CLI in subprocesses from another folder.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from database_faults import corpus, run_cli

from imr_analytics.extract import extract_document

_DATE = re.compile(rb"(Decision Date:\s+)(\d\d)/(\d\d)/(\d{4})")
_OUTCOME = re.compile(rb": Upheld(\r?\n)")


def _editable(folder: Path) -> list[Path]:
    """Text letters with a 'Decision Date: mm/dd/yyyy' header and an item line ': Upheld'."""
    return [
        p
        for p in sorted(folder.rglob("*.txt"))
        if _DATE.search(p.read_bytes()) and _OUTCOME.search(p.read_bytes())
    ]


def _shift_year(data: bytes, years: int) -> bytes:
    return _DATE.sub(
        lambda m: (
            m.group(1) + m.group(2) + b"/" + m.group(3) + b"/" + b"%d" % (int(m.group(4)) + years)
        ),
        data,
        count=1,
    )


def _overturn_first(data: bytes) -> bytes:
    return _OUTCOME.sub(lambda m: b": Overturned" + m.group(1), data, count=1)


def _load(folder: Path, db: Path, cwd: Path) -> str:
    proc = run_cli("load", folder, "--db", db, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def _q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _core(db: Path) -> tuple[list, list, list]:
    """Letters, items and citations, in a stable order: equal tuples mean equal databases."""
    return (
        _q(db, "SELECT * FROM letters ORDER BY letter_id"),
        _q(db, "SELECT * FROM items ORDER BY letter_id, item_no"),
        _q(db, "SELECT * FROM citations ORDER BY ALL"),
    )


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    return corpus(tmp_path / "letters", 30, seed=83)


def test_a_corrected_file_changes_its_letter_items_and_citations(
    folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "elsewhere"
    _load(folder, db, elsewhere)
    target = _editable(folder)[0]
    (letter_id, old_sha) = _q(
        db, "SELECT letter_id, content_sha256 FROM letters WHERE source_path = ?", [str(target)]
    )[0]
    before = _q(db, "SELECT decision FROM items WHERE letter_id = ? ORDER BY item_no", [letter_id])
    original = target.read_bytes()
    target.write_bytes(_overturn_first(original))

    out = _load(folder, db, elsewhere)
    assert "1 letter corrected" in out
    after = _q(db, "SELECT decision FROM items WHERE letter_id = ? ORDER BY item_no", [letter_id])
    first_upheld = before.index(("upheld",))
    assert after[first_upheld] == ("overturned",)
    assert after[:first_upheld] + after[first_upheld + 1 :] == (
        before[:first_upheld] + before[first_upheld + 1 :]
    )
    # the old version is still queryable, and said to be replaced by the new one
    new_sha = hashlib.sha256(target.read_bytes()).hexdigest()
    history = _q(
        db,
        "SELECT content_sha256, status, replaced_by FROM letter_history WHERE letter_id = ? "
        "ORDER BY version_seq",
        [letter_id],
    )
    assert history == [(old_sha, "replaced", new_sha), (new_sha, "current", None)]
    assert _q(db, "SELECT count(*) FROM documents WHERE content_sha256 = ?", [old_sha]) == [(1,)]
    assert _q(db, "SELECT letters_corrected FROM load_runs ORDER BY started_at")[-1] == (1,)

    # the result equals a clean load of the corrected folder
    clean = tmp_path / "clean.duckdb"
    _load(folder, clean, elsewhere)
    assert _core(db) == _core(clean)

    # reparse applies the same rule: the correction stays
    proc = run_cli("reparse", "--db", db, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert _core(db) == _core(clean)
    assert [
        r[1]
        for r in _q(
            db,
            "SELECT content_sha256, status FROM letter_history "
            "WHERE letter_id = ? ORDER BY version_seq",
            [letter_id],
        )
    ] == [
        "replaced",
        "current",
    ]

    # a correction reverted brings the first version back, parsed from its stored text
    target.write_bytes(original)
    out = _load(folder, db, elsewhere)
    assert "1 letter corrected" in out
    assert _q(db, "SELECT content_sha256 FROM letters WHERE letter_id = ?", [letter_id]) == [
        (old_sha,)
    ]
    assert (
        _q(db, "SELECT decision FROM items WHERE letter_id = ? ORDER BY item_no", [letter_id])
        == before
    )
    assert [
        r[0]
        for r in _q(
            db,
            "SELECT status FROM letter_history WHERE letter_id = ? ORDER BY version_seq",
            [letter_id],
        )
    ] == ["current", "replaced"]


def test_a_later_decision_wins_and_an_earlier_one_stays_queryable(
    folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "elsewhere"
    _load(folder, db, elsewhere)
    source = _editable(folder)[1]
    (letter_id,) = _q(db, "SELECT letter_id FROM letters WHERE source_path = ?", [str(source)])[0]
    later = folder / "zz-later.txt"
    later.write_bytes(_overturn_first(_shift_year(source.read_bytes(), 1)))
    out = _load(folder, db, elsewhere)
    assert "1 letter corrected" in out
    assert _q(db, "SELECT source_path FROM letters WHERE letter_id = ?", [letter_id]) == [
        (str(later),)
    ]

    earlier = folder / "zz-earlier.txt"  # loaded last, but decided before: not the letter
    earlier.write_bytes(_shift_year(source.read_bytes(), -1))
    out = _load(folder, db, elsewhere)
    assert "corrected" not in out
    assert f"= {earlier}: same case number as {later}" in out
    statuses = dict(
        _q(db, "SELECT source_path, status FROM letter_history WHERE letter_id = ?", [letter_id])
    )
    assert statuses == {
        str(source): "superseded",
        str(later): "current",
        str(earlier): "superseded",
    }
    proc = run_cli("reparse", "--db", db, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    assert _q(db, "SELECT source_path FROM letters WHERE letter_id = ?", [letter_id]) == [
        (str(later),)
    ]


def test_a_file_that_turns_into_garbage_does_not_erase_its_letter(
    folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "elsewhere"
    _load(folder, db, elsewhere)
    target = _editable(folder)[2]
    row = _q(db, "SELECT * FROM letters WHERE source_path = ?", [str(target)])
    target.write_text("Board meeting minutes\nThe budget was approved.\n")
    out = _load(folder, db, elsewhere)
    assert "corrected" not in out and "withdrawn" not in out
    assert _q(db, "SELECT * FROM letters WHERE source_path = ?", [str(target)]) == row
    assert _q(db, "SELECT stage FROM load_errors WHERE source_path = ?", [str(target)]) == [
        ("detect",)
    ]


def test_a_schema_2_database_is_migrated_on_first_write(folder: Path, tmp_path: Path) -> None:
    """A database written by the previous loader: a second file with the same case number
    and a later decision date was set aside as a duplicate ("kept the first")."""
    from imr_analytics.store.loader import load_paths

    db = tmp_path / "old.duckdb"
    load_paths([folder], db, workers=1, log=lambda _: None)
    source = _editable(folder)[0]
    later = folder / "zz-later.txt"
    data = _overturn_first(_shift_year(source.read_bytes(), 1))
    later.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    text = extract_document(str(later), data).text
    con = duckdb.connect(str(db))
    letter_id = con.execute(
        "SELECT letter_id FROM letters WHERE source_path = ?", [str(source)]
    ).fetchone()[0]
    # what schema 2 looked like, and what its loader wrote for the second file
    con.execute("DROP VIEW letter_history")
    con.execute("DROP TABLE letter_versions")
    con.execute("ALTER TABLE load_runs DROP COLUMN letters_corrected")
    con.execute("UPDATE schema_info SET value = '2' WHERE key = 'schema_version'")
    now = datetime.now()
    con.execute(
        "INSERT INTO documents VALUES (?, ?, 'txt', 'text', ?, NULL, ?, ?)",
        [sha, str(later), len(data), text, now],
    )
    con.execute(
        "INSERT INTO letter_duplicates VALUES (?, ?, ?, ?, ?)",
        [letter_id, str(later), sha, str(source), now],
    )
    st = later.stat()
    con.execute(
        "INSERT INTO seen_files VALUES (?, ?, ?, ?, ?)",
        [str(later), st.st_size, st.st_mtime_ns, sha, now],
    )
    con.close()

    _load(folder, db, tmp_path / "elsewhere")  # every file unchanged: only the migration writes
    assert _q(db, "SELECT value FROM schema_info WHERE key = 'schema_version'") == [("3",)]
    assert _q(db, "SELECT source_path FROM letters WHERE letter_id = ?", [letter_id]) == [
        (str(later),)
    ]
    assert _q(db, "SELECT count(*) FROM letter_versions") == _q(
        db, "SELECT count(*) + 1 FROM letters"
    )
    clean = tmp_path / "clean.duckdb"
    _load(folder, clean, tmp_path / "elsewhere")
    assert _core(db) == _core(clean)


def test_a_corrected_case_number_moves_the_letter(folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "elsewhere"
    _load(folder, db, elsewhere)
    target = _editable(folder)[3]
    (old_id,) = _q(db, "SELECT letter_id FROM letters WHERE source_path = ?", [str(target)])[0]
    data = target.read_bytes()
    assert old_id.encode() in data
    target.write_bytes(data.replace(old_id.encode(), b"CM99-1234567"))
    out = _load(folder, db, elsewhere)
    assert "1 letter withdrawn" in out and f"~ {old_id}: withdrawn" in out
    assert _q(db, "SELECT count(*) FROM letters WHERE letter_id = ?", [old_id]) == [(0,)]
    assert _q(db, "SELECT count(*) FROM items WHERE letter_id = ?", [old_id]) == [(0,)]
    assert _q(db, "SELECT letter_id FROM letters WHERE source_path = ?", [str(target)]) == [
        ("CM99-1234567",)
    ]
    assert _q(db, "SELECT status FROM letter_history WHERE letter_id = ?", [old_id]) == [
        ("replaced",)
    ]
