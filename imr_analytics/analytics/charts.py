"""Altair charts of uphold rates in one house theme, rendered offline with vl-convert.

Every chart takes a DataFrame returned by ``uphold_rates`` (aggregated, already suppressed):
no chart function ever sees item-level rows. Suppressed cells are drawn, never dropped: a grey
marker labelled "suppressed (n<11)" (or "(count<11)", "(complementary)") sits where the value
would be, so a reader can tell a hidden cell from a missing category.

* ``rate_bars(df)``: sorted horizontal bars of the uphold rate, interval whiskers, ``n`` labels.
* ``rate_trend(df)``: rate over decision year/quarter/month with an interval band.
* ``source_heatmap(df)``: claims administrator's source x reviewer's source.
* ``small_multiples(df, facet=...)``: one small panel per category.
* ``to_svg(chart)`` / ``to_png(chart, scale=2)``: offline rendering; external URLs are refused
  and the fonts are ones vl-convert has locally (it bundles Liberation Sans).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from imr_analytics.analytics.rates import DIMENSIONS

__all__ = [
    "THEME",
    "rate_bars",
    "rate_trend",
    "small_multiples",
    "source_heatmap",
    "to_png",
    "to_svg",
]

THEME = "imr"
# Liberation Sans ships inside vl-convert (metric-compatible with Arial), so PNG/SVG output
# never depends on a web font; browsers fall back to whatever sans-serif they have.
FONT = "Liberation Sans, DejaVu Sans, Arial, Helvetica, sans-serif"
BAR = "#2f5d8a"
INK = "#333333"
GREY = "#9a9a9a"
MISSING_LABEL = "(not stated)"


@alt.theme.register(THEME, enable=True)
def house_theme() -> alt.theme.ThemeConfig:
    """The one look for every report chart: plain background, readable sizes, local fonts."""
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "view": {"stroke": None, "continuousWidth": 420, "continuousHeight": 260},
            "title": {
                "font": FONT,
                "fontSize": 15,
                "fontWeight": "bold",
                "anchor": "start",
                "color": INK,
                "subtitleFont": FONT,
                "subtitleFontSize": 12,
                "subtitleColor": "#666666",
            },
            "axis": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "labelColor": INK,
                "titleColor": INK,
                "gridColor": "#e6e6e6",
                "domainColor": "#888888",
                "tickColor": "#888888",
                "labelLimit": 260,
            },
            "legend": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "bottom",
            },
            "header": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12},
            "text": {"font": FONT, "fontSize": 11, "color": INK},
            "range": {
                "category": [
                    "#2f5d8a",
                    "#d1743b",
                    "#4c9a6a",
                    "#8e5ea2",
                    "#c44e52",
                    "#7f7f3f",
                    "#3c9bb0",
                    "#b0773c",
                ]
            },
        }
    }


# --- data preparation -----------------------------------------------------------------------


def _by(df: pd.DataFrame) -> list[str]:
    by = df.attrs.get("by")
    if by is not None:
        return list(by)
    known = [c for c in df.columns if c in DIMENSIONS]
    return known


def _label(dim: str) -> str:
    return DIMENSIONS[dim].label if dim in DIMENSIONS else dim


def _value_label(value: Any) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return MISSING_LABEL
    return str(value)


def _suppressed_text(row: pd.Series, min_cell: int) -> str:
    reason = row.get("suppression_reason")
    if reason == "complementary":
        return "suppressed (complementary)"
    if reason == "small count" and not pd.isna(row.get("n")):
        return f"suppressed (count<{min_cell}), n={int(row['n']):,}"
    return f"suppressed (n<{min_cell})"


def _period_start(value: Any, dim: str) -> str | None:
    """ISO date of the start of a period label, for a temporal axis."""
    if value is None or pd.isna(value):
        return None
    text = str(value)
    kind = DIMENSIONS[dim].temporal if dim in DIMENSIONS else None
    if kind == "quarter" or "-Q" in text:
        year, quarter = text.split("-Q")
        return f"{int(year):04d}-{(int(quarter) - 1) * 3 + 1:02d}-01"
    if kind == "month" or (len(text) == 7 and text[4] == "-"):
        return f"{text}-01"
    return f"{int(float(text)):04d}-01-01"


def _records(df: pd.DataFrame, dims: Sequence[str]) -> list[dict[str, Any]]:
    """Plain JSON rows (NA -> null) with display labels and marker text for each group."""
    min_cell = int(df.attrs.get("min_cell", 11))
    rows = []
    for _, row in df.iterrows():
        rec: dict[str, Any] = {}
        for d in dims:
            rec[d] = _value_label(row[d])
        supp = bool(row.get("suppressed", False))
        rate = row.get("uphold_rate")
        hidden_rate = supp or rate is None or pd.isna(rate)
        rec["rate"] = None if hidden_rate else float(rate)
        rec["lo"] = None if hidden_rate else float(row["ci_low"])
        rec["hi"] = None if hidden_rate else float(row["ci_high"])
        n = row.get("n")
        rec["n"] = None if n is None or pd.isna(n) else int(n)
        rec["suppressed"] = hidden_rate
        reason = row.get("suppression_reason")
        rec["reason"] = None if reason is None or pd.isna(reason) else str(reason)
        rec["status"] = _suppressed_text(row, min_cell) if hidden_rate else "shown"
        rec["n_text"] = f"n={rec['n']:,}" if rec["n"] is not None else ""
        rec["rate_text"] = "" if hidden_rate else f"{rate:.0%}"
        rows.append(rec)
    return rows


def _suppressed_legend(min_cell: int) -> str:
    return f"suppressed (count<{min_cell})"


def _rate_axis(title: str = "Uphold rate") -> alt.Axis:
    return alt.Axis(format="%", title=title)


def _y_floor(records: Sequence[dict[str, Any]]) -> float:
    """Lower end of a rate axis: a little below the lowest interval, on a 10% step."""
    lows = [r["lo"] for r in records if r["lo"] is not None]
    if not lows:
        return 0.0
    return max(0.0, math.floor(min(lows) * 10) / 10)


# --- charts ---------------------------------------------------------------------------------


def rate_bars(
    df: pd.DataFrame,
    dim: str | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    sort: str = "rate",
    width: int = 420,
) -> alt.LayerChart:
    """Horizontal bars of uphold rate per group, sorted, with interval whiskers and n labels.

    ``sort`` is 'rate' (highest first), 'n' (largest first) or 'data' (the DataFrame's order).
    Suppressed groups stay on the axis, after the shown ones, as a grey square with its label.
    """
    dim = dim or (_by(df)[0] if _by(df) else None)
    if dim is None:
        raise ValueError("rate_bars needs a DataFrame grouped by one dimension (or dim=...)")
    records = _records(df, [dim])
    shown = [r for r in records if not r["suppressed"]]
    hidden = [r for r in records if r["suppressed"]]
    if sort == "rate":
        shown.sort(key=lambda r: -r["rate"])
    elif sort == "n":
        shown.sort(key=lambda r: -(r["n"] or 0))
    elif sort != "data":
        raise ValueError("sort must be 'rate', 'n' or 'data'")
    order = list(dict.fromkeys(r[dim] for r in shown + hidden))
    for r in records:
        r["zero"] = 0.0
    # No axis title: the chart title names the dimension, and Vega places a y title by
    # the axis width it expects, so long labels (MTUS chapters) would run into it.
    y = alt.Y(f"{dim}:N", sort=order, title=None)
    base = alt.Chart(alt.Data(values=records)).encode(y=y)
    x_scale = alt.Scale(domain=[0, 1], nice=False)
    visible = alt.datum.suppressed == False  # noqa: E712 (Vega expression, not Python)
    bars = (
        base.mark_bar(color=BAR, opacity=0.85, height={"band": 0.7})
        .encode(
            x=alt.X("rate:Q", scale=x_scale, axis=_rate_axis()),
            tooltip=[
                alt.Tooltip(f"{dim}:N", title=_label(dim)),
                alt.Tooltip("rate:Q", format=".1%", title="uphold rate"),
                alt.Tooltip("lo:Q", format=".1%", title="95% CI low"),
                alt.Tooltip("hi:Q", format=".1%", title="95% CI high"),
                alt.Tooltip("n:Q", format=",", title="items"),
            ],
        )
        .transform_filter(visible)
    )
    whiskers = (
        base.mark_rule(color=INK, strokeWidth=1.5)
        .encode(x=alt.X("lo:Q", scale=x_scale), x2="hi:Q")
        .transform_filter(visible)
    )
    n_labels = (
        base.mark_text(align="left", dx=4, color=INK)
        .encode(x=alt.X("hi:Q", scale=x_scale), text="n_text:N")
        .transform_filter(visible)
    )
    markers = (
        base.mark_square(color=GREY, size=90, opacity=1)
        .encode(x=alt.X("zero:Q", scale=x_scale), tooltip=["status:N"])
        .transform_filter(~visible)
    )
    marker_text = (
        base.mark_text(align="left", dx=9, color="#666666", fontStyle="italic")
        .encode(x=alt.X("zero:Q", scale=x_scale), text="status:N")
        .transform_filter(~visible)
    )
    chart = alt.layer(bars, whiskers, n_labels, markers, marker_text).properties(
        width=width, height=alt.Step(22)
    )
    return chart.properties(
        title=_title(title or f"Uphold rate by {_label(dim).lower()}", subtitle, df)
    )


def _title(text: str, subtitle: str | None, df: pd.DataFrame, intervals: bool = True) -> alt.Title:
    """Title plus the notes a reader needs: interval method, suppression, multi-valued dims."""
    method = df.attrs.get("method", "wilson")
    level = 1 - float(df.attrs.get("alpha", 0.05))
    min_cell = int(df.attrs.get("min_cell", 11))
    sub = [subtitle] if subtitle else []
    name = "Wilson" if method == "wilson" else "Clopper-Pearson"
    shown = f"Whiskers/bands: {level:.0%} {name} interval. " if intervals else ""
    sub.append(f"{shown}Grey: suppressed, counts 1-{min_cell - 1} and their complements.")
    multi = df.attrs.get("multi_valued") or []
    if multi:
        names = ", ".join(_label(d) for d in multi)
        sub.append(f"{names}: multi-valued, an item counts under each of its values.")
    return alt.Title(text, subtitle=sub)


def _temporal_dim(df: pd.DataFrame, period: str | None) -> str:
    if period:
        return period
    for d in _by(df):
        if d in DIMENSIONS and DIMENSIONS[d].temporal:
            return d
    raise ValueError("no period dimension (decision_year/quarter/month) in the DataFrame")


_TIME_FORMAT = {"year": "%Y", "quarter": "%Y Q%q", "month": "%b %Y"}
# Ticks on period starts only, so a yearly axis never repeats "2014" at mid-year ticks.
_TICKS: dict[str, Any] = {
    "year": {"interval": "year", "step": 1},
    "quarter": {"interval": "month", "step": 3},
    "month": {"interval": "month", "step": 3},
}


def _trend_layers(
    base: alt.Chart,
    period: str,
    y_floor: float,
    color: str | None,
    min_cell: int,
    has_hidden: bool = True,
) -> list[alt.Chart]:
    """Band + line + points for the shown periods, grey triangles for suppressed ones."""
    kind = DIMENSIONS[period].temporal if period in DIMENSIONS else "year"
    x = alt.X(
        "t:T",
        title=_label(period),
        axis=alt.Axis(
            format=_TIME_FORMAT.get(kind or "year", "%Y"),
            tickCount=_TICKS.get(kind or "year"),
            labelAngle=0,
        ),
    )
    y_scale = alt.Scale(domain=[y_floor, 1], nice=False, zero=False)
    series = {"color": alt.Color(f"{color}:N", title=_label(color))} if color else {}
    fixed = {} if color else {"color": BAR}
    visible = alt.datum.suppressed == False  # noqa: E712
    band = base.mark_area(opacity=0.18, invalid="break-paths-filter-domains", **fixed).encode(
        x=x, y=alt.Y("lo:Q", scale=y_scale, axis=_rate_axis()), y2="hi:Q", **series
    )
    line = base.mark_line(invalid="break-paths-filter-domains", **fixed).encode(
        x=x, y=alt.Y("rate:Q", scale=y_scale), **series
    )
    points = (
        base.mark_point(filled=True, size=30, **fixed)
        .encode(
            x=x,
            y=alt.Y("rate:Q", scale=y_scale),
            tooltip=[
                alt.Tooltip("label:N", title=_label(period)),
                alt.Tooltip("rate:Q", format=".1%", title="uphold rate"),
                alt.Tooltip("lo:Q", format=".1%", title="95% CI low"),
                alt.Tooltip("hi:Q", format=".1%", title="95% CI high"),
                alt.Tooltip("n:Q", format=",", title="items"),
            ],
            **series,
        )
        .transform_filter(visible)
    )
    legend_label = _suppressed_legend(min_cell)
    markers = (
        base.mark_point(filled=True, size=70, color=GREY, opacity=1)
        .encode(
            x=x,
            y=alt.Y("floor:Q", scale=y_scale),
            shape=alt.Shape(
                "legend:N",
                scale=alt.Scale(domain=[legend_label], range=["triangle-up"]),
                legend=alt.Legend(title=None, symbolFillColor=GREY, symbolStrokeColor=GREY),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=_label(period)),
                *([alt.Tooltip(f"{color}:N", title=_label(color))] if color else []),
                "status:N",
            ],
        )
        .transform_filter(~visible)
    )
    return [band, line, points, markers] if has_hidden else [band, line, points]


def _trend_records(df: pd.DataFrame, dims: Sequence[str], period: str) -> list[dict[str, Any]]:
    records = _records(df, dims)
    floor = _y_floor(records)
    min_cell = int(df.attrs.get("min_cell", 11))
    for rec, (_, row) in zip(records, df.iterrows(), strict=True):
        rec["t"] = _period_start(row[period], period)
        rec["label"] = rec[period]
        rec["floor"] = floor
        rec["legend"] = _suppressed_legend(min_cell)
    return [r for r in records if r["t"] is not None]


def rate_trend(
    df: pd.DataFrame,
    period: str | None = None,
    *,
    color: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    width: int = 520,
    height: int = 260,
) -> alt.LayerChart:
    """Uphold rate over time with its interval as a band; ``color`` splits into series.

    Suppressed periods break the line and show as grey triangles on the floor of the axis,
    with a legend entry, instead of being bridged over.
    """
    period = _temporal_dim(df, period)
    dims = [period] + ([color] if color else [])
    records = _trend_records(df, dims, period)
    floor = _y_floor(records)
    base = alt.Chart(alt.Data(values=records))
    has_hidden = any(r["suppressed"] for r in records)
    min_cell = int(df.attrs.get("min_cell", 11))
    layers = _trend_layers(base, period, floor, color, min_cell, has_hidden)
    chart = alt.layer(*layers).properties(width=width, height=height)
    return chart.properties(
        title=_title(title or f"Uphold rate by {_label(period).lower()}", subtitle, df)
    )


def source_heatmap(
    df: pd.DataFrame,
    x: str = "reviewer_source",
    y: str = "ca_source",
    *,
    title: str | None = None,
    subtitle: str | None = None,
    cell: int = 64,
) -> alt.LayerChart:
    """Uphold rate in every claims-administrator source x reviewer source cell.

    Feed it ``uphold_rates(con, by=["ca_source", "reviewer_source"])``. Each cell shows the rate
    and n; suppressed cells are grey and say so.
    """
    records = _records(df, [x, y])
    min_cell = int(df.attrs.get("min_cell", 11))
    for r in records:
        if r["suppressed"]:
            why = {"complementary": "(complementary)", "small count": f"(count<{min_cell})"}
            r["text"] = ["suppressed", why.get(r["reason"], f"(n<{min_cell})")]
        else:
            r["text"] = [r["rate_text"], r["n_text"]]
    rates = [r["rate"] for r in records if r["rate"] is not None]
    lo, hi = (min(rates), max(rates)) if rates else (0.0, 1.0)
    if hi - lo < 0.02:
        lo, hi = max(0.0, lo - 0.01), min(1.0, hi + 0.01)
    mid = (lo + hi) / 2
    x_order = sorted({r[x] for r in records})
    y_order = sorted({r[y] for r in records})
    base = alt.Chart(alt.Data(values=records)).encode(
        x=alt.X(f"{x}:N", sort=x_order, title=_label(x), axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y(f"{y}:N", sort=y_order, title=_label(y)),
    )
    visible = alt.datum.suppressed == False  # noqa: E712
    shown = (
        base.mark_rect(stroke="white", strokeWidth=2)
        .encode(
            color=alt.Color(
                "rate:Q",
                scale=alt.Scale(scheme="blues", domain=[lo, hi]),
                legend=alt.Legend(format="%", title="Uphold rate", orient="right"),
            ),
            tooltip=[
                alt.Tooltip(f"{y}:N", title=_label(y)),
                alt.Tooltip(f"{x}:N", title=_label(x)),
                alt.Tooltip("rate:Q", format=".1%", title="uphold rate"),
                alt.Tooltip("lo:Q", format=".1%", title="95% CI low"),
                alt.Tooltip("hi:Q", format=".1%", title="95% CI high"),
                alt.Tooltip("n:Q", format=",", title="items"),
            ],
        )
        .transform_filter(visible)
    )
    hidden = (
        base.mark_rect(color="#e0e0e0", stroke="white", strokeWidth=2)
        .encode(tooltip=["status:N"])
        .transform_filter(~visible)
    )
    text = base.mark_text(baseline="middle", lineHeight=14).encode(
        text="text:N",
        color=alt.condition(
            "datum.rate != null && datum.rate > " + repr(mid), alt.value("white"), alt.value(INK)
        ),
    )
    chart = alt.layer(shown, hidden, text).properties(
        width=alt.Step(cell * 1.4), height=alt.Step(cell * 0.75)
    )
    return chart.properties(
        title=_title(
            title or f"Uphold rate: {_label(y)} x {_label(x)}", subtitle, df, intervals=False
        )
    )


def small_multiples(
    df: pd.DataFrame,
    facet: str | None = None,
    x: str | None = None,
    *,
    columns: int = 3,
    title: str | None = None,
    subtitle: str | None = None,
    panel_width: int = 200,
    panel_height: int = 130,
) -> alt.FacetChart:
    """One small panel per value of ``facet`` (e.g. item_category), sharing scales.

    ``x`` is the other dimension of ``df``: a period gives a trend with a band in each panel,
    anything else gives a column of rates with whiskers. Suppressed cells are grey triangles on
    the floor with a legend entry. Panels are ordered by total n, largest first.
    """
    by = _by(df)
    if facet is None or x is None:
        rest = [d for d in by if d not in (facet, x)]
        facet = facet or (rest.pop(0) if rest else None)
        x = x or (rest.pop(0) if rest else None)
    if facet is None or x is None:
        raise ValueError("small_multiples needs a DataFrame grouped by two dimensions")
    min_cell = int(df.attrs.get("min_cell", 11))
    temporal = x in DIMENSIONS and DIMENSIONS[x].temporal is not None
    if temporal:
        records = _trend_records(df, [facet, x], x)
    else:
        records = _records(df, [facet, x])
        for r in records:
            r["label"] = r[x]
            r["legend"] = _suppressed_legend(min_cell)
    floor = _y_floor(records)
    for r in records:
        r["floor"] = floor
    totals: dict[str, int] = {}
    for r in records:
        totals[r[facet]] = totals.get(r[facet], 0) + (r["n"] or 0)
    facet_order = sorted(totals, key=lambda k: -totals[k])
    has_hidden = any(r["suppressed"] for r in records)
    base = alt.Chart()
    if temporal:
        layers = _trend_layers(base, x, floor, None, min_cell, has_hidden)
    else:
        y_scale = alt.Scale(domain=[floor, 1], nice=False, zero=False)
        visible = alt.datum.suppressed == False  # noqa: E712
        x_order = list(dict.fromkeys(r[x] for r in records))  # df order: bands stay in order
        xe = alt.X(f"{x}:N", sort=x_order, title=_label(x), axis=alt.Axis(labelAngle=-40))
        layers = [
            base.mark_rule(color=INK)
            .encode(x=xe, y=alt.Y("lo:Q", scale=y_scale, axis=_rate_axis()), y2="hi:Q")
            .transform_filter(visible),
            base.mark_point(filled=True, color=BAR, size=40)
            .encode(
                x=xe,
                y=alt.Y("rate:Q", scale=y_scale),
                tooltip=["label:N", alt.Tooltip("rate:Q", format=".1%"), "n:Q"],
            )
            .transform_filter(visible),
            base.mark_point(filled=True, size=70, color=GREY, opacity=1)
            .encode(
                x=xe,
                y=alt.Y("floor:Q", scale=y_scale),
                shape=alt.Shape(
                    "legend:N",
                    scale=alt.Scale(domain=[_suppressed_legend(min_cell)], range=["triangle-up"]),
                    legend=alt.Legend(title=None, symbolFillColor=GREY, symbolStrokeColor=GREY),
                ),
                tooltip=["label:N", "status:N"],
            )
            .transform_filter(~visible),
        ]
        if not has_hidden:
            layers = layers[:2]
    inner = alt.layer(*layers, data=alt.Data(values=records)).properties(
        width=panel_width, height=panel_height
    )
    chart = inner.facet(
        facet=alt.Facet(f"{facet}:N", sort=facet_order, title=None),
        columns=columns,
    )
    return chart.properties(
        title=_title(
            title or f"Uphold rate by {_label(x).lower()}, per {_label(facet).lower()}",
            subtitle,
            df,
        )
    )


# --- rendering ------------------------------------------------------------------------------


def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes, if this vl-convert has it (else its default)."""
    wanted = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    return wanted if wanted in vlc.get_vegalite_versions() else None


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as a Vega-Lite dict with the house theme, whatever theme is enabled now."""
    with alt.theme.enable(THEME):
        return chart.to_dict()


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render to an SVG string offline: any external data/image URL makes it fail."""
    return vlc.vegalite_to_svg(_spec(chart), vl_version=_vl_version(), allowed_base_urls=[])


def to_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """Render to PNG bytes offline (``scale`` 2 suits print and high-density screens)."""
    return vlc.vegalite_to_png(
        _spec(chart), vl_version=_vl_version(), scale=scale, allowed_base_urls=[]
    )
