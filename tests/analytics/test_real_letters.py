"""The statistics on the real letters in ../shared, against direct statsmodels fits.

The letters are loaded with the project's real loader into a fresh database (as
tests/store/test_real_letters.py does); every expected figure is recomputed here from the
items with an independent query and a statsmodels model, not from the package's own code.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from imr_analytics.analytics import compare_rates, coverage, uphold_rates
from imr_analytics.store.loader import load_paths

ITEMS_SQL = (
    "SELECT i.letter_id, CAST(i.decision = 'upheld' AS INTEGER) AS y, i.item_category, "
    "CASE WHEN len(i.reviewer_guideline_sources) > 0 THEN i.reviewer_guideline_sources[1] "
    "END AS source FROM items AS i WHERE i.decision IN ('upheld', 'overturned')"
)


@pytest.fixture(scope="module")
def con(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("real") / "real.duckdb"
    load_paths([shared_dir / "letters", shared_dir / "seeds"], db, workers=2, log=lambda _: None)
    con = duckdb.connect(str(db), read_only=True)
    yield con
    con.close()


def glm_cluster_design_effect(items) -> float:
    """Design effect from an intercept-only logistic fit with letter-clustered errors."""
    import statsmodels.api as sm

    y = items["y"].to_numpy(dtype=float)
    groups = items["letter_id"].factorize()[0]
    fit = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": groups}
    )
    p = y.mean()
    var_p = (p * (1 - p)) ** 2 * fit.bse[0] ** 2  # delta method from the logit scale
    return max(var_p / (p * (1 - p) / (len(y) - 1)), 1.0)


def test_overall_interval_is_wider_than_wilson_by_about_sqrt_deff(con, capsys):
    from statsmodels.stats.proportion import proportion_confint

    items = con.execute(ITEMS_SQL).df()
    kg = uphold_rates(con).iloc[0]
    wil = uphold_rates(con, method="wilson").iloc[0]
    n, x = int(kg.n), int(kg.upheld)
    assert (n, x, kg.n_letters) == (len(items), items.y.sum(), items.letter_id.nunique())
    deff = glm_cluster_design_effect(items)
    assert kg.design_effect == pytest.approx(deff, rel=1e-6)
    assert kg.design_effect > 1.5  # items of one letter go together
    w_low, w_high = proportion_confint(x, n, method="wilson")
    ratio = (wil.ci_high - wil.ci_low) / (w_high - w_low)
    # the df factor (t on n-1 over t on letters-1) widens it a little beyond sqrt(deff)
    assert ratio == pytest.approx(np.sqrt(deff), rel=0.1)
    assert kg.ci_low < w_low and kg.ci_high > w_high
    with capsys.disabled():
        print(
            f"\nreal letters: {x}/{n} items upheld in {kg.n_letters} letters = "
            f"{kg.uphold_rate:.1%}; design effect {kg.design_effect:.2f}, effective n "
            f"{kg.effective_n:.1f}; Korn-Graubard {kg.ci_low:.1%}-{kg.ci_high:.1%}, "
            f"clustered Wilson {wil.ci_low:.1%}-{wil.ci_high:.1%}, unclustered Wilson "
            f"{w_low:.1%}-{w_high:.1%}; width ratio {ratio:.2f} vs sqrt(deff) "
            f"{np.sqrt(deff):.2f}"
        )


def test_group_design_effects_match_statsmodels(con):
    items = con.execute(ITEMS_SQL).df()
    df = uphold_rates(con, "item_category")
    checked = 0
    for cat, group in items.groupby("item_category"):
        got = df[df.item_category == cat].iloc[0]
        assert got.n == len(group) and got.n_letters == group.letter_id.nunique()
        if group.letter_id.nunique() > 1 and 0 < group.y.mean() < 1:
            assert got.design_effect == pytest.approx(glm_cluster_design_effect(group), rel=1e-6)
            checked += 1
    assert checked >= 3


def test_compare_rates_matches_a_direct_statsmodels_fit(con):
    import statsmodels.formula.api as smf

    got = compare_rates(
        con, "reviewer_source", where={"reviewer_source": ["MTUS", "ODG"]}, adjust=["item_category"]
    )
    items = con.execute(ITEMS_SQL).df()
    items = items[items.source.isin(["MTUS", "ODG"]) & items.item_category.notna()].copy()
    sizes = items.item_category.value_counts()
    items["cat"] = items.item_category.where(items.item_category.map(sizes) >= 30, "other")
    reference = items.source.value_counts().idxmax()
    fit = smf.glm(
        f"y ~ C(source, Treatment('{reference}')) + C(cat)",
        data=items,
        family=__import__("statsmodels.api").api.families.Binomial(),
    ).fit(cov_type="cluster", cov_kwds={"groups": items.letter_id.factorize()[0]})
    term = f"C(source, Treatment('{reference}'))[T.ODG]"
    odg = got[got.reviewer_source == "ODG"].iloc[0]
    low, high = np.exp(fit.conf_int().loc[term])
    expected = {
        "odds_ratio": np.exp(fit.params[term]),
        "or_ci_low": low,
        "or_ci_high": high,
        "p_value": fit.pvalues[term],
    }
    for col, value in expected.items():
        assert f"{odg[col]:.2g}" == f"{value:.2g}", col
        assert odg[col] == pytest.approx(value, rel=1e-4), col
    assert got.attrs["reference"] == reference == "MTUS"
    assert got.attrs["n_model"] == len(items)
    assert got.attrs["wald_p"] == pytest.approx(fit.pvalues[term], rel=1e-4)  # one df


def test_coverage_of_the_real_letters(con):
    cov = coverage(con)
    letters = con.execute("SELECT count(*) FROM letters").fetchone()[0]
    assert cov.n_letters == letters == cov.by_layout_year.n_letters.sum()
    assert cov.n_items == uphold_rates(con).n[0]
    undated = con.execute("SELECT count(*) FROM letters WHERE decision_date IS NULL").fetchone()[0]
    assert cov.n_undated_letters == undated and not cov.undated_excluded
    # the two answer keys in the letters' folders are quarantined, not loaded
    assert cov.quarantined.n_files.sum() == 2
    checks = cov.reference_checks.set_index("measure")
    assert checks.loc["overall uphold rate", "value"] == pytest.approx(
        uphold_rates(con).uphold_rate[0]
    )
    assert set(checks.status) <= {"in band", "out of band", "not comparable"}
    dated = coverage(con, date_from="2017-01-01")
    assert dated.undated_excluded and dated.n_undated_letters == undated
    assert dated.months_spanned <= 2
    assert any("not comparable" in w for w in dated.warnings)
    assert set(dated.reference_checks.status) == {"not comparable"}
