"""The synthetic-letter count a load stores: used only while the database is what it counted.

Every test checks the count a report reads (``synthetic.count``) against the query over the
stored text (``count_from_text``, the reports' only source before), on databases where the
stored count is current and where it is not.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from pathlib import Path

import duckdb
import pytest

from imr_analytics.analytics.coverage import synthetic_letters
from imr_analytics.parse.normalize import SYNTHETIC_MARKER
from imr_analytics.store import synthetic
from imr_analytics.store.loader import load_paths, reparse_database
from imr_analytics.synth import generate_corpus


def _quiet(_: str) -> None:
    pass


def _dwc_corpus(folder: Path, n: int, seed: int) -> Path:
    """Generated letters without the generator's marker line: letters as DWC writes them."""
    generate_corpus(folder / "gen", n, seed=seed)
    out = folder / "dwc"
    out.mkdir()
    for k, path in enumerate(sorted((folder / "gen").rglob("*.txt"))):
        text = path.read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        assert first.startswith(SYNTHETIC_MARKER)
        (out / f"dwc{k}.txt").write_text(rest, encoding="utf-8")
    return out


def _synthetic_db(tmp_path: Path, n: int, seed: int) -> Path:
    """A database loaded from ``n`` generated (synthetic) letters."""
    generate_corpus(tmp_path / "c", n, seed=seed)
    db = tmp_path / "d.duckdb"
    load_paths([tmp_path / "c"], db, workers=1, log=_quiet)
    return db


def _stored(db: Path) -> dict | None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        row = con.execute(
            "SELECT value FROM schema_info WHERE key = ?", [synthetic.STORED_KEY]
        ).fetchone()
        return json.loads(row[0]) if row else None
    finally:
        con.close()


def _counts(db: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, bool]:
    """(count a report reads, count from the text, whether the report's count read the text)."""
    calls = []
    real = synthetic.count_from_text

    def spy(con: duckdb.DuckDBPyConnection) -> int:
        calls.append(1)
        return real(con)

    con = duckdb.connect(str(db), read_only=True)
    try:
        with monkeypatch.context() as m:
            m.setattr(synthetic, "count_from_text", spy)
            reported = synthetic_letters(con)
        return reported, real(con), bool(calls)
    finally:
        con.close()


def test_a_synthetic_load_stores_the_count_and_reports_read_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generate_corpus(tmp_path / "c", 30, seed=3)
    db = tmp_path / "s.duckdb"
    summary = load_paths([tmp_path / "c"], db, workers=1, log=_quiet)
    stored = _stored(db)
    assert stored is not None and stored["count"] == summary.letters_loaded > 0
    reported, from_text, read_text = _counts(db, monkeypatch)
    assert reported == from_text == summary.letters_loaded
    assert not read_text  # the stored count answered


def test_a_load_that_adds_nothing_keeps_the_count_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _synthetic_db(tmp_path, 12, 4)
    before = _stored(db)

    def unread(con: duckdb.DuckDBPyConnection) -> int:
        raise AssertionError("the text was read again")

    with monkeypatch.context() as m:
        m.setattr(synthetic, "count_from_text", unread)
        summary = load_paths([tmp_path / "c"], db, workers=1, log=_quiet, rescan=True)
    assert summary.letters_loaded == 0 and _stored(db) == before
    assert _counts(db, monkeypatch) == (12, 12, False)


def test_dwc_and_mixed_databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dwc = _dwc_corpus(tmp_path / "d", 20, seed=5)
    db = tmp_path / "m.duckdb"
    load_paths([dwc], db, workers=1, log=_quiet)
    assert _stored(db)["count"] == 0
    assert _counts(db, monkeypatch) == (0, 0, False)
    generate_corpus(tmp_path / "s", 15, seed=6)  # a second load adds synthetic letters
    load_paths([tmp_path / "s"], db, workers=1, log=_quiet)
    reported, from_text, read_text = _counts(db, monkeypatch)
    con = duckdb.connect(str(db), read_only=True)
    total = con.execute("SELECT count(*) FROM letters").fetchone()[0]
    con.close()
    assert 0 < reported == from_text < total and not read_text


