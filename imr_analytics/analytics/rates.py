"""Uphold rates of IMR items by dimension, computed in DuckDB, with letter-clustered intervals.

Entry points
------------
``uphold_rates(con, by=[...], where=..., date_from=..., date_to=..., method="korn-graubard",
alpha=0.05, top=None, unit="item")`` returns one row per group with ``n`` (decided items),
``upheld``, ``overturned``, ``uphold_rate``, ``ci_low``/``ci_high``, ``n_letters``,
``design_effect``, ``effective_n``, ``reliable``, ``reliability_note`` and ``share`` (n over all
items that pass the filters). Every count is shown, however small: the letters are public
documents, and what a reader needs is to know which rates are too uncertain to lean on
(``reliable``; docs/statistics.md).

``letter_volumes(con, period="year", ...)`` returns ``n_letters`` and ``n_items`` per period,
``items_per_letter``, ``multi_item_letters`` / ``share_multi_item`` (more than one item) with its
interval and reliability, and ``mean_days`` / ``median_days`` from assignment to decision.

The unit is the decided item (``items.decision`` is 'upheld' or 'overturned'); items without an
outcome are left out of every count. ``unit="letter"`` counts letters instead: a letter is upheld
when every decided item in it (in the group) is upheld. A group whose value is missing is kept as
a row with NA in the dimension column, so the rows of a breakdown add up to the filtered total.

Intervals (``intervals`` module): the letter is the cluster. Per group the database returns the
letter-level sums, from which the design effect (ratio-estimator variance of letter totals over
the binomial variance, floored at 1), the effective n (n / deff) and a Korn-Graubard interval
(Clopper-Pearson on the effective n; NCHS 2017) or, with ``method="wilson"``, a Wilson interval
on the effective n follow. Reliability per the NCHS standard (``intervals.RELIABILITY_RULE``).

Dimensions (``DIMENSIONS``; ``*`` = multi-valued: an item counts once under each value, so the
rows add up to more than the total; ``df.attrs["multi_valued"]`` and ``df.attrs["note"]`` say so;
for the source heatmap use ``by=["ca_source", "reviewer_source"]``)
{dimensions}

Row order
    Ordinal dimensions (periods, bands, items in letter) in their natural order; nominal ones by
    n, largest first, then by value. Never by rate: a ranking by rate puts the noisiest small
    groups on top.

Filters
    ``where`` is a dict {dimension: value or list of values} (None selects missing values; for a
    multi-valued dimension an item matches when any of its values matches). Values are always
    bound as query parameters, never put into the SQL text. ``where`` may instead be a raw SQL
    boolean expression over the columns of the base relation (the dimension names, multi-valued
    ones as lists, plus letter_id, item_no, decision, decision_date, date_assigned, injury_date,
    patient_age, days_to_decision). The raw string is pasted into the query: trusted input only.
    ``date_from`` / ``date_to`` bound ``letters.decision_date``, both inclusive.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from imr_analytics.analytics.intervals import (
    INTERVAL_NOTE,
    RELIABILITY_RULE,
    check_method,
    clustered_intervals,
    proportion_interval,
    reliability_flags,
)

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "letter_volumes",
    "others_row",
    "proportion_interval",
    "uphold_rates",
]

DECIDED = ("upheld", "overturned")
UNITS = ("item", "letter")
MULTI_VALUED_NOTE = (
    "Multi-valued dimension(s) {dims}: an item counts once under each value (a letter with two "
    "reviewer specialties counts under both), so the rows add up to more than the total."
)
UNIT_NOTE = {
    "item": "Unit: the decided item; intervals treat the items of one letter as one cluster.",
    "letter": (
        "Unit: the letter; a letter counts as upheld when every decided item in it (in the "
        "row's group) is upheld, and once in each group it falls in."
    ),
}
OTHERS_NOTE = "pooled remainder; no interval"


@dataclass(frozen=True)
class Dimension:
    """One way to break items down; ``sql`` is an expression over items ``i`` and letters ``l``.

    Keeping the SQL next to the label and description means the report, the filters and the
    raw-SQL escape hatch all agree on what a dimension is.
    """

    name: str
    label: str
    description: str
    sql: str
    multi_valued: bool = False
    sort: Literal["n", "value", "order"] = "n"
    order: tuple[str, ...] = ()
    default_top: int | None = None
    joins: tuple[str, ...] = ()
    temporal: str | None = None  # 'year' | 'quarter' | 'month' for period dimensions
    # for a multi-valued dimension: the single-valued dimensions a model can use instead
    single_valued: tuple[str, ...] = ()

    @property
    def per_letter(self) -> bool:
        """True when the value is a property of the letter (the same for all its items).

        Read from the SQL (no item column ``i.``, no join), so a new dimension is classified
        where it is defined; ``SelectionCache`` answers these from one row per letter.
        """
        return not self.joins and re.search(r"\bi\.", self.sql) is None

    @property
    def ordinal(self) -> bool:
        """Periods and bands have a natural order; everything else is nominal."""
        return self.sort in ("value", "order") or self.temporal is not None


# --- SQL building blocks --------------------------------------------------------------------


def _primary(col: str) -> str:
    """First family cited; an empty list means nothing was cited, NULL means not parsed."""
    return f"CASE WHEN {col} IS NULL THEN NULL WHEN len({col}) = 0 THEN 'none' ELSE {col}[1] END"


def _combination(col: str) -> str:
    """Families in citation order without repeats, joined with '+' ('MTUS+ODG')."""
    dedup = f"list_filter({col}, lambda x, k: list_position({col}, x) = k)"
    return (
        f"CASE WHEN {col} IS NULL THEN NULL WHEN len({col}) = 0 THEN 'none' "
        f"ELSE array_to_string({dedup}, '+') END"
    )


def _set_value(col: str) -> str:
    """A list as one sorted, de-duplicated value ('A + B'); NULL when empty or unknown."""
    return (
        f"CASE WHEN {col} IS NULL OR len({col}) = 0 THEN NULL "
        f"ELSE array_to_string(list_sort(list_distinct({col})), ' + ') END"
    )


def _bands(expr: str, bands: Sequence[tuple[float | None, str]]) -> str:
    """CASE over ascending upper bounds; the last band has no upper bound."""
    parts = [f"WHEN ({expr}) IS NULL THEN NULL"]
    for upper, label in bands:
        if upper is None:
            parts.append(f"ELSE '{label}'")
        else:
            parts.append(f"WHEN ({expr}) <= {upper} THEN '{label}'")
    return "CASE " + " ".join(parts) + " END"


_DAYS = (
    "CASE WHEN date_diff('day', l.date_assigned, l.decision_date) >= 0 "
    "THEN date_diff('day', l.date_assigned, l.decision_date) END"
)
_CLAIM_YEARS = (
    "CASE WHEN l.decision_date >= l.injury_date "
    "THEN floor(date_diff('day', l.injury_date, l.decision_date) / 365.25) END"
)
_AGE_BANDS = (
    (29, "<30"),
    (39, "30-39"),
    (49, "40-49"),
    (59, "50-59"),
    (69, "60-69"),
    (None, "70+"),
)
_DAY_BANDS = (
    (7, "0-7"),
    (14, "8-14"),
    (30, "15-30"),
    (60, "31-60"),
    (90, "61-90"),
    (None, "91+"),
)
_CLAIM_BANDS = ((0, "<1"), (2, "1-2"), (4, "3-4"), (9, "5-9"), (None, "10+"))
_ITEM_BANDS = ((1, "1"), (2, "2"), (5, "3-5"), (10, "6-10"), (None, "11+"))

_JOINS = {
    "rch": (
        "LEFT JOIN (SELECT letter_id, item_no, list(chapter) AS chapters "
        "FROM citations WHERE party = 'reviewer' AND source = 'MTUS' AND chapter IS NOT NULL "
        "GROUP BY letter_id, item_no) AS rch ON rch.letter_id = i.letter_id "
        "AND rch.item_no = i.item_no"
    ),
    "cch": (
        "LEFT JOIN (SELECT letter_id, item_no, list(chapter) AS chapters "
        "FROM citations WHERE party = 'claims_administrator' AND source = 'MTUS' "
        "AND chapter IS NOT NULL GROUP BY letter_id, item_no) AS cch "
        "ON cch.letter_id = i.letter_id AND cch.item_no = i.item_no"
    ),
}

_REV = "i.reviewer_guideline_sources"
_CA = "i.ca_guideline_sources"


def _dims() -> dict[str, Dimension]:
    dims = [
        Dimension(
            "item_category",
            "Treatment category",
            "Treatment taxonomy category of the disputed item (DWC/CWCI service categories).",
            "i.item_category",
        ),
        Dimension(
            "drug_class",
            "Drug class",
            "Drug class of pharmaceutical items; missing for every other category.",
            "i.drug_class",
        ),
        Dimension(
            "item_pattern",
            "Disputed item",
            "Disputed text without quantities, lower case (items.item_pattern); "
            "the 25 most frequent by default.",
            "i.item_pattern",
            default_top=25,
        ),
        # --- item naming (issue 8; ../shared/docs/treatment-names.md) ---
        Dimension(
            "treatment",
            "Treatment",
            "One name per thing requested (items.treatment), whatever the strength, count, side "
            "or wording: generic ingredients and route for drugs ('acetaminophen / hydrocodone "
            "· oral'), the modality for everything else ('mri', 'physical therapy'); the 25 most "
            "frequent by default.",
            "i.treatment",
            default_top=25,
        ),
        Dimension(
            "ingredient",
            "Ingredient",
            "Generic active ingredient of pharmaceutical items (items.ingredients); a "
            "combination or compound counts under each of its ingredients (multi-valued); the "
            "25 most frequent by default.",
            "i.ingredients",
            multi_valued=True,
            default_top=25,
            single_valued=("treatment",),
        ),
        Dimension(
            "body_region",
            "Body region",
            "Body region the item names, from a fixed list (items.body_regions); an item naming "
            "two counts under each (multi-valued); drugs and general services name none.",
            "i.body_regions",
            multi_valued=True,
            single_valued=("body_regions",),
        ),
        Dimension(
            "body_regions",
            "Body region set",
            "The regions an item names as one value, sorted and joined with ' + ' (e.g. "
            "'cervical spine + lumbar spine'); single-valued.",
            _set_value("i.body_regions"),
        ),
        Dimension(
            "request_type",
            "UR action",
            "'modified' when UR authorised part of the request and the rest went to IMR, "
            "'denied' when the whole request was denied.",
            "CASE WHEN i.modified_request THEN 'modified' "
            "WHEN NOT i.modified_request THEN 'denied' END",
        ),
        Dimension(
            "reviewer_source",
            "Reviewer's guideline source",
            "Primary (first cited) guideline family in the reviewer's line: MTUS, ODG, ACOEM, "
            "other, none.",
            _primary(_REV),
        ),
        Dimension(
            "reviewer_sources",
            "Reviewer's guideline sources",
            "Every family the reviewer cited, in order, e.g. 'MTUS+ODG'.",
            _combination(_REV),
        ),
        Dimension(
            "ca_source",
            "UR's guideline source",
            "Primary (first cited) guideline family in the claims administrator's line.",
            _primary(_CA),
        ),
        Dimension(
            "ca_sources",
            "UR's guideline sources",
            "Every family the claims administrator cited, in order, e.g. 'MTUS+ODG'.",
            _combination(_CA),
        ),
        Dimension(
            "source_agreement",
            "Reviewer used UR's source",
            "'same' when the reviewer's primary family equals the claims administrator's, "
            "else 'different'; missing when either line was not parsed.",
            f"CASE WHEN ({_primary(_REV)}) IS NULL OR ({_primary(_CA)}) IS NULL THEN NULL "
            f"WHEN ({_primary(_REV)}) = ({_primary(_CA)}) THEN 'same' ELSE 'different' END",
        ),
        Dimension(
            "source_cross",
            "UR source -> reviewer source",
            "Claims administrator's primary family and the reviewer's, as one label "
            "('ODG -> MTUS'). For a heatmap use by=['ca_source', 'reviewer_source'].",
            f"coalesce({_primary(_CA)}, '?') || ' -> ' || coalesce({_primary(_REV)}, '?')",
        ),
        Dimension(
            "mtus_chapter",
            "MTUS chapter (reviewer)",
            "MTUS chapters with year cited by the reviewer (citations table); multi-valued.",
            "rch.chapters",
            multi_valued=True,
            joins=("rch",),
            single_valued=("reviewer_source", "reviewer_sources"),
        ),
        Dimension(
            "ca_mtus_chapter",
            "MTUS chapter (UR)",
            "MTUS chapters with year cited by the claims administrator; multi-valued.",
            "cch.chapters",
            multi_valued=True,
            joins=("cch",),
            single_valued=("ca_source", "ca_sources"),
        ),
        Dimension(
            "reviewer_specialty",
            "Reviewer specialty",
            "Canonical board specialty of the expert reviewer; a letter naming two specialties "
            "counts under each (multi-valued).",
            "l.reviewer_specialties",
            multi_valued=True,
            single_valued=("reviewer_board",),
        ),
        Dimension(
            "reviewer_board",
            "Reviewer specialty set",
            "The reviewer's canonical specialties as one value, sorted and joined with ' + ' "
            "(e.g. 'Occupational Medicine + Preventive Medicine'); single-valued.",
            _set_value("l.reviewer_specialties"),
        ),
        Dimension(
            "licensure_state",
            "Reviewer licence state",
            "State where the reviewer is licensed; a reviewer licensed in several states counts "
            "under each (multi-valued).",
            "l.reviewer_licensure",
            multi_valued=True,
            single_valued=("licensure_states", "licensed_in_california"),
        ),
        Dimension(
            "licensure_states",
            "Reviewer licence states",
            "The reviewer's licence states as one value, sorted and joined with ' + ' "
            "(e.g. 'California + Texas'); single-valued.",
            _set_value("l.reviewer_licensure"),
        ),
        Dimension(
            "licensed_in_california",
            "Reviewer licensed in California",
            "'California' when California is among the reviewer's licence states, "
            "else 'elsewhere only'.",
            "CASE WHEN l.reviewer_licensure IS NULL OR len(l.reviewer_licensure) = 0 THEN NULL "
            "WHEN list_contains(l.reviewer_licensure, 'California') THEN 'California' "
            "ELSE 'elsewhere only' END",
        ),
        Dimension(
            "decision_year",
            "Decision year",
            "Year of the letter's decision date.",
            "year(l.decision_date)",
            sort="value",
            temporal="year",
        ),
        Dimension(
            "decision_quarter",
            "Decision quarter",
            "Quarter of the decision date, e.g. '2016-Q3'.",
            "strftime(l.decision_date, '%Y') || '-Q' || quarter(l.decision_date)",
            sort="value",
            temporal="quarter",
        ),
        Dimension(
            "decision_month",
            "Decision month",
            "Month of the decision date, e.g. '2016-07'.",
            "strftime(l.decision_date, '%Y-%m')",
            sort="value",
            temporal="month",
        ),
        Dimension("priority", "Review priority", "'standard' or 'expedited' review.", "l.priority"),
        Dimension(
            "age_band",
            "Patient age",
            "Injured worker's age in bands.",
            _bands("l.patient_age", _AGE_BANDS),
            sort="order",
            order=tuple(b for _, b in _AGE_BANDS),
        ),
        Dimension("patient_sex", "Patient sex", "'female' or 'male'.", "l.patient_sex"),
        Dimension(
            "days_band",
            "Days assigned to decision",
            "Days from IMR assignment to the decision date, in bands (negative spans are "
            "treated as missing).",
            _bands(_DAYS, _DAY_BANDS),
            sort="order",
            order=tuple(b for _, b in _DAY_BANDS),
        ),
        Dimension(
            "injury_year",
            "Injury year",
            "Year of the date of injury (accident year).",
            "year(l.injury_date)",
            sort="value",
        ),
        Dimension(
            "claim_age_band",
            "Claim age (years)",
            "Whole years from the date of injury to the decision, in bands.",
            _bands(_CLAIM_YEARS, _CLAIM_BANDS),
            sort="order",
            order=tuple(b for _, b in _CLAIM_BANDS),
        ),
        Dimension(
            "items_in_letter",
            "Items in the letter",
            "Number of disputed items the letter decides, in bands.",
            _bands("l.item_count", _ITEM_BANDS),
            sort="order",
            order=tuple(b for _, b in _ITEM_BANDS),
        ),
    ]
    return {d.name: d for d in dims}


# Read-only: the notebooks and the report read it, nobody should change it in passing.
DIMENSIONS: Mapping[str, Dimension] = MappingProxyType(_dims())


def dimensions_help(indent: str = "    ") -> str:
    """One line per dimension, 'name*: description' (* = multi-valued), from ``DIMENSIONS``.

    Docstrings that list the dimensions are filled from here, so they cannot drift from what
    the code accepts.
    """
    return "\n".join(
        f"{indent}{d.name}{'*' if d.multi_valued else ''}: {d.description}"
        for d in DIMENSIONS.values()
    )


# Columns of the base relation besides the dimensions (usable in a raw SQL ``where``).
_EXTRA_COLUMNS = {
    "letter_id": "l.letter_id",
    "item_no": "i.item_no",
    "decision": "i.decision",
    "decision_date": "l.decision_date",
    "date_assigned": "l.date_assigned",
    "injury_date": "l.injury_date",
    "patient_age": "l.patient_age",
    "days_to_decision": _DAYS,
}

_PERIODS = {"year": "decision_year", "quarter": "decision_quarter", "month": "decision_month"}


# --- query building -------------------------------------------------------------------------


def _check_dims(names: Iterable[str]) -> list[str]:
    names = list(names)
    unknown = [n for n in names if n not in DIMENSIONS]
    if unknown:
        raise ValueError(
            f"unknown dimension(s) {', '.join(map(repr, unknown))}; valid: " + ", ".join(DIMENSIONS)
        )
    return names


def _as_date(value: date | datetime | str | None, name: str) -> date | None:
    """Accept date, datetime or ISO string; fail early on anything else."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}") from exc
    raise TypeError(f"{name} must be a date or ISO string, got {type(value).__name__}")


