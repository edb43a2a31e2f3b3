"""Opening a database, with errors a person can act on, and writing beside open readers.

Three promises live here:
- Every connection the project opens has DuckDB's extension autoinstall and autoload turned
  off, so a wrong file (an SQLite database, a Parquet file) can never make DuckDB download
  code from the network.
- Nothing is written into a file the project did not create: before any write, the file's
  header and its ``schema_info.schema_version`` are checked, and another program's DuckDB
  database is refused untouched.
- A load does not wait for readers. DuckDB lets a writer open a file only when no other
  process has it open, and notebooks keep read-only connections open all day. Writers are
  serialised by an exclusive ``fcntl`` lock on a hidden sidecar file (``.NAME.lock``); when
  the database itself is held open by readers, the load copies it to a hidden temporary
  file in the same folder, writes into the copy, checkpoints and fsyncs it, and renames it
  over the original. Open readers keep reading the old file (the old inode stays alive
  until they close it); they see the new data when they reconnect. The cost is disk space:
  up to twice the database while such a load runs.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from . import SCHEMA_VERSION, schema_sql

# DuckDB must never fetch or load extension code because of what a file looks like.
SAFE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
_SQLITE_MAGIC = b"SQLite format 3\x00"
# Free space a swap load asks for beyond the copy itself, so that a load that cannot even
# start is refused up front; one that runs out later stops cleanly and discards its copy.
_SWAP_HEADROOM = 8 * 2**20


class DatabaseError(RuntimeError):
    """The database cannot be opened or written; the message is one sentence for the user."""


class WriteFailed(DatabaseError):
    """A load or reparse that had opened the database stopped on a write error (a full
    disk, an I/O error); the message says what was kept."""


def first_line(exc: BaseException) -> str:
    """An error's first line, without DuckDB's category prefix, for a one-sentence message
    (the exception's type name when it says nothing)."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    for prefix in (
        "IO Error: ",
        "Serialization Error: ",
        "Catalog Error: ",
        "Invalid Input Error: ",
    ):
        first = first.removeprefix(prefix)
    return first


def _is_lock_conflict(exc: BaseException) -> bool:
    """DuckDB 2.0 says 'Could not set lock on file "...": Conflicting lock is held in ...'."""
    message = str(exc).lower()
    return "could not set lock" in message or "conflicting lock" in message


def _in_use(path: Path) -> DatabaseError:
    return DatabaseError(
        f"{path} is in use by another process that has it open for writing (a load, or a "
        "notebook that opened it with read_only=False); wait for it to finish or close it, "
        "then run this again."
    )


def check_file_kind(path: Path) -> None:
    """Refuse a file that is not a DuckDB database before DuckDB looks at it: DuckDB would
    otherwise try to open an SQLite file through its sqlite extension."""
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder, not a database file; give --db a file name.")
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not head:
        return  # an empty file: DuckDB makes a new database in it
    if head.startswith(_SQLITE_MAGIC):
        raise DatabaseError(
            f"{path} is an SQLite database, not an imr-analytics (DuckDB) database; "
            "give --db a new file name or an existing imr-analytics database."
        )
    if head[8:12] != _DUCKDB_MAGIC:
        raise DatabaseError(
            f"{path} is not a DuckDB database (unknown file header); give --db a new file "
            "name or an existing imr-analytics database."
        )


