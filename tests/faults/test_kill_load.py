"""A load killed at a random point after its workers started (kill -9, or SIGTERM handled like Ctrl-C) leaves no
process behind and a database that a re-run completes to the rows of a clean load."""

from __future__ import annotations

import random
import shutil
import signal
import time
from pathlib import Path

import pytest
from hostile_files import stream_bomb

pytestmark = pytest.mark.slow

# Seeded, so a failure names a point that can be tried again. The points are fractions of a
# clean load's duration, measured in the test, so that every kill lands inside the load on a
# fast machine as on a busy one (counted from the first worker's start, which comes after the
# interpreter's own start-up, hence at most about a third).
POINTS = random.Random(7).sample([0.02, 0.08, 0.15, 0.22, 0.3, 0.35], 4)


def _folder(letters: Path, root: Path) -> Path:
    folder = root / "in"
    shutil.copytree(letters, folder)
    (folder / "bomb.pdf").write_bytes(stream_bomb(64))
    return folder


@pytest.mark.parametrize(
    ("sig", "after"),
    [
        (signal.SIGKILL, POINTS[0]),
        (signal.SIGKILL, POINTS[1]),
        (signal.SIGTERM, POINTS[2]),
        (signal.SIGTERM, POINTS[3]),
    ],
)
def test_a_killed_load_leaves_no_process_and_a_rerun_equals_a_clean_load(
    letters_400: Path, tmp_path: Path, run_cli, table_rows, sig: int, after: float
) -> None:
    folder = _folder(letters_400, tmp_path)
    clean_db = tmp_path / "clean.duckdb"
    t0 = time.perf_counter()
    clean = run_cli(["load", str(folder), "--db", str(clean_db)])
    clean_s = time.perf_counter() - t0
    assert clean.code == 0, clean.stderr

    db = tmp_path / "killed.duckdb"
    killed = run_cli(
        ["load", str(folder), "--db", str(db)], kill_after=after * clean_s, kill_signal=sig
    )
    assert killed.code == (-9 if sig == signal.SIGKILL else 130), "the load was not stopped"
    assert killed.started, "killed before any worker started"
    assert not killed.survivors, (
        f"outlived a {sig.name} after {after:.0%} of a load: {killed.survivors}"
    )
    assert "Traceback" not in killed.stderr
    if sig == signal.SIGTERM:
        assert "load stopped by SIGTERM: kept what was written before it" in killed.stderr

    rerun = run_cli(["load", str(folder), "--db", str(db)])
    assert rerun.code == 0, rerun.stderr
    assert not rerun.survivors
    assert table_rows(db) == table_rows(clean_db)
