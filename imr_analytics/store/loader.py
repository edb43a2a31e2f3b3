"""Loading letters into the database: files -> documents -> letters, items, citations.

The shape of a load, and why:
- Files are walked lazily and handled in batches bounded by count and bytes, so memory
  stays flat however large the corpus.
- Each batch is stat-ed here; a file whose path, size and time an earlier load recorded
  is skipped unread. A file at a path no load recorded is read, hashed and parsed by a
  worker in one go, and its result dropped if its content is already stored (once most
  new paths of a load turn out to be stored, a moved folder, they are hashed first too).
  A file at a recorded path that changed (or every file, with ``rescan``) is hashed first
  and the hash checked against the database: a content already stored (or already
  quarantined) is skipped before any extraction or parsing. Loads are incremental and
  idempotent.
- Extraction, parsing and classification run in worker processes (all cores; pool.py)
  under per-document limits (pages, characters, time, memory): a file past one, or one
  that kills its worker, costs that file only. No file is read in this process, and no
  file's bytes cross a pipe (the workers read them by path). The
  main process only writes, through Arrow tables, one transaction per batch.
- Paths are taken as the OS gives them: stored with bytes that are not UTF-8 escaped
  (``path_text``), printed with control characters escaped (``printable``); anything
  that is not a regular file is recorded, never opened.
- Nothing stops a load: every file that cannot be read, extracted or parsed gets a
  ``load_errors`` row with its stage and a reason, and the load goes on.
"""

from __future__ import annotations

import contextlib
import gc
import os
import resource
import signal
import stat
import sys
import threading
import time
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb
import pyarrow as pa

from .. import vocab
from ..extract import DEFAULT_LIMITS, EMPTY_FILE, Limits
from ..parse import PARSER_VERSION
from . import keyindex, schema_sql, versions
from .database import first_line, open_for_writing, stopped
from .pool import WorkerError, WorkerPool
from .rows import ITEM_CATEGORY_AT, LETTER_COLUMNS
from .tables import arrow_types, column_names, table_body
from .worker import (
    MAX_FILE_BYTES,
    TOO_LARGE,
    hash_file,
    load_file,
    not_a_file,
    process_file,
    reparse_task,
)

__all__ = ["LoadSummary", "WorkerError", "load_paths", "reparse_database"]

# A batch is one transaction, bounded by count and by bytes (what memory holds: the batch
# being written and the next one's results). Batches of 24 MiB (about 6,000 synthetic
# letters) were tried against the growth of the write cost over a 500,000-letter load, and
# did not flatten it on a quiet machine: per 1,000 letters 180 -> 345 ms CPU from the first
# to the last 100,000 letters (1.9x; 2,000-file batches: 197 -> 335 ms, 1.7x), for about
# 150 MiB more at the peak. What grows is paid per letter, not per batch.
BATCH_FILES = 2000
# Files at new paths a load reads in one task with their parsing before it judges whether
# most of them are stored already (then it hashes new paths first: see _NewPaths).
NEW_PATHS_SAMPLE = 100
BATCH_BYTES = 64 * 1024 * 1024
# A reparse reads its pages of stored text in this process: smaller pages keep its memory
# where it was measured (under 600 MiB at 100,000 letters).
REPARSE_PAGE_FILES = 2000
# Files are stat-ed and looked up in ``seen_files`` in groups of this many.
_STAT_GROUP = 1000
# Below this many files a process pool costs more than it saves.
POOL_THRESHOLD = 200

# Positions in the row tuples built by rows.py, looked up rather than hard-coded.
_LETTER_ID = LETTER_COLUMNS.index("letter_id")
_SOURCE_PATH = LETTER_COLUMNS.index("source_path")
_CONTENT_SHA = LETTER_COLUMNS.index("content_sha256")
_DECISION_DATE = LETTER_COLUMNS.index("decision_date")

# ``IMR_WRITE_LOG=<file>`` makes a load append one line per batch write (tab-separated:
# "batch", letters written before it, letters in it, wall ms, CPU ms of the writing
# thread) and, at its end, the final checkpoint's cost and the process's CPU seconds
# ("rusage", own, its reaped workers'). ``imr-analytics bench`` reads it.
WRITE_LOG_ENV = "IMR_WRITE_LOG"


