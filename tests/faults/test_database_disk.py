"""A full disk during a load or a report: one sentence, a non-zero exit, nothing lost.

The disk is a small tmpfs mounted for the test (root only; skipped with the reason
otherwise). Loads and reports run the real CLI in subprocesses from another folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from database_faults import REPO, corpus, error_line, fill, run_cli, snapshot, tmpfs

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus(tmp_path_factory.mktemp("letters") / "c", 2000, seed=97)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = corpus(tmp_path_factory.mktemp("few") / "c", 150, seed=98)
    db = folder.parent / "small.duckdb"
    assert run_cli("load", folder, "--db", db, cwd=folder.parent / "w").returncode == 0
    return db


def _count(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM letters").fetchone()[0]
    finally:
        con.close()


def test_a_full_disk_stops_a_load_with_one_sentence_and_keeps_committed_batches(
    tmp_path: Path, letters: Path
) -> None:
    with tmpfs(tmp_path / "disk", "9m") as disk:
        db = disk / "imr.duckdb"
        line = error_line(run_cli("load", letters, "--db", db, cwd=tmp_path / "w"), 1)
        assert "is full" in line and "committed before are kept" in line
        kept = _count(db)  # still a database that opens, with whole letters only
        con = duckdb.connect(str(db), read_only=True)
        assert con.execute("SELECT count(*) FROM letter_versions").fetchone()[0] == kept
        assert (
            con.execute(
                "SELECT count(*) FROM letters l WHERE item_count <> "
                "(SELECT count(*) FROM items i WHERE i.letter_id = l.letter_id)"
            ).fetchone()[0]
            == 0
        )
        con.close()
        # with room again, the next load goes on from there and completes
        big = tmp_path / "big"
        big.mkdir()
        moved = big / "imr.duckdb"
        for name in ("imr.duckdb", "imr.duckdb.wal"):
            if (disk / name).exists():
                (big / name).write_bytes((disk / name).read_bytes())
        proc = run_cli("load", letters, "--db", moved, cwd=tmp_path / "w")
        assert proc.returncode == 0, proc.stderr
        assert _count(moved) == 2000


def _hold(db: Path, cwd: Path) -> subprocess.Popen:
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, imr_analytics as imr; con = imr.connect(sys.argv[1]); "
            "print(con.execute('SELECT count(*) FROM letters').fetchall()[0][0], flush=True); "
            "sys.stdin.read()",
            str(db),
        ],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert reader.stdout.readline().strip().isdigit()
    return reader


def test_no_room_for_the_copy_beside_readers_is_refused_before_writing(
    tmp_path: Path, letters: Path, small_db: Path
) -> None:
    with tmpfs(tmp_path / "disk", "16m") as disk:
        db = disk / "imr.duckdb"
        db.write_bytes(small_db.read_bytes())
        fill(disk, leave=small_db.stat().st_size // 2)
        before = snapshot(db)
        reader = _hold(db, tmp_path)
        try:
            line = error_line(run_cli("load", letters, "--db", db, cwd=tmp_path / "w"), 2)
        finally:
            reader.communicate("", timeout=60)
        assert "works on a copy" in line and "MiB free" in line
        assert snapshot(db) == before
        assert not list(disk.glob(".imr.duckdb.load-*"))


def test_a_full_disk_during_a_load_beside_readers_leaves_the_database_unchanged(
    tmp_path: Path, letters: Path, small_db: Path
) -> None:
    size = small_db.stat().st_size
    with tmpfs(tmp_path / "disk", f"{(2 * size + 9 * 2**20) // 1024}k") as disk:
        db = disk / "imr.duckdb"
        db.write_bytes(small_db.read_bytes())
        before = snapshot(db)
        reader = _hold(db, tmp_path)
        try:
            proc = run_cli("load", letters, "--db", db, cwd=tmp_path / "w")
        finally:
            reader.communicate("", timeout=60)
        line = error_line(proc, 1)
        assert "is full" in line and "is unchanged" in line
        assert snapshot(db) == before
        assert not list(disk.glob(".imr.duckdb.load-*"))  # the copy is removed
        assert _count(db) == 150


REPORT = "uphold_rates"


def test_a_full_disk_during_a_report_leaves_the_previous_report_intact(
    tmp_path: Path, small_db: Path
) -> None:
    with tmpfs(tmp_path / "disk", "24m") as disk:
        out = disk / "reports"
        first = run_cli("report", REPORT, "--db", small_db, "--out", out, cwd=tmp_path / "w")
        assert first.returncode == 0, first.stderr
        html, nb = out / f"{REPORT}.html", out / f"{REPORT}.ipynb"
        before = {p: snapshot(p) for p in (html, nb)}
        fill(disk, leave=64 * 1024)  # less than one report: the next run cannot be written
        proc = run_cli(
            "report",
            REPORT,
            "--db",
            small_db,
            "--out",
            out,
            "-p",
            "top_items",
            "5",
            cwd=tmp_path / "w",
        )
        line = error_line(proc, 1)
        assert "the disk is full" in line and "previous files are unchanged" in line
        assert {p: snapshot(p) for p in (html, nb)} == before
        assert sorted(p.name for p in out.iterdir()) == sorted([html.name, nb.name])