def _values(value: Any) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return [value]
    return list(value)


class _Params:
    """Named query parameters; every user-supplied value goes through here, never into SQL."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> str:
        key = f"p{len(self.values)}"
        self.values[key] = value
        return f"${key}"


def _match(expr: str, values: list[Any], multi: bool, params: _Params) -> str:
    """SQL predicate 'expr matches any of values' with bound parameters (None = missing)."""
    want_null = any(v is None for v in values)
    concrete = [v for v in values if v is not None]
    preds = []
    if concrete:
        if multi:
            preds.append(f"list_has_any({expr}, {params.add([str(v) for v in concrete])})")
        else:
            preds.append(f"({expr}) IN ({', '.join(params.add(v) for v in concrete)})")
    if want_null:
        preds.append(f"(({expr}) IS NULL OR len({expr}) = 0)" if multi else f"({expr}) IS NULL")
    return "(" + " OR ".join(preds) + ")" if preds else "FALSE"


def _raw_columns(raw: str) -> list[str]:
    """Dimensions a raw SQL filter mentions, so only those are computed (and joined)."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", raw))
    return [d for d in DIMENSIONS if d in words]


def _base_sql(
    columns: Sequence[str],
    where: Mapping[str, Any] | str | None,
    date_from: date | None,
    date_to: date | None,
    params: _Params,
    *,
    from_letters: bool = False,
    extra: Sequence[str] = (),
    items: str = "items",
) -> tuple[str, dict[str, list[Any]]]:
    """SQL for the filtered base relation (one row per decided item) and the dict filters.

    Returns the SELECT text and the parsed dict filters (dimension -> list of values), which the
    caller applies again after unnesting: for a multi-valued dimension that is both filtered on
    and grouped by, only the matching values should become rows. ``items`` replaces the items
    table by a subquery over it (a sample of its rows: a subset of the same relation).
    """
    dict_where: Mapping[str, Any] = {}
    raw: str | None = None
    if isinstance(where, str):
        raw = where.strip() or None
    elif where is not None:
        if not isinstance(where, Mapping):
            raise TypeError("where must be a dict {dimension: value(s)} or a SQL string")
        dict_where = where
        _check_dims(dict_where)

    needed = list(dict.fromkeys([*columns, *(_raw_columns(raw) if raw else [])]))
    joins = sorted({j for d in needed + list(dict_where) for j in DIMENSIONS[d].joins})

    select = [f"{sql} AS {name}" for name, sql in _EXTRA_COLUMNS.items()]
    select += [f"{DIMENSIONS[d].sql} AS {d}" for d in needed]
    select += list(extra)

    preds = []
    if from_letters:
        source = (
            "letters AS l LEFT JOIN items AS i ON i.letter_id = l.letter_id "
            "AND i.decision IN ('upheld', 'overturned')"
        )
    else:
        source = f"{items} AS i JOIN letters AS l ON l.letter_id = i.letter_id"
        preds.append("i.decision IN ('upheld', 'overturned')")
    parsed = {name: _values(value) for name, value in dict_where.items()}
    for name, values in parsed.items():
        dim = DIMENSIONS[name]
        preds.append(_match(dim.sql, values, dim.multi_valued, params))
    if date_from is not None:
        preds.append(f"l.decision_date >= {params.add(date_from)}")
    if date_to is not None:
        preds.append(f"l.decision_date <= {params.add(date_to)}")

    sql = f"SELECT {', '.join(select)} FROM {source} {' '.join(_JOINS[j] for j in joins)}"
    if preds:
        sql += " WHERE " + " AND ".join(preds)
    if raw:
        sql = f"SELECT * FROM ({sql}) AS wide WHERE ({raw})"
    return sql, parsed


