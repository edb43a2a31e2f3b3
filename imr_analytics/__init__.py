"""imr-analytics: California workers' compensation IMR letters into DuckDB, and uphold-rate reports.

The public surface, for analysts in a notebook::

    import imr_analytics as imr
    con = imr.connect("data/demo.duckdb")
    imr.uphold_rates(con, by=["item_category"])

Everything else lives in private-by-convention modules behind these names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
    from .store.loader import load_paths, reparse_database
    from .synth import generate_corpus


def connect(db_path: str, *, read_only: bool = True) -> Any:
    """Open a database built by ``imr-analytics load``, read-only by default.

    Several read-only connections (notebooks, reports) can share a file; DuckDB lets a
    writer in only when no other process has the file open, so close the connection
    (``con.close()``) before running ``imr-analytics load`` on the same database.
    """
    from .store.database import open_database

    return open_database(db_path, read_only=read_only)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'imr_analytics' has no attribute {name!r}")
