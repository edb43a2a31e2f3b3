"""Loading letters into the database: files -> documents -> letters, items, citations.

The shape of a load, and why:
- Files are walked lazily and handled in batches bounded by count and bytes, so memory
  stays flat however large the corpus.
- Each batch is hashed in the main process and checked against the database first: a
  file whose content is already stored (or already quarantined) is skipped before any
  extraction or parsing, which makes loads incremental and idempotent.
- Extraction, parsing and classification run in worker processes (all cores); the main
  process only writes, through Arrow tables, one transaction per batch.
- Nothing stops a load: every file that cannot be read, extracted or parsed gets a
  ``load_errors`` row with its stage and a reason, and the load goes on.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from .. import vocab
from ..extract import EMPTY_FILE
from ..parse import PARSER_VERSION
from .database import open_database
from .rows import CITATION_COLUMNS, ITEM_COLUMNS, LETTER_COLUMNS
from .worker import process_file, reparse_task

BATCH_FILES = 1000
BATCH_BYTES = 64 * 1024 * 1024
# The longest real letters are ten pages (~200 KB as PDF). A file far beyond that is
# not a letter, and reading it whole would only cost memory.
MAX_FILE_BYTES = 32 * 1024 * 1024
# Below this many files a process pool costs more than it saves.
POOL_THRESHOLD = 200

_STR = pa.string()
_LIST = pa.list_(pa.string())
LETTER_TYPES = {
    "date_assigned": pa.date32(),
    "decision_date": pa.date32(),
    "injury_date": pa.date32(),
    "ur_denial_date": pa.date32(),
    "application_received": pa.date32(),
    "patient_age": pa.int32(),
    "reviewer_specialties": _LIST,
    "reviewer_licensure": _LIST,
    "reviewer_specialties_raw": _LIST,
    "reviewer_licensure_raw": _LIST,
    "item_count": pa.int32(),
    "parse_warnings": _LIST,
}
ITEM_TYPES = {
    "item_no": pa.int32(),
    "modified_request": pa.bool_(),
    "ca_guideline_sources": _LIST,
    "reviewer_guideline_sources": _LIST,
    "ingredients": _LIST,
    "body_regions": _LIST,
    "quantity": pa.float64(),
}
CITATION_TYPES = {"item_no": pa.int32(), "citation_no": pa.int32()}
# Positions in the row tuples built by rows.py, looked up rather than hard-coded.
_ITEM_CATEGORY = ITEM_COLUMNS.index("item_category")
_INGREDIENTS = ITEM_COLUMNS.index("ingredients")
_LETTER_ID = LETTER_COLUMNS.index("letter_id")
_SOURCE_PATH = LETTER_COLUMNS.index("source_path")
_CONTENT_SHA = LETTER_COLUMNS.index("content_sha256")
DOCUMENT_COLUMNS = (
    "content_sha256",
    "source_path",
    "source_format",
    "extractor",
    "byte_size",
    "page_count",
    "text",
)
DOCUMENT_TYPES = {"byte_size": pa.int64(), "page_count": pa.int32()}

# DuckDB's buffer pool for a load: enough for the batch inserts, small enough that a
# 100,000-letter load stays well under 1 GiB with its workers (it spills to disk).
LOAD_MEMORY_LIMIT = "256MB"


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
    items_other: int = 0
    items_unknown_drug: int = 0
    documents_read: int = 0
    elapsed_s: float = 0.0
    by_layout: Counter = field(default_factory=Counter)
    quarantined_by_stage: Counter = field(default_factory=Counter)
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)
    duplicate_files: list[tuple[str, str]] = field(default_factory=list)

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
            out.append(f"  ! {path}: [{stage}] {reason}")
        if len(self.quarantined) > max_listed:
            out.append(
                f"  ! … {len(self.quarantined) - max_listed:,} more in the load_errors table"
            )
        for path, kept in self.duplicate_files[:max_listed]:
            out.append(f"  = {path}: same case number as {kept} (kept the first)")
        return out


# --- file walking -----------------------------------------------------------------------


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Every file under the given files and folders, recursively, in a stable order.

    Hidden files and folders (``.DS_Store``, ``.git``) are not letters and are passed over.
    A path that does not exist is yielded as is, so that the loader reports it.
    """
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