# --- ordering -------------------------------------------------------------------------------


def _sort(df: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Natural order for periods and bands; nominal values by n (largest first), then value.

    Never by rate: a ranking by rate puts the noisiest small groups on top.
    """
    if df.empty or not by:
        return df
    keys = []
    for pos, d in enumerate(by):
        dim = DIMENSIONS[d]
        col = f"__k{pos}"
        if dim.sort == "order":
            rank = {v: k for k, v in enumerate(dim.order)}
            df[col] = df[d].map(lambda v, rank=rank: rank.get(v, len(rank)))
        elif dim.ordinal:
            df[col] = df[d]
        elif len(by) == 1:
            df[col] = -df["n"].astype(float)
        else:
            total = df.groupby(d, dropna=False)["n"].transform("sum")
            df[col] = -total.astype(float)
        keys.append(col)
        keys.append(d)
    df = df.sort_values(keys, na_position="last", kind="stable")
    return df.drop(columns=[k for k in keys if k.startswith("__k")])


def _top_values(df: pd.DataFrame, by: Sequence[str], top: int | None) -> pd.DataFrame:
    """Keep the ``top`` most frequent values of the first dimension (by n, never by rate)."""
    if not by:
        return df
    first = DIMENSIONS[by[0]]
    limit = first.default_top if top is None else top
    if not limit or limit <= 0:
        return df
    totals = df.groupby(by[0], dropna=False)["n"].sum().sort_values(ascending=False, kind="stable")
    keep = set(totals.index[:limit])
    return df[df[by[0]].isin(keep)]


# --- public API -----------------------------------------------------------------------------


def filtered_items(
    con: duckdb.DuckDBPyConnection,
    where: Mapping[str, Any] | str | None = None,
    *,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
) -> pd.DataFrame:
    """The decided items ``uphold_rates`` would count under the same filters, as keys
    (``letter_id``, ``item_no``), ordered. For reading text of exactly the population a
    report's numbers describe (e.g. a sample of rationales), never for counting."""
    params = _Params()
    base, _ = _base_sql(
        [], where, _as_date(date_from, "date_from"), _as_date(date_to, "date_to"), params
    )
    sql = f"SELECT DISTINCT letter_id, item_no FROM ({base}) AS base ORDER BY letter_id, item_no"
    return con.execute(sql, params.values).df()


def value_counts(con: duckdb.DuckDBPyConnection, dimension: str) -> pd.DataFrame:
    """Decided items per value of one dimension (``value``, ``n_items``), most items first,
    then by value; a missing value is left out.

    The values and item counts are those of ``uphold_rates(con, by=dimension)`` (an item counts
    once under each distinct value of a multi-valued dimension) from one grouped scan, without
    the per-letter grouping the intervals need: for checking that a selection's values occur.
    """
    _check_dims([dimension])
    params = _Params()
    base, _ = _base_sql([dimension], None, None, None, params)
    dim = DIMENSIONS[dimension]
    value = (
        f"unnest(CASE WHEN len(list_distinct({dimension})) > 0 THEN "
        f"list_distinct({dimension}) ELSE [NULL] END)"
        if dim.multi_valued
        else dimension
    )
    return con.execute(
        f"SELECT value, count(*) AS n_items FROM (SELECT {value} AS value FROM ({base})) "
        "WHERE value IS NOT NULL GROUP BY value ORDER BY n_items DESC, value",
        params.values,
    ).df()


# Decided items the first try of selection_matches joins to their letters.
_MATCH_SAMPLE = 4096


def selection_matches(
    con: duckdb.DuckDBPyConnection,
    where: Mapping[str, Any] | str | None = None,
    *,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
) -> bool:
    """Whether at least one decided item passes the filters (as ``uphold_rates`` reads them);
    stops at the first one instead of counting them all.

    The join of the items to their letters builds a hash table of every letter before the first
    row comes out (a second at a million letters), so the first try joins only the first
    ``_MATCH_SAMPLE`` decided items: any row it finds is a row of the whole selection. A
    selection it misses (a narrow filter) is looked for in all of them.
    """
    d_from, d_to = _as_date(date_from, "date_from"), _as_date(date_to, "date_to")
    sample = (
        f"(SELECT * FROM items WHERE decision IN ('upheld', 'overturned') LIMIT {_MATCH_SAMPLE})"
    )
    for items in (sample, "items"):
        params = _Params()
        base, _ = _base_sql([], where, d_from, d_to, params, items=items)
        if con.execute(f"SELECT 1 FROM ({base}) AS b LIMIT 1", params.values).fetchone():
            return True
    return False


def _filters_attr(
    where: Mapping[str, Any] | str | None, date_from: Any, date_to: Any
) -> dict[str, Any]:
    """The filters a result was computed under, as plain values for ``DataFrame.attrs``."""
    return {
        "where": where if isinstance(where, str) or where is None else dict(where),
        "date_from": str(date_from) if date_from is not None else None,
        "date_to": str(date_to) if date_to is not None else None,
    }


def describe_filters(
    where: Mapping[str, Any] | str | None, date_from: Any = None, date_to: Any = None
) -> str:
    """The filters in one plain line ('item_category = Surgery; decided 2016-01-01 or later')."""
    parts = []
    if isinstance(where, str):
        if where.strip():
            parts.append(f"SQL filter: {where.strip()}")
    elif where:
        for name, value in where.items():
            values = ["(missing)" if v is None else str(v) for v in _values(value)]
            parts.append(f"{name} = {' or '.join(values)}")
    if date_from is not None and date_to is not None:
        parts.append(f"decided {date_from} to {date_to}")
    elif date_from is not None:
        parts.append(f"decided {date_from} or later")
    elif date_to is not None:
        parts.append(f"decided {date_to} or earlier")
    return "; ".join(parts) if parts else "no filters"


def _letter_group_ctes(by: Sequence[str], parsed: Mapping[str, list[Any]], params: _Params) -> str:
    """CTEs ending in ``lg``: one row per letter and group, with its decided (m) and upheld (y)
    items. Cluster sums for the intervals are aggregates over ``lg``, so per-item rows never
    leave DuckDB. Multi-valued dimensions are unnested after the per-letter aggregation (few
    rows), and a letter falling in one group through several items is merged again."""
    scalar = [d for d in by if not DIMENSIONS[d].multi_valued]
    multi = [d for d in by if DIMENSIONS[d].multi_valued]
    keys = ", ".join(["letter_id", *by])
    pl = (
        f"SELECT {keys}, count(*) AS m, count(*) FILTER (WHERE decision = 'upheld') AS y "
        f"FROM base GROUP BY {keys}"
    )
    if not multi:
        return f"lg AS ({pl})"
    cols = [
        "p.letter_id",
        *(f"p.{d}" for d in scalar),
        *(f"u{k}.v AS {d}" for k, d in enumerate(multi)),
    ]
    froms = ["pl AS p"] + [
        f"UNNEST(CASE WHEN len(list_distinct(p.{d})) > 0 THEN list_distinct(p.{d}) "
        f"ELSE [NULL] END) AS u{k}(v)"
        for k, d in enumerate(multi)
    ]
    preds = [
        _match(f"u{k}.v", parsed[d], False, params) for k, d in enumerate(multi) if d in parsed
    ]
    lg = (
        f"SELECT {', '.join(cols)}, sum(p.m) AS m, sum(p.y) AS y FROM {', '.join(froms)}"
        + (" WHERE " + " AND ".join(preds) if preds else "")
        + f" GROUP BY {', '.join(str(k + 1) for k in range(len(by) + 1))}"
    )
    return f"pl AS ({pl}), lg AS ({lg})"


def _opened(path: str | os.PathLike[str]) -> Any:
    """A read-only connection to the database at ``path`` (closed by the ``with`` block)."""
    from imr_analytics.store.database import open_database, resolve_db_path

    return open_database(resolve_db_path(os.fspath(path), what="con"), read_only=True)


def uphold_rates(
    con: duckdb.DuckDBPyConnection | str | os.PathLike[str],
    by: str | Sequence[str] = (),
    where: Mapping[str, Any] | str | None = None,
    *,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
    method: Literal["korn-graubard", "wilson"] = "korn-graubard",
    alpha: float = 0.05,
    top: int | None = None,
    unit: Literal["item", "letter"] = "item",
) -> pd.DataFrame:
    """Uphold rate per group of ``by``, with letter-clustered intervals and reliability flags.

    ``imr.uphold_rates("data/imr.duckdb", by="item_category")`` answers in one call.

    The aggregation runs in DuckDB (per-letter subtotals, then per-group sums of them); only the
    small per-group result comes back to pandas, where the interval and the reliability flag are
    computed. docs/statistics.md explains the method.

    Parameters
    ----------
    con
        A connection to a database built by ``imr-analytics load`` (``imr.connect(path)``), or
        the database's path (opened read-only for this call; a connection is faster for many),
        or a ``prepared.SelectionCache`` (same results; much faster for many breakdowns of one
        selection).
    by
        Dimension name or list of names (below); ``()`` gives one overall row.
    where
        ``{dimension: value or list of values}`` (None selects missing values; a multi-valued
        dimension matches when any of its values does), or a raw SQL boolean expression over
        the dimensions and letter_id, item_no, decision, decision_date, date_assigned,
        injury_date, patient_age, days_to_decision (pasted into the query: trusted input only).
    date_from, date_to
        Bounds on the letter's decision date, both inclusive (date or 'YYYY-MM-DD').
    method
        ``"korn-graubard"`` (Clopper-Pearson on the effective n) or ``"wilson"``.
    alpha
        1 - confidence level of the intervals (0.05: 95%).
    top
        Keep the most frequent values of the first dimension (None: the dimension's default,
        25 for item_pattern; 0: all); no "all others" row is added (``others_row`` makes one).
    unit
        ``"item"`` (decided items, letters as clusters) or ``"letter"`` (a letter is upheld
        when every decided item in it, in the group, is upheld).

    Returns one row per group: the dimension columns, ``n``, ``upheld``, ``overturned``,
    ``uphold_rate``, ``ci_low``, ``ci_high``, ``n_letters``, ``design_effect``, ``effective_n``,
    ``reliable``, ``reliability_note`` and ``share`` (n over every item passing the filters);
    ``df.attrs`` holds the note, method, filters and labels. Ordinal dimensions come in their
    natural order, nominal ones by n (never by rate).

    Dimensions (``DIMENSIONS``; * = multi-valued: an item counts once under each value)
    {dimensions}
    """
    if isinstance(con, str | os.PathLike):
        with _opened(con) as opened:
            return uphold_rates(
                opened,
                by,
                where,
                date_from=date_from,
                date_to=date_to,
                method=method,
                alpha=alpha,
                top=top,
                unit=unit,
            )
    by_list = _check_rates_args(by, method, alpha, unit)
    d_from, d_to = _as_date(date_from, "date_from"), _as_date(date_to, "date_to")
    cache, con = _split_source(con)
    raw = cache.rates_counts(by_list, where, d_from, d_to, unit) if cache else None
    if raw is None:
        raw = _rates_counts(con, by_list, where, d_from, d_to, unit)
    return _rates_frame(raw, by_list, where, date_from, date_to, method, alpha, top, unit)


def _split_source(con: Any) -> tuple[Any, Any]:
    """(SelectionCache or None, connection) for a ``con`` argument (see ``prepared``)."""
    from imr_analytics.analytics.prepared import split_source

    return split_source(con)


def _check_rates_args(by: str | Sequence[str], method: str, alpha: float, unit: str) -> list[str]:
    """The ``by`` list of an ``uphold_rates`` call, or the error its arguments deserve."""
    by_list = _check_dims([by] if isinstance(by, str) else list(by))
    if len(set(by_list)) != len(by_list):
        raise ValueError(f"repeated dimension in by: {by_list}")
    check_method(method)
    if unit not in UNITS:
        raise ValueError(f"unknown unit {unit!r}: use 'item' or 'letter'")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    return by_list


def _rates_counts(
    con: duckdb.DuckDBPyConnection,
    by_list: list[str],
    where: Mapping[str, Any] | str | None,
    date_from: date | None,
    date_to: date | None,
    unit: str,
) -> pd.DataFrame:
    """Per group of ``by_list``: n, upheld, n_letters, the cluster sums and the filtered total,
    straight from the items (``SelectionCache`` computes the same columns from its tables)."""
    params = _Params()
    base, parsed = _base_sql(by_list, where, date_from, date_to, params)
    group = ", ".join(by_list)
    if unit == "item":
        counts = (
            "sum(m)::BIGINT AS n, sum(y)::BIGINT AS upheld, count(*) AS n_letters, "
            "sum(m * m)::DOUBLE AS s_mm, sum(y * y)::DOUBLE AS s_yy, sum(y * m)::DOUBLE AS s_ym"
        )
        # the filtered item count: every base row is in exactly one group unless a dimension
        # is multi-valued, so the groups' n add up to it without a second scan of base (a CTE
        # read twice is materialised: every column of every item, gigabytes at 1 M letters)
        multi = any(DIMENSIONS[d].multi_valued for d in by_list)
        total = "(SELECT count(*) FROM base)" if multi else "coalesce(sum(n) OVER (), 0)::BIGINT"
    else:
        counts = (
            "count(*) AS n, count(*) FILTER (WHERE y = m) AS upheld, count(*) AS n_letters, "
            "NULL AS s_mm, NULL AS s_yy, NULL AS s_ym"
        )
        total = "(SELECT count(DISTINCT letter_id) FROM base)"
    agg = f"SELECT {group + ', ' if group else ''}{counts} FROM lg" + (
        f" GROUP BY {group}" if group else ""
    )
    sql = (
        f"WITH base AS ({base}), {_letter_group_ctes(by_list, parsed, params)}, "
        f"agg AS ({agg}) SELECT *, {total} AS total FROM agg"
    )
    return con.execute(sql, params.values).df()


def _rates_frame(
    raw: pd.DataFrame,
    by_list: list[str],
    where: Mapping[str, Any] | str | None,
    date_from: Any,
    date_to: Any,
    method: str,
    alpha: float,
    top: int | None,
    unit: str,
) -> pd.DataFrame:
    """An ``uphold_rates`` result from the per-group counts: intervals, flags, order, attrs."""
    if not by_list and len(raw) and not (raw["n"].fillna(0).iloc[0] > 0):
        raw = raw.iloc[0:0]
    df = raw.reset_index(drop=True)

    n = df["n"].astype("int64").to_numpy()
    up = df["upheld"].astype("int64").to_numpy()
    k = df["n_letters"].astype("int64").to_numpy()
    if unit == "item":
        res = clustered_intervals(
            n, up, k, df["s_mm"], df["s_yy"], df["s_ym"], method=method, alpha=alpha
        )
        low, high = res["ci_low"], res["ci_high"]
        deff, eff = res["design_effect"], res["effective_n"]
    else:
        plain = "clopper-pearson" if method == "korn-graubard" else "wilson"
        low, high = proportion_interval(up, n, plain, alpha)
        deff = np.where(n > 0, 1.0, np.nan)
        eff = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, up / np.where(n > 0, n, 1), np.nan)
    ok, notes = reliability_flags(rate, low, high, eff)
    total_n = df["total"].astype(float).to_numpy()

    # One constructor call, not a column assignment at a time: pandas' bookkeeping per
    # assignment cost more than the arithmetic on these small results (25 frames a report).
    columns: dict[str, Any] = {}
    for d in by_list:
        year = DIMENSIONS[d].temporal == "year" or d == "injury_year"
        columns[d] = df[d].astype("Int64") if year else df[d].copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total_n > 0, n / total_n, np.nan)
    columns.update(
        {
            "n": pd.array(n, dtype="Int64"),
            "upheld": pd.array(up, dtype="Int64"),
            "overturned": pd.array(n - up, dtype="Int64"),
            "uphold_rate": pd.array(rate, dtype="Float64"),
            "ci_low": pd.array(low, dtype="Float64"),
            "ci_high": pd.array(high, dtype="Float64"),
            "n_letters": pd.array(k, dtype="Int64"),
            "design_effect": pd.array(deff, dtype="Float64"),
            "effective_n": pd.array(eff, dtype="Float64"),
            "reliable": ok,
            "reliability_note": pd.array(notes, dtype="string"),
            "share": pd.array(share, dtype="Float64"),
        }
    )
    out = pd.DataFrame(columns, index=df.index)

    out = _top_values(out, by_list, top)
    out = _sort(out, by_list).reset_index(drop=True)

    multi_in_by = [d for d in by_list if DIMENSIONS[d].multi_valued]
    note = [
        UNIT_NOTE[unit],
        f"{(1 - alpha) * 100:g}% intervals: "
        + (INTERVAL_NOTE[method] if unit == "item" else _LETTER_INTERVAL[method])
        + ".",
    ]
    if multi_in_by:
        note.append(MULTI_VALUED_NOTE.format(dims=", ".join(multi_in_by)))
    out.attrs.update(
        {
            "by": by_list,
            "labels": {d: DIMENSIONS[d].label for d in by_list},
            "multi_valued": multi_in_by,
            "note": " ".join(note),
            "method": method,
            "alpha": alpha,
            "unit": unit,
            "reliability_rule": RELIABILITY_RULE,
            "filters": describe_filters(where, date_from, date_to),
            "filter_values": _filters_attr(where, date_from, date_to),
        }
    )
    return out


