"""Charts: they render offline, use the house theme, draw unreliable rates hollow, never rank
them, keep ordinal dimensions in order and stay bounded for a dimension with thousands of values."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import pandas as pd
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
from imr_analytics.analytics.charts import (
    OTHERS_LABEL,
    UNRELIABLE,
    odds_ratio_chart,
    with_others,
)


@pytest.fixture(scope="module")
def con(make_db):
    """One database with a thin category, year and source cell in it (an unreliable rate)."""
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


def _rows(chart: Any) -> list[dict[str, Any]]:
    """Every data row of a (layered) chart spec, wherever Altair put it."""
    spec = chart.to_dict()
    datasets = spec.get("datasets") or {}
    rows = [r for values in datasets.values() for r in values]
    return rows or spec["data"]["values"]


def frame(rows: list[tuple[str, int, int, bool]], dim: str = "item_category") -> pd.DataFrame:
    """A hand-made ``uphold_rates`` result: (value, n, upheld, reliable) per row."""
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
                "ci_low": max(0.0, p - 0.05),
                "ci_high": min(1.0, p + 0.05),
                "n_letters": n,
                "design_effect": 1.0,
                "effective_n": float(n),
                "reliable": ok,
                "reliability_note": "" if ok else "effective n 12 < 30",
                "share": n / 1000,
            }
        )
    df = pd.DataFrame(recs)
    df.attrs.update({"by": [dim], "method": "korn-graubard", "unit": "item"})
    return df


def test_bars_render_and_draw_unreliable_rates_hollow(con):
    df = uphold_rates(con, "item_category")
    assert not df["reliable"].all()  # Programs, 4 items
    assert df["n"].notna().all()  # every count shown
    chart = rate_bars(df)
    svg = svg_texts(to_svg(chart))
    assert svg.startswith("<svg") and "Pharmaceuticals" in svg and "Programs" in svg
    assert "n=4" in svg  # the thin category's count is shown
    assert UNRELIABLE in svg and "Hollow marks" in svg  # legend entry and note
    assert "suppress" not in svg.lower()
    rows = _rows(chart)
    thin = next(r for r in rows if r["item_category"] == "Programs")
    assert thin["reliable"] is False and thin["rate"] == pytest.approx(0.75)
    assert thin["rate_text"].endswith("\u2020")
    spec = json.dumps(chart.to_dict())
    assert '"white"' in spec  # hollow fill
    png = to_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width2 = int.from_bytes(png[16:20], "big")
    width1 = int.from_bytes(to_png(chart, scale=1)[16:20], "big")
    assert width2 == pytest.approx(2 * width1, abs=2)


def test_all_reliable_chart_has_no_hollow_legend():
    df = frame([("A", 900, 800, True), ("B", 600, 500, True)])
    svg = svg_texts(to_svg(rate_bars(df)))
    assert UNRELIABLE not in svg and "Hollow marks" not in svg


def _y_order(chart: Any) -> list[str]:
    spec = chart.to_dict()
    layers = spec.get("layer") or [spec]
    return next(la["encoding"]["y"]["sort"] for la in layers if "y" in la.get("encoding", {}))


def test_sorting_by_rate_ranks_only_reliable_rows():
    df = frame(
        [
            ("big low", 900, 600, True),  # 67%
            ("mid high", 500, 480, True),  # 96%
            ("tiny perfect", 12, 12, False),  # 100%, but unreliable: never ranked first
            ("small", 40, 10, False),  # 25%
        ]
    )
    assert _y_order(rate_bars(df, sort="rate")) == ["mid high", "big low", "small", "tiny perfect"]
    # the default keeps the frame's order (nominal: by n, as uphold_rates returns them)
    assert _y_order(rate_bars(df)) == ["big low", "mid high", "tiny perfect", "small"]
    assert _y_order(rate_bars(df, sort="n")) == ["big low", "mid high", "small", "tiny perfect"]
    with pytest.raises(ValueError, match="sort must be"):
        rate_bars(df, sort="alphabet")


def test_ordinal_dimension_keeps_its_natural_order(con):
    bands = frame(
        [("1", 500, 450, True), ("2", 300, 200, True), ("3-5", 30, 29, False)],
        dim="items_in_letter",
    )
    assert _y_order(rate_bars(bands)) == ["1", "2", "3-5"]
    years = uphold_rates(con, "decision_year")
    order = _y_order(rate_bars(years))
    assert order == sorted(order)


def test_thousands_of_values_render_as_top_values_and_all_others():
    values = [(f"specialty {k:04d}", 3000 - k, (3000 - k) // 2, k < 5) for k in range(3000)]
    df = frame(values, dim="reviewer_specialty")
    df.attrs["multi_valued"] = ["reviewer_specialty"]
    chart = rate_bars(df, title="3,000 specialties")
    rows = _rows(chart)
    assert len(rows) == 25
    assert [r["reviewer_specialty"] for r in rows[:3]] == [
        "specialty 0000",
        "specialty 0001",
        "specialty 0002",
    ]
    others = next(r for r in rows if r["reviewer_specialty"] == OTHERS_LABEL)
    assert others["n"] == sum(n for _, n, _, _ in values[24:])
    assert others["reliable"] is False and others["lo"] is None
    assert _y_order(chart)[-1] == OTHERS_LABEL
    svg = svg_texts(to_svg(chart))  # once "Maximum call stack size exceeded"
    assert OTHERS_LABEL in svg and "2,976 smaller values pooled" in svg


def test_with_others_keeps_small_frames_and_pools_per_second_dimension():
    small = frame([("A", 10, 5, False), ("B", 20, 10, False)])
    assert with_others(small, "item_category", 5) is small
    rows = []
    for k in range(30):
        for year in (2016, 2017):
            rows.append({"item_category": f"c{k:02d}", "decision_year": year, "n": 100 - k})
    df = pd.DataFrame(rows)
    df["upheld"] = df["n"] // 2
    df["overturned"] = df["n"] - df["upheld"]
    df["uphold_rate"] = df["upheld"] / df["n"]
    for col in ("ci_low", "ci_high", "effective_n", "design_effect", "share"):
        df[col] = 0.5
    df["n_letters"] = df["n"]
    df["reliable"] = True
    df["reliability_note"] = ""
    df.attrs["by"] = ["item_category", "decision_year"]
    out = with_others(df, "item_category", 10)
    pooled = out[out["item_category"] == OTHERS_LABEL]
    assert sorted(pooled["decision_year"]) == [2016, 2017]
    assert int(pooled["n"].sum()) == int(df["n"].iloc[18:].sum())
    assert out["item_category"].nunique() == 10
    assert to_svg(small_multiples(out, facet="item_category", x="decision_year"))


def test_trend_draws_thin_periods_hollow_in_time_order(con):
    df = uphold_rates(con, "decision_year")
    assert not df["reliable"].iloc[-1]  # 2018 has 4 items
    chart = rate_trend(df)
    svg = svg_texts(to_svg(chart))
    assert "2016" in svg and "Hollow marks" in svg and "suppress" not in svg.lower()
    spec = json.dumps(chart.to_dict())
    assert '"filled": false' in spec
    quarters = uphold_rates(con, "decision_quarter")
    assert to_png(rate_trend(quarters))[:4] == b"\x89PNG"
    series = uphold_rates(con, ["decision_year", "item_category"])
    assert "Surgery" in to_svg(rate_trend(series, "decision_year", color="item_category"))


def test_heatmap_marks_unreliable_cells_and_shows_every_count(con):
    df = uphold_rates(con, ["ca_source", "reviewer_source"])
    svg = svg_texts(to_svg(source_heatmap(df)))
    assert "UR's guideline source" in svg and "suppress" not in svg.lower()
    assert "\u2020" in svg and "n=4" in svg and "not reliable" in svg
    assert to_png(source_heatmap(df))[:4] == b"\x89PNG"


def test_small_multiples(con):
    df = uphold_rates(con, ["item_category", "decision_year"])
    svg = svg_texts(to_svg(small_multiples(df)))
    assert "DMEPOS" in svg and "Surgery" in svg
    banded = uphold_rates(con, ["item_category", "reviewer_source"])
    svg = to_svg(small_multiples(banded, facet="item_category", x="reviewer_source"))
    assert "MTUS" in svg


def test_odds_ratio_chart_renders_a_forest_plot():
    df = pd.DataFrame(
        {
            "reviewer_source": ["MTUS", "ODG", "ACOEM"],
            "n": [900, 300, 60],
            "is_reference": [True, False, False],
            "odds_ratio": [1.0, 0.62, 1.4],
            "or_ci_low": [None, 0.45, 0.7],
            "or_ci_high": [None, 0.85, 2.8],
            "p_holm": [None, 0.004, 0.33],
        }
    )
    df.attrs.update({"by": "reviewer_source", "adjust": ["item_category", "decision_year"]})
    svg = svg_texts(to_svg(odds_ratio_chart(df, title="Odds")))
    assert "MTUS (reference)" in svg and "Holm p=0.004" in svg
    assert "Adjusted for treatment category" in svg


def test_house_theme_and_local_fonts(con):
    assert THEME in alt.theme.names()
    df = uphold_rates(con, "item_category")
    with alt.theme.enable("dark"):  # a notebook's theme must not leak into report output
        svg = to_svg(rate_bars(df))
    assert "DejaVu Sans" in svg and "Liberation Sans" in svg
    spec = json.dumps(rate_bars(df).to_dict())
    assert "fonts.googleapis" not in spec and "@import" not in svg


def test_rendering_refuses_external_urls():
    chart = alt.Chart("https://example.com/data.csv").mark_point().encode(x="a:Q")
    with pytest.raises(Exception, match="not allowed"):
        to_svg(chart)
    with pytest.raises(Exception, match="not allowed"):
        to_png(chart)


def test_importing_the_charts_leaves_the_users_altair_theme_alone():
    import subprocess
    import sys

    code = (
        "import altair as alt; before = alt.theme.active; "
        "import imr_analytics.analytics.charts as c; "
        "assert c.THEME in alt.theme.names(); print(before, alt.theme.active)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = out.stdout.split()
    assert before == after == "default"


def _x_encodings(chart: Any) -> list[dict[str, Any]]:
    spec = chart.to_dict()
    return [layer["encoding"]["x"] for layer in spec["layer"]]


def test_trend_axis_is_ordinal_over_the_periods_present_only(con):
    quarters = uphold_rates(con, "decision_quarter")
    present = [str(q) for q in quarters["decision_quarter"].dropna()]
    chart = rate_trend(quarters)
    for x in _x_encodings(chart):
        assert x["type"] == "ordinal"
        assert x["sort"] == sorted(present)  # natural order, no empty quarters in between
    assert "2015-Q2" in present and "2016-Q1" not in present  # a gap in the data...
    svg = svg_texts(to_svg(chart))
    assert "2016-Q1" not in svg  # ...is not a gap on the axis


def test_a_single_period_is_a_point_with_its_interval(con):
    one = uphold_rates(con, "decision_year", where={"item_category": ["Programs"]})
    assert len(one) == 1
    spec = rate_trend(one).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert "rule" in marks and "area" not in marks and "line" not in marks
    rule = spec["layer"][marks.index("rule")]["encoding"]
    assert rule["y"]["field"] == "lo" and rule["y2"]["field"] == "hi"


def test_crowded_period_labels_slant_and_thin_instead_of_overlapping():
    from imr_analytics.analytics.charts import ordinal_axis

    few = ordinal_axis(["2015", "2016", "2017"], 520).to_dict()
    assert few["labelAngle"] == 0 and few["labelOverlap"] is False
    many = ordinal_axis([f"{y}-Q{q}" for y in range(2013, 2026) for q in (1, 2, 3, 4)], 520)
    many = many.to_dict()
    assert many["labelAngle"] == -45 and many["labelOverlap"] == "parity"


def test_every_builder_gives_a_spec_the_vega_lite_schema_accepts(con):
    """The builders set their top-level properties without Altair's per-property checks (one
    layer chart instead of three: see charts._layered); the whole spec must still validate."""
    import jsonschema

    from imr_analytics.analytics.charts import _spec

    odds = pd.DataFrame(
        {
            "reviewer_source": ["MTUS", "ODG"],
            "n": [900, 300],
            "is_reference": [True, False],
            "odds_ratio": [1.0, 0.62],
            "or_ci_low": [None, 0.45],
            "or_ci_high": [None, 0.85],
            "p_holm": [None, 0.004],
        }
    )
    odds.attrs.update({"by": "reviewer_source", "adjust": []})
    series = uphold_rates(con, ["decision_year", "item_category"])
    charts = {
        "bars": rate_bars(uphold_rates(con, "item_category")),
        "trend": rate_trend(uphold_rates(con, "decision_quarter")),
        "trend by series": rate_trend(series, "decision_year", color="item_category"),
        "heatmap": source_heatmap(uphold_rates(con, ["ca_source", "reviewer_source"])),
        "panels over time": small_multiples(series, facet="item_category", x="decision_year"),
        "panels": small_multiples(
            uphold_rates(con, ["item_category", "reviewer_source"]),
            facet="item_category",
            x="reviewer_source",
        ),
        "odds": odds_ratio_chart(odds, title="Odds"),
    }
    schema = alt.vegalite.v6.schema.core.load_schema()
    validator = jsonschema.Draft7Validator(
        schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
    )
    for name, chart in charts.items():
        errors = [e.message for e in validator.iter_errors(_spec(chart))]
        assert errors == [], name
        assert chart.to_dict(validate=True)["$schema"].startswith("https://vega.github.io/")
