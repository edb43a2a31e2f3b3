"""Export a database's tables to Parquet (partitioned by decision year) or CSV, for other tools.

Analysts who move on to Spark, BigQuery, R or Excel need the data without this package. The
export writes every table (and view) of the database, including the raw ``documents`` text (the raw layer:
it is what lets anyone re-derive the rest, as PUDL keeps its raw inputs; ``include_text=False``
leaves the text column out, since it is most of the export's size), plus ``items_wide``: one row
per item with its letter's columns beside it, the table most analyses start from.

Layout of ``out`` (one folder or file per table, replaced as a whole on every export)::

    out/letters/decision_year=2016/data_0.parquet        Parquet, hive-partitioned
    out/letters/decision_year=__HIVE_DEFAULT_PARTITION__/  letters without a decision date
    out/load_runs/data_0.parquet                          bookkeeping tables: one file
    out/letters.csv                                       CSV (format="csv"): one file per table
    out/export.json                                       per format: when, row counts, paths

Tables whose rows belong to a letter (letters, items, citations, items_wide, documents) are
partitioned by the letter's decision year, so a reader can skip years; the partition column is in
the folder names, not in the files, as Spark and pyarrow expect. The other tables are small and
are written as one file. CSV is unpartitioned (one file is what a spreadsheet opens) and holds each
table's own columns (items_wide has decision_year as a column); list columns are written as
DuckDB prints them ('[MTUS, ODG]').

Every file is first written into a hidden staging folder inside ``out`` and moved into place only
when the whole export has succeeded, so a failed export never leaves a half-written table behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .._atomic import OutputError, output_dir

if TYPE_CHECKING:
    import duckdb

__all__ = ["FORMATS", "PARTITION_COLUMN", "ExportError", "ExportResult", "export_tables"]

FORMATS = ("parquet", "csv")
PARTITION_COLUMN = "decision_year"
MANIFEST = "export.json"
WIDE = "items_wide"

# How each letter-bound table finds its letter's decision year. Tables not named here have no
# letter to belong to (bookkeeping) and are written unpartitioned.
_YEAR_OF = {
    "letters": "year(t.decision_date)",
    # every version of a letter, by its own decision date (schema 3)
    "letter_versions": "year(t.decision_date)",
    "letter_history": "year(t.decision_date)",
    "items": "(SELECT year(l.decision_date) FROM letters l WHERE l.letter_id = t.letter_id)",
    "citations": "(SELECT year(l.decision_date) FROM letters l WHERE l.letter_id = t.letter_id)",
    "documents": (
        "(SELECT min(year(l.decision_date)) FROM letters l "
        "WHERE l.content_sha256 = t.content_sha256)"
    ),
}
# One row per item with its letter's columns: letter_id and item_no first, then the letter,
# then the item.
_WIDE_SQL = (
    "SELECT l.letter_id, i.item_no, l.* EXCLUDE (letter_id), "
    "i.* EXCLUDE (letter_id, item_no), year(l.decision_date) AS decision_year "
    "FROM items i JOIN letters l USING (letter_id)"
)
_ORDER = {
    "letters": "letter_id",
    "items": "letter_id, item_no",
    "citations": "letter_id, item_no, party, citation_no",
    "documents": "content_sha256",
    WIDE: "letter_id, item_no",
}


class ExportError(ValueError):
    """The export cannot run; the message is one sentence naming the bad path or option."""


@dataclass(frozen=True)
class ExportResult:
    """Where the export went and how many rows each table has (items_wide included)."""

    out: Path
    format: str
    rows: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary the CLI prints: one line per table."""
        width = max((len(t) for t in self.rows), default=0)
        return [f"exported {len(self.rows)} tables as {self.format} to {self.out}"] + [
            f"  {table:<{width}}  {n:>10,} rows  {self.paths[table]}"
            for table, n in self.rows.items()
        ]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _open(db: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    from .database import DatabaseError, open_database

    path = Path(db)
    if not path.exists():
        raise ExportError(f"{path} does not exist; give the database built by imr-analytics load")
    if path.is_dir():
        raise ExportError(f"{path} is a folder, not a database file")
    try:
        return open_database(path, read_only=True)
    except DatabaseError as exc:
        raise ExportError(str(exc)) from None


def _tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The database's own tables and views: the core ones first, then the rest by name."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary "
        "UNION SELECT view_name FROM duckdb_views() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND NOT internal AND NOT temporary"
    ).fetchall()
    first = ["letters", "items", "citations", "documents"]
    names = {r[0] for r in rows}
    return [t for t in first if t in names] + sorted(names - set(first))


