"""Helpers for the database fault tests (tests/faults/test_database_*.py): run the real CLI in
a subprocess from another folder, check its one-sentence errors, snapshot files, mount tmpfs."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: object, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600):
    """``python -m imr_analytics ARGS`` in ``cwd`` (never the repository)."""
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "imr_analytics", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
    )


def error_line(proc: subprocess.CompletedProcess, code: int) -> str:
    """The exit code is ``code`` and stderr holds exactly one ``imr-analytics:`` sentence and
    no traceback; returns that sentence."""
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("imr-analytics:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def snapshot(path: Path) -> tuple[str, int, int]:
    """(sha256, size, mtime_ns): equal snapshots mean the file was not written."""
    st = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


def corpus(folder: Path, letters: int, seed: int) -> Path:
    """A synthetic corpus without its answer key (truth.jsonl is not a letter)."""
    from imr_analytics.synth import generate_corpus

    truth = generate_corpus(folder, letters, seed=seed)
    truth.unlink()
    return folder


@contextlib.contextmanager
def tmpfs(folder: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """A small tmpfs at ``folder`` (root only; the test is skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill a disk needs root")
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave: int = 0) -> None:
    """Fill the file system of ``folder`` until at most ``leave`` bytes are free."""
    import shutil

    free = shutil.disk_usage(folder).free - leave
    with (folder / "filler").open("wb", buffering=0) as fh:
        chunk = b"\0" * (1 << 20)
        while free > 0:
            try:
                fh.write(chunk[: min(len(chunk), free)])
                fh.flush()
            except OSError:
                break
            free -= len(chunk)


@contextlib.contextmanager
def held_open(db: Path, *, read_only: bool = False) -> Iterator[None]:
    """Another process holding ``db`` open with plain DuckDB (read-write: DuckDB's lock keeps
    everyone else out; read-only: writers out, readers in) for the body of the ``with``."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == '1'); "
            "print('ready', flush=True); sys.stdin.read()",
            str(db),
            "1" if read_only else "0",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield
    finally:
        holder.communicate("", timeout=30)