# (path, bytes, sha256, read error, size in bytes, mtime in ns)
FileRecord = tuple[str, bytes | None, str | None, str | None, int | None, int | None]


def _batches(
    files: Iterator[Path], unchanged: Callable[[list[tuple[str, int, int]]], set[str]]
) -> Iterator[tuple[list[FileRecord], int]]:
    """Read files in batches bounded by count and bytes; yield (records, files skipped).

    Each group of files is stat-ed first and ``unchanged`` names those whose path, size
    and modification time match a file already handled by an earlier load: they are not
    read at all, which keeps an incremental run over a large corpus cheap.
    """
    for chunk in _chunked(files, BATCH_FILES):
        records: list[FileRecord] = []
        stats: list[tuple[str, int, int]] = []
        for path in chunk:
            try:
                st = path.stat()
            except FileNotFoundError:
                records.append((str(path), None, None, "no such file or directory", None, None))
                continue
            except OSError as exc:
                records.append(
                    (str(path), None, None, f"cannot be read: {exc.strerror or exc}", None, None)
                )
                continue
            if stat.S_ISREG(st.st_mode):
                stats.append((str(path), st.st_size, st.st_mtime_ns))
        same = unchanged(stats)
        skipped = 0
        batch_bytes = 0
        for path, size, mtime in stats:
            if path in same:
                skipped += 1
                continue
            if size > MAX_FILE_BYTES:
                reason = f"{size / 2**20:,.0f} MiB, larger than any IMR letter ({MAX_FILE_BYTES // 2**20} MiB at most); not read"
                records.append((path, None, None, reason, size, mtime))
                continue
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                records.append(
                    (path, None, None, f"cannot be read: {exc.strerror or exc}", None, None)
                )
                continue
            except MemoryError:
                records.append((path, None, None, "too large to read into memory", None, None))
                continue
            records.append((path, data, hashlib.sha256(data).hexdigest(), None, size, mtime))
            batch_bytes += len(data)
            if batch_bytes >= BATCH_BYTES:
                yield records, skipped
                records, skipped, batch_bytes = [], 0, 0
        if records or skipped:
            yield records, skipped


def _chunked(items: Iterator[Path], n: int) -> Iterator[list[Path]]:
    chunk: list[Path] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _is_database_file(path: Path, db_path: str | Path) -> bool:
    """Whether ``path`` is the database being loaded into (or its WAL): a folder may hold
    its own database. Names are compared first, so only a namesake costs a ``resolve``."""
    db = Path(db_path)
    if path.name not in (db.name, db.name + ".wal"):
        return False
    return path.resolve() in (db.resolve(), db.resolve().with_name(db.name + ".wal"))


def _unchanged_files(con, stats: list[tuple[str, int, int]]) -> set[str]:
    if not stats:
        return set()
    table = pa.table(
        {
            "path": [s[0] for s in stats],
            "size": pa.array([s[1] for s in stats], pa.int64()),
            "mtime": pa.array([s[2] for s in stats], pa.int64()),
        }
    )
    con.register("_imr_stats", table)
    try:
        rows = con.execute(
            "SELECT s.path FROM _imr_stats s JOIN seen_files f ON f.source_path = s.path "
            "AND f.byte_size = s.size AND f.source_mtime_ns = s.mtime"
        ).fetchall()
    finally:
        con.unregister("_imr_stats")
    return {r[0] for r in rows}


# --- the main process ---------------------------------------------------------------------


