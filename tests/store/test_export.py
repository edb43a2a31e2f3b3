"""Export: every table back out of the database, read the way other tools read it.

The database is built by the real loader from synthetic letters (plus one letter without a
decision date, for the null partition); the exported files are read back with pyarrow's
hive-partitioned datasets (as Spark reads them) and DuckDB's CSV reader, and compared with
what the database itself says, not with the export's own report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.dataset as pads
import pytest
from database_faults import held_open

import imr_analytics as imr
from imr_analytics.cli import main
from imr_analytics.store.export import ExportError, export_tables
from imr_analytics.store.loader import load_paths
from imr_analytics.synth import generate_corpus

LETTER_BOUND = {
    "letters",
    "items",
    "citations",
    "documents",
    "items_wide",
    "letter_versions",
    "letter_history",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export")
    generate_corpus(root / "corpus", 60, seed=11)
    path = root / "letters.duckdb"
    load_paths([root / "corpus" / "letters"], path, workers=1, log=lambda _: None)
    con = duckdb.connect(str(path))
    con.execute(
        "INSERT INTO letters (letter_id, case_number, decision_date, item_count) "
        "VALUES ('CM-NO-DATE', 'CM-NO-DATE', NULL, 1)"
    )
    con.execute(
        "INSERT INTO items (letter_id, item_no, decision, item_category) "
        "VALUES ('CM-NO-DATE', 1, 'upheld', 'Pharmaceuticals')"
    )
    con.close()
    return path


def _db_counts(path: Path) -> dict[str, int]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                "UNION SELECT view_name FROM duckdb_views() "
                "WHERE schema_name = 'main' AND NOT internal"
            ).fetchall()
        ]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        counts["items_wide"] = con.execute(
            "SELECT count(*) FROM items JOIN letters USING (letter_id)"
        ).fetchone()[0]
    finally:
        con.close()
    return counts


def test_parquet_reads_back_in_pyarrow_with_the_database_row_counts(db: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = export_tables(db, out)
    counts = _db_counts(db)
    assert counts["letters"] > 60 and counts["items"] > counts["letters"]
    assert set(result.rows) == set(counts)
    for table, n in counts.items():
        dataset = pads.dataset(out / table, format="parquet", partitioning="hive")
        assert dataset.count_rows() == n, table
        has_year = "decision_year" in dataset.schema.names
        assert has_year == (table in LETTER_BOUND), table
    assert json.loads((out / "export.json").read_text())["parquet"]["rows"] == counts


def test_partitions_are_the_letters_decision_years(db: Path, tmp_path: Path):
    out = tmp_path / "out"
    export_tables(db, out)
    con = duckdb.connect(str(db), read_only=True)
    years = {
        r[0] for r in con.execute("SELECT DISTINCT year(decision_date) FROM letters").fetchall()
    }
    by_letter = dict(con.execute("SELECT letter_id, year(decision_date) FROM letters").fetchall())
    wide_cols = [r[0] for r in con.execute("DESCRIBE SELECT * FROM letters").fetchall()] + [
        r[0] for r in con.execute("DESCRIBE SELECT * FROM items").fetchall()
    ]
    con.close()
    folders = {p.name for p in (out / "letters").iterdir()}
    expected = {f"decision_year={y}" for y in years if y is not None}
    expected.add("decision_year=__HIVE_DEFAULT_PARTITION__")  # the letter without a date
    assert folders == expected
    # the partition column is in the folder names only, as Spark writes it
    one = next((out / "letters").glob("decision_year=2*/*.parquet"))
    assert "decision_year" not in pads.dataset(one, format="parquet").schema.names
    items = pads.dataset(out / "items", partitioning="hive").to_table().to_pydict()
    for letter_id, year in zip(items["letter_id"], items["decision_year"], strict=True):
        assert year == by_letter[letter_id]
    wide = pads.dataset(out / "items_wide", partitioning="hive")
    assert set(wide.schema.names) == set(wide_cols) | {"decision_year"}
    assert wide.schema.field("reviewer_specialties").type.value_type == "string"


def test_csv_round_trip(db: Path, tmp_path: Path):
    out = tmp_path / "csv"
    result = export_tables(db, out, format="csv")
    con = duckdb.connect(str(db), read_only=True)
    for table in ("letters", "items", "citations", "documents", "load_runs"):
        path = out / f"{table}.csv"
        assert result.paths[table] == path
        # every value as text on both sides; EXCEPT ALL both ways = same multiset of rows
        ours = f'SELECT COLUMNS(*)::VARCHAR FROM "{table}"'
        theirs = f"SELECT * FROM read_csv('{path}', header=true, all_varchar=true)"
        for a, b in ((ours, theirs), (theirs, ours)):
            diff = con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]
            assert diff == 0, (table, a)
        assert result.rows[table] == con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    text = con.execute("SELECT text FROM documents LIMIT 1").fetchone()[0]
    con.close()
    assert "\n" in text  # the raw text, newlines and all, went through CSV quoting


def test_without_text_and_a_second_export_replaces_only_its_own_tables(db: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    export_tables(db, out)
    result = export_tables(db, out, include_text=False)
    docs = pads.dataset(out / "documents", partitioning="hive")
    assert "text" not in docs.schema.names and "content_sha256" in docs.schema.names
    assert pads.dataset(out / "letters", partitioning="hive").count_rows() == result.rows["letters"]
    assert (out / "notes.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".imr-export-")]
    export_tables(db, out, format="csv")
    manifest = json.loads((out / "export.json").read_text())
    assert set(manifest) == {"parquet", "csv"}  # one entry per format, neither lost


def test_database_is_opened_read_only(db: Path, tmp_path: Path):
    """Another process holding the file read-only would lock out a writer, not a reader."""
    with held_open(db, read_only=True):
        result = export_tables(db, tmp_path / "out")
        assert result.rows["letters"] > 0


def test_connection_is_accepted_and_left_open(db: Path, tmp_path: Path):
    con = imr.connect(str(db))
    result = imr.export_tables(con, tmp_path / "out", format="csv")
    assert result.rows["items_wide"] == con.execute("SELECT count(*) FROM items").fetchone()[0]
    assert con.execute("SELECT 1").fetchone() == (1,)
    con.close()


@pytest.mark.parametrize(
    ("case", "start"),
    [
        ("missing", "imr-analytics: {tmp}/missing.duckdb does not exist"),
        ("out-is-file", "imr-analytics: --out {tmp}/a-file is a file"),
        ("out-under-file", "imr-analytics: cannot create the folder {tmp}/a-file/sub"),
        # the database layer names another program's DuckDB file in its own words
        ("not-ours", "imr-analytics: {tmp}/other.duckdb "),
    ],
)
def test_bad_input_is_one_sentence(db: Path, tmp_path: Path, capsys, case: str, start: str):
    (tmp_path / "a-file").write_text("x")
    duckdb.connect(str(tmp_path / "other.duckdb")).execute("CREATE TABLE t (x INT)").close()
    args = {
        "missing": ["--db", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path / "o")],
        "out-is-file": ["--db", str(db), "--out", str(tmp_path / "a-file")],
        "out-under-file": ["--db", str(db), "--out", str(tmp_path / "a-file" / "sub")],
        "not-ours": ["--db", str(tmp_path / "other.duckdb"), "--out", str(tmp_path / "o")],
    }[case]
    assert main(["export", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(start.format(tmp=tmp_path)), err
    assert "\n" not in err and "Traceback" not in err


def test_unknown_format_is_refused(db: Path, tmp_path: Path):
    with pytest.raises(ExportError, match="unknown export format 'xlsx'"):
        export_tables(db, tmp_path / "o", format="xlsx")  # type: ignore[arg-type]


def test_cli_runs_from_another_folder(db: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-m", "imr_analytics", "export", "--db", str(db), "--out", "exported"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    counts = _db_counts(db)
    assert f"exported {len(counts)} tables as parquet to exported" in proc.stdout
    for table in ("letters", "items", "items_wide"):
        ds = pads.dataset(elsewhere / "exported" / table, partitioning="hive")
        assert ds.count_rows() == counts[table]


def test_connection_to_another_database_is_refused(tmp_path: Path):
    con = duckdb.connect()
    with pytest.raises(ExportError, match="the connection is not an imr-analytics database"):
        export_tables(con, tmp_path / "o")
    assert not (tmp_path / "o").exists()  # nothing written, not even the folder


def test_readme_recipes_read_every_row(db: Path, tmp_path: Path):
    """The README's DuckDB and pandas lines, on an export with an undated letter (null partition;
    plain ``pd.read_parquet(dir)`` fails on it: 'Cannot yet unify dictionaries with nulls')."""
    import pandas as pd

    out = tmp_path / "export"
    export_tables(db, out)
    counts = _db_counts(db)
    con = duckdb.connect(str(db), read_only=True)
    undated = con.execute(
        "SELECT count(*) FROM items JOIN letters USING (letter_id) WHERE decision_date IS NULL"
    ).fetchone()[0]
    n2016 = con.execute("SELECT count(*) FROM letters WHERE year(decision_date) = 2016").fetchone()
    con.close()
    assert undated >= 1  # at least the letter the fixture added
    got = duckdb.sql(
        f"SELECT count(*), count(*) FILTER (WHERE decision_year IS NULL) FROM read_parquet("
        f"'{out}/items_wide/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    assert got == [(counts["items_wide"], undated)]
    items = pd.read_parquet(out / "items_wide", partitioning=pads.partitioning(flavor="hive"))
    assert len(items) == counts["items_wide"] and items["decision_year"].isna().sum() == undated
    y2016 = pd.read_parquet(
        out / "letters",
        partitioning=pads.partitioning(flavor="hive"),
        filters=[("decision_year", "=", 2016)],
    )
    assert len(y2016) == n2016[0] > 0