def _write_log(*fields: object) -> None:
    path = os.environ.get(WRITE_LOG_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\t".join(str(f) for f in fields) + "\n")


# DuckDB's buffer pool for a load, besides the primary-key indexes: enough for the batch
# inserts, small enough that a 100,000-letter load stays well under 1 GiB with its workers
# (it spills to disk).
LOAD_MEMORY_BYTES = 256 * 1000**2  # 256 MB (DuckDB's "MB" is 10**6 bytes)
# DuckDB counts its primary-key indexes (ART) against ``memory_limit``, and they cannot be
# spilled: they grow with the database, about 380 bytes a document for the five keyed
# tables (192 MiB at 516,000 documents). Under a fixed 256 MB they squeezed the buffer
# pool as a load went on: at 500,000 letters about 60 MB was left for the batch's data
# blocks, which were evicted and read again every batch (the write cost per 1,000 letters
# doubled from the first to the last 100,000), and a load into an existing 500,000-letter
# database ran out of memory at its first correction. So the limit is the indexes' size
# plus ``LOAD_MEMORY_BYTES``: estimated from the documents at the start (the indexes of an
# existing database are read in as the first batch touches them), then measured after
# each commit.
_INDEX_BYTES_PER_DOCUMENT = 400
# The limit is moved in steps of this much, not at every commit.
_MEMORY_STEP = 16 * 2**20
# DuckDB checkpoints whenever its write-ahead log passes 16 MiB, and a checkpoint rewrites
# every primary-key index whole: with 1,000-letter batches that is a checkpoint every few
# batches, each costlier than the last as the tables grow (the per-batch write cost that
# rose with the database). During a load the log may grow to this size instead, and the
# load ends with one checkpoint (on close). A killed load loses nothing more: every
# committed batch is in the log, which the next open replays. Not off altogether: data
# committed since the last checkpoint stays uncompressed in DuckDB's buffer pool (256 MB,
# then temporary files), and every batch's delete of corrected letters scans it.
LOAD_CHECKPOINT_THRESHOLD = "1GB"
# DuckDB's own threads for a load's writes: one. A batch's statements are small, and
# spreading them over threads cost more CPU than it saved wall time (the main process's CPU
# for the writes of 20,000 real letters: 8.4 s with one thread against 8.8-9.4 s with two),
# while the workers already keep every core busy.
LOAD_THREADS = 1


# The cyclic garbage collector's first-generation threshold during a load or reparse
# (CPython's default is 700). The main process allocates tens of thousands of tuples and
# lists per batch (the workers' results) that form no cycles, and each collection they
# set off walked what the imports left (pyarrow, DuckDB, NumPy) and the batch in hand:
# about a seventh of the main process's CPU on the real letters (perf). Objects are still
# freed when their last reference goes; only cycles wait longer.
LOAD_GC_THRESHOLD = 100_000


# Loads and reparses that run at once in one process (threads) share one setting of the
# collector: the first sets it, the last restores it.
_COLLECTOR_LOCK = threading.Lock()
_collector_users = 0
_collector_saved: tuple[tuple[int, ...], bool] = ((700, 10, 10), False)


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Freeze what exists (imports, the connection) out of the collector's reach and collect
    the young generation less often, while a load or reparse runs; restored after it. A
    process that froze objects itself (a pre-fork server) keeps its own freeze."""
    global _collector_users, _collector_saved
    with _COLLECTOR_LOCK:
        if _collector_users == 0:
            thresholds = gc.get_threshold()
            freeze = gc.get_freeze_count() == 0
            if freeze:
                gc.freeze()
            gc.set_threshold(LOAD_GC_THRESHOLD, *thresholds[1:])
            _collector_saved = (thresholds, freeze)
        _collector_users += 1
    try:
        yield
    finally:
        with _COLLECTOR_LOCK:
            _collector_users -= 1
            if _collector_users == 0:
                thresholds, froze = _collector_saved
                gc.set_threshold(*thresholds)
                if froze:
                    gc.unfreeze()


class _NoPandas:
    """An import finder that refuses pandas (see ``without_pandas``)."""

    @staticmethod
    def find_spec(name: str, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(
                "pandas is kept out of imr-analytics load and reparse (see "
                "loader.without_pandas); load from Python to use a library that needs it"
            )
        return None


@contextlib.contextmanager
def without_pandas() -> Iterator[None]:
    """Keep pyarrow from importing pandas while the CLI's load or reparse writes.

    Every ``pa.array`` on a Python list asks pyarrow's pandas shim whether the list is a
    pandas object, and the first such question imports pandas: 0.7-1.2 s of the main
    process's CPU (a twentieth of it for 20,000 letters) for a library the writes never
    use. The shim takes an ImportError as "no pandas" and remembers it for the rest of the
    process (a pandas Series given to ``pa.array`` later is then read as a plain sequence),
    and the finder refuses pandas to every thread. So only ``imr-analytics load`` and
    ``reparse``, whose process ends with the load, use this; ``load_paths`` and
    ``reparse_database`` called from Python (a notebook, a script) leave imports alone. A
    process that already imported pandas is left alone too.
    """
    if "pandas" in sys.modules:
        yield
        return
    sys.meta_path.insert(0, _NoPandas)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(_NoPandas)


def _tune_for_load(con) -> int:
    """Settings of a load or reparse connection: bounded memory, few checkpoints, one
    DuckDB thread. Returns the number of documents stored (the memory estimate's base)."""
    documents = con.execute("SELECT count(*) FROM documents").fetchall()[0][0]
    _fit_memory_to_indexes(con, documents * _INDEX_BYTES_PER_DOCUMENT)
    con.execute(f"SET checkpoint_threshold = '{LOAD_CHECKPOINT_THRESHOLD}'")
    con.execute(f"SET threads = {LOAD_THREADS}")
    return documents


# The memory limit last set on each load connection, in bytes.
_LIMITS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fit_memory_to_indexes(con, at_least: int = 0) -> None:
    """Keep ``LOAD_MEMORY_BYTES`` for the data besides the indexes DuckDB holds in memory
    (``at_least``: their expected size before they are read in). Only ever raised: the
    indexes do not shrink during a load."""
    index_bytes = con.execute(
        "SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() WHERE tag = 'ART_INDEX'"
    ).fetchall()[0][0]
    want = LOAD_MEMORY_BYTES + max(int(index_bytes), at_least)
    if want >= _LIMITS.get(con, 0) + _MEMORY_STEP:
        con.execute(f"SET memory_limit = '{want // 1024}KiB'")
        _LIMITS[con] = want


@dataclass
class LoadSummary:
    """What a load or reparse did, for the closing summary and the exit status."""

    command: str = "load"
    files_seen: int = 0
    letters_loaded: int = 0
    items_loaded: int = 0
    files_skipped: int = 0
    files_quarantined: int = 0
    duplicates: int = 0
    letters_corrected: int = 0
    letters_removed: int = 0
    items_other: int = 0
    items_unknown_drug: int = 0
    documents_read: int = 0
    elapsed_s: float = 0.0
    by_layout: Counter = field(default_factory=Counter)
    quarantined_by_stage: Counter = field(default_factory=Counter)
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)
    duplicate_files: list[tuple[str, str]] = field(default_factory=list)
    corrections: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    @property
    def nothing_readable(self) -> bool:
        """True when not one file gave text: the only load outcome that is a failure."""
        return self.documents_read == 0 and self.files_skipped == 0

    @property
    def files_per_s(self) -> float:
        return self.files_seen / self.elapsed_s if self.elapsed_s else 0.0

    def lines(self, max_listed: int = 20) -> list[str]:
        out = [
            f"{self.command}: {self.files_seen:,} files in {self.elapsed_s:.1f} s "
            f"({self.files_per_s:,.0f} files/s)",
            f"  loaded:      {self.letters_loaded:,} letters, {self.items_loaded:,} items",
            f"  skipped:     {self.files_skipped:,} already in the database",
            f"  quarantined: {self.files_quarantined:,}"
            + (
                " ("
                + ", ".join(f"{k} {v:,}" for k, v in sorted(self.quarantined_by_stage.items()))
                + ")"
                if self.quarantined_by_stage
                else ""
            ),
            f"  duplicates:  {self.duplicates:,} files repeat a case number already loaded",
        ]
        changed = []
        if self.letters_corrected:
            n = self.letters_corrected
            changed.append(
                f"{n:,} letter{'' if n == 1 else 's'} corrected "
                "(a newer version replaced it; letter_versions keeps the old one)"
            )
        if self.letters_removed:
            n = self.letters_removed
            changed.append(
                f"{n:,} letter{'' if n == 1 else 's'} withdrawn "
                "(its file now holds another case number)"
            )
        if changed:
            out.append("  corrected:   " + "; ".join(changed))
        if self.items_loaded:
            share = self.items_other / self.items_loaded
            out.append(f"  taxonomy:    {self.items_other:,} items ({share:.1%}) fell into 'Other'")
            out.append(
                f"  drugs:       {self.items_unknown_drug:,} pharmaceutical items name no drug in "
                "the lexicon (kept under a cleaned name)"
            )
        if self.by_layout:
            out.append(
                "  by layout:   " + ", ".join(f"{k} {v:,}" for k, v in self.by_layout.most_common())
            )
        for path, stage, reason in self.quarantined[:max_listed]:
            out.append(f"  ! {printable(path)}: [{stage}] {printable(reason)}")
        if len(self.quarantined) > max_listed:
            out.append(
                f"  ! … {len(self.quarantined) - max_listed:,} more in the load_errors table"
            )
        for letter_id, old, new in self.corrections[:max_listed]:
            if new is None:
                out.append(f"  ~ {letter_id}: withdrawn (was {old})")
            elif new == old:
                out.append(f"  ~ {letter_id}: corrected, {new} changed")
            else:
                out.append(f"  ~ {letter_id}: now from {new} (was {old})")
        for path, kept in self.duplicate_files[:max_listed]:
            out.append(
                f"  = {printable(path)}: same case number as {printable(kept)}, which is kept "
                "(later decision date, then later load)"
            )
        return out


# --- file walking -----------------------------------------------------------------------


def path_text(path: str | os.PathLike) -> str:
    """A path as the database stores it: the OS's bytes, decoded as UTF-8 with any byte
    that is not UTF-8 written as ``\xff``. The same for every valid name, never an
    error for an invalid one (a str holding surrogates cannot be stored or printed)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# C0 and C1 controls, DEL, and the Unicode controls that reorder or hide text on a
# terminal: a file name must not move the cursor, clear the screen or fake a line.
_UNPRINTABLE = {
    c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    for c in [*range(0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, *range(0x202A, 0x202F)]
    + [*range(0x2066, 0x206A)]
}
_UNPRINTABLE.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})


def printable(text: str) -> str:
    """Text safe to print on a terminal or in a log: controls written as escapes, and
    any lone surrogate (an undecodable byte) as ``\\udcxx`` rather than an error."""
    text = text.translate(_UNPRINTABLE)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every file under the given files and folders, recursively, in a stable order.

    Hidden files and folders (``.DS_Store``, ``.git``) are not letters and are passed
    over; symbolic links to folders are not followed (no loops). Anything that is not a
    folder is yielded without being opened (FIFOs, sockets, devices included), and so is
    a folder that cannot be listed, so that the loader records why it was not read. A
    path that does not exist is yielded as is, so that the loader reports it.
    """
    return (Path(p) for p in _walk(paths))


def _walk(paths: Iterable[str | Path]) -> Iterator[str]:
    """``iter_files`` as plain strings: a load walks millions of names, and a ``Path``
    per name costs more than the rest of the walk."""
    for p in paths:
        top = os.fspath(Path(p))  # normalised once, as Path() spells it
        if not _is_dir(top):
            yield top
            continue
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: os.fsencode(e.name))
            except OSError:
                yield folder  # unreadable: the loader says so
                continue
            subdirs = []
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    is_subdir = entry.is_dir(follow_symlinks=False)
                    is_link = entry.is_symlink()
                except OSError:
                    is_subdir = is_link = False
                if is_subdir:
                    subdirs.append(entry.path)
                elif is_link and _is_dir(entry.path):
                    continue  # a link to a folder: not followed, as os.walk does
                else:
                    yield entry.path
            stack.extend(reversed(subdirs))


