"""The worker pool: each task's result in order, and a worker that dies or overstays
costs exactly the task it held, with a reason that names the limit."""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from pathlib import Path

import pytest
from hostile_files import one_page_pdf, stream_bomb

from imr_analytics.extract import Limits
from imr_analytics.store.pool import WorkerPool
from imr_analytics.store.worker import process_file

_FOLDER = Path("/tmp")  # set per test by the fixture below
_SERIAL = itertools.count()


def _task(name: str, data: bytes) -> tuple[str, int, str, str]:
    """A ``process_file`` task: the workers read the file themselves."""
    path = _FOLDER / f"{next(_SERIAL)}-{name}"
    path.write_bytes(data)
    return (name, len(data), hashlib.sha256(data).hexdigest(), str(path))


@pytest.fixture(autouse=True)
def _files_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}._FOLDER", tmp_path)


def _children() -> set[int]:
    """Child processes of every thread of this process (a thread may end while we look)."""
    found = set()
    for task in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            text = Path(f"/proc/{os.getpid()}/task/{task}/children").read_text()
        except FileNotFoundError:  # the thread ended between listing and reading
            continue
        found.update(int(pid) for pid in text.split())
    return found


def test_a_memory_bomb_costs_its_own_task_and_the_rest_arrive_in_order() -> None:
    before = _children()
    tasks = [_task(f"ok{i}.txt", f"letter {i}".encode()) for i in range(40)]
    tasks.insert(17, _task("bomb.pdf", stream_bomb(64)))
    tasks.append(_task("page.pdf", one_page_pdf("Independent")))
    pool = WorkerPool(2, Limits(worker_memory=384 * 2**20))
    try:
        results = list(pool.map(process_file, tasks))
    finally:
        pool.shutdown()
    assert [r[2] if r[0] != "error" else r[1] for r in results] == [t[0] for t in tasks]
    bomb = results[17]
    assert bomb[0] == "error" and bomb[3] == "extract"
    assert bomb[4].startswith("worker exceeded the 384 MiB memory limit")
    others = results[:17] + results[18:]
    assert all(r[0] != "error" for r in others), [r for r in others if r[0] == "error"]
    assert _children() <= before  # every worker is gone


def test_a_task_past_the_time_limit_is_stopped_and_named() -> None:
    tasks = [_task("slow.pdf", stream_bomb(24)), _task("after.txt", b"a letter")]
    pool = WorkerPool(1, Limits(timeout_s=0.5, worker_memory=2 * 2**30))
    started = time.monotonic()
    try:
        results = list(pool.map(process_file, tasks))
    finally:
        pool.shutdown()
    assert results[0][0] == "error"
    assert results[0][4].startswith("extraction exceeded 0.5 s")
    assert results[1][0] == "failed" and results[1][2] == "after.txt"  # not a letter, but read
    assert time.monotonic() - started < 20


def test_a_pool_that_is_shut_down_mid_job_leaves_no_process() -> None:
    before = _children()
    pool = WorkerPool(2, Limits(worker_memory=2 * 2**30))
    pool.map(process_file, [_task(f"b{i}.pdf", stream_bomb(16)) for i in range(4)])
    time.sleep(1.5)
    assert len(_children() - before) == 2
    pool.shutdown()
    assert _children() <= before


def test_results_longer_than_the_read_buffer_arrive_whole_and_in_order() -> None:
    """A result frame may be several times the pool's read buffer (a long letter's text
    comes back with it): it arrives whole, between short ones, and the buffer goes back to
    its usual size afterwards."""
    from imr_analytics.store import pool as pool_module

    sizes = [10, 3 * pool_module.READ_BYTES + 17, 20, pool_module.READ_BYTES - 5, 30]
    tasks = [
        _task(f"t{i}.txt", b"Independent Medical Review " + b"x" * n) for i, n in enumerate(sizes)
    ]
    pool = WorkerPool(1, Limits(max_chars=4 * pool_module.READ_BYTES))
    try:
        results = list(pool.map(process_file, tasks))
        workers = list(pool._workers)
    finally:
        pool.shutdown()  # joins the dispatcher thread, which may still be shrinking the buffer
    worker_buffers = [len(w.rbuf) for w in workers]
    assert [r[2] for r in results] == [t[0] for t in tasks]
    assert [len(r[1][6]) for r in results] == [27 + n for n in sizes]
    assert worker_buffers == [pool_module.READ_BYTES]
