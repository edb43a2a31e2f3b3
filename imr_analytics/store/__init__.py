"""The DuckDB store: schema, connections and the loader that fills it."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # duckdb is imported by callers; worker processes never need it
    import duckdb

# 3: letter_versions (every version of a letter; corrections replace the letter)
SCHEMA_VERSION = "3"


def schema_sql() -> str:
    """The DDL of every table, as shipped in ``schema.sql``."""
    return resources.files(__package__).joinpath("schema.sql").read_text(encoding="utf-8")


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that does not exist yet; safe to call on every open."""
    con.execute(schema_sql())
    con.execute("INSERT OR REPLACE INTO schema_info VALUES ('schema_version', ?)", [SCHEMA_VERSION])