def test_a_load_that_does_not_store_the_count_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load by another (older) version adds letters and a run but leaves the key as it was."""
    dwc = _dwc_corpus(tmp_path / "d", 12, seed=8)
    db = tmp_path / "v.duckdb"
    load_paths([dwc], db, workers=1, log=_quiet)
    before = _stored(db)
    generate_corpus(tmp_path / "s", 10, seed=9)
    with monkeypatch.context() as m:
        m.setattr(synthetic, "store_count", lambda con: None)
        load_paths([tmp_path / "s"], db, workers=1, log=_quiet)
    assert _stored(db) == before  # stale: says 0
    con = duckdb.connect(str(db), read_only=True)
    assert synthetic.fingerprint(con) != before["fingerprint"]  # the letters changed
    con.close()
    reported, from_text, read_text = _counts(db, monkeypatch)
    assert reported == from_text > 0 and read_text


def test_hand_changes_and_a_reparse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = _synthetic_db(tmp_path, 20, 11)
    con = duckdb.connect(str(db))
    n = con.execute("SELECT count(*) FROM letters").fetchone()[0]
    # a letter pointed at another letter's text: the same number of rows, another count
    a, b = con.execute("SELECT content_sha256 FROM letters ORDER BY letter_id LIMIT 2").fetchall()
    con.execute("UPDATE documents SET text = 'Case Number: X' WHERE content_sha256 = ?", [a[0]])
    con.execute("UPDATE letters SET content_sha256 = ? WHERE content_sha256 = ?", [a[0], b[0]])
    con.close()
    reported, from_text, read_text = _counts(db, monkeypatch)
    assert reported == from_text == n - 2 and read_text
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM letters WHERE content_sha256 = ?", [a[0]])  # letters removed
    con.close()
    reported, from_text, read_text = _counts(db, monkeypatch)
    assert reported == from_text == n - 2 and read_text
    reparse_database(db, workers=1, log=_quiet)  # rebuilds the letters from every document
    assert _stored(db)["count"] == n - 1
    assert _counts(db, monkeypatch) == (n - 1, n - 1, False)


def test_a_damaged_or_foreign_key_falls_back_to_the_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _synthetic_db(tmp_path, 8, 12)
    for value in ("not json", json.dumps({"count": "8"}), json.dumps([1, 2])):
        con = duckdb.connect(str(db))
        con.execute("UPDATE schema_info SET value = ? WHERE key = ?", [value, synthetic.STORED_KEY])
        con.close()
        reported, from_text, read_text = _counts(db, monkeypatch)
        assert reported == from_text == 8 and read_text
    bare = duckdb.connect()  # no schema_info or load_runs at all
    bare.execute("CREATE TABLE documents (content_sha256 VARCHAR, text VARCHAR)")
    bare.execute("CREATE TABLE letters (letter_id VARCHAR, content_sha256 VARCHAR)")
    bare.execute("INSERT INTO documents VALUES ('h', ?)", [SYNTHETIC_MARKER + "\nx"])
    bare.execute("INSERT INTO letters VALUES ('L', 'h')")
    assert synthetic_letters(bare) == 1


def test_the_counting_rule_is_pinned_to_its_version() -> None:
    """A stored count is trusted only under the rule that counted it: changing the marker, the
    indent or the test means bumping RULE_VERSION (and this digest with it)."""
    rule = (SYNTHETIC_MARKER, synthetic.MARKER_INDENT, inspect.getsource(synthetic.count_from_text))
    digest = hashlib.sha256(repr(rule).encode()).hexdigest()[:16]
    assert (synthetic.RULE_VERSION, digest) == ("v1", "dac203c2b8a8046b")


def test_a_count_that_cannot_be_stored_fails_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The count is only a saving: if it cannot be stored, the load (and a reparse) still
    succeed, say so in a line, and reports count from the text."""
    generate_corpus(tmp_path / "c", 6, seed=13)
    db = tmp_path / "d.duckdb"

    def broken(con):
        raise duckdb.OutOfMemoryException("could not allocate block of size 256 KiB")

    monkeypatch.setattr(synthetic, "store_count", broken)
    lines: list[str] = []
    summary = load_paths([tmp_path / "c"], db, workers=1, log=lines.append)
    assert summary.letters_loaded == 6
    assert any("synthetic-letter count was not stored" in line for line in lines)
    assert _stored(db) is None
    lines.clear()
    reparse_database(db, workers=1, log=lines.append)
    assert any("synthetic-letter count was not stored" in line for line in lines)
    monkeypatch.undo()
    reported, from_text, read_text = _counts(db, monkeypatch)
    assert reported == from_text == 6 and read_text