def connect_raw(path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect`` with extensions locked down and errors turned into one sentence."""
    try:
        return duckdb.connect(str(path), read_only=read_only, config=dict(SAFE_CONFIG))
    except duckdb.IOException as exc:
        if _is_lock_conflict(exc):
            raise
        message = first_line(exc)
        if "read enough bytes" in message or "truncated" in message.lower():
            raise DatabaseError(
                f"{path} is damaged (shorter than DuckDB expects: {message}); restore it from a "
                "backup, or load the letters into a new file."
            ) from None
        raise DatabaseError(f"cannot open {path}: {message}") from None
    except duckdb.Error as exc:
        raise DatabaseError(f"cannot open {path} as a DuckDB database: {first_line(exc)}") from None


def database_version(con: duckdb.DuckDBPyConnection, path: Path) -> str | None:
    """This project's schema version of the open database; ``None`` for an empty database.

    A database holding anything without this project's ``schema_info`` is another
    program's, and is refused: the project never writes a table into it.
    """
    try:
        has_info = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE NOT internal AND database_name = "
            "current_database() AND schema_name = 'main' AND table_name = 'schema_info'"
        ).fetchall()[0][0]
        if has_info:
            row = con.execute(
                "SELECT value FROM schema_info WHERE key = 'schema_version'"
            ).fetchall()
            if row and row[0][0]:
                return str(row[0][0])
        objects = con.execute(
            "SELECT (SELECT count(*) FROM duckdb_tables() WHERE NOT internal) + "
            "(SELECT count(*) FROM duckdb_views() WHERE NOT internal) + "
            "(SELECT count(*) FROM duckdb_sequences())"
        ).fetchall()[0][0]
    except duckdb.Error as exc:
        raise DatabaseError(
            f"{path} cannot be read as a DuckDB database ({first_line(exc)}); it may be "
            "damaged: restore it from a backup, or load the letters into a new file."
        ) from None
    if objects:
        raise DatabaseError(
            f"{path} is a DuckDB database made by another program (it has no imr-analytics "
            "schema_version); refusing to write into it: give --db a new file name."
        )
    return None


def _check_version(version: str | None, path: Path) -> None:
    if version is None:
        return
    try:
        number = int(version)
    except ValueError:
        number = None
    if number is None or number > int(SCHEMA_VERSION):
        raise DatabaseError(
            f"{path} has schema version {version}, which this imr-analytics (schema "
            f"{SCHEMA_VERSION}) does not know; upgrade imr-analytics to use it."
        )


def open_database(db_path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open an imr-analytics database; ``read_only=False`` creates or migrates its schema.

    Writers should prefer :func:`open_for_writing`, which also works beside open readers.
    """
    path = Path(db_path)
    if read_only:
        check_file_kind(path)
        if not path.exists():
            raise DatabaseError(f"{path} does not exist; build it with 'imr-analytics load'.")
        try:
            con = connect_raw(path, read_only=True)
        except duckdb.IOException:
            raise _in_use(path) from None
        try:
            _check_version(database_version(con, path), path)
        except DatabaseError:
            con.close()
            raise
        return con
    session = open_for_writing(path, swap=False)
    return session.detach()


# --- writing ------------------------------------------------------------------------------


def _ensure_folder(path: Path) -> None:
    if path.parent.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the folder {path.parent} for the database: {exc.strerror or exc}"
        ) from None


def _hidden(path: Path, suffix: str) -> Path:
    """A hidden file beside the database: loaders skip hidden files, so a database kept
    inside a folder being loaded never sees its lock or its copy as a letter."""
    return path.with_name(f".{path.name}{suffix}")


