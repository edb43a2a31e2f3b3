"""Loads that do not wait for readers: a notebook's open connection neither stops a load nor
sees an error, and it sees the new letters when it reconnects.

The readers are real second processes holding ``imr.connect(db)`` open and querying in a
loop while ``imr-analytics load`` runs, as an analyst's JupyterLab kernel would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from database_faults import REPO, corpus, run_cli

pytestmark = pytest.mark.slow

READER = r"""
import sys, time
from pathlib import Path
import imr_analytics as imr

db, stop, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
con = imr.connect(db)
first = con.execute("SELECT count(*) FROM letters").fetchall()[0][0]
print("ready", first, flush=True)
queries = errors = 0
seen = set()
while not stop.exists():
    try:
        if mode == "reconnect":  # a report started during the load opens the file anew
            con.close()
            con = imr.connect(db)
        n = con.execute("SELECT count(*), sum(item_count) FROM letters").fetchall()[0][0]
        con.execute("SELECT item_category, count(*) FROM items GROUP BY 1").fetchall()
        seen.add(n)
        queries += 1
    except Exception as exc:  # any failure is what this test is about
        errors += 1
        print("error", type(exc).__name__, exc, flush=True)
        time.sleep(0.05)
con.close()
con = imr.connect(db)
after = con.execute("SELECT count(*) FROM letters").fetchall()[0][0]
con.close()
print("done", queries, errors, first, after, sorted(seen), flush=True)
"""


def _start_reader(db: Path, stop: Path, mode: str, cwd: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop), mode],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    line = proc.stdout.readline().split()
    assert line and line[0] == "ready", proc.stderr.read()
    return proc, int(line[1])


def test_a_load_succeeds_while_readers_hold_the_database_and_query(tmp_path: Path) -> None:
    first = corpus(tmp_path / "first", 200, seed=91)
    more = corpus(tmp_path / "more", 1500, seed=92)
    db = tmp_path / "db" / "imr.duckdb"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert run_cli("load", first, "--db", db, cwd=elsewhere).returncode == 0
    stop = tmp_path / "stop"
    holding, n0 = _start_reader(db, stop, "hold", elsewhere)
    reopening, _ = _start_reader(db, stop, "reconnect", elsewhere)
    try:
        started = time.perf_counter()
        load = run_cli("load", more, "--db", db, cwd=elsewhere)
        elapsed = time.perf_counter() - started
    finally:
        stop.touch()
        held_out, held_err = holding.communicate(timeout=120)
        reo_out, reo_err = reopening.communicate(timeout=120)
    assert load.returncode == 0, load.stderr
    assert "Traceback" not in load.stderr
    assert "loading into a copy" in load.stderr
    total = n0 + 1500

    done = held_out.split("\n")[-2].split(maxsplit=5)
    assert done[0] == "done", held_out + held_err
    queries, errors, before, after = map(int, done[1:5])
    assert errors == 0 and queries > 0, held_out
    assert before == n0 and after == total
    assert done[5] == f"[{n0}]"  # an open connection keeps its snapshot until it reconnects

    done = reo_out.split("\n")[-2].split(maxsplit=5)
    assert done[0] == "done", reo_out + reo_err
    assert int(done[2]) == 0 and int(done[1]) > 0, reo_out  # reopening never failed
    assert int(done[4]) == total

    # the copy is gone, and the database is a complete, checkpointed file
    assert not list(db.parent.glob(".imr.duckdb.load-*"))
    assert not db.with_name("imr.duckdb.wal").exists()
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM letters").fetchone()[0] == total
    con.close()
    print(f"load of 1,500 letters beside two readers: {elapsed:.1f} s")


def test_two_loads_at_once_take_turns(tmp_path: Path) -> None:
    a = corpus(tmp_path / "a", 300, seed=93)
    b = corpus(tmp_path / "b", 300, seed=94)
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "imr_analytics", "load", str(folder), "--db", str(db)],
            cwd=elsewhere,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for folder in (a, b)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM letters").fetchone()[0] == 600
    assert con.execute("SELECT count(*) FROM load_runs").fetchone()[0] == 2
    con.close()


def test_a_writer_that_is_not_a_load_still_gets_one_sentence(tmp_path: Path) -> None:
    """A notebook that opened the database for writing cannot be worked around: exit 2."""
    db = tmp_path / "imr.duckdb"
    letters = corpus(tmp_path / "c", 5, seed=95)
    assert run_cli("load", letters, "--db", db, cwd=tmp_path / "w").returncode == 0
    holder = duckdb.connect(str(db))
    try:
        proc = run_cli("load", letters, "--db", db, "--rescan", cwd=tmp_path / "w")
    finally:
        holder.close()
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "open for writing" in proc.stderr


def test_reparse_runs_beside_a_reader(tmp_path: Path) -> None:
    letters = corpus(tmp_path / "c", 40, seed=96)
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "w"
    assert run_cli("load", letters, "--db", db, cwd=elsewhere).returncode == 0
    stop = tmp_path / "stop"
    reader, n0 = _start_reader(db, stop, "hold", elsewhere)
    try:
        proc = run_cli("reparse", "--db", db, cwd=elsewhere)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    done = out.split("\n")[-2].split(maxsplit=5)
    assert done[0] == "done" and int(done[2]) == 0, out + err
    assert int(done[4]) == n0


def test_with_copy_readers_can_open_the_database_while_a_load_runs(tmp_path: Path) -> None:
    """Without readers a load writes in place, and DuckDB then refuses anyone else; with
    --copy a report or notebook started during the load opens the database as it was."""
    first = corpus(tmp_path / "first", 100, seed=101)
    more = corpus(tmp_path / "more", 1200, seed=102)
    db = tmp_path / "imr.duckdb"
    elsewhere = tmp_path / "w"
    assert run_cli("load", first, "--db", db, cwd=elsewhere).returncode == 0
    load = subprocess.Popen(
        [sys.executable, "-m", "imr_analytics", "load", str(more), "--db", str(db), "--copy"],
        cwd=elsewhere,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    first_line = load.stderr.readline()
    assert "(--copy): loading into a copy" in first_line, first_line
    stop = tmp_path / "stop"
    reader, n0 = _start_reader(db, stop, "reconnect", elsewhere)  # opened during the load
    try:
        out, err = load.communicate(timeout=600)
    finally:
        stop.touch()
        r_out, r_err = reader.communicate(timeout=120)
    assert load.returncode == 0, err
    assert n0 == 100
    done = r_out.split("\n")[-2].split(maxsplit=5)
    assert done[0] == "done" and int(done[2]) == 0, r_out + r_err
    assert int(done[4]) == 1300


def test_a_copy_left_by_a_killed_load_is_removed_by_the_next(tmp_path: Path) -> None:
    letters = corpus(tmp_path / "c", 5, seed=103)
    db = tmp_path / "imr.duckdb"
    assert run_cli("load", letters, "--db", db, cwd=tmp_path / "w").returncode == 0
    stale = tmp_path / ".imr.duckdb.load-999999"
    stale.write_bytes(db.read_bytes())  # what kill -9 during a load beside readers leaves
    (tmp_path / ".imr.duckdb.load-999999.wal").write_bytes(b"x")
    assert run_cli("load", letters, "--db", db, cwd=tmp_path / "w").returncode == 0
    assert not list(tmp_path.glob(".imr.duckdb.load-*"))