def _is_dir(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


# (path as stored, path to open, size in bytes, mtime in ns, why it is not read or None)
FileRecord = tuple[str, str, int | None, int | None, str | None]


def _batches(
    files: Iterator[str], unchanged: Callable[[list[tuple[str, int, int]]], set[str]]
) -> Iterator[tuple[list[FileRecord], int]]:
    """Stat files in batches bounded by bytes and count; yield (records, files skipped).

    Files are stat-ed a group at a time, and ``unchanged`` names those whose path, size and
    modification time match a file already handled by an earlier load: they are passed
    over. A batch closes when the files to read reach ``BATCH_BYTES`` or the records
    ``BATCH_FILES``, across groups. Nothing is opened here (the workers read the files);
    anything that is not a regular file, or is too large to be a letter, gets a record
    with the reason.
    """
    records: list[FileRecord] = []
    skipped = 0
    batch_bytes = 0
    for chunk in _chunked(files, min(_STAT_GROUP, BATCH_FILES)):
        stats: list[tuple[str, int, int]] = []
        real: dict[str, str] = {}
        for path in chunk:
            name = path_text(path)
            try:
                st = os.stat(path)
            except FileNotFoundError:
                refused = "no such file or directory"
            except OSError as exc:
                refused = f"cannot be read: {exc.strerror or exc}"
            else:
                if stat.S_ISREG(st.st_mode):
                    stats.append((name, st.st_size, st.st_mtime_ns))
                    real[name] = path
                    continue
                refused = not_a_file(path, st.st_mode)
            records.append((name, path, None, None, refused))
            if len(records) >= BATCH_FILES:  # a folder of broken links is bounded too
                yield records, skipped
                records, skipped, batch_bytes = [], 0, 0
        same = unchanged(stats)
        for name, size, mtime in stats:
            if name in same:
                skipped += 1
                continue
            reason = None
            if size > MAX_FILE_BYTES:
                reason = f"{size / 2**20:,.0f} MiB, {TOO_LARGE}"
            records.append((name, real[name], size, mtime, reason))
            if reason is None:
                batch_bytes += size
            if batch_bytes >= BATCH_BYTES or len(records) >= BATCH_FILES:
                yield records, skipped
                records, skipped, batch_bytes = [], 0, 0
        if skipped >= BATCH_FILES:  # an unchanged folder: say so as it goes
            yield records, skipped
            records, skipped, batch_bytes = [], 0, 0
    if records or skipped:
        yield records, skipped


def _chunked(items: Iterator[str], n: int) -> Iterator[list[str]]:
    chunk: list[str] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _database_files(db_path: str | Path) -> Callable[[str | Path], bool]:
    """A test of whether a path is the database being loaded into (or its WAL): a folder may
    hold its own database. Names are compared first, so only a namesake costs a ``resolve``;
    they are worked out once, as the test runs for every file a load walks."""
    db = Path(db_path)
    names = (db.name, db.name + ".wal")

    def test(path: str | Path) -> bool:
        if os.path.basename(path) not in names:
            return False
        path = Path(path).resolve()
        return path in (db.resolve(), db.resolve().with_name(names[1]))

    return test


def _unchanged_files(
    con, stats: list[tuple[str, int, int]], recorded: set[str] | None = None
) -> set[str]:
    """Paths of ``stats`` (path, size, mtime) whose size and modification time are those an
    earlier load recorded: looked up in the load's in-memory copy of ``seen_files``
    (keyindex.py), so a batch costs the same however many files the database knows. The
    other paths an earlier load recorded are added to ``recorded``."""
    if not stats:
        return set()
    found = keyindex.keys_of(con).seen().lookup([keyindex.text_key(s[0]) for s in stats])
    same = set()
    for (path, size, mtime), hit in zip(stats, found, strict=True):
        if hit is None:
            continue
        if hit[0] == size and hit[1] == mtime:
            same.add(path)
        elif recorded is not None:
            recorded.add(path)
    return same


# --- the main process ---------------------------------------------------------------------


class _Writer:
    """Writes one batch of worker results in one transaction, versions settled.

    A parsed letter is first a version (``letter_versions``); the rule in ``versions.py``
    then decides, per case number, which version is the row in ``letters`` with its
    items and citations. A correction therefore swaps the letter, items and citations in
    the same transaction as the document that brought it.
    """

    def __init__(
        self,
        con,
        summary: LoadSummary,
        *,
        transactional: bool = True,
        previous_versions: str | None = None,
    ) -> None:
        self.con = con
        self.summary = summary
        self.transactional = transactional  # False when the caller holds one transaction
        self.previous_versions = previous_versions  # a reparse keeps load order and replacements
        # (letter id, items, citations) written by the batch, in order, until its commit;
        # without a transaction of its own the writer notes no placement (none is found
        # later, and such deletes scan).
        self._unplaced: list[tuple[str, int, int]] = []

    def write(
        self,
        results: list[tuple],
        errors: list[tuple[str, str | None, str, str]],
        seen: list[tuple] = (),
    ) -> None:
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        before = self.summary.letters_loaded
        now = datetime.now()
        docs, letters, failures = [], [], list(errors)
        for r in results:
            kind = r[0]
            if kind == "error":
                _, path, sha, stage, reason = r
                failures.append((path, sha, stage, reason))
                continue
            if r[1] is not None:
                docs.append(r[1])
            if kind == "failed":
                _, _, path, sha, stage, reason = r
                failures.append((path, sha, stage, reason))
            else:
                _, _, path, sha, layout, (letter_row, item_rows, cit_rows), unknown = r
                letters.append((layout, letter_row, item_rows, cit_rows, unknown))

        con = self.con
        if self.transactional:
            con.begin()
        try:
            if docs:
                self._insert("documents", docs, extra={"loaded_at": now})
            changes = versions.path_changes(con, list(seen)) if seen else []
            fresh = {k[1][_CONTENT_SHA]: k for k in letters}
            versions.insert_versions(
                con,
                [
                    (k[1][_LETTER_ID], k[1][_CONTENT_SHA], k[1][_SOURCE_PATH], k[1][_DECISION_DATE])
                    for k in letters
                ],
                now,
                self.previous_versions,
            )
            replaced = versions.apply_replacements(con, changes, now)
            affected = {k[1][_LETTER_ID] for k in letters} | replaced
            winners = self.settle(affected, fresh, replaced)
            duplicates = []
            for k in letters:
                row = k[1]
                winner = winners.get(row[_LETTER_ID])
                if winner is not None and winner[0] != row[_CONTENT_SHA]:
                    duplicates.append(
                        (row[_LETTER_ID], row[_SOURCE_PATH], row[_CONTENT_SHA], winner[1])
                    )
            if duplicates:
                self._insert(
                    "letter_duplicates",
                    duplicates,
                    extra={"logged_at": now},
                )
            # Paths no load has recorded take a plain INSERT; INSERT OR REPLACE checks each
            # row against the whole table (20x the cost per row at 500,000 files).
            new_paths, known_paths = versions.split_seen(con, list(seen)) if seen else ([], [])
            for rows, verb in ((new_paths, "INSERT"), (known_paths, "INSERT OR REPLACE")):
                if rows:
                    self._insert(
                        "seen_files",
                        rows,
                        extra={"seen_at": now},
                        verb=verb,
                    )
            if failures:
                self._insert(
                    "load_errors",
                    failures,
                    extra={"logged_at": now},
                )
            if self.transactional:
                con.commit()
        except BaseException:
            self._unplaced = []
            if self.transactional:
                # A failed commit (a full disk) may have ended the transaction already;
                # the error worth reporting is the first one.
                with contextlib.suppress(duckdb.Error):
                    con.rollback()
            raise
        if self.transactional:
            try:
                self._remember_placement()
            except duckdb.Error:
                # The batch is committed; only the noted rowids are now incomplete. Forget
                # them: the next correction finds its rows by one scan again.
                keyindex.keys_of(con).drop_placed()
            if con in _LIMITS:  # a load's or reparse's connection: room beside the indexes
                _fit_memory_to_indexes(con)

        s = self.summary
        s.documents_read += len(docs)
        s.duplicates += len(duplicates)
        s.duplicate_files += [(d[1], d[3]) for d in duplicates]
        s.files_quarantined += len(failures)
        for path, _, stage, reason in failures:
            s.quarantined_by_stage[stage] += 1
            s.quarantined.append((path, stage, reason))
        _write_log(
            "batch",
            before,
            s.letters_loaded - before,
            f"{(time.perf_counter() - wall0) * 1000:.1f}",
            f"{(time.thread_time() - cpu0) * 1000:.1f}",
        )

    def settle(
        self, letter_ids: set[str], fresh: dict[str, tuple], replaced: set[str] = frozenset()
    ) -> dict[str, tuple[str, str]]:
        """Make each letter's row the current version by the rule; return {letter_id:
        (winning sha, its path)}. A winner parsed in this batch is in ``fresh``; an older
        version that wins again (its correction was reverted) is parsed from its stored text.
        ``replaced``: letters a version of which this batch marked replaced."""
        outcome = versions.resolve(self.con, sorted(letter_ids), replaced)
        winners: dict[str, tuple[str, str]] = {}
        stale: list[str] = []
        rows: list[tuple] = []
        s = self.summary
        changed: list[tuple[str, str | None]] = []  # (letter id, new path or None: withdrawn)
        for letter_id, win_sha, win_path, cur_sha in outcome:
            if win_sha is not None:
                winners[letter_id] = (win_sha, win_path)
            if win_sha == cur_sha:
                continue
            if cur_sha is not None:
                stale.append(letter_id)
            parsed = None
            if win_sha is not None:
                parsed = fresh.get(win_sha) or self._parse_stored(win_sha, win_path)
            if parsed is not None:
                rows.append(parsed)
            if cur_sha is not None:
                changed.append((letter_id, None if parsed is None else win_path))
        con = self.con
        if changed:
            # One scan of letters for the batch's old paths, not one per corrected letter
            # (DuckDB scans the table for each: the cost grew with the database).
            old_paths = dict(
                con.execute(
                    "SELECT letter_id, source_path FROM letters "
                    "WHERE letter_id IN (SELECT UNNEST(?::VARCHAR[]))",
                    [[c[0] for c in changed]],
                ).fetchall()
            )
            for letter_id, new_path in changed:
                if new_path is None:
                    s.letters_removed += 1
                else:
                    s.letters_corrected += 1
                s.corrections.append((letter_id, old_paths[letter_id], new_path))
        if stale:
            self._delete_rows_of(stale)
        if rows:
            self._insert("letters", [k[1] for k in rows])
            all_items = [row for k in rows for row in k[2]]
            if all_items:
                self._insert("items", all_items)
            all_cits = [row for k in rows for row in k[3]]
            if all_cits:
                self._insert("citations", all_cits)
            if self.transactional:
                self._unplaced += [(k[1][_LETTER_ID], len(k[2]), len(k[3])) for k in rows]
        stale_set = set(stale)
        for layout, row, item_rows, _, unknown in rows:
            if row[_LETTER_ID] not in stale_set:
                s.letters_loaded += 1
            s.by_layout[layout] += 1
            s.items_loaded += len(item_rows)
            s.items_other += sum(1 for r in item_rows if r[ITEM_CATEGORY_AT] == "Other")
            s.items_unknown_drug += unknown
        return winners

    def _remember_placement(self) -> None:
        """Note the rowids the batch's items and citations got (``keyindex.placed``), once
        committed: rows have their table rowids only then (before, they carry the
        transaction's own), and a commit appends them in order, so the batch's rows are
        one run ending at the table's last rowid, a letter's rows a run within it."""
        placed, self._unplaced = self._unplaced, []
        state = keyindex.keys_of(self.con)
        if not placed or not state.has_placed:  # not needed yet: built whole when it is
            return
        n_items = sum(p[1] for p in placed)
        n_cits = sum(p[2] for p in placed)
        items_at = state.last_rowid("items") - n_items + 1 if n_items else 0
        cits_at = state.last_rowid("citations") - n_cits + 1 if n_cits else 0
        keys, values = [], []
        for letter_id, ni, nc in placed:
            keys.append(keyindex.text_key(letter_id))
            values.append((items_at, ni, cits_at, nc))
            items_at += ni
            cits_at += nc
        state.placed().add(keys, values)

    def _delete_rows_of(self, letter_ids: list[str]) -> None:
        """Delete the letters' rows from citations, items and letters.

        Letters this load wrote are found by the rowids it noted: a delete of those rowids
        that are still these letters' rows (``letter_id`` is checked too) must remove as
        many rows as were written, or the rows moved (a checkpoint renumbers row groups
        that had deletions) and the table is scanned by ``letter_id`` as for letters
        written by earlier loads. A letter's rows are only ever written whole, after the
        old ones are deleted, so that count is all of its rows."""
        con = self.con
        by_id = [letter_ids]
        by_rowid = False  # not transactional: its inserts are not noted, every delete scans
        if self.transactional:
            hits = keyindex.keys_of(con).placed().lookup([keyindex.text_key(i) for i in letter_ids])
            by_rowid = all(h is not None for h in hits)
        for table, at, n in (("citations", 2, 3), ("items", 0, 1)):
            if by_rowid:
                rowids = [r for h in hits for r in range(h[at], h[at] + h[n])]
                if not rowids:
                    continue
                listed = ", ".join(str(r) for r in rowids)
                deleted = con.execute(
                    f"DELETE FROM {table} WHERE rowid IN ({listed}) "
                    "AND letter_id IN (SELECT UNNEST(?::VARCHAR[]))",
                    by_id,
                ).fetchall()[0][0]
                if deleted == len(rowids):
                    continue
            con.execute(
                f"DELETE FROM {table} WHERE letter_id IN (SELECT UNNEST(?::VARCHAR[]))", by_id
            )
        con.execute("DELETE FROM letters WHERE letter_id IN (SELECT UNNEST(?::VARCHAR[]))", by_id)

    def _parse_stored(self, sha: str, path: str) -> tuple | None:
        found = self.con.execute(
            "SELECT text FROM documents WHERE content_sha256 = ?", [sha]
        ).fetchall()
        if not found:
            return None
        result = reparse_task((sha, path, found[0][0]))
        if result[0] != "ok":
            return None
        letter_row, item_rows, cit_rows = result[5]
        return (result[4], letter_row, item_rows, cit_rows, result[6])

    def _insert(
        self,
        table: str,
        rows: list[tuple],
        extra: dict | None = None,
        verb: str = "INSERT",
    ) -> None:
        """``rows`` in ``table``'s column order (schema.sql) less the ``extra`` columns,
        which take one value for the whole batch (the load's timestamp)."""
        types = arrow_types(table)
        arrays = []
        columns = column_names(table, without=tuple(extra or ()))
        names = list(columns)
        for name, values in zip(columns, zip(*rows, strict=True), strict=True):
            arrays.append(pa.array(values, type=types[name]))
        if extra:
            for name, value in extra.items():
                names.append(name)
                arrays.append(pa.array([value] * len(rows)))
        batch = pa.Table.from_arrays(arrays, names=names)
        self.con.register("_imr_batch", batch)
        try:
            self.con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM _imr_batch")
        finally:
            self.con.unregister("_imr_batch")


def _logged_read_errors(con, errors: list[tuple]) -> set[tuple[str, str]]:
    rows = con.execute(
        "SELECT source_path, reason FROM load_errors WHERE stage = 'read' "
        "AND source_path IN (SELECT UNNEST($1::VARCHAR[]))",
        [[e[0] for e in errors]],
    ).fetchall()
    return set(rows)


def _known_hashes(con, shas: list[str]) -> set[str]:
    """The hashes of ``shas`` already stored in ``documents`` or ``load_errors`` (committed
    so far), from the load's in-memory key set rather than a scan of both tables."""
    if not shas:
        return set()
    hits = keyindex.keys_of(con).known().contains([keyindex.hex_key(s) for s in shas])
    return {sha for sha, hit in zip(shas, hits, strict=True) if hit}


def _pool(workers: int | None, limits: Limits = DEFAULT_LIMITS) -> WorkerPool:
    """Worker processes for extraction and parsing: one per core by default, and at least
    one, since a file is never extracted in the loader's own process (a hostile file
    would take the load down with it)."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    return WorkerPool(max(1, n), limits)


class _Progress:
    """A progress bar on a terminal; a plain line every few seconds in logs."""

    def __init__(self, log: Callable[[str], None], label: str, total: int | None) -> None:
        self.log = log
        self.label = label
        self.start = time.perf_counter()
        self.last = self.start
        self.done = 0
        self.bar = None
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", desc=label, file=sys.stderr)

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.perf_counter()
        if now - self.last >= 10:
            self.last = now
            rate = self.done / (now - self.start)
            self.log(f"{self.label}: {self.done:,} files, {rate:,.0f} files/s")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: the batch in progress is rolled back, the rest kept."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


@_few_collections()  # a fresh context each call
def load_paths(
    paths: Iterable[str | Path],
    db_path: str | Path,
    *,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
    rescan: bool = False,
    copy: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> LoadSummary:
    """Load every file under ``paths`` into the database at ``db_path``.

    A file whose path, size and modification time are unchanged since an earlier load is
    skipped unread (``rescan=True`` reads and hashes every file again); a file whose
    content is already stored is skipped, whatever its path: before parsing at a path an
    earlier load recorded, after it (in the same task as its read) at a new path, until
    most new paths of the load have turned out to be stored. Every file is extracted and
    parsed in a worker process under ``limits``.

    ``copy=True`` loads into a copy that replaces the database at the end even when no
    reader has it open, so that readers can open it during the load (a load does so by
    itself when readers hold it open).

    ``workers`` is the number of worker processes (default: one per core); ``log``
    receives progress and warning lines (default: stderr).

    Raises ``DatabaseError`` only when the database cannot be opened, ``WorkerError``
    when no worker process can start and ``WriteFailed`` when a write fails (a full disk);
    every problem with a file is recorded in ``load_errors`` and the summary instead.
    Ctrl-C and SIGTERM stop the load between two batches' writes: what was written is
    kept, a line says how much, and ``KeyboardInterrupt`` (``Terminated`` for SIGTERM)
    goes on to the caller.
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    paths = list(paths)
    summary = LoadSummary(command="load")
    started = time.perf_counter()
    started_at = datetime.now()
    total = sum(1 for _ in _walk(paths)) if sys.stderr.isatty() else None
    session = open_for_writing(db_path, log=log, always_copy=copy)
    con = session.con
    previous_term = None
    if threading.current_thread() is threading.main_thread():
        previous_term = signal.signal(signal.SIGTERM, _raise_terminated)
    pool = None
    progress = None
    keep = False  # whether a copy written beside open readers replaces the database
    try:
        _tune_for_load(con)
        progress = _Progress(log, "load", total)
        writer = _Writer(con, summary)
        seen_this_run: set[str] = set()
        # One batch in flight: the workers parse batch k+1 while this process writes
        # batch k, so neither waits for the other.
        in_flight: _Batch | None = None
        # Paths an earlier load recorded (their size or time changed since): their files
        # are hashed first, since their content is likely stored already.
        recorded: set[str] = set()
        # How many files at new paths turned out to be stored already: a folder moved or
        # mounted elsewhere is then hashed first, like recorded paths, not parsed to no use.
        new_paths = _NewPaths()

        def unchanged(stats: list[tuple[str, int, int]]) -> set[str]:
            return set() if rescan else _unchanged_files(con, stats, recorded)

        is_database = _database_files(db_path)
        files = (f for f in _walk(paths) if not is_database(f))
        for batch, n_unchanged in _batches(files, unchanged):
            summary.files_seen += len(batch) + n_unchanged
            summary.files_skipped += n_unchanged
            errors = [(name, None, "read", reason) for name, _, _, _, reason in batch if reason]
            # Files handled this batch, remembered so that the next load need not read them
            # (a file too large to be a letter too, so that it is not stat-ed into an error
            # again while it stays the same).
            seen: dict[str, tuple] = {
                name: (name, size, mtime, None)
                for name, _, size, mtime, reason in batch
                if reason and size is not None
            }
            to_read = [r for r in batch if not r[4]]
            if pool is None and to_read:
                pool = _pool(workers, limits)
            # A file at a path no load recorded is read, hashed and parsed in one task;
            # its result is dropped when the batch is written if its content is stored.
            # The others are hashed first (their bytes never cross a pipe); what is stored
            # already, or was quarantined, is then not extracted again. The hashes are
            # queued first, so that waiting for them does not wait for the parsing.
            one_pass = not rescan and not new_paths.mostly_stored()
            fresh = [r for r in to_read if one_pass and r[0] not in recorded]
            to_read = [r for r in to_read if not (one_pass and r[0] not in recorded)]
            recorded.difference_update(r[0] for r in to_read)
            hashing = _submit(pool, hash_file, [(r[0], r[2], r[1]) for r in to_read])
            loading = _submit(pool, load_file, [(r[0], r[2], r[1]) for r in fresh])
            hashed = list(hashing)
            readable = [
                (name, size, h[1], fs_path, h[2], h[3])
                for (name, fs_path, size, mtime, _), h in zip(to_read, hashed, strict=True)
                if _note_read(seen, errors, (name, size, mtime), h)
            ]
            errors = _new_read_errors(con, summary, errors)
            known = _known_hashes(con, [r[2] for r in readable])
            tasks = [
                (name, size, sha, fs_path, identity)
                for name, size, sha, fs_path, n_bytes, identity in readable
                if _triage(summary, known, seen_this_run, errors, name, sha, n_bytes) == "new"
            ]
            results = _submit(pool, process_file, tasks)
            n_files = len(batch)
            del batch, to_read, readable, hashed
            if in_flight is not None:
                _drain(writer, progress, in_flight, pool)
            in_flight = _Batch(
                results, errors, n_files, tasks, seen, (loading, fresh, seen_this_run, new_paths)
            )
        if in_flight is not None:
            _drain(writer, progress, in_flight, pool)
        _record_run(con, summary, started_at)
        keep = True
        _store_synthetic_count(con, log)
    except KeyboardInterrupt as exc:
        keep = True  # batches already committed are kept, as when writing in place
        how = "SIGTERM" if isinstance(exc, Terminated) else "Ctrl-C"
        log(
            f"load stopped by {how}: kept what was written before it "
            f"({summary.letters_loaded:,} letters, {summary.files_quarantined:,} files "
            "quarantined); the batch in progress was rolled back. Run the same command "
            "again to go on: files already stored are skipped."
        )
        raise
    except (OSError, duckdb.Error) as exc:  # a full disk, an I/O error: one sentence
        raise stopped(exc, session, "load") from None
    finally:
        if pool is not None:
            pool.shutdown()
        if progress is not None:
            progress.close()
        wall0, cpu0 = time.perf_counter(), time.thread_time()
        session.finish(keep=keep)
        _write_log(
            "finish",
            summary.letters_loaded,
            0,
            f"{(time.perf_counter() - wall0) * 1000:.1f}",
            f"{(time.thread_time() - cpu0) * 1000:.1f}",
        )
        if previous_term is not None:
            signal.signal(signal.SIGTERM, previous_term)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    _write_log(
        "rusage",
        f"{own.ru_utime + own.ru_stime:.3f}",
        f"{kids.ru_utime + kids.ru_stime:.3f}",
        own.ru_maxrss * 1024,
        kids.ru_maxrss * 1024,
    )
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _submit(
    pool: WorkerPool | None, fn: Callable[[tuple], tuple], tasks: list[tuple]
) -> Iterable[tuple]:
    """Hand a batch to the workers (results arrive while this process writes the
    previous batch), or, with no pool (a small reparse of stored text), run it here."""
    if pool is None:
        return [fn(t) for t in tasks]
    return pool.map(fn, tasks)


class _Batch(NamedTuple):
    """A batch whose tasks are with the workers, waiting to be written."""

    results: Iterable[tuple]  # arriving from the workers (a list when run here)
    errors: list[tuple]
    n_files: int
    tasks: list[tuple]
    seen: dict[str, tuple]
    # A load's files at new paths: (load_file results, their records, seen_this_run, _NewPaths)
    loading: tuple | None = None


def _drain(
    writer: _Writer,
    progress: _Progress,
    in_flight: _Batch,
    pool: WorkerPool | None,
    *,
    hashed: bool = True,
) -> None:
    """Write a batch's results. A worker that dies or breaks a limit has already cost
    exactly the file it held (the pool records it with the reason); nothing is redone
    in this process. ``WorkerError`` (no worker can run at all) goes to the caller.
    ``hashed``: the batch's tasks are ``process_file`` tasks of files hashed before (a
    load's), whose content may have changed since; a reparse's stored texts cannot."""
    results, errors, n_files, tasks, seen, loading = in_flight
    done = list(results)
    if hashed:
        done = _changed_since_hashed(writer, done, tasks, seen)
    if loading is not None:
        done += _loaded(writer, pool, *loading, errors, seen)
    writer.write(done, errors, list(seen.values()))
    progress.update(n_files)


@dataclass
class _NewPaths:
    """Files at paths no load recorded, read in one task with their parsing, and how many
    of them held a content stored already (parsed for nothing)."""

    read: int = 0
    stored: int = 0

    def mostly_stored(self) -> bool:
        """Whether new paths should be hashed first from now on, as recorded ones are."""
        return self.read >= NEW_PATHS_SAMPLE and 2 * self.stored > self.read


def _loaded(
    writer: _Writer,
    pool: WorkerPool,
    job: Iterable[tuple],
    records: list[FileRecord],
    seen_this_run: set[str],
    new_paths: _NewPaths,
    errors: list[tuple],
    seen: dict[str, tuple],
) -> list[tuple]:
    """The results of ``load_file`` tasks worth writing, checked as ``hash_file`` results
    are before parsing: a content stored already (committed by an earlier batch or load)
    or met earlier in this run is skipped, an empty file and a read error are errors (a
    read error logged before for the same reason is skipped), and every file read is
    remembered in ``seen`` (``errors`` and ``seen`` are completed in place)."""
    con, summary = writer.con, writer.summary
    outcomes = list(job)
    lost = [i for i, r in enumerate(outcomes) if r[0] == "lost"]
    if lost:  # its worker died on it: hash it alone, so that its error row names its content
        again = list(
            _submit(pool, hash_file, [(records[i][0], records[i][2], records[i][1]) for i in lost])
        )
        for i, h in zip(lost, again, strict=True):
            reason = outcomes[i][2]
            if h[0] == "hashed":
                outcomes[i] = (
                    "read",
                    h[1],
                    h[2],
                    ("error", records[i][0], h[1], "extract", reason),
                )
            else:
                outcomes[i] = h
    read_errors: list[tuple] = []
    read = [
        (name, r)
        for (name, _, size, mtime, _), r in zip(records, outcomes, strict=True)
        if _note_read(seen, read_errors, (name, size, mtime), r)
    ]
    errors += _new_read_errors(con, summary, read_errors)
    known = _known_hashes(con, [r[1] for _, r in read])
    done = []
    for name, (_, sha, n_bytes, result) in read:
        verdict = _triage(summary, known, seen_this_run, errors, name, sha, n_bytes)
        new_paths.read += 1
        new_paths.stored += verdict == "stored"
        if verdict == "new":
            done.append(result)
    return done


def _note_read(
    seen: dict[str, tuple], read_errors: list[tuple], file: tuple[str, int, int], outcome: tuple
) -> bool:
    """Whether a ``hash_file`` or ``load_file`` outcome read its file. The file (name, size,
    time) is remembered in ``seen`` with its content hash, or without one after a read
    error that will recur (a file too large to be a letter); its read error goes to
    ``read_errors``."""
    name, size, mtime = file
    if outcome[0] == "error":
        read_errors.append((name, None, "read", outcome[4]))
        if outcome[5:] == (True,):
            seen[name] = (name, size, mtime, None)
        return False
    seen[name] = (name, size, mtime, outcome[1])
    return True


def _triage(
    summary: LoadSummary,
    known: set[str],
    seen_this_run: set[str],
    errors: list[tuple],
    name: str,
    sha: str,
    n_bytes: int,
) -> str:
    """What becomes of a file read in this batch: "stored" (its content is stored already or
    met earlier in this run: skipped), "empty" (an error: every empty file is named, though
    all share one hash) or "new" (to parse or write; remembered for the rest of the run)."""
    if sha in known:
        summary.files_skipped += 1
        return "stored"
    if not n_bytes:
        errors.append((name, sha, "extract", EMPTY_FILE))
        return "empty"
    if sha in seen_this_run:
        summary.files_skipped += 1
        return "stored"
    seen_this_run.add(sha)
    return "new"


def _new_read_errors(con, summary: LoadSummary, errors: list[tuple]) -> list[tuple]:
    """A file that could not be read for the same reason last time is not a new error (a
    second run over the same folder adds nothing): it is counted as skipped instead."""
    if not errors:
        return errors
    logged = _logged_read_errors(con, errors)
    summary.files_skipped += sum(1 for e in errors if (e[0], e[3]) in logged)
    return [e for e in errors if (e[0], e[3]) not in logged]


def _result_sha(result: tuple) -> str | None:
    return result[2] if result[0] == "error" else result[3]


def _changed_since_hashed(
    writer: _Writer, done: list[tuple], tasks: list[tuple], seen: dict[str, tuple]
) -> list[tuple]:
    """A file rewritten between its hashing and its reading comes back under its new hash,
    which was not checked against the database: it is checked now (a content already
    stored is skipped, as it would have been), and ``seen_files`` gets the new hash."""
    changed = [
        i
        for i, (r, t) in enumerate(zip(done, tasks, strict=True))
        if _result_sha(r) not in (None, t[2])
    ]
    if not changed:
        return done
    others = set(range(len(done))) - set(changed)
    taken = {_result_sha(done[i]) for i in others}
    taken |= _known_hashes(writer.con, [_result_sha(done[i]) for i in changed])
    drop = set()
    for i in changed:
        sha = _result_sha(done[i])
        name = tasks[i][0]
        if name in seen:
            seen[name] = (*seen[name][:3], sha)
        if sha in taken:
            drop.add(i)
            writer.summary.files_skipped += 1
        taken.add(sha)
    return [r for i, r in enumerate(done) if i not in drop]


# A reparse writes its tables here, batch by batch, and swaps them in at the end.
REPARSE_SCHEMA = "_imr_reparse"
# What a reparse rebuilds from the stored text; documents, seen_files and load_runs stay.
# load_errors is rebuilt for the stages parsing decides (detect, parse) only.
REBUILT_TABLES = ("letters", "items", "citations", "letter_versions", "letter_duplicates")
_PARSE_STAGES = ("detect", "parse")


def _create_stage(con) -> None:
    """An empty schema holding one table like each rebuilt one (constraints included),
    from ``schema.sql``; a stage left by a killed reparse is dropped first."""
    con.execute(f"DROP SCHEMA IF EXISTS {REPARSE_SCHEMA} CASCADE")
    con.execute(f"CREATE SCHEMA {REPARSE_SCHEMA}")
    for table in (*REBUILT_TABLES, "load_errors"):
        con.execute(f"CREATE TABLE {REPARSE_SCHEMA}.{table} ({table_body(table)})")


def _swap_in(con) -> None:
    """Replace the rebuilt tables by the staged ones: call inside one transaction, so a
    reparse killed at any point leaves either the old tables or the new ones.

    The tables are dropped and created again from ``schema.sql`` rather than emptied:
    bulk-inserting into a new table costs a third of deleting every row and inserting
    them again (measured at 200,000 letters), and memory stays within the connection's
    ``memory_limit`` (the staged rows are read from disk as they are copied).
    """
    for table in REBUILT_TABLES:
        con.execute(f"DROP TABLE main.{table}")
    con.execute(schema_sql())  # creates them again (and the view over them)
    for table in REBUILT_TABLES:
        con.execute(f"INSERT INTO main.{table} BY NAME SELECT * FROM {REPARSE_SCHEMA}.{table}")
    stages = ", ".join(f"'{s}'" for s in _PARSE_STAGES)
    con.execute(f"DELETE FROM main.load_errors WHERE stage IN ({stages})")
    con.execute(f"INSERT INTO main.load_errors BY NAME SELECT * FROM {REPARSE_SCHEMA}.load_errors")


@_few_collections()  # a fresh context each call
def reparse_database(
    db_path: str | Path,
    *,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
    copy: bool = False,
) -> LoadSummary:
    """Rebuild letters, items and citations from the stored text with the current parser.

    ``db_path`` is the database to rebuild; ``workers`` the number of worker processes
    (default: one per core); ``log`` receives progress lines (default: stderr); ``copy``
    always works on a copy that is renamed into place at the end, so readers can open the
    database meanwhile.

    The stored text is read in pages and parsed by the workers into new tables in a
    schema of their own (``REPARSE_SCHEMA``), one commit per page, so memory stays flat
    however large the database; the new tables replace the old ones in one transaction
    at the end. A reparse stopped or killed before that leaves the database as it was
    (the next reparse drops the half-built schema).
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    summary = LoadSummary(command="reparse")
    started = time.perf_counter()
    started_at = datetime.now()
    session = open_for_writing(db_path, log=log, always_copy=copy)
    con = session.con
    pool = None
    progress = None
    keep = False
    try:
        total = _tune_for_load(con)
        pool = _pool(workers) if total >= POOL_THRESHOLD else None
        progress = _Progress(log, "reparse", total)
        _create_stage(con)
        # Unqualified names now find the staged tables first and everything else (the
        # documents, seen_files, load_runs) in main: the writer is the load's own.
        con.execute(f"SET search_path = '{REPARSE_SCHEMA},main'")
        keyindex.forget(con)
        # The versions' load order and in-place replacements are facts about the files,
        # not the parser: they are kept from the old table; case numbers and decision
        # dates are parsed again.
        writer = _Writer(con, summary, previous_versions="main.letter_versions")
        in_flight = None
        last_rowid = -1
        # Keyset pages in insertion order: bounded memory however many documents, and
        # the same file is kept among duplicates as in the original load.
        while rows := con.execute(
            "SELECT rowid, content_sha256, source_path, text FROM main.documents "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            [last_rowid, min(BATCH_FILES, REPARSE_PAGE_FILES)],
        ).fetchall():
            last_rowid = rows[-1][0]
            summary.files_seen += len(rows)
            summary.documents_read += len(rows)
            tasks = [(sha, path, text) for _, sha, path, text in rows]
            del rows
            results = _submit(pool, reparse_task, tasks)
            if in_flight is not None:
                _drain(writer, progress, in_flight, pool, hashed=False)
            in_flight = _Batch(results, [], len(tasks), tasks, {})
        if in_flight is not None:
            _drain(writer, progress, in_flight, pool, hashed=False)
            in_flight = None
        if pool is not None:  # the workers are done: their memory is not needed for the swap
            pool.shutdown()
            pool = None
        _summarise_rebuild(con, summary)
        con.execute("RESET search_path")
        con.begin()
        _swap_in(con)
        _record_run(con, summary, started_at)
        con.commit()
        con.execute(f"DROP SCHEMA {REPARSE_SCHEMA} CASCADE")
        keep = True
        _store_synthetic_count(con, log)
    except (OSError, duckdb.Error) as exc:
        _drop_stage(con)
        raise stopped(exc, session, "reparse") from None
    except BaseException:
        _drop_stage(con)
        raise
    finally:
        if progress is not None:
            progress.close()
        if pool is not None:
            pool.shutdown()
        keyindex.forget(con)
        session.finish(keep=keep)
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _drop_stage(con) -> None:
    """After a failed reparse: the old tables are untouched; free the staged ones' space."""
    with contextlib.suppress(duckdb.Error):
        con.rollback()
    with contextlib.suppress(duckdb.Error):
        con.execute("RESET search_path")
        con.execute(f"DROP SCHEMA IF EXISTS {REPARSE_SCHEMA} CASCADE")


def _summarise_rebuild(con, summary: LoadSummary) -> None:
    """A reparse rebuilds every letter: its summary is the end state, not the steps (a
    letter whose versions came in two pages was 'corrected' on the way), and
    ``letter_duplicates`` lists every version that is not the current one."""
    summary.letters_corrected = summary.letters_removed = 0
    summary.corrections.clear()
    summary.letters_loaded, summary.items_loaded = con.execute(
        "SELECT (SELECT count(*) FROM letters), (SELECT count(*) FROM items)"
    ).fetchall()[0]
    summary.items_other = con.execute(
        "SELECT count(*) FROM items WHERE item_category = 'Other'"
    ).fetchall()[0][0]
    summary.by_layout = Counter(
        dict(con.execute("SELECT layout, count(*) FROM letters GROUP BY layout").fetchall())
    )
    con.execute("DELETE FROM letter_duplicates")
    con.execute(
        """
        INSERT INTO letter_duplicates
        SELECT v.letter_id, v.source_path, v.content_sha256, l.source_path, now()
        FROM letter_versions v JOIN letters l USING (letter_id)
        WHERE v.content_sha256 <> l.content_sha256
        ORDER BY v.version_seq
        """
    )
    dups = con.execute("SELECT source_path, kept_source_path FROM letter_duplicates").fetchall()
    summary.duplicates = len(dups)
    summary.duplicate_files = [tuple(d) for d in dups]
    summary.items_unknown_drug = sum(
        1
        for (ingredients,) in con.execute(
            "SELECT ingredients FROM items WHERE item_category = 'Pharmaceuticals' "
            "AND len(ingredients) > 0"
        ).fetchall()
        if vocab.is_unknown_drug(ingredients)
    )


def _record_run(con, summary: LoadSummary, started_at: datetime) -> None:
    finished = datetime.now()
    run_id = f"{summary.command}-{finished:%Y%m%dT%H%M%S%f}"
    values = {
        "run_id": run_id,
        "command": summary.command,
        "started_at": started_at,
        "finished_at": finished,
        "files_seen": summary.files_seen,
        "letters_loaded": summary.letters_loaded,
        "files_skipped": summary.files_skipped,
        "files_quarantined": summary.files_quarantined,
        "duplicates": summary.duplicates,
        "letters_corrected": summary.letters_corrected,
        "items_other": summary.items_other,
        "items_unknown_drug": summary.items_unknown_drug,
        "parser_version": PARSER_VERSION,
        "taxonomy_version": vocab.TAXONOMY_VERSION,
        "vocab_version": vocab.VOCAB_VERSION,
    }
    con.execute(
        f"INSERT INTO load_runs ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
        list(values.values()),
    )


def _store_synthetic_count(con, log: Callable[[str], None]) -> None:
    """Keep the synthetic-letter count for the reports (``store.synthetic``), once what the
    load or reparse wrote is committed. Only a saving: a count that cannot be stored (out of
    memory at a million synthetic letters, an I/O error) leaves reports counting from the text,
    as for a database built by an older version, and fails nothing that was written."""
    from . import synthetic

    try:
        synthetic.store_count(con)
    except duckdb.Error as exc:
        log(
            "note: the synthetic-letter count was not stored (reports will count it from the "
            f"stored text): {first_line(exc)}"
        )
