"""A reparse killed half way (kill -9, after some pages are written) leaves the database as
it was: the new tables are built beside the old ones and swapped in only at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from database_faults import REPO, corpus, run_cli

# The tables a reparse rebuilds, compared without their load times.
_TABLES = {
    "letters": "SELECT * FROM letters ORDER BY letter_id",
    "items": "SELECT * FROM items ORDER BY letter_id, item_no",
    "citations": "SELECT * FROM citations ORDER BY ALL",
    "letter_versions": "SELECT * EXCLUDE (loaded_at) FROM letter_versions ORDER BY version_seq",
    "letter_duplicates": "SELECT * EXCLUDE (logged_at) FROM letter_duplicates ORDER BY ALL",
    "load_errors": "SELECT * EXCLUDE (logged_at) FROM load_errors ORDER BY ALL",
    "load_runs": "SELECT command FROM load_runs ORDER BY started_at",
}

# Runs a reparse in pages of 10 documents whose third page hangs on its fifth document
# (the small database is parsed in this process, so the parser can be slowed here), after
# writing a marker: by then at least one page is committed to the new tables.
_RUNNER = """
import sys, time
from pathlib import Path
import imr_analytics.store.loader as loader
db, marker = sys.argv[1:3]
loader.BATCH_FILES = 10
real, calls = loader.reparse_task, [0]
def slow(task, *args):
    calls[0] += 1
    if calls[0] == 25:
        Path(marker).write_text("hanging")
        time.sleep(600)
    return real(task, *args)
loader.reparse_task = slow
loader.reparse_database(db, workers=1, log=lambda _: None)
"""


def _state(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in _TABLES.items()}
    finally:
        con.close()


def _staged_tables(db: Path) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = '_imr_reparse'"
        ).fetchall()[0][0]
    finally:
        con.close()


def test_a_reparse_killed_midway_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    folder = corpus(tmp_path / "letters", 60, seed=91)
    (folder / "notes.txt").write_text("Board meeting minutes\nThe budget was approved.\n")
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "elsewhere"
    proc = run_cli("load", folder, "--db", db, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    before = _state(db)
    assert len(before["letters"]) == 60 and before["load_errors"]

    marker = tmp_path / "hanging"
    killed = subprocess.Popen(
        [sys.executable, "-c", _RUNNER, str(db), str(marker)],
        cwd=elsewhere,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert killed.poll() is None, killed.stderr.read() if killed.stderr else ""
            assert time.monotonic() < deadline, "the reparse never reached its third page"
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
    finally:
        killed.wait(timeout=60)
        if killed.stderr:
            killed.stderr.close()
    assert killed.returncode == -signal.SIGKILL

    # pages were written beside the old tables, and the old tables are untouched
    assert _staged_tables(db) > 0
    assert _state(db) == before

    # the next reparse drops the half-built tables and ends where a clean one does
    proc = run_cli("reparse", "--db", db, cwd=elsewhere)
    assert proc.returncode == 0, proc.stderr
    after = _state(db)
    assert after.pop("load_runs") == [("load",), ("reparse",)]
    before.pop("load_runs")
    assert after == before
    assert _staged_tables(db) == 0
