"""Report selections checked against the data: a value that does not occur is an error.

``-p categories Pharmaceutical`` (singular) used to select nothing and render an empty report
that exited 0. Every selection parameter is now looked up in the database before anything is
drawn: a value that does not occur fails with the nearest values that do (difflib), and a
selection that matches no decided item fails instead of producing a page of dashes. The same
lists back ``imr-analytics values DIMENSION``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from imr_analytics.reports.errors import ReportParameterError

__all__ = [
    "PARAM_DIMENSIONS",
    "check_selection",
    "dimension_values",
    "nearest",
    "selection_where",
]

# Report parameters that select values of a rates dimension, and the dimension each selects.
# Defined once: Report.open builds its filters from it, and the runner and the notebook both
# check the values against the database through it.
PARAM_DIMENSIONS: Mapping[str, str] = {
    "categories": "item_category",
    "category": "item_category",
    "specialties": "reviewer_specialty",
}


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [v for v in value if v is not None and v != ""]
    return [value]


def selection_where(params: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The ``where`` filter a report's selection parameters make (dimension -> values)."""
    where: dict[str, list[Any]] = {}
    for name, dim in PARAM_DIMENSIONS.items():
        values = _as_list(params.get(name))
        if values:
            where[dim] = [*where.get(dim, []), *[v for v in values if v not in where.get(dim, [])]]
    return where


def dimension_values(con: Any, dimension: str) -> pd.DataFrame:
    """Every value of a rates dimension with its decided items and letters, most items first.

    Goes through ``uphold_rates`` so that the values are exactly those a filter or a table of
    that dimension uses (multi-valued dimensions, derived bands and "(not stated)" included).
    """
    from imr_analytics.analytics.rates import DIMENSIONS, uphold_rates

    if dimension not in DIMENSIONS:
        close = nearest(dimension, list(DIMENSIONS))
        raise ReportParameterError(
            f"unknown dimension {dimension!r}"
            + (f"; did you mean {', '.join(close)}?" if close else "")
            + f" (dimensions: {', '.join(DIMENSIONS)})"
        )
    df = uphold_rates(con, by=dimension)
    out = df[[dimension, "n", "n_letters"]].rename(
        columns={dimension: "value", "n": "n_items", "n_letters": "n_letters"}
    )
    return out.sort_values(
        ["n_items", "value"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def nearest(wanted: str, candidates: Sequence[Any], n: int = 3) -> list[str]:
    """Up to ``n`` candidates closest to ``wanted`` (case-insensitive difflib ratio)."""
    texts = [str(c) for c in candidates if c is not None and not pd.isna(c)]
    by_lower = {t.lower(): t for t in texts}
    hits = difflib.get_close_matches(str(wanted).lower(), list(by_lower), n=n, cutoff=0.5)
    if not hits:  # a prefix or a substring still deserves a suggestion
        low = str(wanted).lower()
        hits = [k for k in by_lower if low and (low in k or k in low)][:n]
    return [by_lower[h] for h in hits]


def check_selection(
    con: Any,
    params: Mapping[str, Any],
    *,
    report: str,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
) -> None:
    """Refuse selection values that do not occur, and a selection that matches nothing.

    One sentence per failure, naming the parameter, the value and the nearest valid values.
    """
    from imr_analytics.analytics.rates import selection_matches, value_counts

    known: dict[str, list[str]] = {}
    for name, dim in PARAM_DIMENSIONS.items():
        for value in _as_list(params.get(name)):
            if dim not in known:
                # the values in dimension_values' order, from one grouped scan: no intervals
                # are needed to list them (a full uphold_rates per dimension was seconds at a
                # million letters, and this runs in the CLI and again in the kernel)
                df = value_counts(con, dim)
                known[dim] = [str(v) for v in df["value"] if v is not None and not pd.isna(v)]
            if str(value) in known[dim]:
                continue
            close = nearest(str(value), known[dim])
            hint = f"nearest: {', '.join(close)}" if close else f"e.g. {', '.join(known[dim][:5])}"
            raise ReportParameterError(
                f"report {report!r}: {name} value {value!r} does not occur in the database "
                f"({hint}; 'imr-analytics values {dim} --db FILE' lists them all)"
            )
    where = selection_where(params)
    if not selection_matches(
        con, where or None, date_from=date_from or None, date_to=date_to or None
    ):
        span = con.execute("SELECT min(decision_date), max(decision_date) FROM letters").fetchone()
        window = (
            f"; the database's decision dates run from {span[0]} to {span[1]}" if span[0] else ""
        )
        chosen = []
        if date_from or date_to:
            chosen.append(f"decision dates {date_from or 'first'} to {date_to or 'last'}")
        chosen += [f"{dim} in {', '.join(map(str, v))}" for dim, v in where.items()]
        raise ReportParameterError(
            f"report {report!r}: the selection ({'; '.join(chosen) or 'all letters'}) matches "
            f"no decided item{window}"
        )
