"""Letter-clustered intervals and the NCHS reliability flags, against independent calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from imr_analytics.analytics import (
    clustered_proportion,
    others_row,
    reliability,
    uphold_rates,
)
from imr_analytics.analytics.intervals import RELIABILITY_RULE, reliability_flags


def statsmodels_cluster_variance(y_by_cluster, m_by_cluster) -> tuple[float, float]:
    """(p, variance of p) from an intercept-only logistic GLM with letter-clustered errors."""
    import statsmodels.api as sm

    y = np.concatenate(
        [[1] * y_ + [0] * (m - y_) for y_, m in zip(y_by_cluster, m_by_cluster, strict=True)]
    )
    groups = np.concatenate([[g] * m for g, m in enumerate(m_by_cluster)])
    fit = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    p = 1 / (1 + np.exp(-fit.params[0]))
    # delta method: d p / d logit = p (1 - p)
    return p, (p * (1 - p)) ** 2 * fit.bse[0] ** 2


# --- design effect and interval -------------------------------------------------------------


def test_design_effect_matches_a_cluster_robust_glm():
    ys = [3, 0, 2, 5, 1, 4, 0, 2]
    ms = [3, 2, 2, 5, 3, 4, 1, 4]
    res = clustered_proportion(ys, ms)
    p, var = statsmodels_cluster_variance(ys, ms)
    n = sum(ms)
    assert res["p"] == pytest.approx(p)
    assert res["design_effect"] == pytest.approx(var / (p * (1 - p) / (n - 1)), rel=1e-6)
    assert res["design_effect"] > 1  # outcomes bunch by letter here
    assert res["effective_n"] == pytest.approx(n / res["design_effect"])
    assert (res["n"], res["n_clusters"]) == (n, 8)


def test_korn_graubard_is_clopper_pearson_on_the_df_adjusted_effective_n():
    from scipy.stats import t

    ys, ms = [3, 0, 2, 5, 1, 4, 0, 2], [3, 2, 2, 5, 3, 4, 1, 4]
    res = clustered_proportion(ys, ms)
    n = sum(ms)
    n_df = res["effective_n"] * (t.ppf(0.975, n - 1) / t.ppf(0.975, 7)) ** 2
    x = res["p"] * n_df
    low, high = proportion_confint(x, n_df, alpha=0.05, method="beta")
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    wil = clustered_proportion(ys, ms, method="wilson")
    low, high = proportion_confint(x, n_df, alpha=0.05, method="wilson")
    assert (wil["ci_low"], wil["ci_high"]) == pytest.approx((low, high), abs=1e-12)


def test_independent_items_have_design_effect_one():
    res = clustered_proportion([1] * 30 + [0] * 10, [1] * 40)
    assert res["design_effect"] == pytest.approx(1.0)
    low, high = proportion_confint(30, 40, method="beta")
    assert (res["ci_low"], res["ci_high"]) == pytest.approx((low, high))


def test_design_effect_floor_and_degenerate_cases():
    # outcomes spread evenly across letters: cluster variance below binomial, floored at 1
    assert clustered_proportion([1, 1, 1, 1], [2, 2, 2, 2])["design_effect"] == 1.0
    # p = 1: nothing to estimate, deff 1 (NCHS: effective n = n)
    assert clustered_proportion([3, 2], [3, 2])["design_effect"] == 1.0
    # one letter: it counts as one observation
    one = clustered_proportion([2], [5])
    assert one["effective_n"] == pytest.approx(1.0) and one["design_effect"] == 5
    with pytest.raises(ValueError, match="successes"):
        clustered_proportion([3], [2])
    with pytest.raises(ValueError, match="korn-graubard"):
        clustered_proportion([1], [2], method="exact")


clusters = st.lists(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda m: st.tuples(st.just(m), st.integers(min_value=0, max_value=m))
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(clusters, st.sampled_from(["korn-graubard", "wilson"]))
def test_clustered_interval_is_never_narrower_than_the_unclustered_one(data, method):
    ms = [m for m, _ in data]
    ys = [y for _, y in data]
    res = clustered_proportion(ys, ms, method=method)
    plain = "beta" if method == "korn-graubard" else "wilson"
    n, x = sum(ms), sum(ys)
    low, high = proportion_confint(x, n, alpha=0.05, method=plain)
    low = 0.0 if x == 0 else low
    high = 1.0 if x == n else high
    assert res["ci_high"] - res["ci_low"] >= (high - low) - 1e-9
    assert res["ci_low"] <= res["p"] <= res["ci_high"]


def test_sql_and_reference_implementation_agree(db):
    # letters of 1-4 items with mixed outcomes in two categories
    rng = np.random.default_rng(7)
    expected = {"Surgery": ([], []), "DMEPOS": ([], [])}
    for k in range(60):
        cat = "Surgery" if k % 3 else "DMEPOS"
        m = int(rng.integers(1, 5))
        y = int(rng.binomial(m, 0.7 if k % 2 else 0.95))
        db.letter(
            [
                {"item_category": cat, "decision": "upheld" if j < y else "overturned"}
                for j in range(m)
            ]
        )
        expected[cat][0].append(y)
        expected[cat][1].append(m)
    df = uphold_rates(db.con, "item_category")
    for cat, (ys, ms) in expected.items():
        ref = clustered_proportion(ys, ms)
        got = df[df.item_category == cat].iloc[0]
        assert got.n_letters == ref["n_clusters"] and got.n == ref["n"]
        for col in ("design_effect", "effective_n", "ci_low", "ci_high"):
            assert got[col] == pytest.approx(ref[col], rel=1e-9), col


# --- reliability ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "low", "high", "eff", "ok", "note"),
    [
        (0.5, 0.45, 0.55, 30, True, ""),
        (0.5, 0.45, 0.55, 29.9, False, "effective n 30 < 30"),
        (0.5, 0.45, 0.55, 12, False, "effective n 12 < 30"),
        (0.5, 0.35, 0.65, 100, False, "interval 30 points wide (>= 30)"),
        (0.5, 0.35, 0.6499, 100, True, ""),
        (0.1, 0.05, 0.18, 100, True, ""),  # width 13 points = 130% of 10%: not above
        (0.1, 0.05, 0.1801, 100, False, "relative width 130% of min(p,1-p) (> 130%)"),
        (0.9, 0.82, 0.95, 100, True, ""),  # the complement: 13 points on 1-p = 10%
        (0.9, 0.8199, 0.95, 100, False, "relative width 130% of min(p,1-p) (> 130%)"),
        (0.02, 0.0, 0.05, 400, True, ""),  # 5 points wide: the relative rule does not apply
        (0.02, 0.0, 0.0501, 400, False, "relative width 250% of min(p,1-p) (> 130%)"),
        (1.0, 0.96, 1.0, 100, True, ""),
        (1.0, 0.94, 1.0, 100, False, "relative width unbounded"),
    ],
)
def test_reliability_edges(p, low, high, eff, ok, note):
    got_ok, got_note = reliability(p, low, high, eff)
    assert got_ok is ok
    assert got_note.startswith(note) if note else got_note == ""


def test_reliability_notes_combine_and_missing_values():
    ok, note = reliability(0.5, 0.1, 0.9, 8)
    assert not ok and note == "effective n 8 < 30; interval 80 points wide (>= 30)"
    flags, notes = reliability_flags([np.nan], [np.nan], [np.nan], [0])
    assert not flags[0] and notes == ["no decided items"]
    assert "30" in RELIABILITY_RULE and "130%" in RELIABILITY_RULE


def test_rates_carry_reliability_from_the_clustered_interval(db):
    # 40 letters of 3 items, all-or-nothing outcomes: design effect 3, effective n 40
    for k in range(40):
        outcome = "upheld" if k < 30 else "overturned"
        db.letter([{"decision": outcome}] * 3)
    df = uphold_rates(db.con)
    assert df.design_effect[0] == pytest.approx(3.0, rel=0.03)
    assert df.effective_n[0] == pytest.approx(40, rel=0.03)
    assert df.n_letters[0] == 40 and df.n[0] == 120
    plain = uphold_rates(db.con, unit="letter")
    # counted by letter the data are the same 30 of 40; the intervals nearly agree
    assert plain.n[0] == 40 and plain.upheld[0] == 30
    assert df.ci_high[0] - df.ci_low[0] == pytest.approx(
        plain.ci_high[0] - plain.ci_low[0], rel=0.05
    )


# --- unit="letter" --------------------------------------------------------------------------


def test_letter_unit_upheld_only_when_every_item_is(db):
    db.letter([{"decision": "upheld"}, {"decision": "upheld"}], decision_date="2016-02-01")
    db.letter([{"decision": "upheld"}, {"decision": "overturned"}], decision_date="2016-02-01")
    db.letter([{"decision": "overturned"}], decision_date="2017-02-01")
    db.letter(
        [{"decision": "upheld", "item_category": "Surgery"}, {"decision": "overturned"}],
        decision_date="2017-03-01",
    )
    db.letter([{"decision": None}, {"decision": "upheld"}], decision_date="2017-04-01")
    df = uphold_rates(db.con, unit="letter")
    assert (df.n[0], df.upheld[0], df.overturned[0]) == (5, 2, 3)
    assert df.design_effect[0] == 1 and df.effective_n[0] == 5 and df.n_letters[0] == 5
    assert df.attrs["unit"] == "letter" and "every decided item" in df.attrs["note"]
    years = uphold_rates(db.con, "decision_year", unit="letter")
    assert list(years.decision_year) == [2016, 2017]
    assert list(years.upheld) == [1, 1] and list(years.n) == [2, 3]
    assert list(years.share) == pytest.approx([2 / 5, 3 / 5])
    # an item-level dimension: the letter's items in that group decide it
    cats = uphold_rates(db.con, "item_category", unit="letter")
    surgery = cats[cats.item_category == "Surgery"].iloc[0]
    assert (surgery.n, surgery.upheld) == (1, 1)
    rx = cats[cats.item_category == "Pharmaceuticals"].iloc[0]
    assert (rx.n, rx.upheld) == (5, 2)
    with pytest.raises(ValueError, match="unit"):
        uphold_rates(db.con, unit="claim")


# --- order and others_row -------------------------------------------------------------------


def test_nominal_rows_by_n_never_by_rate(db):
    db.items(11, 11, item_category="Surgery")  # 100%, small
    db.items(40, 20, item_category="Pharmaceuticals")  # 50%, large
    db.items(20, 18, item_category="DMEPOS")
    df = uphold_rates(db.con, "item_category")
    assert list(df.item_category) == ["Pharmaceuticals", "DMEPOS", "Surgery"]


def test_others_row_pools_the_rest(db):
    db.items(40, 30, item_category="Pharmaceuticals")
    db.items(12, 6, item_category="Surgery")
    db.items(5, 5, item_category="DMEPOS")
    df = uphold_rates(db.con, "item_category")
    kept = (df.item_category == "Pharmaceuticals").to_numpy()
    other = others_row(df, kept)
    assert list(other.columns) == list(df.columns) and len(other) == 1
    r = other.iloc[0]
    assert r.item_category == "all others"
    assert (r.n, r.upheld, r.overturned) == (17, 11, 6)
    assert r.uphold_rate == pytest.approx(11 / 17) and r.share == pytest.approx(17 / 57)
    assert pd.isna(r.ci_low) and pd.isna(r.n_letters) and not r.reliable
    assert r.reliability_note == "pooled remainder; no interval"
    combined = pd.concat([df[kept], other], ignore_index=True)
    assert combined.n.sum() == 57
    with pytest.raises(ValueError, match="kept_mask"):
        others_row(df, [True])