# The dimension lists in the docstrings are generated here, once (docstrings are None under -OO).
if uphold_rates.__doc__:
    uphold_rates.__doc__ = uphold_rates.__doc__.replace(
        "    {dimensions}", dimensions_help("        ")
    )
if __doc__:
    __doc__ = __doc__.replace("{dimensions}", dimensions_help())

_LETTER_INTERVAL = {
    "korn-graubard": "Clopper-Pearson on letters (independent units, no design effect)",
    "wilson": "Wilson on letters (independent units, no design effect)",
}


def others_row(df: pd.DataFrame, kept_mask: Any, label: str = "all others") -> pd.DataFrame:
    """One row pooling the rows of an ``uphold_rates`` result ``df`` that ``kept_mask`` leaves out.

    n, upheld and overturned are summed and the rate recomputed; the interval columns are NA
    (the letters behind the rows are not in the table, so no clustered interval can be formed)
    and the row is marked not reliable with the note 'pooled remainder; no interval'. The first
    dimension column carries ``label``. ``share`` is summed unless a dimension is multi-valued
    (then the rows overlap and it is NA). For display: a chart or table adds it where a cut-off
    list should still add up.
    """
    kept = np.asarray(kept_mask, dtype=bool)
    if len(kept) != len(df):
        raise ValueError("kept_mask must have one entry per row of df")
    rest = df[~kept]
    by = list(df.attrs.get("by", []))
    n = int(rest["n"].sum()) if len(rest) else 0
    up = int(rest["upheld"].sum()) if len(rest) else 0
    row: dict[str, Any] = {c: pd.NA for c in df.columns}
    if by:
        row[by[0]] = label
    row.update(
        n=n,
        upheld=up,
        overturned=n - up,
        uphold_rate=up / n if n else pd.NA,
        reliable=False,
        reliability_note=OTHERS_NOTE,
    )
    if "share" in df.columns and not df.attrs.get("multi_valued"):
        row["share"] = float(rest["share"].sum()) if len(rest) else pd.NA
    out = pd.DataFrame([row], columns=df.columns)
    for col, dtype in df.dtypes.items():
        try:
            out[col] = out[col].astype(dtype)
        except (TypeError, ValueError):
            out[col] = out[col].astype(object)
    out.attrs.update(df.attrs)
    return out


