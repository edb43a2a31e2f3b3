"""A disk that fills during a load: one sentence, no traceback, a non-zero exit, and a
database that still opens with whole batches only (run as root on Linux: it mounts a
small tmpfs; skipped elsewhere with the reason)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture()
def small_disk(tmp_path: Path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("filling a disk needs root to mount a small tmpfs; not root here")
    mnt = tmp_path / "small"
    mnt.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_full_disk_during_a_load_is_one_sentence(
    letters_400: Path, small_disk: Path, run_cli
) -> None:
    db = small_disk / "full.duckdb"
    run = run_cli(["load", str(letters_400), "--db", str(db)])
    assert run.code != 0
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.startswith("imr-analytics:")]
    assert len(lines) == 1 and "is full" in lines[0], run.stderr
    assert not run.survivors
    if db.exists():  # whatever was committed is whole: every letter has its document
        con = duckdb.connect(str(db), read_only=True)
        orphans = con.execute(
            "SELECT count(*) FROM letters l LEFT JOIN documents d USING (content_sha256) "
            "WHERE d.content_sha256 IS NULL"
        ).fetchone()[0]
        con.close()
        assert orphans == 0
