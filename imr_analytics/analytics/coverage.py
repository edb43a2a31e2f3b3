"""What a selection of letters covers, and how it compares with the published reference values.

A report that prints rates without saying what they rest on invites a reader to take a
two-month sample for the corpus. ``coverage`` gathers the facts a reader needs first: letters
and items by layout and decision year, the decision-date window, undated letters, quarantined
files, parse warnings, the share of items the taxonomy left in 'Other', and a check of four
measures against the bands published by DWC and CWCI (``REFERENCE_BANDS``, defined once here as
data, with their sources). All aggregation is SQL; only small tables come back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from imr_analytics.analytics.intervals import (
    clustered_intervals,
    proportion_interval,
    reliability_flags,
)
from imr_analytics.analytics.rates import _as_date, _base_sql, _Params

__all__ = ["MIN_COMPARABLE_MONTHS", "REFERENCE_BANDS", "Coverage", "ReferenceBand", "coverage"]

# A selection shorter than this cannot be set against annual published figures.
MIN_COMPARABLE_MONTHS = 12


@dataclass(frozen=True)
class ReferenceBand:
    """A published range a full-corpus selection should fall in (an alarm, not a truth)."""

    measure: str
    low: float
    high: float
    source: str


# Figures as published by DWC (annual IMR reports, IMR update page) and CWCI (IMR studies),
# collected in the project's ../shared/docs/analytics-anchors.md (sections 6.1 and 6.2).
REFERENCE_BANDS: tuple[ReferenceBand, ...] = (
    ReferenceBand(
        "overall uphold rate",
        0.84,
        0.92,
        "DWC annual IMR reports and CWCI IMR studies, 2013-2024: item-level uphold between 84% "
        "(2013) and 92% (2021, CWCI); 87.3% in 2024 (DWC)",
    ),
    ReferenceBand(
        "items per letter",
        1.55,
        1.9,
        "CWCI decision and letter counts: about 1.9 decisions per letter in 2014-2015 "
        "(260,889 / 137,781), 1.55-1.6 in 2019-2022 (261,708 / 163,899)",
    ),
    ReferenceBand(
        "share of letters with more than one item",
        0.39,
        0.40,
        "CWCI: 39-40% of IMR letters decide more than one treatment request",
    ),
    ReferenceBand(
        "pharmaceutical share of items",
        0.31,
        0.50,
        "DWC and CWCI: pharmaceuticals were about 45-50% of disputed requests in 2014-2015 and "
        "31-34% in 2020-2024",
    ),
)


@dataclass
class Coverage:
    """The coverage facts of one selection (see ``coverage``); plain pandas and Python values."""

    by_layout_year: pd.DataFrame
    date_min: date | None
    date_max: date | None
    n_letters: int
    n_items: int
    n_undated_letters: int
    undated_excluded: bool
    quarantined: pd.DataFrame
    parse_warnings: pd.DataFrame
    other_share: float | None
    n_other: int
    reference_checks: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    # Whether the database holds letters made by the synthetic generator (see
    # ``synthetic_letters``): True when any letter is synthetic, whatever the selection.
    is_synthetic: bool | None = None
    n_synthetic_letters: int = 0

    @property
    def months_spanned(self) -> int:
        """Calendar months from the first to the last decision date, both counted (0 if none)."""
        if self.date_min is None or self.date_max is None:
            return 0
        return (
            (self.date_max.year - self.date_min.year) * 12
            + self.date_max.month
            - self.date_min.month
            + 1
        )


def _as_pydate(value: Any) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def coverage(
    con: duckdb.DuckDBPyConnection,
    *,
    where: Mapping[str, Any] | str | None = None,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
    synthetic: int | None = None,
) -> Coverage:
    """Coverage facts for the letters a report's filters select.

    Letters are selected as ``letter_volumes`` selects them (every letter of the letters table
    that passes the filters; an item-level filter keeps letters with a matching item and counts
    only matching items). ``quarantined`` covers the whole database (load_errors has no letter
    to filter on). When a date filter is given, undated letters are outside the selection;
    ``n_undated_letters`` then counts those the other filters would have kept, and
    ``undated_excluded`` is True.

    Parameters: ``con`` a connection or a ``prepared.SelectionCache``; ``where``,
    ``date_from`` and ``date_to`` as in ``uphold_rates`` (whose docstring lists the dimensions
    ``where`` accepts). ``synthetic``: the database's
    :func:`synthetic_letters` when the caller has it already (on a synthetic database it reads
    every letter's stored text, about 8 s of CPU at a million letters), else it is counted here.
    """
    d_from = _as_date(date_from, "date_from")
    d_to = _as_date(date_to, "date_to")
    from imr_analytics.analytics.prepared import split_source

    cache, con = split_source(con)
    sel = cache.coverage_letters(where, d_from, d_to) if cache else None
    if sel is not None:
        return _coverage_from(con, sel, {}, where, d_from, d_to, synthetic)
    params = _Params()
    base, _ = _base_sql(["item_category"], where, d_from, d_to, params, from_letters=True)
    per_letter = (
        f"WITH base AS ({base}), pl AS (SELECT letter_id, count(item_no) AS k, "
        "count(item_no) FILTER (WHERE decision = 'upheld') AS y, "
        "count(item_no) FILTER (WHERE item_category = 'Pharmaceuticals') AS rx, "
        "count(item_no) FILTER (WHERE item_category = 'Other') AS oth "
        "FROM base GROUP BY letter_id), "
        "sel AS (SELECT pl.*, l.layout, l.decision_date, l.parse_warnings "
        "FROM pl JOIN letters AS l USING (letter_id)) "
    )
    return _coverage_from(con, per_letter, params.values, where, d_from, d_to, synthetic)


def _coverage_from(
    con: duckdb.DuckDBPyConnection,
    per_letter: str,
    values: Mapping[str, Any],
    where: Mapping[str, Any] | str | None,
    d_from: date | None,
    d_to: date | None,
    synthetic: int | None,
) -> Coverage:
    """``coverage`` from ``per_letter``: a WITH clause ending in ``sel``, one row per letter of
    the selection with letter_id, k (decided items), y, rx, oth, layout, decision_date and
    parse_warnings (``SelectionCache`` passes one over its letter table)."""
    params = _Params()
    params.values.update(values)
    by_layout_year = con.execute(
        per_letter + "SELECT layout, year(decision_date) AS decision_year, "
        "count(*) AS n_letters, sum(k)::BIGINT AS n_items FROM sel GROUP BY ALL "
        "ORDER BY layout NULLS LAST, decision_year NULLS LAST",
        params.values,
    ).df()
    by_layout_year["decision_year"] = by_layout_year["decision_year"].astype("Int64")
    by_layout_year["n_letters"] = by_layout_year["n_letters"].astype("int64")
    by_layout_year["n_items"] = by_layout_year["n_items"].fillna(0).astype("int64")

    t = (
        con.execute(
            per_letter + "SELECT count(*) AS letters, "
            "count(*) FILTER (WHERE k > 0) AS clusters, "
            "coalesce(sum(k), 0)::DOUBLE AS items, coalesce(sum(y), 0)::DOUBLE AS up, "
            "coalesce(sum(rx), 0)::DOUBLE AS rx, coalesce(sum(oth), 0)::BIGINT AS oth, "
            "coalesce(sum(k * k), 0)::DOUBLE AS s_kk, coalesce(sum(y * y), 0)::DOUBLE AS s_yy, "
            "coalesce(sum(y * k), 0)::DOUBLE AS s_yk, coalesce(sum(rx * rx), 0)::DOUBLE AS s_rr, "
            "coalesce(sum(rx * k), 0)::DOUBLE AS s_rk, "
            "count(*) FILTER (WHERE k > 1) AS multi, stddev_samp(k) AS sd_k, "
            "min(decision_date) AS date_min, max(decision_date) AS date_max, "
            "count(*) FILTER (WHERE decision_date IS NULL) AS undated FROM sel",
            params.values,
        )
        .df()
        .iloc[0]
    )
    n_letters = int(t["letters"])
    n_items = int(t["items"])
    undated_excluded = d_from is not None or d_to is not None
    if undated_excluded:
        p2 = _Params()
        base2, _ = _base_sql([], where, None, None, p2, from_letters=True)
        n_undated = int(
            con.execute(
                f"SELECT count(DISTINCT letter_id) FROM ({base2}) WHERE decision_date IS NULL",
                p2.values,
            ).fetchone()[0]
        )
    else:
        n_undated = int(t["undated"])

    warnings_df = con.execute(
        per_letter + "SELECT split_part(w, ':', 1) AS warning, count(DISTINCT letter_id) "
        "AS n_letters FROM (SELECT letter_id, unnest(parse_warnings) AS w FROM sel) "
        "GROUP BY ALL ORDER BY n_letters DESC, warning",
        params.values,
    ).df()
    quarantined = con.execute(
        "SELECT stage, CASE WHEN regexp_matches(reason, '^[a-z_]+:') "
        "THEN split_part(reason, ':', 1) ELSE reason END AS reason, count(*) AS n_files "
        "FROM load_errors GROUP BY ALL ORDER BY n_files DESC, stage, reason"
    ).df()

    cov = Coverage(
        by_layout_year=by_layout_year,
        date_min=_as_pydate(t["date_min"]),
        date_max=_as_pydate(t["date_max"]),
        n_letters=n_letters,
        n_items=n_items,
        n_undated_letters=n_undated,
        undated_excluded=undated_excluded,
        quarantined=quarantined,
        parse_warnings=warnings_df,
        other_share=(int(t["oth"]) / n_items) if n_items else None,
        n_other=int(t["oth"]),
        reference_checks=pd.DataFrame(),
    )
    cov.n_synthetic_letters = synthetic_letters(con) if synthetic is None else int(synthetic)
    cov.is_synthetic = cov.n_synthetic_letters > 0
    cov.reference_checks = _reference_checks(t, cov)
    cov.warnings = _warnings(cov)
    return cov


def synthetic_letters(con: duckdb.DuckDBPyConnection) -> int:
    """How many letters of the database the synthetic generator wrote.

    Derived from the stored text (each synthetic letter's extracted text opens with the
    generator's marker line, ``parse.normalize.SYNTHETIC_MARKER``, which no DWC letter has), so
    it holds for every database ever built. Each load and reparse also stores the count with a
    fingerprint of what it counted, and that count is read instead while the database is still
    what it counted (``store.synthetic.count``).
    """
    from imr_analytics.store import synthetic

    return synthetic.count(con)


def _reference_checks(t: pd.Series, cov: Coverage) -> pd.DataFrame:
    """Each measure of ``REFERENCE_BANDS`` with its value, 95% interval and status."""
    from scipy.special import stdtrit

    letters, clusters, items = float(t["letters"]), float(t["clusters"]), float(t["items"])
    uphold = clustered_intervals(
        [items], [t["up"]], [clusters], [t["s_kk"]], [t["s_yy"]], [t["s_yk"]]
    )
    rx = clustered_intervals([items], [t["rx"]], [clusters], [t["s_kk"]], [t["s_rr"]], [t["s_rk"]])
    multi_low, multi_high = proportion_interval([t["multi"]], [letters], "clopper-pearson")
    values: dict[str, tuple[float, float, float, bool]] = {}

    def add(measure: str, value: float, low: float, high: float, eff: float) -> None:
        ok, _ = reliability_flags([value], [low], [high], [eff])
        values[measure] = (value, low, high, bool(ok[0]))

    if items > 0:
        add(
            "overall uphold rate",
            float(uphold["p"][0]),
            float(uphold["ci_low"][0]),
            float(uphold["ci_high"][0]),
            float(uphold["effective_n"][0]),
        )
        add(
            "pharmaceutical share of items",
            float(rx["p"][0]),
            float(rx["ci_low"][0]),
            float(rx["ci_high"][0]),
            float(rx["effective_n"][0]),
        )
    if letters > 0:
        add(
            "share of letters with more than one item",
            float(t["multi"]) / letters,
            float(multi_low[0]),
            float(multi_high[0]),
            letters,
        )
    if letters > 1 and pd.notna(t["sd_k"]):
        mean = items / letters
        half = float(stdtrit(letters - 1, 0.975)) * float(t["sd_k"]) / np.sqrt(letters)
        # a mean is reliable enough to compare once 30 letters carry it (same floor as above)
        values["items per letter"] = (mean, mean - half, mean + half, letters >= 30)
    short = cov.months_spanned < MIN_COMPARABLE_MONTHS
    rows = []
    for band in REFERENCE_BANDS:
        value, low, high, reliable = values.get(
            band.measure, (float("nan"), float("nan"), float("nan"), False)
        )
        if short or not reliable or np.isnan(value):
            status = "not comparable"
        elif high < band.low or low > band.high:
            status = "out of band"
        else:
            status = "in band"
        rows.append(
            {
                "measure": band.measure,
                "value": value,
                "ci_low": low,
                "ci_high": high,
                "band_low": band.low,
                "band_high": band.high,
                "source": band.source,
                "status": status,
                # marked like every rate of the report: the value alone is not leaned on (a
                # missing value is a dash, with nothing to mark)
                "reliable": bool(reliable) or bool(np.isnan(value)),
            }
        )
    return pd.DataFrame(rows)


def _warnings(cov: Coverage) -> list[str]:
    """Plain sentences for what limits a comparison with published figures."""
    out = []
    if cov.n_letters == 0:
        return ["The selection holds no letters."]
    months = cov.months_spanned
    if months == 0:
        out.append(
            "No letter in the selection has a decision date: not comparable with "
            "annual published figures."
        )
    elif months < MIN_COMPARABLE_MONTHS:
        out.append(
            f"The selection spans {months} month{'s' if months != 1 else ''} "
            f"(< {MIN_COMPARABLE_MONTHS}): not comparable with annual published figures."
        )
    unreliable = cov.reference_checks[
        (cov.reference_checks["status"] == "not comparable")
        & ~cov.reference_checks["measure"].isna()
    ]
    if months >= MIN_COMPARABLE_MONTHS and len(unreliable):
        out.append(
            "Too few letters to compare with the published value: "
            + ", ".join(unreliable["measure"])
            + "."
        )
    if cov.n_undated_letters:
        one = cov.n_undated_letters == 1
        letters = f"{cov.n_undated_letters:,} letter{'' if one else 's'} without a decision date"
        if cov.undated_excluded:
            out.append(f"{letters} {'is' if one else 'are'} left out by the date filter.")
        else:
            out.append(
                f"{letters} {'is' if one else 'are'} counted but "
                f"{'falls' if one else 'fall'} in no year."
            )
    n_quarantined = int(cov.quarantined["n_files"].sum()) if len(cov.quarantined) else 0
    if n_quarantined:
        one = n_quarantined == 1
        out.append(
            f"{n_quarantined:,} file{'' if one else 's'} in the database's loads "
            f"{'was' if one else 'were'} quarantined (not read as letters)."
        )
    return out