def _take_writer_lock(path: Path, log: Callable[[str], None]) -> int:
    lock_path = _hidden(path, ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DatabaseError(
            f"cannot create the lock file {lock_path} beside the database: {exc.strerror or exc}"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log(f"waiting for another load or reparse of {path} to finish …")
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # a file system without locks: DuckDB's own lock still guards the file
        pass
    return fd


def _release(fd: int | None) -> None:
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)  # closing drops the flock


def _fsync(path: Path, *, directory: bool = False) -> None:
    fd = os.open(path, (os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)) if directory else os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_copies(path: Path) -> None:
    """Copies left by a swap load that was killed (we hold the writer lock, so no load is
    running): each is as large as the database."""
    for stale in path.parent.glob(f".{path.name}.load-*"):
        try:
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink()
        except OSError:
            pass


def disk_error(exc: OSError | duckdb.Error, where: Path) -> str:
    """One sentence for a write that failed, naming a full disk when that is the cause."""
    text = str(exc)
    if getattr(exc, "errno", None) == errno.ENOSPC or "no space left" in text.lower():
        return f"the disk holding {where} is full"
    if isinstance(exc, OSError):
        return f"cannot write {where}: {exc.strerror or exc}"
    return f"writing {where} failed: {first_line(exc)}"


class WriteSession:
    """A database open for writing: directly, or on a copy that :meth:`finish` swaps in."""

    def __init__(
        self, path: Path, con: duckdb.DuckDBPyConnection, lock_fd: int | None, copy: Path | None
    ) -> None:
        self.path = path
        self.con = con
        self.copy = copy
        self._lock_fd = lock_fd
        self._open = True

    @property
    def swapped(self) -> bool:
        """True when this load writes a copy because readers hold the database open."""
        return self.copy is not None

    def detach(self) -> duckdb.DuckDBPyConnection:
        """Hand the connection over to a caller that closes it itself (direct mode only)."""
        assert self.copy is None
        _release(self._lock_fd)
        self._lock_fd = None
        self._open = False
        return self.con

    def finish(self, *, keep: bool = True) -> None:
        """Close; a copy is swapped in over the database when ``keep``, else thrown away.

        Swapping: CHECKPOINT folds the write-ahead log into the copy, fsync makes it durable,
        and ``os.replace`` is atomic: a reader that opens the path gets either the old file
        or the new one, never a mixture.
        """
        if not self._open:
            return
        self._open = False
        try:
            if self.copy is None:
                try:
                    self.con.close()
                except duckdb.Error as exc:
                    if keep:
                        raise WriteFailed(
                            f"{disk_error(exc, self.path)}; batches committed before are kept."
                        ) from None
                return
            if not keep:
                self._discard()
                return
            try:
                self.con.execute("CHECKPOINT")
                self.con.close()
                _fsync(self.copy)
                os.replace(self.copy, self.path)
                stale_wal = self.path.with_name(self.path.name + ".wal")
                stale_wal.unlink(missing_ok=True)  # belonged to the file just replaced
                _fsync(self.path.parent, directory=True)
            except (OSError, duckdb.Error) as exc:
                self._discard()
                raise WriteFailed(
                    f"{disk_error(exc, self.path.parent)}; the load was not saved and "
                    f"{self.path} is unchanged."
                ) from None
        finally:
            _release(self._lock_fd)
            self._lock_fd = None

    def _discard(self) -> None:
        with contextlib.suppress(duckdb.Error):
            self.con.close()
        assert self.copy is not None
        for p in (self.copy, self.copy.with_name(self.copy.name + ".wal")):
            p.unlink(missing_ok=True)
        shutil.rmtree(self.copy.with_name(self.copy.name + ".tmp"), ignore_errors=True)


def open_for_writing(
    db_path: str | Path,
    *,
    log: Callable[[str], None] | None = None,
    swap: bool = True,
    always_copy: bool = False,
) -> WriteSession:
    """Open (creating or migrating) the database for one load or reparse.

    Checks, in order, before anything is written: the file is a DuckDB database, it is
    this project's (or empty), and no other process has it open for writing. When readers
    hold it open and ``swap`` is on, the session writes a copy (see the module docstring);
    ``always_copy`` writes a copy even when nobody has it open, so that notebooks and
    reports can also *open* the database while the load runs.
    """
    log = log or (lambda _line: None)
    path = Path(db_path)
    _ensure_folder(path)
    check_file_kind(path)
    lock_fd = _take_writer_lock(path, log)
    try:
        _remove_stale_copies(path)
        existed = path.exists() and path.stat().st_size > 0
        version = None
        if existed:
            # Identify the file through a read-only connection first: nothing is written
            # into a file that turns out to be somebody else's.
            try:
                probe = connect_raw(path, read_only=True)
            except duckdb.IOException:
                raise _in_use(path) from None
            try:
                version = database_version(probe, path)
            finally:
                probe.close()
            _check_version(version, path)
        copy = None
        if always_copy and existed:
            copy = _copy_for_swap(path, log, reason="--copy")
            con = connect_raw(copy, read_only=False)
        else:
            try:
                con = connect_raw(path, read_only=False)
            except duckdb.IOException:
                if not swap:
                    raise DatabaseError(
                        f"{path} is in use by another process (another load or a notebook "
                        "holds it open); wait for it to finish or close it, then run this again."
                    ) from None
                copy = _copy_for_swap(path, log)
                con = connect_raw(copy, read_only=False)
        session = WriteSession(path, con, lock_fd, copy)
    except BaseException:
        _release(lock_fd)
        raise
    try:
        prepare_schema(con, version)
    except (OSError, duckdb.Error) as exc:  # one transaction: rolled back, nothing changed
        session.finish(keep=False)
        raise WriteFailed(
            f"preparing {path} failed: {disk_error(exc, path)}; the database is unchanged."
        ) from None
    except BaseException:
        session.finish(keep=False)
        raise
    return session


def _copy_for_swap(path: Path, log: Callable[[str], None], reason: str = "") -> Path:
    copy = _hidden(path, f".load-{os.getpid()}")
    size = path.stat().st_size
    wal = path.with_name(path.name + ".wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    free = shutil.disk_usage(path.parent).free
    need = size + wal_size + _SWAP_HEADROOM
    why = "with --copy" if reason else "is open in other processes (notebooks or reports), so"
    if free < need:
        raise DatabaseError(
            f"{path} {why} this load works on a copy, which needs {need / 2**20:,.0f} MiB "
            f"free in {path.parent} and {free / 2**20:,.0f} MiB are; free some space"
            + ("." if reason else " or close the readers.")
        )
    log(
        f"{path} {'(--copy)' if reason else 'is open in other processes'}: loading into a copy "
        f"({size / 2**20:,.1f} MiB) that replaces it at the end; open readers keep the old "
        "data until they reconnect"
    )
    started = time.perf_counter()
    try:
        shutil.copyfile(path, copy)
        if wal_size:
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    except OSError as exc:
        copy.unlink(missing_ok=True)
        copy.with_name(copy.name + ".wal").unlink(missing_ok=True)
        raise DatabaseError(
            f"{disk_error(exc, path.parent)} while copying {path} for a load beside open "
            "readers; nothing was changed."
        ) from None
    log(f"copied in {time.perf_counter() - started:.1f} s")
    return copy


def stopped(exc: OSError | duckdb.Error, session: WriteSession, what: str) -> WriteFailed:
    """The one sentence for a load or reparse that a write error stopped, saying what is kept."""
    where = session.path.parent if session.swapped else session.path
    if session.swapped or what == "reparse":
        kept = f"{session.path} is unchanged"
    else:
        kept = "letters of the batches committed before are kept; run it again to go on"
    return WriteFailed(f"the {what} stopped: {disk_error(exc, where)}; {kept}.")


def prepare_schema(con: duckdb.DuckDBPyConnection, found_version: str | None) -> None:
    """Create what is missing and migrate an older database, in one transaction."""
    con.execute("BEGIN")
    try:
        con.execute(schema_sql())
        if found_version is not None and int(found_version) < 3:
            from .versions import migrate_to_letter_versions

            migrate_to_letter_versions(con)
        con.execute(
            "INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)", [SCHEMA_VERSION]
        )
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise


# -- which database ------------------------------------------------------------------------------

DB_ENV = "IMR_DB"


def resolve_db_path(path: str | os.PathLike[str] | None = None, *, what: str = "db_path") -> Path:
    """The database a report or notebook runs on: ``path`` if given, else ``$IMR_DB``.

    No search and no default file: a scheduled report with a mistyped or missing path must fail
    with one sentence, not quietly render the synthetic demo database it happened to find. A
    relative path is relative to the working directory (a notebook's own folder in JupyterLab).
    Raises FileNotFoundError with that sentence.
    """
    given = str(path).strip() if path is not None else ""
    source = what
    if not given:
        given = os.environ.get(DB_ENV, "").strip()
        source = DB_ENV
    if not given:
        raise FileNotFoundError(
            "no database given: pass --db FILE, set the db_path parameter or the "
            f"{DB_ENV} environment variable to a database built by 'imr-analytics load'"
        )
    p = Path(given).expanduser()
    if not p.is_absolute():
        p = Path.cwd() / p
    if not p.is_file():
        where = "" if Path(given).expanduser().is_absolute() else f" (relative to {Path.cwd()})"
        raise FileNotFoundError(
            f"database {given!r} from {source} does not exist{where}; build it with "
            "'imr-analytics load' or give the path of an existing one"
        )
    return p.resolve()
