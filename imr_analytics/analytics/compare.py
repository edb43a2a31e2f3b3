"""Adjusted comparisons of uphold rates: a logistic model with letter-clustered standard errors.

A raw gap between two groups mixes the effect of the group with what the groups were asked to
decide (ODG is cited for other treatments than MTUS). ``compare_rates`` fits a logistic model of
uphold on the dimension, plus the ``adjust`` dimensions, with standard errors clustered by letter
(items of one letter are not independent), and reports per level the raw rate, the adjusted rate
(average marginal prediction: every item set to that level), the odds ratio against a reference
level with its 95% interval and p-value, Holm-adjusted p-values across the levels, and the joint
Wald test of the dimension. These are associations in observational data, not causal effects.

Every term is categorical, so the model is fitted on one row per covariate pattern and
outcome with its item count as a frequency weight (a few hundred rows, whatever the number of
items: the same likelihood, maximum and Hessian as the items'). The letter-clustered covariance
needs the letters only through each letter's summed score, which a second query's per-(letter,
pattern) counts give; it is statsmodels' ``cov_type="cluster"`` formula, small-sample factor
over items included. At a million letters this replaced a 2.4-million-row design matrix (several
GB in statsmodels) by a few MB. Results agree with the item-level fit to about 1e-12 relative
(p-values of 1e-35 amplify the last bits of z). statsmodels is imported when the function is
first called.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from imr_analytics.analytics.intervals import clustered_intervals, reliability_flags
from imr_analytics.analytics.rates import (
    DIMENSIONS,
    _as_date,
    _base_sql,
    _check_dims,
    _Params,
    describe_filters,
)

__all__ = ["MIN_LEVEL_ITEMS", "compare_rates"]


def _single_valued_names(indent: str = "        ") -> str:
    names = ", ".join(name for name, d in DIMENSIONS.items() if not d.multi_valued)
    return textwrap.fill(names, 92, initial_indent=indent, subsequent_indent=indent).lstrip()


# Levels with fewer items than this are pooled: a handful of items cannot carry a coefficient.
MIN_LEVEL_ITEMS = 30
POOLED = "other"

COLUMNS = [
    "n",
    "n_letters",
    "uphold_rate",
    "adjusted_rate",
    "odds_ratio",
    "or_ci_low",
    "or_ci_high",
    "p_value",
    "p_holm",
    "is_reference",
    "reliable",
    "reliability_note",
    "ci_low",
    "ci_high",
]


def _refuse_multi_valued(name: str, role: str) -> None:
    dim = DIMENSIONS[name]
    if not dim.multi_valued:
        return
    instead = (
        "use a single-valued counterpart: " + ", ".join(dim.single_valued)
        if dim.single_valued
        else "use a single-valued dimension instead"
    )
    raise ValueError(
        f"{role} dimension {name!r} is multi-valued (an item counts once under each of its "
        f"values), so it cannot be a term of a model; {instead}."
    )


def _pooled_label(levels: Sequence[str]) -> str:
    """'other', unless the dimension has a real level of that name."""
    return POOLED if POOLED not in set(levels) else f"{POOLED} (pooled)"


def _pool_adjust(col: pd.Series, w: pd.Series, name: str, notes: list[str]) -> pd.Series:
    """Pool adjust levels with fewer than 30 items into 'other' (``w``: items per row)."""
    sizes = w.groupby(col).sum()
    sparse = [str(v) for v in sizes.index[sizes < MIN_LEVEL_ITEMS]]
    if not sparse:
        return col
    label = _pooled_label(list(sizes.index))
    notes.append(
        f"{name}: levels with fewer than {MIN_LEVEL_ITEMS} items pooled into {label!r}: "
        f"{', '.join(sorted(sparse))}."
    )
    return col.where(~col.isin(sparse), label)


def _pool_by(
    col: pd.Series, y: pd.Series, w: pd.Series, name: str, notes: list[str]
) -> tuple[pd.Series, Any]:
    """Sparse levels of the compared dimension: pooled, kept with a note, or dropped.

    A level without outcome variation (all upheld or all overturned) has no finite odds ratio;
    one with fewer than 30 items has a poor one. Two or more such levels are pooled into
    'other'; a single one with both outcomes stays as itself (pooling would only rename it)
    and its row is marked not reliable; a pool or level with one outcome only is dropped.
    Rows stand for ``w`` items each with outcome ``y``. Returns the column and a keep-mask.
    """
    stats = pd.DataFrame({"size": w.groupby(col).sum(), "sum": (y * w).groupby(col).sum()})
    novar = (stats["sum"] == 0) | (stats["sum"] == stats["size"])
    small = stats["size"] < MIN_LEVEL_ITEMS
    cand = [str(v) for v in stats.index[novar | small]]
    keep = pd.Series(True, index=col.index)
    if not cand:
        return col, keep
    if len(cand) == 1:
        v = cand[0]
        if novar[v]:
            notes.append(
                f"{name}: level {v!r} ({int(stats.loc[v, 'size']):,} items) has one outcome "
                "only, so no finite odds ratio: left out of the model."
            )
            return col, col != v
        notes.append(
            f"{name}: level {v!r} has only {int(stats.loc[v, 'size']):,} items (< "
            f"{MIN_LEVEL_ITEMS}); kept, but its odds ratio rests on few items."
        )
        return col, keep
    label = _pooled_label(list(stats.index))
    col = col.where(~col.isin(cand), label)
    in_rest = col == label
    rest_n, rest_y = int(w[in_rest].sum()), int((y * w)[in_rest].sum())
    if rest_y in (0, rest_n):
        notes.append(
            f"{name}: levels with fewer than {MIN_LEVEL_ITEMS} items or one outcome only "
            f"({', '.join(sorted(cand))}; {rest_n:,} items) left out of the model: even "
            "pooled they have one outcome only."
        )
        return col, col != label
    notes.append(
        f"{name}: levels with fewer than {MIN_LEVEL_ITEMS} items or one outcome only pooled "
        f"into {label!r}: {', '.join(sorted(cand))}"
        + (f" (still only {rest_n:,} items)." if rest_n < MIN_LEVEL_ITEMS else ".")
    )
    return col, keep


def compare_rates(
    con: duckdb.DuckDBPyConnection,
    by: str,
    *,
    where: Mapping[str, Any] | str | None = None,
    adjust: Sequence[str] = (),
    reference: Any = None,
    date_from: date | datetime | str | None = None,
    date_to: date | datetime | str | None = None,
) -> pd.DataFrame:
    """Raw and adjusted uphold rates per level of ``by``, with odds ratios and tests.

    Logistic GLM (Binomial, logit) of upheld on ``by`` plus the ``adjust`` dimensions as
    categorical terms, standard errors clustered by letter (statsmodels ``cov_type="cluster"``).
    Items with a missing value in a model dimension are left out (said in ``attrs["notes"]``);
    adjust levels with fewer than 30 items, and ``by`` levels with fewer than 30 items or no
    outcome variation, are pooled into 'other' (a single such level with both outcomes stays
    as itself, marked; one with a single outcome is dropped). The reference is the most
    frequent level unless given. Level labels are strings. See the module docstring and
    docs/statistics.md.

    Parameters
    ----------
    con
        A connection to a database built by ``imr-analytics load``.
    by
        The single-valued dimension whose levels are compared (below).
    where, date_from, date_to
        Filters, as in ``uphold_rates``.
    adjust
        Single-valued dimensions to adjust for (categorical terms), e.g.
        ``["item_category", "decision_year"]``.
    reference
        The level the odds ratios are against (default: the most frequent).

    Dimensions usable in ``by`` and ``adjust`` (multi-valued ones cannot be model terms)
        {dimensions}
    """
    import statsmodels.api as sm
    from scipy.stats import norm
    from statsmodels.stats.multitest import multipletests

    if not isinstance(by, str):
        raise TypeError("by must be one dimension name (a string)")
    adjust = [adjust] if isinstance(adjust, str) else list(adjust)
    dims = _check_dims([by, *adjust])
    if len(set(dims)) != len(dims):
        raise ValueError(f"repeated dimension in by/adjust: {dims}")
    _refuse_multi_valued(by, "by")
    for d in adjust:
        _refuse_multi_valued(d, "adjust")

    params = _Params()
    base, _ = _base_sql(
        dims,
        where,
        _as_date(date_from, "date_from"),
        _as_date(date_to, "date_to"),
        params,
        extra=["l.rowid AS _letter_key"],
    )
    cols = ", ".join(f"CAST({d} AS VARCHAR) AS {d}" for d in dims)
    # One row per covariate pattern and outcome with its item count (w): every term of the
    # model is categorical, so the likelihood, its maximum and its Hessian are those of the
    # items, from a few hundred rows instead of millions (frequency weights). Only the
    # letter-clustered "meat" needs the letters; it is summed per letter below.
    data = con.execute(
        f"SELECT {cols}, CAST(decision = 'upheld' AS INTEGER) AS y, count(*) AS w "
        f"FROM ({base}) GROUP BY ALL ORDER BY ALL",
        params.values,
    ).df()
    notes: list[str] = []
    missing = data[dims].isna().any(axis=1)
    if missing.any():
        notes.append(
            f"{int(data['w'][missing].sum()):,} items with a missing value in "
            f"{', '.join(dims)} left out."
        )
        data = data[~missing]
    data = data.reset_index(drop=True)
    raw_values = data[[*dims, "y"]].copy()
    for d in dims:
        data[d] = data[d].astype(str)
    data[by], keep = _pool_by(data[by], data["y"], data["w"], by, notes)
    data = data[keep].reset_index(drop=True)
    raw_values = raw_values[keep.to_numpy()].reset_index(drop=True)
    used_adjust = []
    for d in adjust:
        data[d] = _pool_adjust(data[d], data["w"], d, notes)
        if data[d].nunique() < 2:
            notes.append(f"{d}: one level left in the selection; not adjusted for.")
        else:
            used_adjust.append(d)

    sizes = data["w"].groupby(data[by]).sum()
    if len(sizes) < 2:
        raise ValueError(
            f"nothing to compare: {by!r} has {len(sizes)} usable level(s) in the selection "
            f"(levels need {MIN_LEVEL_ITEMS} items and both outcomes)"
        )
    levels = _level_order(by, sizes)
    if reference is None:
        ref = sorted(sizes.index, key=lambda v: (-sizes[v], v))[0]
    else:
        ref = str(reference)
        if ref not in sizes.index:
            raise ValueError(
                f"reference {reference!r} is not a level of {by!r} in the model; levels: "
                + ", ".join(levels)
            )

    # model matrix: intercept, by dummies (reference left out), adjust dummies (most frequent
    # level left out)
    others = [v for v in levels if v != ref]
    blocks = [pd.DataFrame({"Intercept": np.ones(len(data))})]
    by_cols = [f"{by}[{v}]" for v in others]
    blocks.append(
        pd.DataFrame(
            {c: (data[by] == v).astype(float) for c, v in zip(by_cols, others, strict=True)}
        )
    )
    adj_refs = {}
    for d in used_adjust:
        counts = data["w"].groupby(data[d]).sum()
        adj_refs[d] = sorted(counts.index, key=lambda v: (-counts[v], v))[0]
        for v in sorted(set(counts.index) - {adj_refs[d]}):
            blocks.append(pd.DataFrame({f"{d}[{v}]": (data[d] == v).astype(float)}))
    X = pd.concat(blocks, axis=1)
    weights = data["w"].astype(float).to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = sm.GLM(
            data["y"].astype(float), X, family=sm.families.Binomial(), freq_weights=weights
        ).fit()
    if not fit.converged or any("separation" in str(w.message).lower() for w in caught):
        notes.append(
            "The fit reports (quasi-)separation or did not converge: some adjust level has "
            "(nearly) one outcome only; odds ratios of the compared levels may be unstable."
        )
    letters, row_of, count = _per_letter_rows(con, base, params, dims, raw_values)
    n_model = int(weights.sum())
    fit._results.cov_params_default = _cluster_cov(
        fit, X, data["y"].to_numpy(dtype=float), letters, row_of, count, n_model
    )

    # odds ratios, intervals, p-values
    z = norm.ppf(0.975)
    beta = fit.params
    se = fit.bse
    pvals = fit.pvalues
    holm = multipletests(pvals[by_cols].to_numpy(), method="holm")[1] if by_cols else np.array([])
    holm_by = dict(zip(by_cols, holm, strict=True))
    # Wald test of all by terms at once, cluster-robust
    R = np.zeros((len(by_cols), len(beta)))
    for row_i, c in enumerate(by_cols):
        R[row_i, list(X.columns).index(c)] = 1.0
    wald = fit.wald_test(R, scalar=True, use_f=False)
    wald_chi2 = float(np.squeeze(wald.statistic))
    wald_p = float(np.squeeze(wald.pvalue))

    # average marginal predictions: every item set to each level in turn
    eta = X.to_numpy() @ beta.to_numpy()
    by_effect = X[by_cols].to_numpy() @ beta[by_cols].to_numpy() if by_cols else 0.0
    eta0 = eta - by_effect

    # raw rates with their letter-clustered intervals: per level and letter, m items, y upheld
    level_of_row = pd.Categorical(data[by], categories=levels).codes.astype(np.int64)
    up = data["y"].to_numpy()[row_of] * count
    key = level_of_row[row_of] * (int(letters.max()) + 1 if len(letters) else 1) + letters
    cells, cell = np.unique(key, return_inverse=True)
    m_cell = np.bincount(cell, weights=count)
    y_cell = np.bincount(cell, weights=up)
    lev = cells // (int(letters.max()) + 1 if len(letters) else 1)
    L = len(levels)
    agg = pd.DataFrame(
        {
            "n": np.bincount(lev, weights=m_cell, minlength=L),
            "y": np.bincount(lev, weights=y_cell, minlength=L),
            "k": np.bincount(lev, minlength=L),
            "mm": np.bincount(lev, weights=m_cell * m_cell, minlength=L),
            "yy": np.bincount(lev, weights=y_cell * y_cell, minlength=L),
            "ym": np.bincount(lev, weights=y_cell * m_cell, minlength=L),
        },
        index=levels,
    )
    ci = clustered_intervals(agg["n"], agg["y"], agg["k"], agg["mm"], agg["yy"], agg["ym"])
    ok, rel_notes = reliability_flags(ci["p"], ci["ci_low"], ci["ci_high"], ci["effective_n"])

    rows = []
    for i, v in enumerate(levels):
        col = f"{by}[{v}]"
        is_ref = v == ref
        b = 0.0 if is_ref else float(beta[col])
        rows.append(
            {
                by: v,
                "n": int(agg["n"].iloc[i]),
                "n_letters": int(agg["k"].iloc[i]),
                "uphold_rate": float(ci["p"][i]),
                "adjusted_rate": float(
                    np.sum(weights * (1.0 / (1.0 + np.exp(-(eta0 + b))))) / n_model
                ),
                "odds_ratio": 1.0 if is_ref else float(np.exp(b)),
                "or_ci_low": np.nan if is_ref else float(np.exp(b - z * se[col])),
                "or_ci_high": np.nan if is_ref else float(np.exp(b + z * se[col])),
                "p_value": np.nan if is_ref else float(pvals[col]),
                "p_holm": np.nan if is_ref else float(holm_by[col]),
                "is_reference": is_ref,
                "reliable": bool(ok[i]),
                "reliability_note": rel_notes[i],
                "ci_low": float(ci["ci_low"][i]),
                "ci_high": float(ci["ci_high"][i]),
            }
        )
    out = pd.DataFrame(rows, columns=[by, *COLUMNS])
    for c in ("or_ci_low", "or_ci_high", "p_value", "p_holm"):
        out[c] = pd.array(out[c], dtype="Float64")
    out["reliability_note"] = out["reliability_note"].astype("string")
    terms = [
        f"C({by}, reference={ref!r})",
        *(f"C({d}, reference={adj_refs[d]!r})" for d in used_adjust),
    ]
    out.attrs.update(
        {
            "by": by,
            "reference": ref,
            "adjust": used_adjust,
            "wald_chi2": wald_chi2,
            "wald_df": len(by_cols),
            "wald_p": wald_p,
            "n_model": n_model,
            "n_letters_model": int(len(np.unique(letters))),
            "notes": notes,
            "formula": "upheld ~ " + " + ".join(terms),
            "filters": describe_filters(where, date_from, date_to),
            "note": (
                "Logistic model of uphold, standard errors clustered by letter; odds ratios "
                f"against {ref!r}; adjusted rate = average prediction with every item set to "
                "the level. Associations, not causes."
            ),
        }
    )
    return out


def _per_letter_rows(
    con: duckdb.DuckDBPyConnection,
    base: str,
    params: _Params,
    dims: list[str],
    raw_values: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How the model's items fall into letters: per (letter, model row) the letter's index
    (0..letters-1), the row of the model data and the number of items.

    Model row r is one (covariate values, outcome) pattern; ``raw_values`` holds its values
    as stored (before pooling), so rows dropped from the model, and items with a missing
    value, find no row and stay out.
    """
    rows = raw_values.copy()
    rows["_row"] = np.arange(len(rows), dtype=np.int64)
    name = f"_imr_model_rows_{id(rows)}"
    match = " AND ".join(
        [f"CAST(b.{d} AS VARCHAR) = r.{d}" for d in dims]
        + ["CAST(b.decision = 'upheld' AS INTEGER) = r.y"]
    )
    con.register(name, rows)
    try:
        got = con.execute(
            f"SELECT b._letter_key AS k, r._row AS r, count(*) AS c FROM ({base}) AS b "
            f"JOIN {name} AS r ON {match} GROUP BY ALL",
            params.values,
        ).fetchnumpy()
    finally:
        con.unregister(name)
    _, letters = np.unique(np.asarray(got["k"], dtype=np.int64), return_inverse=True)
    return letters, np.asarray(got["r"], dtype=np.int64), np.asarray(got["c"], dtype=float)


