"""The loader's worker processes: a small pool that knows which file each worker holds.

Why not ``concurrent.futures``: when a worker of a ``ProcessPoolExecutor`` dies, the
whole pool breaks and nobody knows which file killed it; redoing the batch in the main
process then kills the main process on the same file, and every later run dies at the
same place. Its resource tracker and forkserver also outlive a loader killed with -9.

Here each worker is a plain child process (``python -m imr_analytics.store.worker``)
fed small chunks of tasks over a pipe and answering one frame per task, in order, so
the parent always knows the task a worker is on and since when. A dispatcher thread
moves the bytes (non-blocking, so a stuck worker never blocks the loader) while the
main thread writes to the database. Then:

- a worker past the time limit on one task is killed, and that task alone is recorded
  as having exceeded it;
- a worker that dies (its address-space limit hit, a crash in PDFium, the OOM killer)
  costs exactly the task it was on: that task is recorded with a reason naming the
  limit, its other tasks go back to the queue, and a new worker takes over; the file is
  never parsed in the loader's own process;
- workers ask Linux to kill them when the loader dies (``PR_SET_PDEATHSIG``), read EOF
  when it closes their pipe, and no multiprocessing helper process is started, so
  nothing outlives a load, however it ends.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

from ..extract.limits import (
    DEFAULT_LIMITS,
    Limits,
    format_bytes,
    too_much_memory,
    too_slow,
    worker_died,
)
from .worker import FRAME, READY, TASKS, failed_task

# Tasks per message, and bytes: enough to amortise a round trip over ~1 ms letters,
# few enough that the tail of a batch spreads over every worker. Tasks measured to be
# cheaper (hashing a file takes a tenth of a millisecond) go in larger chunks, about
# CHUNK_WORK_S of work each, up to MAX_CHUNK_TASKS.
CHUNK_TASKS = 16
CHUNK_WORK_S = 0.016
MAX_CHUNK_TASKS = 512
CHUNK_BYTES = 4 * 2**20
# A worker's results wait in its pipe until the dispatcher thread reads them, between its
# pauses and only while it holds the GIL (the main thread's writes hold it for long
# stretches). A default 64 KiB pipe holds about five letters' results (text and rows,
# ~11 KB each), and a worker whose pipe is full stops until it is read. 1 MiB (Linux's
# ceiling for unprivileged processes) holds about ninety.
PIPE_BYTES = 2**20
# The buffer results are read into, per worker: what a full pipe holds, taken in one read
# (it grows for a longer frame).
READ_BYTES = PIPE_BYTES
FIRST_GUESS_S = 0.001  # a task's time before one has been measured
PAUSE_MAX_S = 0.01
# A worker dead before it said "ready" this many times in a row means workers cannot
# start at all (a broken install), not a hostile file.
MAX_START_FAILURES = 3
# A worker killed by a signal after using at least this share of its address-space
# limit is reported as having exceeded it (PDFium aborts when an allocation fails).
MEMORY_SHARE = 0.5


class WorkerError(RuntimeError):
    """The worker processes cannot run at all; the message is one sentence."""


class Job:
    """The results of one ``map``, in task order; iterating waits for them."""

    def __init__(self, n: int) -> None:
        self.results: list[tuple | None] = [None] * n
        self.remaining = n
        self.error: BaseException | None = None
        self.done = threading.Event()
        if n == 0:
            self.done.set()

    def _set(self, index: int, result: tuple) -> None:
        self.results[index] = result
        self.remaining -= 1
        if self.remaining == 0:
            self.done.set()

    def _fail(self, error: BaseException) -> None:
        self.error = error
        self.done.set()

    def __iter__(self) -> Iterator[tuple]:
        # Short waits, so that Ctrl-C and SIGTERM reach the main thread promptly.
        while not self.done.wait(0.25):
            pass
        if self.error is not None:
            raise self.error
        return iter(self.results)  # type: ignore[arg-type]


class _Worker:
    def __init__(self, limits: Limits) -> None:
        cmd = [
            sys.executable,
            "-m",
            "imr_analytics.store.worker",
            str(os.getpid()),
            str(limits.worker_memory),
        ]
        # Its own process group: a Ctrl-C at the terminal reaches the loader only, which
        # then stops the workers itself.
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, process_group=0
        )
        self.wfd = self.proc.stdin.fileno()
        self.rfd = self.proc.stdout.fileno()
        _widen_pipe(self.rfd)
        os.set_blocking(self.wfd, False)
        os.set_blocking(self.rfd, False)
        self.ready = False
        self.wbuf = bytearray()
        # Results are read into this one buffer, reused: a fresh 1 MiB bytes per read, and
        # a copy of it whenever a frame straddled two reads, cost the loader's process
        # page faults and copies of every result twice. ``rlen`` bytes of it are unread.
        self.rbuf = bytearray(READ_BYTES)
        self.rlen = 0
        self.outstanding: deque[tuple[Job, int, str, tuple]] = deque()
        self.started = 0.0  # when the task at the head of ``outstanding`` began
        self.stopped_for: str | None = None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()

    def reap(self) -> tuple[int, int]:
        """Close the pipes and wait for the process: (wait status, peak RSS in bytes)."""
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()
        try:
            _, status, usage = os.wait4(self.proc.pid, 0)
        except ChildProcessError:
            return 0, 0
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        return status, usage.ru_maxrss * 1024


class WorkerPool:
    """``n`` worker processes under ``limits``, started when there is work for them."""

    def __init__(self, n: int, limits: Limits = DEFAULT_LIMITS) -> None:
        self.n = max(1, n)
        self.limits = limits
        self._lock = threading.Lock()
        self._queue: deque[tuple[Job, int, str, tuple]] = deque()
        self._workers: list[_Worker] = []
        self._closing = False
        self._start_failures = 0
        self._task_s: dict[str, float] = {}  # measured seconds per task, by task kind
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._run, name="imr-worker-pool", daemon=True)
        self._thread.start()

    # --- the main thread's side ---------------------------------------------------------

    def map(self, fn: Callable[..., tuple], tasks: list[tuple]) -> Job:
        name = fn.__name__
        if TASKS.get(name) is not fn:
            raise ValueError(f"{name} is not a worker task")
        job = Job(len(tasks))
        with self._lock:
            self._queue.extend((job, i, name, t) for i, t in enumerate(tasks))
        self._wake()
        return job

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Stop the workers (at once: every result asked for has arrived, or is no longer
        wanted) and the dispatcher. Safe to call twice."""
        with self._lock:
            self._closing = True
        self._wake()
        self._thread.join()
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    # --- the dispatcher thread ----------------------------------------------------------

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        sel.register(self._wake_r, selectors.EVENT_READ, None)
        try:
            while True:
                with self._lock:
                    closing = self._closing
                if closing:
                    break
                self._spawn_and_feed(sel)
                self._poll(sel)
                self._check_time()
                # While every worker has tasks in hand, let results gather: one wake-up
                # per handful of letters, not one per letter, leaves the loader's CPU to
                # the database writes. Sleeping half the work the least busy worker holds
                # (by the measured time per task) cannot starve it.
                if self._workers:
                    least = min(self._work_in_hand(w) for w in self._workers)
                    if least > 0:
                        time.sleep(min(PAUSE_MAX_S, least / 2))
        except BaseException as exc:  # noqa: BLE001 - every waiting job must hear of it
            if not isinstance(exc, WorkerError):
                exc = WorkerError(f"the worker pool failed: {type(exc).__name__}: {exc}")
            self._fail_all(exc)
        finally:
            for w in self._workers:
                w.kill()
            for w in self._workers:
                w.reap()
            self._workers.clear()
            sel.close()

    def _fail_all(self, error: BaseException) -> None:
        with self._lock:
            jobs = {item[0] for item in self._queue}
            self._queue.clear()
        for w in self._workers:
            jobs.update(item[0] for item in w.outstanding)
            w.outstanding.clear()
        for job in jobs:
            job._fail(error)

    def _spawn_and_feed(self, sel: selectors.BaseSelector) -> None:
        with self._lock:
            queued = len(self._queue)
        busy = sum(1 for w in self._workers if w.outstanding or not w.ready)
        while queued and len(self._workers) < self.n and busy < queued:
            w = _Worker(self.limits)
            self._workers.append(w)
            sel.register(w.rfd, selectors.EVENT_READ, w)
            busy += 1
        for w in self._workers:
            if not w.ready or w.wbuf:
                continue
            with self._lock:
                if not self._queue:
                    break
                per_chunk = self._chunk_tasks(self._queue[0][2])
            if len(w.outstanding) >= 2 * per_chunk:
                continue
            chunk: list[tuple[Job, int, str, tuple]] = []
            size = 0
            with self._lock:
                while self._queue and len(chunk) < per_chunk and size < CHUNK_BYTES:
                    item = self._queue[0]
                    if chunk and item[2] != chunk[0][2]:
                        break
                    chunk.append(self._queue.popleft())
                    size += _task_bytes(item[3])
            if not chunk:
                continue
            if not w.outstanding:
                w.started = time.monotonic()
            w.outstanding.extend(chunk)
            payload = pickle.dumps(
                (chunk[0][2], self.limits, [item[3] for item in chunk]),
                protocol=pickle.HIGHEST_PROTOCOL,
            )
            w.wbuf += FRAME.pack(len(payload))
            w.wbuf += payload
            self._flush(w)

    def _chunk_tasks(self, name: str) -> int:
        per_task = self._task_s.get(name, FIRST_GUESS_S)
        return max(CHUNK_TASKS, min(MAX_CHUNK_TASKS, int(CHUNK_WORK_S / per_task)))

    def _work_in_hand(self, w: _Worker) -> float:
        """Seconds of work the worker holds at least (0 with fewer than two tasks): its
        tasks by their measured time, none counted as more than FIRST_GUESS_S."""
        if len(w.outstanding) < 2:
            return 0.0
        per_task = self._task_s.get(w.outstanding[0][2], FIRST_GUESS_S)
        return len(w.outstanding) * min(per_task, FIRST_GUESS_S)

    def _flush(self, w: _Worker) -> None:
        try:
            n = os.write(w.wfd, w.wbuf)
        except BlockingIOError:
            n = 0
        except OSError:  # the worker is gone; its EOF is handled by _poll
            w.wbuf.clear()
            return
        del w.wbuf[:n]

    def _poll(self, sel: selectors.BaseSelector) -> None:
        # Write ends are watched only while bytes wait for them.
        wfds = {}
        for w in self._workers:
            if w.wbuf:
                wfds[w.wfd] = w
                sel.register(w.wfd, selectors.EVENT_WRITE, w)
        try:
            events = sel.select(self._timeout())
        finally:
            for fd in wfds:
                sel.unregister(fd)
        dead: list[_Worker] = []
        for key, _mask in events:
            w = key.data
            if w is None:
                try:
                    while os.read(self._wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
                continue
            if key.fd == w.wfd:
                self._flush(w)
                continue
            if not self._read(w):
                dead.append(w)
        for w in dead:
            sel.unregister(w.rfd)
            self._buried(w)

    def _timeout(self) -> float:
        timeout = 0.5
        now = time.monotonic()
        for w in self._workers:
            if w.outstanding and w.stopped_for is None:
                timeout = min(timeout, max(0.0, w.started + self.limits.timeout_s - now) + 0.01)
        return timeout

    def _read(self, w: _Worker) -> bool:
        """Take what the worker wrote; False at EOF (the worker is gone)."""
        buf = w.rbuf
        try:
            with memoryview(buf) as free:
                n = w.proc.stdout.readinto(free[w.rlen :])
        except OSError:
            return False
        if n is None:  # nothing to read after all (non-blocking)
            return True
        if not n:
            return False
        # Every whole frame in the buffer, read in place; the tail waits for the rest.
        pos, end, head = 0, w.rlen + n, FRAME.size
        done = 0
        name = w.outstanding[0][2] if w.outstanding else None
        with memoryview(buf) as view:
            while end - pos >= head:
                (size,) = FRAME.unpack_from(buf, pos)
                if end - pos - head < size:
                    break
                start, pos = pos + head, pos + head + size
                if not w.ready:
                    if view[start:pos] == READY:
                        w.ready = True
                        self._start_failures = 0
                    continue
                job, index, _, _ = w.outstanding.popleft()
                with view[start:pos] as payload:
                    job._set(index, pickle.loads(payload))
                done += 1
        if done:
            now = time.monotonic()
            # Tasks of one kind, by the time they took together (a moving average).
            took = (now - w.started) / done
            self._task_s[name] = 0.8 * self._task_s.get(name, took) + 0.2 * took
            w.started = now
        w.rlen = end - pos
        if pos and w.rlen:
            buf[: w.rlen] = buf[pos:end]
        # Room for the rest of a frame longer than the buffer, at most doubling it per read
        # (so it grows with bytes that arrived, not with what a header claims); back to
        # the usual size once such a frame is read.
        need = head + FRAME.unpack_from(buf, 0)[0] if w.rlen >= head else 0
        if need > len(buf):
            buf.extend(bytes(min(need, 2 * len(buf)) - len(buf)))
        elif len(buf) > max(READ_BYTES, need):
            del buf[max(READ_BYTES, need) :]
        return True

    def _check_time(self) -> None:
        now = time.monotonic()
        for w in self._workers:
            if w.outstanding and w.stopped_for is None and now - w.started > self.limits.timeout_s:
                w.stopped_for = too_slow(self.limits)
                w.kill()

    def _buried(self, w: _Worker) -> None:
        """A worker is gone: charge its current task with the reason, requeue the rest."""
        self._workers.remove(w)
        status, peak = w.reap()
        if not w.ready:
            self._start_failures += 1
            if self._start_failures >= MAX_START_FAILURES:
                raise WorkerError(
                    f"worker processes cannot start (exit status {w.proc.returncode}); "
                    "see the messages above, and whether --worker-memory "
                    f"{format_bytes(self.limits.worker_memory)} is too small for them"
                )
        if not w.outstanding:
            return
        job, index, name, task = w.outstanding.popleft()
        job._set(index, failed_task(name, task, self._death_reason(w, status, peak)))
        with self._lock:
            self._queue.extendleft(reversed(w.outstanding))
        w.outstanding.clear()

    def _death_reason(self, w: _Worker, status: int, peak: int) -> str:
        if w.stopped_for:
            return w.stopped_for
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if peak >= MEMORY_SHARE * self.limits.worker_memory:
                return too_much_memory(self.limits)
            how = signal.Signals(sig).name
            if sig == signal.SIGKILL:  # not sent by the loader
                how += ", sent by another process or the kernel's out-of-memory killer"
            return worker_died(how)
        return worker_died(f"exit status {os.waitstatus_to_exitcode(status)}")


def _widen_pipe(fd: int) -> None:
    """Ask for a larger pipe buffer where the OS allows it (Linux); harmless elsewhere."""
    import fcntl

    setsz = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsz is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, setsz, PIPE_BYTES)


def _task_bytes(task: tuple) -> int:
    """What a task weighs in a message: its longest text (a reparse task's letter)."""
    n = 0
    for x in task:
        if type(x) is str or type(x) is bytes:
            n = max(n, len(x))
    return n