class _Writer:
    """Writes one batch of worker results in one transaction."""

    def __init__(self, con, summary: LoadSummary, *, transactional: bool = True) -> None:
        self.con = con
        self.summary = summary
        self.transactional = transactional  # False when the caller holds one transaction

    def write(
        self,
        results: list[tuple],
        errors: list[tuple[str, str | None, str, str]],
        seen: list[tuple] = (),
    ) -> None:
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
                _, _, path, sha, layout, (letter_row, item_rows, cit_rows) = r
                letters.append((layout, letter_row, item_rows, cit_rows))

        kept, duplicates = self._split_duplicates(letters)
        con = self.con
        if self.transactional:
            con.begin()
        try:
            if docs:
                self._insert(
                    "documents", DOCUMENT_COLUMNS, docs, DOCUMENT_TYPES, extra={"loaded_at": now}
                )
            if kept:
                self._insert("letters", LETTER_COLUMNS, [k[1] for k in kept], LETTER_TYPES)
                all_items = [row for k in kept for row in k[2]]
                if all_items:
                    self._insert("items", ITEM_COLUMNS, all_items, ITEM_TYPES)
                all_cits = [row for k in kept for row in k[3]]
                if all_cits:
                    self._insert("citations", CITATION_COLUMNS, all_cits, CITATION_TYPES)
            if duplicates:
                self._insert(
                    "letter_duplicates",
                    ("letter_id", "source_path", "content_sha256", "kept_source_path"),
                    duplicates,
                    {},
                    extra={"logged_at": now},
                )
            if seen:
                self._insert(
                    "seen_files",
                    ("source_path", "byte_size", "source_mtime_ns", "content_sha256"),
                    seen,
                    {"byte_size": pa.int64(), "source_mtime_ns": pa.int64()},
                    extra={"seen_at": now},
                    verb="INSERT OR REPLACE",
                )
            if failures:
                self._insert(
                    "load_errors",
                    ("source_path", "content_sha256", "stage", "reason"),
                    failures,
                    {},
                    extra={"logged_at": now},
                )
            if self.transactional:
                con.commit()
        except BaseException:
            if self.transactional:
                con.rollback()
            raise

        s = self.summary
        s.documents_read += len(docs)
        s.letters_loaded += len(kept)
        for layout, _, item_rows, _ in kept:
            s.by_layout[layout] += 1
            s.items_loaded += len(item_rows)
            s.items_other += sum(1 for row in item_rows if row[_ITEM_CATEGORY] == "Other")
            s.items_unknown_drug += sum(1 for row in item_rows if _unknown_drug(row))
        s.duplicates += len(duplicates)
        s.duplicate_files += [(d[1], d[3]) for d in duplicates]
        s.files_quarantined += len(failures)
        for path, _, stage, reason in failures:
            s.quarantined_by_stage[stage] += 1
            s.quarantined.append((path, stage, reason))

    def _split_duplicates(self, letters: list[tuple]) -> tuple[list[tuple], list[tuple]]:
        """Keep the first letter of each letter_id; later files with the same one are
        duplicates, reported with the file that was kept."""
        if not letters:
            return [], []
        ids = [letter[1][0] for letter in letters]
        existing = dict(
            self.con.execute(
                "SELECT letter_id, source_path FROM letters WHERE letter_id IN (SELECT UNNEST(?::VARCHAR[]))",
                [ids],
            ).fetchall()
        )
        kept, duplicates = [], []
        for letter in letters:
            row = letter[1]
            letter_id, path, sha = row[_LETTER_ID], row[_SOURCE_PATH], row[_CONTENT_SHA]
            if letter_id in existing:
                duplicates.append((letter_id, path, sha, existing[letter_id]))
            else:
                existing[letter_id] = path
                kept.append(letter)
        return kept, duplicates

    def _insert(
        self,
        table: str,
        columns: tuple[str, ...],
        rows: list[tuple],
        types: dict,
        extra: dict | None = None,
        verb: str = "INSERT",
    ) -> None:
        arrays = []
        names = list(columns)
        for name, values in zip(columns, zip(*rows, strict=True), strict=True):
            arrays.append(pa.array(values, type=types.get(name, _STR)))
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


def _known_hashes(con, shas: list[str]) -> set[str]:
    if not shas:
        return set()
    rows = con.execute(
        """
        SELECT content_sha256 FROM documents WHERE content_sha256 IN (SELECT UNNEST($1::VARCHAR[]))
        UNION
        SELECT content_sha256 FROM load_errors WHERE content_sha256 IN (SELECT UNNEST($1::VARCHAR[]))
        """,
        [shas],
    ).fetchall()
    return {r[0] for r in rows}