# Letters whose scores are held at once by ``_cluster_cov`` (65,536 x 30 parameters: 16 MB).
_SCORE_BLOCK = 65_536


def _cluster_cov(
    fit: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    letters: np.ndarray,
    row_of: np.ndarray,
    count: np.ndarray,
    n_items: int,
) -> np.ndarray:
    """Letter-clustered covariance of the fit, as statsmodels' ``cov_type="cluster"`` on the
    items: inverse Hessian, the outer product of the scores summed per letter, inverse Hessian,
    times the small-sample factor G / (G - 1) * (N - 1) / (N - K) over items N.

    An item's score is its row's score factor times its covariates; a letter's score sums
    them, row by row with the item counts, so the items never leave the database.
    """
    res = fit._results
    model = res.model
    beta = np.asarray(res.params)
    xs = X.to_numpy()
    mu = model.family.fitted(xs @ beta)
    # statsmodels' GLM.score_factor for one item of each row (iweights and n_trials are 1)
    factor = (y - mu) / model.family.link.deriv(mu)
    factor /= model.family.variance(mu)
    n_groups = int(letters.max()) + 1 if len(letters) else 0
    per_record = count * factor[row_of]
    # The letters' scores in blocks of _SCORE_BLOCK letters, each block's outer products added
    # to the meat: a million letters' scores at once were n_groups x parameters doubles (about
    # 200 MB), the largest allocation of a report. A database under one block is summed as one.
    order = np.argsort(letters, kind="stable")
    letters, row_of, per_record = letters[order], row_of[order], per_record[order]
    meat = np.zeros((xs.shape[1], xs.shape[1]))
    for start in range(0, n_groups, _SCORE_BLOCK):
        stop = min(start + _SCORE_BLOCK, n_groups)
        lo, hi = np.searchsorted(letters, [start, stop])
        block = np.empty((stop - start, xs.shape[1]))
        local, rows, weight = letters[lo:hi] - start, row_of[lo:hi], per_record[lo:hi]
        for j in range(xs.shape[1]):
            block[:, j] = np.bincount(local, weights=weight * xs[rows, j], minlength=stop - start)
        meat += block.T @ block
    hessian_inv = np.linalg.inv(model.hessian(beta))
    cov = np.dot(np.dot(hessian_inv, meat), hessian_inv.T)
    k_params = xs.shape[1]
    cov *= n_groups / (n_groups - 1.0) * ((n_items - 1.0) / float(n_items - k_params))
    return cov


def _level_order(by: str, sizes: pd.Series) -> list[str]:
    """Ordinal dimensions in natural order, nominal ones by n (largest first), then label."""
    dim = DIMENSIONS[by]
    values = list(sizes.index)
    if dim.sort == "order":
        rank = {v: k for k, v in enumerate(dim.order)}
        return sorted(values, key=lambda v: (rank.get(v, len(rank)), v))
    if dim.ordinal:
        return sorted(values, key=lambda v: (v.startswith(POOLED), v))
    return sorted(values, key=lambda v: (-sizes[v], v))


if compare_rates.__doc__:  # None under python -OO
    compare_rates.__doc__ = compare_rates.__doc__.replace("{dimensions}", _single_valued_names())
