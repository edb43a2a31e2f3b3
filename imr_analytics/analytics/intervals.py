"""Letter-clustered intervals for proportions and the NCHS reliability standard.

Items of one letter share a worker, a reviewer and a record, so they are not independent draws:
an interval that treats them as such is too narrow. Following the NCHS Data Presentation
Standards for Proportions (Parker JD, Talih M, Malec DJ, et al., Vital Health Stat 2(175), 2017)
the letter is the cluster:

- the variance of a proportion p = sum(y_i) / sum(m_i) over letters i (y_i upheld items of m_i)
  is the ratio-estimator (linearisation) variance of cluster totals,
  ``k / (k - 1) * sum((y_i - p * m_i) ** 2) / n ** 2`` with k letters and n items (the same
  number as a logistic intercept-only fit with letter-clustered standard errors gives);
- the design effect is that variance over the binomial one, ``p (1 - p) / (n - 1)`` (the
  variance of a mean of n independent 0/1 items with the usual n - 1, matching the k / (k - 1)
  above, as survey software computes it), floored at 1;
  when p is 0 or 1 it cannot be estimated and is 1 (NCHS: the effective n is then n); a group
  from one letter has no between-letter variance to estimate from, and its letter counts as one
  observation (design effect n);
- the effective sample size is ``n / deff``;
- the Korn-Graubard interval is Clopper-Pearson on the effective n with x = p * n_eff, after
  Korn and Graubard's degrees-of-freedom factor ``(t(n - 1) / t(k - 1)) ** 2`` on the effective n
  (k - 1 design degrees of freedom, one stratum), as ``survey::svyciprop(method="beta")`` does;
  ``method="wilson"`` uses the Wilson score interval on the same effective n.

The beta and score quantiles come from statsmodels (``proportion_confint``) and scipy; nothing
here hand-codes a distribution.

Reliability (NCHS 2017): a proportion is not reliable when its effective n is under 30, or its
interval is 30 percentage points wide or more, or the interval is wider than 5 points and its
width relative to the smaller of p and 1 - p exceeds 130 %. NCHS suppresses such estimates; we
show them, marked, since the letters are public documents (docs/statistics.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "INTERVAL_METHODS",
    "RELIABILITY_RULE",
    "clustered_intervals",
    "clustered_proportion",
    "proportion_interval",
    "reliability",
    "reliability_flags",
]

INTERVAL_METHODS = ("korn-graubard", "wilson")

# NCHS Vital Health Stat 2(175), 2017: the thresholds, defined once.
MIN_EFFECTIVE_N = 30
MAX_WIDTH = 0.30
RELATIVE_WIDTH_FROM = 0.05
MAX_RELATIVE_WIDTH = 1.30

RELIABILITY_RULE = (
    f"A rate is marked unreliable (NCHS 2017 standard for proportions) when its effective sample "
    f"size is under {MIN_EFFECTIVE_N}, when its 95% interval is {MAX_WIDTH * 100:.0f} percentage "
    f"points wide or more, or when the interval is wider than {RELATIVE_WIDTH_FROM * 100:.0f} "
    f"points and its width exceeds {MAX_RELATIVE_WIDTH * 100:.0f}% of the smaller of the rate "
    "and its complement."
)

INTERVAL_NOTE = {
    "korn-graubard": (
        "Korn-Graubard (Clopper-Pearson on the effective sample size, letters as clusters)"
    ),
    "wilson": "Wilson on the effective sample size (letters as clusters)",
}


def check_method(method: str) -> str:
    """The interval method name, or a ValueError naming the choices."""
    if method not in INTERVAL_METHODS:
        raise ValueError(
            f"unknown interval method {method!r}: use one of "
            + ", ".join(repr(m) for m in INTERVAL_METHODS)
        )
    return method


def proportion_interval(
    count: Any,
    nobs: Any,
    method: str = "wilson",
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised two-sided binomial interval for count/nobs by statsmodels' ``proportion_confint``.

    ``method`` is 'wilson' or 'clopper-pearson' (alias 'beta'); counts and sizes may be
    fractional (effective sizes). This is the plain interval for independent units (letters
    counted as letters); rates over items go through ``clustered_intervals``. Rows with
    nobs <= 0 get NaN. statsmodels is imported here, so importing the package stays fast.
    """
    from statsmodels.stats.proportion import proportion_confint

    methods = {"wilson": "wilson", "clopper-pearson": "beta", "beta": "beta"}
    key = methods.get(str(method).lower())
    if key is None:
        raise ValueError(f"unknown interval method {method!r}: use 'wilson' or 'clopper-pearson'")
    x = np.atleast_1d(np.asarray(count, dtype=float))
    n = np.atleast_1d(np.asarray(nobs, dtype=float))
    bad = ~(n > 0)
    safe_n = np.where(bad, 1.0, n)
    safe_x = np.clip(np.where(bad, 0.0, x), 0.0, safe_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        low, high = proportion_confint(safe_x, safe_n, alpha=alpha, method=key)
    low = np.where(safe_x <= 0, 0.0, np.clip(low, 0.0, 1.0))
    high = np.where(safe_x >= safe_n, 1.0, np.clip(high, 0.0, 1.0))
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def clustered_intervals(
    n: Any,
    upheld: Any,
    n_clusters: Any,
    sum_m2: Any,
    sum_y2: Any,
    sum_ym: Any,
    *,
    method: str = "korn-graubard",
    alpha: float = 0.05,
) -> dict[str, np.ndarray]:
    """Clustered interval per group from cluster-level sums, vectorised over groups.

    Inputs per group: items ``n`` (= sum m_i), upheld items (= sum y_i), letters k, and the sums
    of m_i**2, y_i**2 and y_i*m_i over its letters; these are what a SQL aggregate over per-letter
    subtotals returns, so the per-item data never leave the database. Returns arrays p, ci_low,
    ci_high, design_effect, effective_n (n / deff) and df_effective_n (the effective n after the
    degrees-of-freedom factor, which the interval uses).
    """
    from scipy.stats import t as student_t

    check_method(method)
    n = np.asarray(n, dtype=float)
    y = np.asarray(upheld, dtype=float)
    k = np.asarray(n_clusters, dtype=float)
    s_mm = np.asarray(sum_m2, dtype=float)
    s_yy = np.asarray(sum_y2, dtype=float)
    s_ym = np.asarray(sum_ym, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(n > 0, y / np.where(n > 0, n, 1.0), np.nan)
        # sum (y_i - p m_i)^2 expanded, so the database returns three sums instead of rows
        ss = np.maximum(s_yy - 2.0 * p * s_ym + p * p * s_mm, 0.0)
        var_cluster = np.where(k > 1, k / np.where(k > 1, k - 1.0, 1.0) * ss / (n * n), np.nan)
        # binomial variance with the same n - 1 small-sample convention as the cluster
        # variance's k / (k - 1), so items in one-item letters have a design effect of exactly 1
        var_binom = np.where(n > 1, p * (1.0 - p) / np.where(n > 1, n - 1.0, 1.0), 0.0)
        deff = np.where((var_binom > 0) & (k > 1), np.maximum(var_cluster / var_binom, 1.0), 1.0)
        # one letter: nothing to estimate between-letter variation from; it counts as one
        deff = np.where((k == 1) & (n > 1), n, deff)
        deff = np.where(n > 0, deff, np.nan)
        eff = n / deff
        # Korn-Graubard degrees-of-freedom factor: t quantile on n - 1 over t on k - 1
        q = 1.0 - alpha / 2.0
        t_n = student_t.ppf(q, np.where(n > 1, n - 1.0, 1.0))
        t_k = student_t.ppf(q, np.where(k > 1, k - 1.0, 1.0))
        factor = np.where((k > 1) & (n > 1), np.minimum((t_n / t_k) ** 2, 1.0), 1.0)
    eff_df = eff * factor
    cp = "clopper-pearson" if method == "korn-graubard" else "wilson"
    low, high = proportion_interval(p * eff_df, eff_df, cp, alpha)
    return {
        "p": p,
        "ci_low": low,
        "ci_high": high,
        "design_effect": deff,
        "effective_n": eff,
        "df_effective_n": eff_df,
    }


def clustered_proportion(
    y_by_cluster: Sequence[float] | np.ndarray,
    n_by_cluster: Sequence[float] | np.ndarray,
    *,
    method: str = "korn-graubard",
    alpha: float = 0.05,
) -> dict[str, float]:
    """Clustered interval of one proportion from per-cluster successes and sizes.

    The reference implementation of what ``uphold_rates`` computes in SQL: clusters of size 0
    are ignored. Keys: p, ci_low, ci_high, n, n_clusters, design_effect, effective_n.
    """
    y = np.asarray(y_by_cluster, dtype=float)
    m = np.asarray(n_by_cluster, dtype=float)
    if y.shape != m.shape:
        raise ValueError("y_by_cluster and n_by_cluster must have the same length")
    if np.any(y < 0) or np.any(y > m):
        raise ValueError("every cluster needs 0 <= successes <= size")
    keep = m > 0
    y, m = y[keep], m[keep]
    res = clustered_intervals(
        [m.sum()],
        [y.sum()],
        [len(m)],
        [(m * m).sum()],
        [(y * y).sum()],
        [(y * m).sum()],
        method=method,
        alpha=alpha,
    )
    return {
        "p": float(res["p"][0]),
        "ci_low": float(res["ci_low"][0]),
        "ci_high": float(res["ci_high"][0]),
        "n": int(m.sum()),
        "n_clusters": len(m),
        "design_effect": float(res["design_effect"][0]),
        "effective_n": float(res["effective_n"][0]),
    }


def _fmt_num(x: float) -> str:
    """'12' for 12 or 11.6, '7.3' below 10 (where a tenth matters), '5' for 5.0000001."""
    return f"{x:.0f}" if x >= 10 or abs(x - round(x)) < 1e-6 else f"{x:.1f}"


def reliability(p: float, ci_low: float, ci_high: float, effective_n: float) -> tuple[bool, str]:
    """NCHS 2017 reliability of one proportion: (reliable, note); the note is '' when reliable."""
    ok, notes = reliability_flags([p], [ci_low], [ci_high], [effective_n])
    return bool(ok[0]), notes[0]


def reliability_flags(
    p: Any, ci_low: Any, ci_high: Any, effective_n: Any
) -> tuple[np.ndarray, list[str]]:
    """Vectorised ``reliability``: a boolean array and one note per rate ('' when reliable).

    Missing inputs (no decided items) are not reliable, with the note 'no decided items'.
    """
    p = np.asarray(p, dtype=float)
    low = np.asarray(ci_low, dtype=float)
    high = np.asarray(ci_high, dtype=float)
    eff = np.asarray(effective_n, dtype=float)
    ok = np.ones(len(p), dtype=bool)
    notes: list[str] = []
    for i in range(len(p)):
        if not (np.isfinite(p[i]) and np.isfinite(low[i]) and np.isfinite(high[i])):
            ok[i] = False
            notes.append("no decided items")
            continue
        why = []
        if not round(eff[i], 9) >= MIN_EFFECTIVE_N:
            why.append(f"effective n {_fmt_num(eff[i])} < {MIN_EFFECTIVE_N}")
        width = high[i] - low[i]
        # compare in whole hundredths of a point so 0.30 computed as 0.2999999 still counts
        width_pts = round(width * 100, 6)
        if width_pts >= MAX_WIDTH * 100:
            why.append(f"interval {width * 100:.0f} points wide (>= {MAX_WIDTH * 100:.0f})")
        elif width_pts > RELATIVE_WIDTH_FROM * 100:
            smaller = min(p[i], 1.0 - p[i])
            if smaller <= 0:
                why.append(
                    f"relative width unbounded (rate {p[i] * 100:.0f}%, interval "
                    f"{width * 100:.0f} points wide > {RELATIVE_WIDTH_FROM * 100:.0f})"
                )
            elif round(width / smaller, 9) > MAX_RELATIVE_WIDTH:
                why.append(
                    f"relative width {width / smaller * 100:.0f}% of min(p,1-p) "
                    f"(> {MAX_RELATIVE_WIDTH * 100:.0f}%)"
                )
        ok[i] = not why
        notes.append("; ".join(why))
    return ok, notes