def _pool(workers: int | None) -> ProcessPoolExecutor | None:
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n <= 1:
        return None
    # forkserver: workers start from a clean process, not a copy of one holding an
    # open DuckDB connection and its threads.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context(method))


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


def load_paths(
    paths: Iterable[str | Path],
    db_path: str | Path,
    *,
    workers: int | None = None,
    log: Callable[[str], None] | None = None,
    rescan: bool = False,
) -> LoadSummary:
    """Load every file under ``paths`` into the database at ``db_path``.

    A file whose path, size and modification time are unchanged since an earlier load is
    skipped unread (``rescan=True`` reads and hashes every file again); a file whose
    content is already stored is skipped before parsing, whatever its path.

    Raises ``DatabaseError`` only when the database cannot be opened; every problem with
    a file is recorded in ``load_errors`` and the summary instead.
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    paths = list(paths)
    summary = LoadSummary(command="load")
    started = time.perf_counter()
    started_at = datetime.now()
    total = sum(1 for _ in iter_files(paths)) if sys.stderr.isatty() else None
    con = open_database(db_path)
    con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
    pool = None
    progress = _Progress(log, "load", total)
    try:
        writer = _Writer(con, summary)
        seen_this_run: set[str] = set()
        # One batch in flight: the workers parse batch k+1 while this process writes
        # batch k, so neither waits for the other.
        in_flight: tuple[Iterable[tuple] | None, list, int, list[tuple], list[tuple]] | None = None

        def unchanged(stats: list[tuple[str, int, int]]) -> set[str]:
            return set() if rescan else _unchanged_files(con, stats)

        files = (f for f in iter_files(paths) if not _is_database_file(f, db_path))
        for batch, n_unchanged in _batches(files, unchanged):
            summary.files_seen += len(batch) + n_unchanged
            summary.files_skipped += n_unchanged
            errors = [(path, None, "read", reason) for path, _, _, reason, _, _ in batch if reason]
            # Files handled this batch, remembered so that the next load need not read them.
            seen = {
                path: (path, size, mtime, sha)
                for path, _, sha, _, size, mtime in batch
                if size is not None
            }
            readable = [(path, data, sha) for path, data, sha, reason, _, _ in batch if not reason]
            known = _known_hashes(con, [sha for _, _, sha in readable])
            tasks = []
            for path, data, sha in readable:
                if sha in known:
                    summary.files_skipped += 1
                    continue
                if not data:  # every empty file is named, though all share one hash
                    errors.append((path, sha, "extract", EMPTY_FILE))
                    continue
                if sha in seen_this_run:
                    summary.files_skipped += 1
                    continue
                seen_this_run.add(sha)
                tasks.append((path, data, sha))
            if pool is None and len(tasks) >= POOL_THRESHOLD:
                pool = _pool(workers)
            try:
                results: Iterable[tuple] | None = _submit(pool, process_file, tasks)
            except BrokenProcessPool:
                results = None
            if in_flight is not None:
                pool = _drain(writer, progress, in_flight, pool, log)
            in_flight = (results, errors, len(batch), tasks, list(seen.values()))
        if in_flight is not None:
            pool = _drain(writer, progress, in_flight, pool, log)
        _record_run(con, summary, started_at)
    finally:
        progress.close()
        if pool is not None:
            pool.shutdown()
        con.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _submit(
    pool: ProcessPoolExecutor | None, fn: Callable[[tuple], tuple], tasks: list[tuple]
) -> Iterable[tuple]:
    """Hand a batch to the workers (results arrive lazily), or run it here. A pool that
    is already broken raises here; ``_drain`` then redoes the batch in this process."""
    if pool is None:
        return [fn(t) for t in tasks]
    return pool.map(fn, tasks, chunksize=max(1, len(tasks) // 32))


def _drain(
    writer: _Writer,
    progress: _Progress,
    in_flight: tuple[Iterable[tuple] | None, list, int, list[tuple], list[tuple]],
    pool: ProcessPoolExecutor | None,
    log: Callable[[str], None],
    fn: Callable[[tuple], tuple] = process_file,
) -> ProcessPoolExecutor | None:
    """Write a batch's results. A worker pool that dies (killed by the OS, or unable to
    start from the calling program) costs speed, not the load: the batch is redone in
    this process and the load goes on without workers."""
    results, errors, n_files, tasks, seen = in_flight
    try:
        done = list(results) if results is not None else [fn(t) for t in tasks]
    except BrokenProcessPool:
        log("worker processes stopped unexpectedly; going on in this process (slower)")
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        pool = None
        done = [fn(t) for t in tasks]
    writer.write(done, errors, seen)
    progress.update(n_files)
    return pool


def reparse_database(
    db_path: str | Path, *, workers: int | None = None, log: Callable[[str], None] | None = None
) -> LoadSummary:
    """Rebuild letters, items and citations from the stored text with the current parser.

    Runs in one transaction: if it fails half way the database is left as it was.
    """
    log = log or (lambda line: print(line, file=sys.stderr))
    summary = LoadSummary(command="reparse")
    started = time.perf_counter()
    started_at = datetime.now()
    con = open_database(db_path)
    con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
    total = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    pool = _pool(workers) if total >= POOL_THRESHOLD else None
    progress = _Progress(log, "reparse", total)
    try:
        con.begin()
        con.execute("DELETE FROM citations")
        con.execute("DELETE FROM items")
        con.execute("DELETE FROM letters")
        con.execute("DELETE FROM letter_duplicates")
        con.execute("DELETE FROM load_errors WHERE stage IN ('detect', 'parse')")
        writer = _Writer(con, summary, transactional=False)
        last_rowid = -1
        # Keyset pages in insertion order: bounded memory however many documents, and
        # the same file is kept among duplicates as in the original load.
        while rows := con.execute(
            "SELECT rowid, content_sha256, source_path, text FROM documents WHERE rowid > ? ORDER BY rowid LIMIT ?",
            [last_rowid, BATCH_FILES],
        ).fetchall():
            last_rowid = rows[-1][0]
            summary.files_seen += len(rows)
            summary.documents_read += len(rows)
            tasks = [(sha, path, text) for _, sha, path, text in rows]
            try:
                results = _submit(pool, reparse_task, tasks)
            except BrokenProcessPool:
                results = None
            batch = (results, [], len(rows), tasks, [])
            pool = _drain(writer, progress, batch, pool, log, reparse_task)
        _record_run(con, summary, started_at)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        progress.close()
        if pool is not None:
            pool.shutdown()
        con.close()
    summary.elapsed_s = time.perf_counter() - started
    return summary


def _unknown_drug(row: tuple) -> bool:
    """A pharmaceutical item named by an ingredient no drug-lexicon entry gives (its cleaned name)."""
    if row[_ITEM_CATEGORY] != "Pharmaceuticals" or not row[_INGREDIENTS]:
        return False
    return vocab.is_unknown_drug(row[_INGREDIENTS])


def _record_run(con, summary: LoadSummary, started_at: datetime) -> None:
    finished = datetime.now()
    run_id = f"{summary.command}-{finished:%Y%m%dT%H%M%S%f}"
    con.execute(
        "INSERT INTO load_runs (run_id, command, started_at, finished_at, files_seen, "
        "letters_loaded, files_skipped, files_quarantined, duplicates, items_other, "
        "parser_version, taxonomy_version, vocab_version, items_unknown_drug) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            run_id,
            summary.command,
            started_at,
            finished,
            summary.files_seen,
            summary.letters_loaded,
            summary.files_skipped,
            summary.files_quarantined,
            summary.duplicates,
            summary.items_other,
            PARSER_VERSION,
            vocab.TAXONOMY_VERSION,
            vocab.VOCAB_VERSION,
            summary.items_unknown_drug,
        ],
    )
