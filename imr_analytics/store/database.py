"""Opening a database, with errors a person can act on."""

from __future__ import annotations

from pathlib import Path

import duckdb

from . import create_schema


class DatabaseError(RuntimeError):
    """The database cannot be opened; the message is one sentence for the user."""


def open_database(db_path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) an imr-analytics database.

    DuckDB allows one writing process per file; a second one gets a lock error whose
    text is long and technical, so it is replaced by one sentence naming the file.
    """
    path = Path(db_path)
    if not read_only and not path.parent.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"cannot create the folder {path.parent} for the database: {exc.strerror or exc}"
            ) from None
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            raise DatabaseError(
                f"{path} is in use by another process (another load or a notebook holds it open); "
                "wait for it to finish or close it, then run this again."
            ) from None
        raise DatabaseError(f"cannot open {path}: {message.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise DatabaseError(
            f"cannot open {path} as a DuckDB database: {str(exc).splitlines()[0]}"
        ) from None
    if not read_only:
        create_schema(con)
    return con
