"""Fault injection: the real CLI in a subprocess, under an address-space limit, with
every process it starts tracked from /proc so that none may outlive it."""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from imr_analytics.bench import _tree_rss_bytes


def pytest_collection_modifyitems(config, items) -> None:
    if not Path("/proc/self/task").is_dir():
        skip = pytest.mark.skip(reason="tracking a load's processes needs Linux's /proc")
        for item in items:
            if "tests/faults/" in item.nodeid:
                item.add_marker(skip)


# The tables whose rows a load produces, and a stable order to compare them in.
TABLE_KEYS = {
    "documents": "content_sha256, source_path",
    "letters": "letter_id",
    "items": "letter_id, item_no",
    "citations": "letter_id, item_no, party, citation_no",
}


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, started: str) -> bool:
    """The same process (pid and start time) still exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z" and _start_time(pid) == started


def descendants(root: int) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    stack = [root]
    while stack:
        pid = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                started = _start_time(child)
                if started is not None:
                    found.add((child, started))
                    stack.append(child)
    return found


@dataclass
class Run:
    """A CLI run: its exit code, output, every process it started, the peak summed RSS
    of its process tree, and whatever outlived it."""

    code: int
    stdout: str
    stderr: str
    started: set[tuple[int, str]] = field(default_factory=set)
    peak_rss: int = 0
    survivors: set[tuple[int, str]] = field(default_factory=set)


def _run_cli(
    args: list[str],
    *,
    address_space: int | None = 4 * 2**30,
    kill_after: float | None = None,
    kill_signal: int = 9,
    timeout: float = 600,
) -> Run:
    """Run ``python -m imr_analytics ARGS`` under an address-space limit; optionally
    send ``kill_signal`` ``kill_after`` seconds after its first child process started.
    Processes are sampled every 20 ms."""

    def limit() -> None:
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    # Output goes to files, not pipes: a process that outlives the load (the failure
    # looked for) would hold a pipe open and hang the test instead of failing it.
    out_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _text
    err_file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by _text
    proc = subprocess.Popen(
        [sys.executable, "-m", "imr_analytics", *args],
        stdout=out_file,
        stderr=err_file,
        preexec_fn=limit,  # the test process has no threads that could hold a lock here
    )
    started: set[tuple[int, str]] = set()
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            started.update(descendants(proc.pid))
            peak = max(peak, _tree_rss_bytes(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if kill_after is not None:
        # Counted from the first worker's start: a kill before it tests nothing new.
        while not started and proc.poll() is None:
            time.sleep(0.01)
        try:
            proc.wait(kill_after)
        except subprocess.TimeoutExpired:
            started.update(descendants(proc.pid))
            proc.send_signal(kill_signal)
    try:
        proc.wait(timeout=timeout)
    finally:
        stop.set()
        sampler.join()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = (_text(f) for f in (out_file, err_file))
    # Give orphans the time a clean exit takes, then see who is left.
    deadline = time.monotonic() + 5
    survivors = {p for p in started if _alive(*p)}
    while survivors and time.monotonic() < deadline:
        time.sleep(0.1)
        survivors = {p for p in survivors if _alive(*p)}
    for pid, _ in survivors:  # do not leave them to the next test
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
    return Run(proc.returncode, out, err, started, peak, survivors)


def _text(f) -> str:
    f.seek(0)
    text = f.read().decode("utf-8", "backslashreplace")
    f.close()
    return text


def _table_rows(db: Path) -> dict[str, list[tuple]]:
    """Every row a load produces, without load times, in a stable order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table, key in TABLE_KEYS.items():
            cols = [
                c
                for (c,) in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                    "ORDER BY ordinal_position",
                    [table],
                ).fetchall()
                if not c.endswith("_at")
            ]
            out[table] = con.execute(
                f"SELECT {', '.join(cols)} FROM {table} ORDER BY {key}"
            ).fetchall()
        return out
    finally:
        con.close()


@pytest.fixture(scope="session")
def letters_400(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """401 synthetic text letters (one is given a hostile name by the tests), made once."""
    from imr_analytics.synth import generate_corpus

    root = tmp_path_factory.mktemp("letters400")
    generate_corpus(root / "corpus", 401, seed=7)
    return root / "corpus" / "letters"


@pytest.fixture()
def run_cli():
    """``run_cli(args, address_space=, kill_after=, kill_signal=)`` -> Run."""
    return _run_cli


@pytest.fixture()
def table_rows():
    """``table_rows(db)`` -> every row a load produced, by table, without load times."""
    return _table_rows
