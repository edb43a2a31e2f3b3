"""imr-analytics: California workers' compensation IMR letters into DuckDB, and uphold-rate reports.

The public surface, for analysts in a notebook::

    import imr_analytics as imr
    con = imr.connect("data/demo.duckdb")
    imr.uphold_rates(con, by=["item_category"])
    imr.export_tables(con, "export/")          # Parquet for Spark, pandas, R, BigQuery

``dir(imr)`` lists the public functions; ``help(imr.uphold_rates)`` lists its parameters and
every dimension. Everything else lives in private-by-convention modules behind these names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lazy import lazy_attributes

__version__ = "0.1.0"

__all__ = [
    "PARSER_VERSION",
    "Coverage",
    "Letter",
    "ParseFailure",
    "clustered_proportion",
    "compare_rates",
    "connect",
    "coverage",
    "export_tables",
    "extract_document",
    "generate_corpus",
    "letter_volumes",
    "load_paths",
    "others_row",
    "parse_letter",
    "reliability",
    "reparse_database",
    "run_report",
    "uphold_rates",
]

# Imported lazily so that `import imr_analytics` stays fast in worker processes and a
# notebook pays only for what it uses.
_LAZY = {
    "PARSER_VERSION": ("imr_analytics.parse", "PARSER_VERSION"),
    "Letter": ("imr_analytics.parse", "Letter"),
    "ParseFailure": ("imr_analytics.parse", "ParseFailure"),
    "parse_letter": ("imr_analytics.parse", "parse_letter"),
    "extract_document": ("imr_analytics.extract", "extract_document"),
    "load_paths": ("imr_analytics.store.loader", "load_paths"),
    "reparse_database": ("imr_analytics.store.loader", "reparse_database"),
    "generate_corpus": ("imr_analytics.synth", "generate_corpus"),
    "uphold_rates": ("imr_analytics.analytics", "uphold_rates"),
    "letter_volumes": ("imr_analytics.analytics", "letter_volumes"),
    "compare_rates": ("imr_analytics.analytics", "compare_rates"),
    "coverage": ("imr_analytics.analytics", "coverage"),
    "Coverage": ("imr_analytics.analytics", "Coverage"),
    "clustered_proportion": ("imr_analytics.analytics", "clustered_proportion"),
    "reliability": ("imr_analytics.analytics", "reliability"),
    "others_row": ("imr_analytics.analytics", "others_row"),
    "run_report": ("imr_analytics.reports", "run_report"),
    "export_tables": ("imr_analytics.store.export", "export_tables"),
}

if TYPE_CHECKING:  # pragma: no cover
    from .analytics import (
        Coverage,
        clustered_proportion,
        compare_rates,
        coverage,
        letter_volumes,
        others_row,
        reliability,
        uphold_rates,
    )
    from .extract import extract_document
    from .parse import PARSER_VERSION, Letter, ParseFailure, parse_letter
    from .reports import run_report
    from .store.export import export_tables
    from .store.loader import load_paths, reparse_database
    from .synth import generate_corpus


def connect(db_path: str | None = None, *, read_only: bool = True) -> Any:
    """Open the database file ``db_path`` built by ``imr-analytics load``, read-only by default.

    ``db_path`` None or "" means the ``IMR_DB`` environment variable, as for reports; a
    read-only open of a file that does not exist is one sentence (FileNotFoundError), never a
    new empty database.

    ``read_only=False`` opens it for writing (and creates the tables if missing); analysis
    never needs that.

    Several read-only connections (notebooks, reports) can share a file, and a load can
    run while they are open: it writes a copy and renames it into place, so an open
    connection keeps the data it had, and closing every connection of this process to
    the file, then ``imr.connect(...)`` again, shows the new letters (DuckDB shares one
    instance among a process's connections to a path). A file that is not an
    imr-analytics database is refused.
    """
    from .store.database import open_database, resolve_db_path

    if read_only or not db_path:
        db_path = resolve_db_path(db_path, what="db_path")
    return open_database(db_path, read_only=read_only)


# dir(imr) and tab completion show the public API; the heavy parts load on first use.
__getattr__, __dir__ = lazy_attributes(globals(), _LAZY, {*__all__, "__version__"})
