"""Rate tables and the email digest on hand-made results: daggers, lighter rows, the rule's
footnote, every count shown, "all others" for thousands of values, unreliable rates never quoted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from imr_analytics.analytics import RELIABILITY_RULE
from imr_analytics.reports import nbkit
from imr_analytics.reports.bundles import SUMMARY_MIME
from imr_analytics.reports.nbkit import DAGGER, MAX_TABLE_ROWS, Report


def frame(rows: list[tuple[str, int, int, bool]], dim: str = "item_category") -> pd.DataFrame:
    """An ``uphold_rates``-shaped result: (value, n, upheld, reliable) per row."""
    recs = []
    for value, n, up, ok in rows:
        p = up / n
        recs.append(
            {
                dim: value,
                "n": n,
                "upheld": up,
                "overturned": n - up,
                "uphold_rate": p,
                "ci_low": max(0.0, p - 0.031),
                "ci_high": min(1.0, p + 0.029),
                "n_letters": max(1, n // 2),
                "design_effect": 1.5,
                "effective_n": n / 1.5,
                "reliable": ok,
                "reliability_note": "" if ok else "effective n 8 < 30",
                "share": n / 10_000,
            }
        )
    df = pd.DataFrame(recs)
    df.attrs.update({"by": [dim], "method": "korn-graubard", "unit": "item"})
    return df


@pytest.fixture
def rep() -> Report:
    return Report(name="t", params={"title": "T"}, db_path=Path("x.duckdb"), con=None)


def _rows(html: str) -> list[str]:
    return re.findall(r"<tr(?: style=\"[^\"]*\")?>(.*?)</tr>", html)


def test_unreliable_row_gets_dagger_lighter_style_and_the_rule(rep: Report) -> None:
    df = frame([("Pharmaceuticals", 2448, 2168, True), ("Programs", 12, 9, False)])
    html = rep.rate_table_html(df, caption="By category")
    assert (
        '<tr style="color:#829ab1"><td style="padding:4px 10px;border-bottom:1px solid #e4e7eb;'
        'text-align:left;vertical-align:top">Programs</td>'
    ) in html
    thin = next(r for r in _rows(html) if "Programs" in r)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", thin)
    # group, items, letters, effective n, upheld, overturned, rate, interval, share
    assert cells == [
        "Programs",
        "12",
        "6",
        "8",
        "9",
        "3",
        f"75.0%{DAGGER}",
        "71.9\u201377.9%",
        "0.1%",
    ]
    big = next(r for r in _rows(html) if "Pharmaceuticals" in r)
    assert DAGGER not in big and "2,448" in big and "1,224" in big  # n and letters
    assert f"{DAGGER} Not reliable: {RELIABILITY_RULE}" in html.replace("&#x27;", "'")
    for header in ("Items", "Letters", "Effective n", "Uphold rate", "95% CI"):
        assert f">{header}</th>" in html
    assert "suppress" not in html.lower()


def test_all_reliable_table_has_no_dagger_footnote(rep: Report) -> None:
    html = rep.rate_table_html(frame([("A", 900, 800, True), ("B", 600, 500, True)]))
    assert DAGGER not in html and "Not reliable" not in html and "#829ab1" not in html


def test_digest_never_quotes_an_unreliable_rate(rep: Report) -> None:
    df = frame([("Pharmaceuticals", 2448, 2168, True), ("Programs", 12, 9, False)])
    html = rep.rate_table_html(df, digest=True)
    thin = next(r for r in _rows(html) if "Programs" in r)
    assert "75.0%" not in thin and "71.9" not in thin
    assert f"not reliable{DAGGER}" in thin and ">12<" in thin  # the count is still shown
    assert "88.6%" in html  # the reliable rate is quoted


def test_thousands_of_values_become_top_rows_and_all_others(rep: Report) -> None:
    rows = [(f"specialty {k:04d}", 3000 - k, (3000 - k) // 2, True) for k in range(3000)]
    df = frame(rows, dim="reviewer_specialty")
    df.attrs["multi_valued"] = ["reviewer_specialty"]
    html = rep.rate_table_html(df)
    body = _rows(html)[1:]  # the header row first
    assert len(body) == MAX_TABLE_ROWS
    assert "specialty 0000" in body[0] and "all others" in body[-1]
    pooled = sum(n for _, n, _, _ in rows[MAX_TABLE_ROWS - 1 :])
    assert f">{pooled:,}<" in body[-1]
    assert "2,961 smaller values pooled" in html


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = []
    monkeypatch.setattr(nbkit, "_display", lambda bundle, metadata=None: shown.append(bundle))
    return shown


def test_headline_and_subject_never_quote_an_unreliable_rate(
    rep: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = _capture(monkeypatch)
    thin = frame([("", 14, 13, False)]).drop(columns=["item_category"])
    thin.attrs["by"] = []
    assert rep.rate_text(thin) == f"92.9%{DAGGER}"
    assert rep.interval_text(thin).endswith(DAGGER)
    subject = rep.subject_rate(thin)
    assert subject == "uphold rate not reliable (effective n 8 < 30)"
    assert "92.9" not in subject
    headline = [
        ("Decided items", "14"),
        ("Uphold rate", rep.rate_text(thin)),
        ("95% interval", rep.interval_text(thin)),
    ]
    rep.email_summary(headline, "<table></table>", subject=f"T: {subject}")
    digest = shown[-1][SUMMARY_MIME]
    values = {h["label"]: h["value"] for h in digest["headline"]}
    assert values["Decided items"] == "14"
    assert values["Uphold rate"] == values["95% interval"] == "not reliable (see the report)"
    solid = frame([("", 2000, 1770, True)]).drop(columns=["item_category"])
    assert rep.subject_rate(solid) == "88.5% upheld"
    assert rep.rate_text(solid) == "88.5%"


def test_headline_tiles_never_headline_an_unreliable_rate(
    rep: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's tiles, like the digest: an unreliable rate is shown, small, lighter and marked
    under its label; the large figure reads "not reliable"."""
    shown = _capture(monkeypatch)
    thin = frame([("", 14, 13, False)]).drop(columns=["item_category"])
    solid = frame([("", 2000, 1770, True)]).drop(columns=["item_category"])
    rep.headline([("Uphold rate", rep.rate_text(thin)), ("Solid rate", rep.rate_text(solid))])
    html = shown[-1]["text/html"]
    tiles = re.findall(r'<div style="display:inline-block.*?</div></div>', html)
    assert len(tiles) == 2
    big = [re.search(r"font-size:(\d+)px;font-weight:700[^>]*>([^<]*)<", t) for t in tiles]
    assert big[0].group(2) == "not reliable" and "92.9" not in big[0].group(0)
    assert f"92.9%{DAGGER}" in tiles[0] and nbkit._UNRELIABLE_ROW in tiles[0]
    assert big[1].group(2) == "88.5%" and int(big[1].group(1)) > int(big[0].group(1))
    assert "not reliable" not in tiles[1]


