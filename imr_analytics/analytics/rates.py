"""Uphold rates of IMR items by dimension, computed in DuckDB, with small-cell suppression.

Entry points
------------
``uphold_rates(con, by=[...], where=..., date_from=..., date_to=..., min_cell=11,
method="wilson", alpha=0.05, top=None)`` returns one row per group with ``n`` (decided items),
``upheld``, ``overturned``, ``uphold_rate``, ``ci_low``/``ci_high`` (Wilson by default,
``method="clopper-pearson"`` for the exact interval), ``share`` (n over all items that pass the
filters), ``suppressed`` and ``suppression_reason``.

``letter_volumes(con, period="year", ...)`` returns ``n_letters`` and ``n_items`` per period,
``items_per_letter``, ``multi_item_letters`` / ``share_multi_item`` (more than one item) and
``mean_days`` / ``median_days`` from assignment to decision, with the same suppression rule.

The unit is the decided item (``items.decision`` is 'upheld' or 'overturned'); items without an
outcome are left out of every count. A group whose value is missing is kept as a row with NA in
the dimension column, so the rows of a breakdown add up to the filtered total.

Dimensions (``DIMENSIONS``; ``*`` = multi-valued: an item counts once under each value, so the
rows add up to more than the total; ``df.attrs["multi_valued"]`` and ``df.attrs["note"]`` say so)
    item_category, drug_class, item_pattern (top 25 by default), request_type (modified/denied),
    reviewer_source (primary = first family cited), reviewer_sources (combination, 'MTUS+ODG'),
    ca_source, ca_sources, source_agreement (same/different primary source), source_cross
    ('ODG -> MTUS'; for the heatmap use ``by=["ca_source", "reviewer_source"]``),
    mtus_chapter*, ca_mtus_chapter*, reviewer_specialty*, licensure_state*, licensed_in_california,
    decision_year, decision_quarter ('2016-Q3'), decision_month ('2016-07'), priority, age_band,
    patient_sex, days_band (assignment -> decision), injury_year, claim_age_band, items_in_letter.

Suppression rule (CMS cell-size rule; ``min_cell`` = 11 by default)
    1. Primary: a count c with 0 < c < min_cell is never shown. If ``n`` is small, the whole row is
       hidden (n, share, upheld, overturned, rate, interval). If ``upheld`` or ``overturned`` is
       small, both are hidden (each is n minus the other), and so are the rate and interval,
       which would give them back; ``n`` stays. Zero counts are shown.
    2. Complementary, across rows: we assume every marginal total is published somewhere (the
       overall rate, one-way breakdowns), so a hidden cell that is the only hidden cell of its
       group could be recovered by subtraction. The groups are the rows sharing the values of
       any proper subset of ``by``: with one dimension, all rows; with two (A, B), all rows, each
       A-row and each B-column. In every group the ``n`` column and the outcome column
       (upheld/overturned together) must have zero or at least two hidden cells; when exactly one
       is hidden, the visible row of that group with the smallest ``n`` is hidden as well, and
       this repeats until nothing changes (for cross tables, rows that are alone in a group are
       picked last: they equal a published marginal, so hiding them protects nothing). A group
       of one row cannot be protected inside the table: its total is that row, suppressed by the
       same rule wherever it is published. Sparse cross tables can lose most of their cells; that
       is the price of the rule. The rule is per call: it does not coordinate with the choices
       made for the marginal tables themselves. It is applied to multi-valued breakdowns too,
       although their rows do not add up to a total: it costs little and is safer. Rows cut off
       by ``top`` are dropped after suppression, never before.
    Suppressed values are NA; the row stays, with ``suppressed`` True and ``suppression_reason``
    one of 'small n', 'small count', 'complementary'.

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

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "letter_volumes",
    "proportion_interval",
    "uphold_rates",
]

DECIDED = ("upheld", "overturned")
SUPPRESSION_RULE = (
    "Counts from 1 to min_cell-1 are hidden with everything derived from them (a small upheld or "
    "overturned count hides both, the rate and the interval); in every line of a breakdown a "
    "hidden cell never stands alone: the smallest visible row is hidden too."
)
MULTI_VALUED_NOTE = (
    "Multi-valued dimension(s) {dims}: an item counts once under each value (a letter with two "
    "reviewer specialties counts under both), so the rows add up to more than the total."
)


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
        ),
        Dimension(
            "ca_mtus_chapter",
            "MTUS chapter (UR)",
            "MTUS chapters with year cited by the claims administrator; multi-valued.",
            "cch.chapters",
            multi_valued=True,
            joins=("cch",),
        ),
        Dimension(
            "reviewer_specialty",
            "Reviewer specialty",
            "Canonical board specialty of the expert reviewer; a letter naming two specialties "
            "counts under each (multi-valued).",
            "l.reviewer_specialties",
            multi_valued=True,
        ),
        Dimension(
            "licensure_state",
            "Reviewer licence state",
            "State where the reviewer is licensed; a reviewer licensed in several states counts "
            "under each (multi-valued).",
            "l.reviewer_licensure",
            multi_valued=True,
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


# --- intervals ------------------------------------------------------------------------------


def proportion_interval(
    count: Any,
    nobs: Any,
    method: str = "wilson",
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised two-sided interval for count/nobs, by statsmodels' ``proportion_confint``.

    ``method`` is 'wilson' or 'clopper-pearson' (alias 'beta'). Rows with nobs == 0 get NaN.
    statsmodels is imported here, not at module import, so that importing the package
    stays fast for code that never computes an interval.
    """
    from statsmodels.stats.proportion import proportion_confint

    methods = {"wilson": "wilson", "clopper-pearson": "beta", "beta": "beta"}
    key = methods.get(method.lower())
    if key is None:
        raise ValueError(f"unknown interval method {method!r}: use 'wilson' or 'clopper-pearson'")
    x = np.asarray(count, dtype=float)
    n = np.asarray(nobs, dtype=float)
    bad = n <= 0
    safe_n = np.where(bad, 1.0, n)
    safe_x = np.where(bad, 0.0, x)
    low, high = proportion_confint(safe_x, safe_n, alpha=alpha, method=key)
    low = np.where(safe_x == 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(safe_x == safe_n, 1.0, np.clip(high, 0.0, 1.0))
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


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
) -> tuple[str, dict[str, list[Any]]]:
    """SQL for the filtered base relation (one row per decided item) and the dict filters.

    Returns the SELECT text and the parsed dict filters (dimension -> list of values), which the
    caller applies again after unnesting: for a multi-valued dimension that is both filtered on
    and grouped by, only the matching values should become rows.
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

    preds = []
    if from_letters:
        source = (
            "letters AS l LEFT JOIN items AS i ON i.letter_id = l.letter_id "
            "AND i.decision IN ('upheld', 'overturned')"
        )
    else:
        source = "items AS i JOIN letters AS l ON l.letter_id = i.letter_id"
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


# --- suppression ----------------------------------------------------------------------------


def _small(values: pd.Series, min_cell: int) -> pd.Series:
    return (values > 0) & (values < min_cell)


def _complement(
    df: pd.DataFrame,
    by: Sequence[str],
    masks: dict[str, pd.Series],
    implies: Mapping[str, Sequence[str]],
    size: pd.Series,
) -> pd.Series:
    """Secondary suppression: no marginal group may hold exactly one hidden cell per column.

    ``masks`` maps column-group names to boolean hidden masks (modified in place); ``implies``
    says which other masks follow when a cell is hidden (hiding n hides the outcome too).
    Returns the mask of rows hidden by this step.
    """
    extra = pd.Series(False, index=df.index)
    if not by or len(df) < 2:
        return extra
    # Every proper subset of ``by`` (the empty one included) is a published marginal: the
    # rows sharing its values add up to a total that can be read elsewhere.
    lines = []
    for size_ in range(len(by)):
        for fixed in itertools.combinations(by, size_):
            if fixed:
                key = df.groupby(list(fixed), dropna=False, sort=False).ngroup().to_numpy()
            else:
                key = np.zeros(len(df), dtype=int)
            lines.append(pd.Series(key, index=df.index))
    # Prefer complements that are not alone in some group: such a row equals a published
    # marginal, so hiding it protects nothing. Cost = (alone somewhere, n); smallest first.
    alone = np.zeros(len(df), dtype=bool)
    for key in lines[1:]:
        alone |= (key.groupby(key).transform("size") == 1).to_numpy()
    cost = pd.Series(alone * (float(size.max()) + 1.0) + size.astype(float), index=df.index)
    changed = True
    while changed:
        changed = False
        for key in lines:
            for name in list(masks):
                mask = masks[name]
                hidden_per_line = mask.groupby(key).transform("sum")
                lone = hidden_per_line == 1
                candidates = lone & ~mask
                if not candidates.any():
                    continue
                pick = cost[candidates].groupby(key[candidates]).idxmin()
                for idx in pick.to_numpy():
                    for target in (name, *implies.get(name, ())):
                        masks[target].loc[idx] = True
                    extra.loc[idx] = True
                    changed = True
    return extra


def _sort(df: pd.DataFrame, by: Sequence[str], n_hidden: pd.Series) -> pd.DataFrame:
    """Order rows the way a reader expects: bands and periods in order, categories by size."""
    if df.empty or not by:
        return df
    keys = []
    for pos, d in enumerate(by):
        dim = DIMENSIONS[d]
        col = f"__k{pos}"
        if dim.sort == "order":
            rank = {v: k for k, v in enumerate(dim.order)}
            df[col] = df[d].map(lambda v, rank=rank: rank.get(v, len(rank)))
        elif dim.sort == "value":
            df[col] = df[d]
        elif len(by) == 1:
            # hidden rows go last, in label order, so the order does not hint at their size
            df[col] = np.where(n_hidden, np.inf, -df["__n"].astype(float))
        else:
            total = df.groupby(d, dropna=False)["__n"].transform("sum")
            df[col] = -total.astype(float)
        keys.append(col)
        keys.append(d)
    df = df.sort_values(keys, na_position="last", kind="stable")
    return df.drop(columns=[k for k in keys if k.startswith("__k")])


def _top_values(df: pd.DataFrame, by: Sequence[str], top: int | None) -> pd.DataFrame:
    """Keep the ``top`` most frequent values of the first dimension (after suppression)."""
    if not by:
        return df
    first = DIMENSIONS[by[0]]
    limit = first.default_top if top is None else top
    if not limit or limit <= 0:
        return df
    totals = (
        df.groupby(by[0], dropna=False)["__n"].sum().sort_values(ascending=False, kind="stable")
    )
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


def _filters_attr(
    where: Mapping[str, Any] | str | None, date_from: Any, date_to: Any
) -> dict[str, Any]:
    """The filters a result was computed under, as plain values for ``DataFrame.attrs``."""
    return {
        "where": where if isinstance(where, str) or where is None else dict(where),
        "date_from": str(date_from) if date_from is not None else None,
        "date_to": str(date_to) if date_to is not None else None,
    }


def uphold_rates(
    con: duckdb.DuckDBPyConnection,
    by: str | Sequence[str] = (),
    where: Mapping[str, Any] | str | None = None,
    *,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
    min_cell: int = 11,
    method: Literal["wilson", "clopper-pearson", "beta"] = "wilson",
    alpha: float = 0.05,
    top: int | None = None,
) -> pd.DataFrame:
    """Uphold rate of decided items per group of ``by``, with intervals and suppression.

    The aggregation runs in DuckDB (one query over items joined to letters; list columns are
    unnested only for multi-valued dimensions in ``by``); only the small result comes back to
    pandas, where the interval and the suppression are applied. See the module docstring for
    the dimensions, the filters and the suppression rule. ``top`` keeps the most frequent values
    of the first dimension (None: the dimension's default, 25 for item_pattern; 0: all).
    """
    by_list = _check_dims([by] if isinstance(by, str) else list(by))
    if len(set(by_list)) != len(by_list):
        raise ValueError(f"repeated dimension in by: {by_list}")
    if min_cell < 0:
        raise ValueError("min_cell must be >= 0")
    params = _Params()
    base, parsed = _base_sql(
        by_list,
        where,
        _as_date(date_from, "date_from"),
        _as_date(date_to, "date_to"),
        params,
    )

    scalar = [d for d in by_list if not DIMENSIONS[d].multi_valued]
    multi = [d for d in by_list if DIMENSIONS[d].multi_valued]
    counts = (
        "count(*) AS n, count(*) FILTER (WHERE decision = 'upheld') AS upheld, "
        "count(*) FILTER (WHERE decision = 'overturned') AS overturned"
    )
    group = ", ".join(by_list)
    if not multi:
        agg = f"SELECT {group + ', ' if group else ''}{counts} FROM base" + (
            f" GROUP BY {group}" if group else ""
        )
    else:
        # Aggregate first with the lists as group keys (few distinct lists), then unnest the
        # small result: much cheaper than unnesting one row per item.
        pre = f"SELECT {', '.join(by_list)}, {counts} FROM base GROUP BY {', '.join(by_list)}"
        cols = [*(f"p.{d}" for d in scalar), *(f"u{k}.v AS {d}" for k, d in enumerate(multi))]
        froms = ["pre AS p"] + [
            f"UNNEST(CASE WHEN len(list_distinct(p.{d})) > 0 THEN list_distinct(p.{d}) "
            f"ELSE [NULL] END) AS u{k}(v)"
            for k, d in enumerate(multi)
        ]
        preds = [
            _match(f"u{k}.v", parsed[d], False, params) for k, d in enumerate(multi) if d in parsed
        ]
        agg = (
            f"SELECT {', '.join(cols)}, sum(p.n) AS n, sum(p.upheld) AS upheld, "
            f"sum(p.overturned) AS overturned FROM {', '.join(froms)}"
            + (" WHERE " + " AND ".join(preds) if preds else "")
            + f" GROUP BY {', '.join(str(k + 1) for k in range(len(by_list)))}"
        )
        agg = f"WITH pre AS ({pre}) {agg}"
    sql = (
        f"WITH base AS ({base}), agg AS ({agg}) "
        "SELECT *, (SELECT count(*) FROM base) AS total FROM agg"
    )
    raw = con.execute(sql, params.values).df()
    if not by_list and len(raw) and raw["n"].iloc[0] == 0:
        raw = raw.iloc[0:0]

    df = raw.reset_index(drop=True)
    n = df["n"].astype("int64")
    up = df["upheld"].astype("int64")
    ov = df["overturned"].astype("int64")
    df["__n"] = n
    low, high = proportion_interval(up, n, method=method, alpha=alpha)

    hide_n = _small(n, min_cell)
    hide_out = hide_n | _small(up, min_cell) | _small(ov, min_cell)
    reason = pd.Series(
        np.where(hide_n, "small n", np.where(hide_out, "small count", None)),
        index=df.index,
        dtype=object,
    )
    masks = {"n": hide_n.copy(), "outcome": hide_out.copy()}
    extra = _complement(df, by_list, masks, {"n": ("outcome",)}, n)
    # 'complementary' wherever the complement step hid something the primary rule had not
    newly = extra & ((masks["n"] & ~hide_n) | (masks["outcome"] & ~hide_out))
    reason = reason.where(~newly, "complementary")
    hide_n, hide_out = masks["n"], masks["outcome"]

    total = df["total"].astype(float)
    out = df[by_list].copy()
    for d in by_list:
        if DIMENSIONS[d].temporal == "year" or d == "injury_year":
            out[d] = out[d].astype("Int64")
    out["n"] = pd.array(n, dtype="Int64")
    out["upheld"] = pd.array(up, dtype="Int64")
    out["overturned"] = pd.array(ov, dtype="Int64")
    out["uphold_rate"] = pd.array(up / n.where(n > 0), dtype="Float64")
    out["ci_low"] = pd.array(low, dtype="Float64")
    out["ci_high"] = pd.array(high, dtype="Float64")
    out["share"] = pd.array(n / total.where(total > 0), dtype="Float64")
    out.loc[hide_n, ["n", "share"]] = pd.NA
    out.loc[hide_out, ["upheld", "overturned", "uphold_rate", "ci_low", "ci_high"]] = pd.NA
    out["suppressed"] = (hide_n | hide_out).to_numpy()
    out["suppression_reason"] = pd.array(reason, dtype="string")
    out["__n"] = df["__n"]

    out = _top_values(out, by_list, top)
    out = _sort(out, by_list, hide_n.reindex(out.index))
    out = out.drop(columns="__n").reset_index(drop=True)

    multi_in_by = [d for d in by_list if DIMENSIONS[d].multi_valued]
    out.attrs.update(
        {
            "by": by_list,
            "labels": {d: DIMENSIONS[d].label for d in by_list},
            "multi_valued": multi_in_by,
            "note": MULTI_VALUED_NOTE.format(dims=", ".join(multi_in_by)) if multi_in_by else "",
            "min_cell": min_cell,
            "method": "clopper-pearson" if method == "beta" else method,
            "alpha": alpha,
            "suppression_rule": SUPPRESSION_RULE,
            "filters": _filters_attr(where, date_from, date_to),
        }
    )
    return out


def letter_volumes(
    con: duckdb.DuckDBPyConnection,
    period: Literal["year", "quarter", "month"] | str | None = "year",
    where: Mapping[str, Any] | str | None = None,
    *,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
    min_cell: int = 11,
) -> pd.DataFrame:
    """Letters and items per decision period, with the per-letter shape and timeliness.

    Columns: the period (``decision_year`` / ``decision_quarter`` / ``decision_month``; none
    when ``period`` is None), ``n_letters``, ``n_items`` (decided items), ``items_per_letter``,
    ``multi_item_letters`` and ``share_multi_item`` (letters deciding more than one item),
    ``mean_days`` and ``median_days`` (assignment to decision), ``suppressed``.

    Letters are counted from the letters table, so a letter whose items were not parsed still
    counts (with zero items). An item-level filter (e.g. item_category) keeps the letters with at
    least one matching item and counts only the matching items. Suppression: letters, items,
    multi-item letters and single-item letters (the complement) follow the 1..min_cell-1 rule;
    a small letter count hides everything derived from it; days statistics need min_cell letters
    with both dates; across periods, a hidden cell is never alone in its column.
    """
    if min_cell < 0:
        raise ValueError("min_cell must be >= 0")
    if period is not None:
        period = _PERIODS.get(period, period)
        if period not in _PERIODS.values():
            raise ValueError(
                f"unknown period {period!r}; valid: year, quarter, month "
                "(or decision_year, decision_quarter, decision_month) or None"
            )
    params = _Params()
    base, _ = _base_sql(
        [period] if period else [],
        where,
        _as_date(date_from, "date_from"),
        _as_date(date_to, "date_to"),
        params,
        from_letters=True,
    )
    pcol = f"any_value({period}) AS {period}, " if period else ""
    pgroup = f"{period}, " if period else ""
    sql = (
        f"WITH base AS ({base}), per_letter AS ("
        f"SELECT letter_id, {pcol}any_value(days_to_decision) AS days, count(item_no) AS k "
        "FROM base GROUP BY letter_id) "
        f"SELECT {pgroup}count(*) AS letters, sum(k)::BIGINT AS items, "
        "count(*) FILTER (WHERE k > 1) AS multi, count(days) AS n_days, "
        "avg(days) AS mean_days, median(days) AS median_days "
        f"FROM per_letter {'GROUP BY ' + period if period else ''}"
    )
    df = con.execute(sql, params.values).df()
    if not period and len(df) and df["letters"].iloc[0] == 0:
        df = df.iloc[0:0]
    df = df.reset_index(drop=True)
    letters = df["letters"].astype("int64")
    items = df["items"].fillna(0).astype("int64")
    multi = df["multi"].astype("int64")
    n_days = df["n_days"].astype("int64")

    hide_letters = _small(letters, min_cell)
    hide_items = _small(items, min_cell)
    hide_multi = hide_letters | _small(multi, min_cell) | _small(letters - multi, min_cell)
    by = [period] if period else []
    masks = {"letters": hide_letters.copy(), "items": hide_items.copy(), "multi": hide_multi.copy()}
    _complement(df, by, masks, {"letters": ("multi",)}, letters)
    hide_letters, hide_items, hide_multi = masks["letters"], masks["items"], masks["multi"]
    hide_days = hide_letters | _small(n_days, min_cell)

    out = df[by].copy()
    if period == "decision_year":
        out[period] = out[period].astype("Int64")
    out["n_letters"] = pd.array(letters, dtype="Int64")
    out["n_items"] = pd.array(items, dtype="Int64")
    out["items_per_letter"] = pd.array(items / letters.where(letters > 0), dtype="Float64")
    out["multi_item_letters"] = pd.array(multi, dtype="Int64")
    out["share_multi_item"] = pd.array(multi / letters.where(letters > 0), dtype="Float64")
    out["mean_days"] = pd.array(df["mean_days"], dtype="Float64")
    out["median_days"] = pd.array(df["median_days"], dtype="Float64")
    out.loc[hide_letters, ["n_letters", "items_per_letter"]] = pd.NA
    out.loc[hide_items, ["n_items", "items_per_letter"]] = pd.NA
    out.loc[hide_multi, ["multi_item_letters", "share_multi_item"]] = pd.NA
    out.loc[hide_days, ["mean_days", "median_days"]] = pd.NA
    out["suppressed"] = (hide_letters | hide_items | hide_multi | hide_days).to_numpy()
    if period:
        out = out.sort_values(period, na_position="last", kind="stable").reset_index(drop=True)
    out.attrs.update(
        {
            "period": period,
            "min_cell": min_cell,
            "suppression_rule": SUPPRESSION_RULE,
            "filters": _filters_attr(where, date_from, date_to),
        }
    )
    return out
