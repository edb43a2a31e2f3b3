"""Charts: they render offline to SVG and PNG, use the house theme and show suppressed cells."""

from __future__ import annotations

import json

import altair as alt
import pytest

from imr_analytics.analytics import (
    THEME,
    rate_bars,
    rate_trend,
    small_multiples,
    source_heatmap,
    to_png,
    to_svg,
    uphold_rates,
)


@pytest.fixture(scope="module")
def con(make_db):
    """One database with a suppressed category, period and source cell in it."""
    db = make_db()
    for year, scale in ((2015, 1), (2016, 2), (2017, 1)):
        db.items(
            30 * scale, 24 * scale, item_category="Pharmaceuticals", decision_date=f"{year}-05-01"
        )
        db.items(
            40 * scale,
            30 * scale,
            item_category="DMEPOS",
            decision_date=f"{year}-05-01",
            ca_guideline_sources=["ODG"],
            reviewer_guideline_sources=["MTUS"],
        )
        db.items(
            25 * scale,
            12 * scale,
            item_category="Surgery",
            decision_date=f"{year}-08-01",
            ca_guideline_sources=["ODG"],
            reviewer_guideline_sources=["ODG"],
        )
    db.items(
        4,
        3,
        item_category="Programs",
        decision_date="2018-02-01",
        ca_guideline_sources=[],
        reviewer_guideline_sources=["none"],
    )
    return db.con


def svg_texts(svg: str) -> str:
    return svg.replace("&lt;", "<").replace("&gt;", ">")


def test_bars_render_and_mark_suppressed(con):
    df = uphold_rates(con, "item_category")
    assert df.suppressed.any()
    chart = rate_bars(df)
    svg = svg_texts(to_svg(chart))
    assert svg.startswith("<svg") and "Pharmaceuticals" in svg
    assert "suppressed (n<11)" in svg  # Programs, 4 items
    assert "n=" in svg
    png = to_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    # scale=2 doubles the pixel width (PNG IHDR width at bytes 16..20)
    width2 = int.from_bytes(png[16:20], "big")
    width1 = int.from_bytes(to_png(chart, scale=1)[16:20], "big")
    assert width2 == pytest.approx(2 * width1, abs=2)


def test_charts_carry_only_aggregated_rows(con):
    df = uphold_rates(con, "item_category")
    spec = rate_bars(df).to_dict()
    datasets = spec.get("datasets") or {}
    rows = [r for values in datasets.values() for r in values]
    if not rows:
        rows = spec["data"]["values"]
    assert len(rows) == len(df)
    hidden = [r for r in rows if r["suppressed"]]
    assert hidden and all(r["rate"] is None and r["lo"] is None for r in hidden)


def test_trend_with_suppressed_period(con):
    df = uphold_rates(con, "decision_year")
    assert df.suppressed.any()  # 2018 has 4 items
    svg = svg_texts(to_svg(rate_trend(df)))
    assert "2016" in svg and "suppressed (count<11)" in svg
    quarters = uphold_rates(con, "decision_quarter")
    assert to_png(rate_trend(quarters))[:4] == b"\x89PNG"
    series = uphold_rates(con, ["decision_year", "item_category"])
    assert "Surgery" in to_svg(rate_trend(series, "decision_year", color="item_category"))


def test_heatmap_marks_suppressed_cells(con):
    df = uphold_rates(con, ["ca_source", "reviewer_source"])
    svg = svg_texts(to_svg(source_heatmap(df)))
    assert "UR's guideline source" in svg and "suppressed" in svg
    assert to_png(source_heatmap(df))[:4] == b"\x89PNG"


def test_small_multiples(con):
    df = uphold_rates(con, ["item_category", "decision_year"])
    svg = svg_texts(to_svg(small_multiples(df)))
    assert "DMEPOS" in svg and "Surgery" in svg
    banded = uphold_rates(con, ["item_category", "reviewer_source"])
    svg = to_svg(small_multiples(banded, facet="item_category", x="reviewer_source"))
    assert "MTUS" in svg


def test_house_theme_and_local_fonts(con):
    assert THEME in alt.theme.names()
    df = uphold_rates(con, "item_category")
    with alt.theme.enable("dark"):  # a notebook's theme must not leak into report output
        svg = to_svg(rate_bars(df))
    assert "Liberation Sans" in svg
    spec = json.dumps(rate_bars(df).to_dict())
    assert "fonts.googleapis" not in spec and "@import" not in svg


def test_rendering_refuses_external_urls():
    chart = alt.Chart("https://example.com/data.csv").mark_point().encode(x="a:Q")
    with pytest.raises(Exception, match="not allowed"):
        to_svg(chart)
    with pytest.raises(Exception, match="not allowed"):
        to_png(chart)