def letter_volumes(
    con: duckdb.DuckDBPyConnection,
    period: Literal["year", "quarter", "month"] | str | None = "year",
    where: Mapping[str, Any] | str | None = None,
    *,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
    method: Literal["korn-graubard", "wilson"] = "korn-graubard",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Letters and items per decision period, with the per-letter shape and timeliness.

    Columns: the period (``decision_year`` / ``decision_quarter`` / ``decision_month``; none
    when ``period`` is None), ``n_letters``, ``n_items`` (decided items), ``items_per_letter``,
    ``multi_item_letters`` and ``share_multi_item`` (letters deciding more than one item) with
    ``share_multi_item_ci_low`` / ``_ci_high`` / ``_reliable`` / ``_note``, ``mean_days`` and
    ``median_days`` (assignment to decision).

    The letter is the unit of the share, so its interval is the plain binomial one on letters
    (Clopper-Pearson for 'korn-graubard', whose design effect is 1 here, or Wilson). Letters are
    counted from the letters table, so a letter whose items were not parsed still counts (with
    zero items). An item-level filter (e.g. item_category) keeps the letters with at least one
    matching item and counts only the matching items.

    Parameters: ``period`` is 'year', 'quarter', 'month' (or the dimension names
    decision_year, decision_quarter, decision_month) or None for one overall row; ``where``,
    ``date_from``, ``date_to``, ``method`` and ``alpha`` as in ``uphold_rates`` (whose
    docstring lists the dimensions ``where`` accepts); ``con`` a connection or a
    ``prepared.SelectionCache``.
    """
    check_method(method)
    period = _check_period(period)
    d_from, d_to = _as_date(date_from, "date_from"), _as_date(date_to, "date_to")
    cache, con = _split_source(con)
    df = cache.volumes_counts(period, where, d_from, d_to) if cache else None
    if df is None:
        df = _volumes_counts(con, period, where, d_from, d_to)
    return _volumes_frame(df, period, where, date_from, date_to, method, alpha)


def _volumes_counts(
    con: duckdb.DuckDBPyConnection,
    period: str | None,
    where: Mapping[str, Any] | str | None,
    date_from: date | None,
    date_to: date | None,
) -> pd.DataFrame:
    """Per period: letters, items, multi-item letters and the days, straight from the tables."""
    params = _Params()
    base, _ = _base_sql(
        [period] if period else [], where, date_from, date_to, params, from_letters=True
    )
    pcol = f"any_value({period}) AS {period}, " if period else ""
    pgroup = f"{period}, " if period else ""
    sql = (
        f"WITH base AS ({base}), per_letter AS ("
        f"SELECT letter_id, {pcol}any_value(days_to_decision) AS days, count(item_no) AS k "
        "FROM base GROUP BY letter_id) "
        f"SELECT {pgroup}{_VOLUME_AGGREGATES} "
        f"FROM per_letter {'GROUP BY ' + period if period else ''}"
    )
    return con.execute(sql, params.values).df()


def _check_period(period: str | None) -> str | None:
    """The period dimension ('year' -> 'decision_year'), or the error naming the choices."""
    if period is not None:
        period = _PERIODS.get(period, period)
        if period not in _PERIODS.values():
            raise ValueError(
                f"unknown period {period!r}; valid: year, quarter, month "
                "(or decision_year, decision_quarter, decision_month) or None"
            )
    return period


# What ``letter_volumes`` computes from one row per letter (columns period, days, k), shared by
# the query over the items and ``SelectionCache``'s over its letter table.
_VOLUME_AGGREGATES = (
    "count(*) AS letters, sum(k)::BIGINT AS items, "
    "count(*) FILTER (WHERE k > 1) AS multi, count(days) AS n_days, "
    "avg(days) AS mean_days, median(days) AS median_days"
)


def _volumes_frame(
    df: pd.DataFrame,
    period: str | None,
    where: Mapping[str, Any] | str | None,
    date_from: Any,
    date_to: Any,
    method: str,
    alpha: float,
) -> pd.DataFrame:
    """A ``letter_volumes`` result from the per-period counts: interval, flags, order, attrs."""
    if not period and len(df) and df["letters"].iloc[0] == 0:
        df = df.iloc[0:0]
    df = df.reset_index(drop=True)
    letters = df["letters"].astype("int64").to_numpy()
    items = df["items"].fillna(0).astype("int64").to_numpy()
    multi = df["multi"].astype("int64").to_numpy()
    plain = "clopper-pearson" if method == "korn-graubard" else "wilson"
    low, high = proportion_interval(multi, letters, plain, alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(letters > 0, multi / np.where(letters > 0, letters, 1), np.nan)
        per_letter = np.where(letters > 0, items / np.where(letters > 0, letters, 1), np.nan)
    ok, notes = reliability_flags(share, low, high, letters)

    by = [period] if period else []
    out = df[by].copy()
    if period == "decision_year":
        out[period] = out[period].astype("Int64")
    out["n_letters"] = pd.array(letters, dtype="Int64")
    out["n_items"] = pd.array(items, dtype="Int64")
    out["items_per_letter"] = pd.array(per_letter, dtype="Float64")
    out["multi_item_letters"] = pd.array(multi, dtype="Int64")
    out["share_multi_item"] = pd.array(share, dtype="Float64")
    out["share_multi_item_ci_low"] = pd.array(low, dtype="Float64")
    out["share_multi_item_ci_high"] = pd.array(high, dtype="Float64")
    out["share_multi_item_reliable"] = ok
    out["share_multi_item_note"] = pd.array(notes, dtype="string")
    out["mean_days"] = pd.array(df["mean_days"], dtype="Float64")
    out["median_days"] = pd.array(df["median_days"], dtype="Float64")
    if period:
        out = out.sort_values(period, na_position="last", kind="stable").reset_index(drop=True)
    out.attrs.update(
        {
            "period": period,
            "method": method,
            "alpha": alpha,
            "note": f"{(1 - alpha) * 100:g}% interval of the multi-item share: "
            + _LETTER_INTERVAL[method]
            + ".",
            "reliability_rule": RELIABILITY_RULE,
            "filters": describe_filters(where, date_from, date_to),
            "filter_values": _filters_attr(where, date_from, date_to),
        }
    )
    return out
