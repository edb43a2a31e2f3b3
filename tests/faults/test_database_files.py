"""Wrong database files: one sentence, exit 2, and not one byte written into them.

Each case runs the real CLI in a subprocess from another folder, as a scheduled job would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest
from database_faults import corpus, error_line, run_cli, snapshot

import imr_analytics as imr
from imr_analytics.store.database import DatabaseError


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus(tmp_path_factory.mktemp("letters") / "c", 12, seed=71)


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory, letters: Path) -> Path:
    db = tmp_path_factory.mktemp("good") / "imr.duckdb"
    proc = run_cli("load", letters, "--db", db, cwd=db.parent / "elsewhere")
    assert proc.returncode == 0, proc.stderr
    return db


def test_another_programs_duckdb_file_is_refused_untouched(tmp_path: Path, letters: Path) -> None:
    db = tmp_path / "sales.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE sales (region VARCHAR, amount DOUBLE)")
    con.execute("INSERT INTO sales VALUES ('north', 12.5)")
    con.close()
    before = snapshot(db)
    for args in (["load", letters, "--db", db], ["reparse", "--db", db]):
        line = error_line(run_cli(*args, cwd=tmp_path / "elsewhere"), 2)
        assert "made by another program" in line and str(db.name) in line
    assert snapshot(db) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("sales")) == [
        "sales.duckdb"
    ]  # no write-ahead log either
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("sales",)]
    con.close()
    with pytest.raises(DatabaseError, match="another program"):
        imr.connect(str(db))


def test_an_sqlite_file_is_refused_without_downloading_an_extension(
    tmp_path: Path, letters: Path
) -> None:
    db = tmp_path / "notes.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.commit()
    con.close()
    before = snapshot(db)
    home = tmp_path / "home"  # DuckDB would put a downloaded extension under ~/.duckdb
    home.mkdir()
    for args in (["load", letters, "--db", db], ["report", "uphold_rates", "--db", db]):
        proc = run_cli(*args, cwd=tmp_path / "elsewhere", env={"HOME": str(home)})
        line = error_line(proc, 2 if args[0] == "load" else 1)
        assert "SQLite database" in line
    assert snapshot(db) == before
    assert not (home / ".duckdb").exists()


def test_extension_autoloading_is_off_on_every_connection(good_db: Path) -> None:
    con = imr.connect(str(good_db))
    settings = dict(
        con.execute(
            "SELECT name, value FROM duckdb_settings() WHERE name IN "
            "('autoinstall_known_extensions', 'autoload_known_extensions')"
        ).fetchall()
    )
    con.close()
    assert settings == {
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
    }


@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_a_truncated_database_is_one_sentence_and_left_as_it_is(
    tmp_path: Path, good_db: Path, letters: Path, keep: float
) -> None:
    db = tmp_path / "cut.duckdb"
    data = good_db.read_bytes()
    db.write_bytes(data[: int(len(data) * keep)])
    before = snapshot(db)
    for args, code in (
        (["load", letters, "--db", db], 2),
        (["reparse", "--db", db], 2),
        (["report", "uphold_rates", "--db", db], 1),
    ):
        line = error_line(run_cli(*args, cwd=tmp_path / "elsewhere"), code)
        assert "damaged" in line and "cut.duckdb" in line
    assert snapshot(db) == before


def test_a_file_that_is_no_database_at_all_is_refused(tmp_path: Path, letters: Path) -> None:
    db = tmp_path / "letter.pdf"
    db.write_bytes(b"%PDF-1.4\n" + b"x" * 5000)
    before = snapshot(db)
    line = error_line(run_cli("load", letters, "--db", db, cwd=tmp_path / "elsewhere"), 2)
    assert "not a DuckDB database" in line
    assert snapshot(db) == before


def test_a_database_from_a_newer_schema_is_not_written(
    tmp_path: Path, good_db: Path, letters: Path
) -> None:
    db = tmp_path / "future.duckdb"
    db.write_bytes(good_db.read_bytes())
    con = duckdb.connect(str(db))
    con.execute("UPDATE schema_info SET value = '99' WHERE key = 'schema_version'")
    con.close()
    before = snapshot(db)
    line = error_line(run_cli("load", letters, "--db", db, cwd=tmp_path / "elsewhere"), 2)
    assert "schema version 99" in line
    assert snapshot(db) == before


def test_an_empty_duckdb_file_becomes_a_database(tmp_path: Path, letters: Path) -> None:
    """Nothing in it to damage: a DuckDB file with no tables is treated as new."""
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    proc = run_cli("load", letters, "--db", db, cwd=tmp_path / "elsewhere")
    assert proc.returncode == 0, proc.stderr
    con = imr.connect(str(db))
    assert con.execute("SELECT count(*) FROM letters").fetchone()[0] == 12
    con.close()


def test_out_naming_a_file_is_one_sentence(tmp_path: Path, good_db: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("previous")
    proc = run_cli(
        "report", "uphold_rates", "--db", good_db, "--out", target, cwd=tmp_path / "elsewhere"
    )
    line = error_line(proc, 1)
    assert "is a file, not a folder" in line
    assert target.read_text() == "previous"


def test_an_unwritable_out_is_one_sentence(tmp_path: Path, good_db: Path) -> None:
    import os

    from database_faults import tmpfs

    out = tmp_path / "ro"
    if os.geteuid() == 0:  # root writes through permissions: use a read-only file system
        ctx = tmpfs(out, "1m", read_only=True)
    else:
        out.mkdir()
        out.chmod(0o500)
        import contextlib

        ctx = contextlib.nullcontext(out)
    with ctx:
        for target in (out, out / "sub"):
            proc = run_cli(
                "report", "uphold_rates", "--db", good_db, "--out", target, cwd=tmp_path / "w"
            )
            line = error_line(proc, 1)
            assert str(out) in line
            assert "read-only" in line or "not writable" in line or "permission" in line