def _read_manifest(out: Path) -> dict[str, Any]:
    """The earlier export's manifest (one entry per format), or an empty one."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in manifest.items() if k in FORMATS} if isinstance(manifest, dict) else {}


def _select(table: str, include_text: bool, partitioned: bool) -> str:
    """The SELECT that exports ``table``, with its partition column when partitioned."""
    if table == WIDE:
        sql = _WIDE_SQL
    else:
        cols = "t.* EXCLUDE (text)" if table == "documents" and not include_text else "t.*"
        year = _YEAR_OF.get(table) if partitioned else None
        sql = f"SELECT {cols}" + (f", {year} AS {PARTITION_COLUMN}" if year else "")
        sql += f" FROM {_quote(table)} t"
    order = _ORDER.get(table)
    return sql + (f" ORDER BY {order}" if order else "")


def export_tables(
    con_or_path: duckdb.DuckDBPyConnection | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    format: Literal["parquet", "csv"] = "parquet",
    include_text: bool = True,
) -> ExportResult:
    """Write every table of the database, and ``items_wide``, into the folder ``out``.

    Parameters
    ----------
    con_or_path
        An open DuckDB connection (e.g. ``imr.connect(...)``) or the path of a database file,
        which is opened read-only.
    out
        Folder to write into (created if missing). Each table replaces the folder or file of
        the same name from an earlier export; nothing else in ``out`` is touched.
    format
        ``"parquet"``: one folder per table, hive-partitioned by ``decision_year`` where rows
        belong to a letter (read it with ``pyarrow.dataset.dataset(dir, partitioning="hive")``,
        ``spark.read.parquet(dir)`` or DuckDB's ``read_parquet(..., hive_partitioning=true)``).
        ``"csv"``: one CSV file per table, with a header row.
    include_text
        False leaves the ``documents.text`` column (the extracted letter text) out.

    Raises ``ExportError`` with one sentence when the database is missing or unreadable, ``out``
    is a file or cannot be written, or the format is unknown. Returns the row count and path of
    every table written; the same counts go into ``out/export.json``.
    """
    if format not in FORMATS:
        raise ExportError(f"unknown export format {format!r}; use parquet or csv")
    out = Path(out)
    own = not hasattr(con_or_path, "execute")
    con = _open(con_or_path) if own else con_or_path  # type: ignore[arg-type]
    try:
        tables = _tables(con)
        if "letters" not in tables or "items" not in tables:
            raise ExportError(
                f"{con_or_path if own else 'the connection'} is not an imr-analytics database "
                "(it has no letters and items tables)"
            )
        try:
            output_dir(out, for_what="the tables")
        except OutputError as exc:
            raise ExportError(str(exc)) from None
        return _write(con, tables + [WIDE], out, format, include_text)
    finally:
        if own:
            con.close()


def _write(
    con: duckdb.DuckDBPyConnection, tables: list[str], out: Path, fmt: str, include_text: bool
) -> ExportResult:
    import duckdb

    try:
        staging = Path(tempfile.mkdtemp(prefix=".imr-export-", dir=out))
    except OSError as exc:
        raise ExportError(f"cannot write to {out}: {exc.strerror or exc}") from None
    rows: dict[str, int] = {}
    paths: dict[str, Path] = {}
    try:
        for table in tables:
            partitioned = fmt == "parquet" and (table == WIDE or table in _YEAR_OF)
            select = _select(table, include_text, partitioned)
            if fmt == "csv":
                target = f"{table}.csv"
                options = "FORMAT CSV, HEADER true"
            elif partitioned:  # the partition column goes into the folder names
                target = table
                options = f"FORMAT PARQUET, PARTITION_BY ({PARTITION_COLUMN})"
            else:
                (staging / table).mkdir()
                target = f"{table}/data_0.parquet"
                options = "FORMAT PARQUET"
            try:
                # COPY returns the number of rows it wrote
                written = con.execute(
                    f"COPY ({select}) TO {_literal(staging / target)} ({options})"
                ).fetchone()
            except duckdb.IOException as exc:
                from .database import first_line

                raise ExportError(f"cannot write {table} to {out}: {first_line(exc)}") from None
            rows[table] = int(written[0]) if written else 0
            paths[table] = out / target.split("/")[0]
        manifest = _read_manifest(out)
        manifest[fmt] = {
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "partitioned_by": PARTITION_COLUMN if fmt == "parquet" else None,
            "paths": {table: path.name for table, path in paths.items()},
            "documents_text": include_text,
            "rows": rows,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for name in [p.name for p in paths.values()] + [MANIFEST]:
            final = out / name
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            elif final.exists() or final.is_symlink():
                final.unlink()
            (staging / name).rename(final)
    except OSError as exc:
        raise ExportError(f"cannot write to {out}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(out=out, format=fmt, rows=rows, paths=paths)
