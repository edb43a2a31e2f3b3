"""What the worker processes run: read and hash a file, extract, parse and classify it.

The workers read the files themselves, so that a file's bytes never cross a pipe. A file
at a path no load has recorded is read, hashed and parsed in one task (``load_file``),
and the loader drops the result if its content is stored already. A file at a recorded
path (changed since, or ``--rescan``) is more likely stored already: the loader sends
its path and size, gets back a hash (``hash_file``) to check against the database, then
sends the path again only for new content (``process_file``), which comes back as text
and rows. Reading is as careful as the loader was: a file swapped for a
FIFO or device since it was stat-ed is never read, and nothing past ``MAX_FILE_BYTES``.

Kept apart from the loader so that a worker imports only the parser, the extractors and
the vocabularies, not pyarrow or DuckDB: on a 2-core machine with a 1 GiB budget every
worker's resident size counts. Functions here never raise; a broken file becomes a
result that the loader records in ``load_errors``.

Run as ``python -m imr_analytics.store.worker PARENT_PID MEMORY_BYTES`` it is one worker
of the loader's pool (``pool.py``): it limits its own address space, dies with its
parent, and answers framed, pickled task chunks on stdin with one frame per task on the
original stdout (anything a library prints goes to stderr instead).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import stat
import struct
import sys

from ..extract import DEFAULT_LIMITS, ExtractionError, Limits, extract_document
from ..extract.limits import too_much_memory
from ..parse import ParseFailure, parse_letter
from .rows import letter_rows, unknown_drugs

# Parse failures that mean "this is not a letter we know" rather than "a letter we
# could not read": they are reported at the detect stage.
DETECT_REASONS = {"empty_text", "not_an_imr_letter", "unknown_layout"}

FRAME = struct.Struct("!Q")
READY = b"ready"

# The longest real letters are ten pages (~200 KB as PDF). A file far beyond that is
# not a letter, and reading it whole would only cost memory.
MAX_FILE_BYTES = 32 * 1024 * 1024

# What a path that is not a regular file is, for its load_errors row.
_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def not_a_file(path: str | os.PathLike, mode: int) -> str:
    """The reason a path that is not a regular file is not read (it is never opened)."""
    if stat.S_ISDIR(mode):
        try:
            os.scandir(path).close()
        except OSError as exc:
            return f"a folder that cannot be read: {exc.strerror or exc}"
        return "a folder that could not be read while the load walked it"
    for test, kind in _KINDS:
        if test(mode):
            return f"{kind}, not a regular file; not opened"
    return "not a regular file; not opened"


def read_regular(path: str | os.PathLike, size: int) -> tuple[bytes, tuple[int, ...]]:
    """The bytes of a regular file and its identity (size, mtime, inode, ctime), opened so
    that a file swapped for a FIFO or device since it was stat-ed can neither block nor
    be read (non-blocking open, then fstat)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(0, not_a_file(path, st.st_mode))
        limit = min(max(size, st.st_size), MAX_FILE_BYTES) + 1
        chunks, got = [], 0
        while got < limit:
            chunk = os.read(fd, limit - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return data, (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
    finally:
        os.close(fd)


TOO_LARGE = f"larger than any IMR letter ({MAX_FILE_BYTES // 2**20} MiB at most); not read"


def _read(path: str, size: int) -> tuple[bytes | None, tuple[int, ...] | str]:
    """(bytes, identity), or (None, why the file was not read)."""
    try:
        data, identity = read_regular(path, size)
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"
    except MemoryError:
        return None, "too large to read into memory"
    if len(data) > MAX_FILE_BYTES:  # it grew since it was stat-ed
        return None, TOO_LARGE
    return data, identity


def hash_file(task: tuple[str, int, str], limits: Limits = DEFAULT_LIMITS) -> tuple:
    """``(name, size, fs_path)`` -> ``("hashed", sha256, byte count, identity)`` or a read
    error ``("error", name, None, "read", reason, remember)``, ``remember`` saying whether
    the file was read (only too large: its size need not be read again while it stays
    the same). Runs in a worker; never raises."""
    name, size, fs_path = task
    data, identity = _read(fs_path, size)
    if data is None:
        return ("error", name, None, "read", identity, identity == TOO_LARGE)
    return ("hashed", hashlib.sha256(data).hexdigest(), len(data), identity)


def process_file(task: tuple, limits: Limits = DEFAULT_LIMITS) -> tuple:
    """``(name, size, sha256, fs_path[, identity])`` -> the file read, extracted, parsed
    and classified.

    The file is hashed again unless its identity (size, mtime, inode, ctime) is the one
    ``hash_file`` saw; a file changed since then comes back under its new hash (the
    loader checks it again). Runs in a worker; never raises."""
    path, size, sha, fs_path = task[:4]
    data, identity = _read(fs_path, size)
    if data is None:
        return ("error", path, None, "read", identity)
    if len(task) < 5 or identity != task[4]:
        sha = hashlib.sha256(data).hexdigest()
    return process_bytes(path, data, sha, limits)


def load_file(task: tuple[str, int, str], limits: Limits = DEFAULT_LIMITS) -> tuple:
    """``(name, size, fs_path)`` -> the file read once, hashed and, unless empty,
    extracted, parsed and classified: ``("read", sha256, byte count, result)`` with
    ``result`` what ``process_bytes`` gives (None for an empty file), or the read error
    of ``hash_file``.

    For files at paths no load has recorded, which are almost always new content: one
    read and one round trip instead of ``hash_file`` then ``process_file``. The loader
    then drops a result whose hash is already stored, counted as skipped as before.
    Runs in a worker; never raises."""
    name, size, fs_path = task
    data, identity = _read(fs_path, size)
    if data is None:
        return ("error", name, None, "read", identity, identity == TOO_LARGE)
    sha = hashlib.sha256(data).hexdigest()
    if not data:
        return ("read", sha, 0, None)
    return ("read", sha, len(data), process_bytes(name, data, sha, limits))


def process_bytes(path: str, data: bytes, sha: str, limits: Limits = DEFAULT_LIMITS) -> tuple:
    """Extract, parse and classify one file's bytes. Never raises."""
    try:
        extracted = extract_document(path, data, limits)
    except ExtractionError as exc:
        return ("error", path, sha, "extract", str(exc))
    except MemoryError:
        return ("error", path, sha, "extract", too_much_memory(limits))
    except Exception as exc:  # noqa: BLE001 - a broken file must not stop the load
        return ("error", path, sha, "extract", f"extractor failed: {type(exc).__name__}: {exc}")
    text = extracted.text
    if "\x00" in text:  # a memchr; replace() would count the absent character char by char
        text = text.replace("\x00", "")
    doc = (
        sha,
        path,
        extracted.source_format,
        extracted.extractor,
        len(data),
        extracted.page_count,
        text,
    )
    try:
        return parse_document(path, sha, text, doc)
    except MemoryError:
        return ("error", path, sha, "parse", too_much_memory(limits))


def parse_document(path: str, sha: str, text: str, doc: tuple | None) -> tuple:
    result = parse_letter(text)
    if isinstance(result, ParseFailure):
        stage = "detect" if result.reason in DETECT_REASONS else "parse"
        return ("failed", doc, path, sha, stage, f"{result.reason}: {result.detail}")
    try:
        rows = letter_rows(result, source_path=path, content_sha256=sha)
    except Exception as exc:  # noqa: BLE001
        return (
            "failed",
            doc,
            path,
            sha,
            "parse",
            f"could not build rows: {type(exc).__name__}: {exc}",
        )
    return ("ok", doc, path, sha, result.layout, rows, unknown_drugs(rows[1]))


def reparse_task(task: tuple[str, str, str], limits: Limits = DEFAULT_LIMITS) -> tuple:
    sha, path, text = task
    return parse_document(path, sha, text, None)


# The functions a worker runs, by name (the pool sends names, not pickled functions).
TASKS = {
    "hash_file": hash_file,
    "process_file": process_file,
    "load_file": load_file,
    "reparse_task": reparse_task,
}


def failed_task(fn_name: str, task: tuple, reason: str) -> tuple:
    """The result recorded for a task whose worker died or was stopped on it."""
    if fn_name == "reparse_task":
        sha, path, _ = task
        return ("error", path, sha, "parse", reason)
    if fn_name == "hash_file":
        return ("error", task[0], None, "read", reason)
    if fn_name == "load_file":  # the loader hashes the file again to name its content
        return ("lost", task[0], reason)
    return ("error", task[0], task[2], "extract", reason)


# --- the worker process -------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this process when the loader dies, however it dies (kill -9
    included); elsewhere a closed stdin ends the worker between tasks."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _limit_memory(limit: int) -> None:
    import resource

    if limit <= 0:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _write_frame(fd: int, payload: bytes) -> None:
    view = memoryview(FRAME.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parent, memory = int(argv[0]), int(argv[1])
    _die_with_parent(parent)
    _limit_memory(memory)
    # The protocol owns the original stdout; print() and C libraries get stderr.
    out = os.dup(1)
    os.dup2(2, 1)
    _write_frame(out, READY)
    while True:
        header = _read_exactly(0, FRAME.size)
        if header is None:
            return  # the loader closed the pipe: the load is over
        frame = _read_exactly(0, FRAME.unpack(header)[0])
        if frame is None:
            return
        fn_name, limits, tasks = pickle.loads(frame)
        fn = TASKS[fn_name]
        for task in tasks:
            try:
                result = fn(task, limits)
            except MemoryError:
                result = failed_task(fn_name, task, too_much_memory(limits))
            _write_frame(out, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
            del result


if __name__ == "__main__":  # pragma: no cover - run by the pool
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        main()