def test_reference_table_marks_an_unreliable_value(
    rep: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = _capture(monkeypatch)
    checks = pd.DataFrame(
        {
            "measure": ["overall uphold rate", "items per letter"],
            "value": [0.92, 1.67],
            "ci_low": [0.708, 0.95],
            "ci_high": [0.994, 2.38],
            "band_low": [0.84, 1.55],
            "band_high": [0.92, 1.90],
            "source": ["DWC", "CWCI"],
            "status": ["not comparable", "not comparable"],
            "reliable": [False, True],
        }
    )
    rep._reference_table(checks)
    html = shown[-1]["text/html"]
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html)[1:]
    assert f">92.0%{DAGGER}<" in rows[0] and nbkit._UNRELIABLE_ROW in rows[0]
    assert ">1.67<" in rows[1] and nbkit._UNRELIABLE_ROW not in rows[1]
    assert RELIABILITY_RULE in html
    rep._reference_table(checks.assign(reliable=True))
    assert DAGGER not in shown[-1]["text/html"]


def test_model_table_shows_odds_ratios_tests_and_notes(rep: Report) -> None:
    df = pd.DataFrame(
        {
            "reviewer_source": ["MTUS", "ODG", "ACOEM"],
            "n": [4784, 1335, 55],
            "n_letters": [2252, 915, 54],
            "uphold_rate": [0.886, 0.864, 0.909],
            "ci_low": [0.877, 0.843, 0.80],
            "ci_high": [0.896, 0.883, 0.97],
            "adjusted_rate": [0.886, 0.867, 0.905],
            "odds_ratio": [1.0, 0.84, 1.29],
            "or_ci_low": [None, 0.68, 0.5],
            "or_ci_high": [None, 1.03, 3.31],
            "p_value": [None, 0.085, 0.596],
            "p_holm": [None, 0.17, 0.596],
            "is_reference": [True, False, False],
            "reliable": [True, True, False],
            "reliability_note": ["", "", "effective n 20 < 30"],
        }
    )
    df.attrs.update(
        {
            "by": "reviewer_source",
            "adjust": ["item_category", "decision_year"],
            "n_model": 6243,
            "n_letters_model": 2635,
            "wald_chi2": 3.56,
            "wald_df": 3,
            "wald_p": 0.313,
            "notes": ["level 'none' has one outcome only: left out"],
        }
    )
    html = rep.compare_table_html(df, caption="Reviewer's family")
    text = html.replace("&#x27;", "'")
    assert "MTUS (reference)" in text
    assert "0.84 (0.68\u20131.03)" in text and "0.085" in text and "0.170" in text
    assert "adjusted for treatment category, decision year" in text
    assert "6,243 items in 2,635 letters" in text and "chi2 = 3.56, df = 3, p = 0.313" in text
    assert "level 'none' has one outcome only" in text
    assert f"90.9%{DAGGER}" in text and '<tr style="color:#829ab1">' in text
    digest = rep.compare_table_html(df, digest=True)
    assert f"not reliable{DAGGER}" in digest and "90.9%" not in digest.split("ACOEM")[1][:200]
    assert rep.joint_test_text(df) == "p = 0.313"
    assert rep.joint_test_text("No model for x: too few") == "no model"


@pytest.mark.parametrize("measure", ["n_letters", "median_days"])
def test_the_volume_chart_is_a_spec_the_vega_lite_schema_accepts(
    rep: Report, monkeypatch: pytest.MonkeyPatch, measure: str
) -> None:
    """Built without Altair's per-object checks (charts.unvalidated); checked whole here."""
    import altair as alt
    import jsonschema

    from imr_analytics.analytics.charts import _spec

    shown: list[Any] = []
    monkeypatch.setattr(rep, "show_chart", lambda chart, **kwargs: shown.append(chart))
    df = pd.DataFrame(
        {"decision_quarter": ["2017-Q1", "2017-Q2", "2017-Q3"], measure: [12, None, 30]}
    )
    df.attrs["period"] = "decision_quarter"
    rep.volume_chart(df, measure=measure, title="Letters per quarter")
    validator = jsonschema.Draft7Validator(
        alt.vegalite.v6.schema.core.load_schema(),
        format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER,
    )
    assert len(shown) == 1
    assert [e.message for e in validator.iter_errors(_spec(shown[0]))] == []
