"""Each table's columns, read from ``schema.sql``: the one place they are written.

The writer's column lists (``rows.py``), the loader's Arrow types and the documents'
columns are all derived from the ``CREATE TABLE`` statements, so a column added to the
schema is added everywhere at once (and a row tuple that no longer matches fails loudly
in the writer rather than shifting values into the wrong columns).

Pure: no duckdb or pyarrow import here, since worker processes import ``rows.py``.
"""

from __future__ import annotations

import re
from functools import cache

from . import schema_sql

_CREATE = re.compile(
    r"^CREATE TABLE IF NOT EXISTS (\w+) \((.*?)^\);", re.MULTILINE | re.DOTALL | re.IGNORECASE
)
_COLUMN = re.compile(r"^\s*(\w+)\s+([A-Z]+(?:\[\])?)", re.IGNORECASE)
_CONSTRAINTS = ("PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "CONSTRAINT")


def parse_tables(sql: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """{table: ((column, SQL type), ...)} in declared order, from ``CREATE TABLE`` DDL.

    Comments are dropped first; table constraints (``PRIMARY KEY (a, b)``) are not columns.
    """
    text = re.sub(r"--[^\n]*", "", sql)
    tables = {}
    for name, body in _CREATE.findall(text):
        cols = []
        for line in body.split(","):
            m = _COLUMN.match(line)
            if m and m.group(1).upper() not in _CONSTRAINTS:
                cols.append((m.group(1), m.group(2).upper()))
        tables[name] = tuple(cols)
    return tables


@cache
def table_body(table: str) -> str:
    """What stands between the brackets of ``table``'s ``CREATE TABLE`` in ``schema.sql``
    (columns and constraints), to create a table of the same shape elsewhere."""
    for name, body in _CREATE.findall(schema_sql()):
        if name == table:
            return body
    raise KeyError(f"schema.sql defines no table {table!r}")


@cache
def table_columns(table: str) -> tuple[tuple[str, str], ...]:
    """((column, SQL type), ...) of one table of ``schema.sql``."""
    try:
        return parse_tables(schema_sql())[table]
    except KeyError:
        raise KeyError(f"schema.sql defines no table {table!r}") from None


def column_names(table: str, *, without: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The column names of ``table`` in schema order, less ``without``."""
    return tuple(c for c, _ in table_columns(table) if c not in without)


@cache
def arrow_types(table: str) -> dict:
    """{column: pyarrow type} for every column of ``table`` (for the writer's batches)."""
    import pyarrow as pa

    scalar = {
        "VARCHAR": pa.string(),
        "DATE": pa.date32(),
        "INTEGER": pa.int32(),
        "BIGINT": pa.int64(),
        "BOOLEAN": pa.bool_(),
        "DOUBLE": pa.float64(),
        "TIMESTAMP": pa.timestamp("us"),
    }
    out = {}
    for name, sql_type in table_columns(table):
        base = sql_type.removesuffix("[]")
        if base not in scalar:
            raise ValueError(
                f"schema.sql: {table}.{name} has type {sql_type}, unknown to the writer"
            )
        out[name] = pa.list_(scalar[base]) if sql_type.endswith("[]") else scalar[base]
    return out
