"""Altair charts of uphold rates in one house theme, rendered offline with vl-convert.

Every chart takes a DataFrame returned by ``uphold_rates`` (aggregated): no chart function ever
sees item-level rows. Every group is drawn; a rate that is not reliable by the NCHS 2017
standard (the ``reliable`` column) is drawn hollow and lighter, with a legend or a note, and
is never ranked: sorting by rate orders only the reliable rows. Ordinal dimensions (years,
bands) keep their natural order. A dimension with more values than a chart can show keeps the
largest by n and pools the rest into one "all others" mark (``with_others``).

* ``rate_bars(df)``: sorted horizontal bars of the uphold rate, interval whiskers, ``n`` labels.
* ``rate_trend(df)``: rate over decision year/quarter/month with an interval band.
* ``source_heatmap(df)``: claims administrator's source x reviewer's source.
* ``small_multiples(df, facet=...)``: one small panel per category.
* ``odds_ratio_chart(df)``: a ``compare_rates`` result as a forest plot on a log scale.
* ``to_svg(chart)`` / ``to_png(chart, scale=2)``: offline rendering; external URLs are refused
  and the fonts are ones vl-convert has locally (it bundles Liberation Sans).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
import vl_convert as vlc

from imr_analytics._jsonschema import import_jsonschema
from imr_analytics.analytics.rates import DIMENSIONS

import_jsonschema()  # before Altair: 3 s less CPU in a notebook's first chart (see _jsonschema)

import altair as alt  # noqa: E402

__all__ = [
    "OTHERS_LABEL",
    "THEME",
    "is_ordinal",
    "ordinal_axis",
    "odds_ratio_chart",
    "rate_bars",
    "rate_trend",
    "small_multiples",
    "source_heatmap",
    "to_png",
    "to_svg",
    "vegalite_spec",
    "with_others",
]

THEME = "imr"
# vl-convert measures every label with the first font of this list it has, and places the
# labels by that measure; the SVG's text is then drawn by the reader's browser or mail client
# with the first font *it* has. Measuring with a wide font (DejaVu Sans, as wide as Verdana)
# and naming only fonts of that width or narrower means a label can never be wider on screen
# than the room made for it (with Liberation Sans first, Debian's Chromium drew the labels in
# DejaVu Sans and cut them off at the left edge). Liberation Sans (bundled with vl-convert,
# Arial's metrics) is the fallback where DejaVu Sans is not installed.
FONT = "DejaVu Sans, Verdana, Liberation Sans, Arial, Helvetica, sans-serif"
BAR = "#2f5d8a"
INK = "#333333"
GREY = "#9a9a9a"
MISSING_LABEL = "(not stated)"


@alt.theme.register(THEME, enable=False)
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

OTHERS_LABEL = "all others"
# Most values a chart draws on one axis (or facets it draws); the rest become one pooled
# "all others" row. Thousands of marks make Vega recurse until the stack overflows, and no
# reader can use a 3,000-bar chart anyway.
MAX_CHART_ROWS = 25
MAX_FACETS = 12
RELIABLE = "reliable"
UNRELIABLE = "not reliable (NCHS 2017)"
# Two short lines: a subtitle is not wrapped, and a small-multiples panel is narrow.
HOLLOW_NOTE = (
    "Hollow marks: rate not reliable (NCHS 2017 standard:",
    "effective n under 30 or interval too wide); shown, never ranked.",
)
_METHOD_NAMES = {"korn-graubard": "Korn-Graubard", "wilson": "Wilson"}


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


def _number(value: Any) -> float | None:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    return float(value)


def is_ordinal(dim: str) -> bool:
    """Whether a dimension has a natural order (periods, years, bands) rather than categories."""
    d = DIMENSIONS.get(dim)
    return d is not None and (d.sort in {"value", "order"} or d.temporal is not None)


def with_others(
    df: pd.DataFrame, dim: str, limit: int, *, label: str = OTHERS_LABEL
) -> pd.DataFrame:
    """At most ``limit`` rows: the ``limit - 1`` values with the most items, then "all others".

    For a frame grouped by ``dim`` and at most one more dimension, the values of ``dim`` are
    ranked by their total n; with a second dimension the pooled row is made once per value of
    it. The pooled rows come from ``others_row`` (counts summed, rate recomputed, no interval,
    never reliable), so a chart or table of 3,000 specialties stays a readable, bounded size
    while every item is still counted somewhere. Row order is otherwise kept.
    """
    from imr_analytics.analytics import others_row

    if df.empty or dim not in df.columns or limit < 2:
        return df
    totals = df.groupby(df[dim].map(_value_label), sort=False)["n"].sum()
    if len(totals) <= limit:
        return df
    keep = set(totals.sort_values(ascending=False, kind="stable").index[: limit - 1])
    kept = df[dim].map(_value_label).isin(keep)
    rest = [d for d in _by(df) if d != dim]
    pieces = [df[kept]]
    if not rest:
        pooled = others_row(df, kept, label=label)
        pooled[dim] = label
        pieces.append(pooled)
    else:
        other = rest[0]
        for value, group in df[~kept].groupby(df[other].map(_value_label), sort=False):
            pooled = others_row(group, pd.Series(False, index=group.index), label=label)
            pooled[dim] = label
            pooled[other] = group[other].iloc[0] if value != MISSING_LABEL else None
            pieces.append(pooled)
    out = pd.concat(pieces, ignore_index=True)
    out.attrs = dict(df.attrs)
    out.attrs["others"] = {"dim": dim, "pooled_values": len(totals) - (limit - 1)}
    return out


def _reliable(row: pd.Series) -> bool:
    value = row.get("reliable")
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return False
    return bool(value)


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
    """Plain JSON rows (NA -> null) with display labels and reliability for each group."""
    rows = []
    for _, row in df.iterrows():
        rec: dict[str, Any] = {}
        for d in dims:
            rec[d] = _value_label(row[d])
        rate = _number(row.get("uphold_rate"))
        rec["rate"] = rate
        rec["lo"] = _number(row.get("ci_low"))
        rec["hi"] = _number(row.get("ci_high"))
        n = _number(row.get("n"))
        rec["n"] = None if n is None else int(n)
        eff = _number(row.get("effective_n"))
        rec["eff"] = eff
        rec["reliable"] = _reliable(row) and rate is not None
        rec["reliability"] = RELIABLE if rec["reliable"] else UNRELIABLE
        note = row.get("reliability_note")
        rec["note"] = "" if note is None or pd.isna(note) else str(note)
        rec["n_text"] = f"n={rec['n']:,}" if rec["n"] is not None else ""
        rec["rate_text"] = (
            "" if rate is None else f"{rate:.0%}" + ("" if rec["reliable"] else "\u2020")
        )
        rec["end"] = rec["hi"] if rec["hi"] is not None else rate  # where the n label goes
        rows.append(rec)
    return rows


def _order_rows(records: list[dict[str, Any]], dim: str, sort: str) -> list[str]:
    """Axis order: the frame's own (natural or by n), by n, or by rate among reliable rows only.

    An unreliable rate is never ranked: with ``sort='rate'`` the reliable rows come first by
    rate, then the unreliable ones by n. "all others" is always last.
    """
    rows = [r for r in records if r[dim] != OTHERS_LABEL]
    tail = [r for r in records if r[dim] == OTHERS_LABEL]
    if sort == "rate":
        good = sorted((r for r in rows if r["reliable"]), key=lambda r: -r["rate"])
        rest = sorted((r for r in rows if not r["reliable"]), key=lambda r: -(r["n"] or 0))
        rows = good + rest
    elif sort == "n":
        rows = sorted(rows, key=lambda r: -(r["n"] or 0))
    elif sort not in {"data", "auto"}:
        raise ValueError("sort must be 'auto', 'data', 'n' or 'rate'")
    return list(dict.fromkeys(r[dim] for r in rows + tail))


def _rate_axis(title: str = "Uphold rate") -> alt.Axis:
    """Percent axis; Vega drops labels that would overlap ("greedy"), e.g. 90% and 100% on a
    short axis, and keeps the end labels inside the plot."""
    return alt.Axis(format="%", title=title, labelOverlap="greedy", labelFlush=True)


def _y_floor(records: Sequence[dict[str, Any]]) -> float:
    """Lower end of a rate axis: a little below the lowest interval, on a 10% step."""
    lows = [r["lo"] if r["lo"] is not None else r["rate"] for r in records]
    lows = [v for v in lows if v is not None]
    if not lows:
        return 0.0
    return max(0.0, math.floor(min(lows) * 10) / 10)


def _channel(name: str, value: Any) -> Any:
    """One encoding value as the Altair channel object ``encode`` would make of it."""
    if isinstance(value, list | tuple):
        return [_channel(name, v) for v in value]
    if isinstance(value, str):
        value = {"shorthand": value}
    if not isinstance(value, dict):
        return value  # a channel object already (or Undefined)
    kind = name[0].upper() + name[1:] + ("Value" if "value" in value else "")
    return getattr(alt, kind)(**value)


def _channels(**encodings: Any) -> dict[str, Any]:
    """Encoding channels as Altair channel objects (``alt.X2``, ``alt.ColorValue``...), built
    directly from the class each channel names.

    Given a shorthand string or a dict (``x2="hi:Q"``, ``alt.condition(...)``), ``encode`` finds
    its class by validating it against every candidate schema: about half the CPU of building
    a report's charts. The chart's Vega-Lite dict is the same either way.
    """
    return {name: _channel(name, value) for name, value in encodings.items()}


def _tooltip(dims: Sequence[str]) -> list[alt.Tooltip]:
    return [
        *(alt.Tooltip(f"{d}:N", title=_label(d)) for d in dims),
        alt.Tooltip("rate:Q", format=".1%", title="uphold rate"),
        alt.Tooltip("lo:Q", format=".1%", title="95% CI low"),
        alt.Tooltip("hi:Q", format=".1%", title="95% CI high"),
        alt.Tooltip("n:Q", format=",", title="items"),
        alt.Tooltip("eff:Q", format=",.0f", title="effective n"),
        alt.Tooltip("note:N", title="reliability"),
    ]


def _reliability_legend(records: Sequence[dict[str, Any]], color: str = BAR) -> dict[str, Any]:
    """Fill encoding: solid for reliable rates, white (hollow) for unreliable, with a legend
    only when some rate is unreliable (a legend for nothing is noise)."""
    any_hollow = any(not r["reliable"] for r in records)
    return {
        "fill": alt.Fill(
            "reliability:N",
            scale=alt.Scale(domain=[RELIABLE, UNRELIABLE], range=[color, "white"]),
            legend=alt.Legend(
                title=None, symbolStrokeColor=color, symbolStrokeWidth=1.5, symbolType="square"
            )
            if any_hollow
            else None,
        )
    }


# --- charts ---------------------------------------------------------------------------------


@contextlib.contextmanager
def unvalidated() -> Iterator[None]:
    """Make Altair objects without checking each against the Vega-Lite schema as it is made.

    Altair validates every object it creates (an axis, a title, the inline rows) by turning
    it into a dict and walking the schema: about half the CPU of building a report's charts,
    the rows checked again in every layer. The builders here (decorated with it) and the
    report's own charts are made inside it; what they produce is checked whole instead, by
    the tests, which validate every builder's spec against the schema. Outside it, Altair
    validates as it always does.
    """
    from altair.utils.schemapi import debug_mode

    with debug_mode(False):
        yield


@unvalidated()
def rate_bars(
    df: pd.DataFrame,
    dim: str | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    sort: str = "auto",
    width: int = 420,
    max_rows: int = MAX_CHART_ROWS,
) -> alt.LayerChart:
    """Horizontal bars of uphold rate per group, with interval whiskers and n labels.

    ``sort`` is 'auto'/'data' (the frame's order: natural for years and bands, by n for
    categories, as ``uphold_rates`` returns them), 'n' (largest first) or 'rate' (reliable rows
    by rate, then unreliable ones by n). Unreliable rates are hollow bars with lighter, dashed
    whiskers. More than ``max_rows`` values: the largest by n plus one "all others" bar.
    """
    dim = dim or (_by(df)[0] if _by(df) else None)
    if dim is None:
        raise ValueError("rate_bars needs a DataFrame grouped by one dimension (or dim=...)")
    bounded = with_others(df, dim, max_rows)
    records = [r for r in _records(bounded, [dim]) if r["rate"] is not None]
    order = _order_rows(records, dim, sort)
    # No axis title: the chart title names the dimension, and Vega places a y title by
    # the axis width it expects, so long labels (MTUS chapters) would run into it.
    y = alt.Y(f"{dim}:N", sort=order, title=None)
    # the rows go on the layer, not on each mark: Altair copies every layer deeply, inline
    # rows included, several times while layering (same Vega-Lite either way: it lifts shared
    # rows to the layer)
    base = alt.Chart().encode(**_channels(y=y))
    x_scale = alt.Scale(domain=[0, 1], nice=False)
    solid = alt.datum.reliable
    bars = base.mark_bar(stroke=BAR, strokeWidth=1.5, height={"band": 0.7}).encode(
        **_channels(
            x=alt.X("rate:Q", scale=x_scale, axis=_rate_axis()),
            opacity=alt.condition(solid, alt.value(0.85), alt.value(0.55)),
            tooltip=_tooltip([dim]),
            **_reliability_legend(records),
        )
    )
    whiskers = base.mark_rule(strokeWidth=1.5).encode(
        **_channels(
            x=alt.X("lo:Q", scale=x_scale),
            x2="hi:Q",
            color=alt.condition(solid, alt.value(INK), alt.value(GREY)),
            strokeDash=alt.condition(solid, alt.value([1, 0]), alt.value([3, 2])),
        )
    )
    n_labels = base.mark_text(align="left", dx=4).encode(
        **_channels(
            x=alt.X("end:Q", scale=x_scale),
            text="n_text:N",
            color=alt.condition(solid, alt.value(INK), alt.value("#777777")),
        )
    )
    return _layered(
        bars,
        whiskers,
        n_labels,
        data=alt.Data(values=records),
        width=width,
        height=alt.Step(22),
        title=_title(title or f"Uphold rate by {_label(dim).lower()}", subtitle, bounded, records),
    )


def _layered(*layers: alt.Chart, **props: Any) -> alt.LayerChart:
    """The layers as one chart with its top-level properties, built in one step.

    ``alt.layer(...).properties(...)`` builds the layer chart again for each call, and each
    build deep-copies every layer twice (Altair's parameter merging): three builds, six copies
    of every encoding, about a tenth of a report's CPU. The Vega-Lite is the same; the
    properties are not validated one by one here (the tests validate every builder's whole
    spec against the Vega-Lite schema).
    """
    return alt.LayerChart(layer=list(layers), **props)


def _title(
    text: str,
    subtitle: str | None,
    df: pd.DataFrame,
    records: Sequence[dict[str, Any]] = (),
    intervals: bool = True,
) -> alt.Title:
    """Title plus the notes a reader needs: interval method, reliability, multi-valued dims."""
    method = str(df.attrs.get("method", "korn-graubard"))
    level = 1 - float(df.attrs.get("alpha", 0.05))
    sub = [subtitle] if subtitle else []
    name = _METHOD_NAMES.get(method, method)
    if intervals:
        clustered = ", letters as clusters" if df.attrs.get("unit", "item") == "item" else ""
        sub.append(f"Whiskers/bands: {level:.0%} {name} interval{clustered}.")
    if any(not r["reliable"] for r in records):
        sub.extend(HOLLOW_NOTE)
    others = df.attrs.get("others")
    if others:
        sub.append(
            f"{OTHERS_LABEL}: {others['pooled_values']:,} smaller values pooled (no interval)."
        )
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


def ordinal_axis(labels: Sequence[str], width: float, *, title: str | None = None) -> alt.Axis:
    """An axis for period or category labels that never overlap: level when they fit, slanted
    when they do not, and thinned (every other label, Vega's "parity") when even slanted ones
    would touch. Only the periods present are on an ordinal axis, so there are no gaps."""
    n = max(len(labels), 1)
    longest = max((len(str(t)) for t in labels), default=1)
    slot = width / n  # px available per label
    level = longest * 7.2 + 6 <= slot  # 12 px Liberation Sans: about 7 px per character
    return alt.Axis(
        title=title,
        labelAngle=0 if level else -45,
        labelAlign="center" if level else "right",
        labelBaseline="top",
        labelOverlap="parity" if slot < 18 else False,
        labelPadding=4,
        labelLimit=160,
    )


def _trend_layers(
    base: alt.Chart,
    period: str,
    y_floor: float,
    color: str | None,
    order: Sequence[str],
    width: float,
) -> list[alt.Chart]:
    """Band + line through every period present; filled points where the rate is reliable,
    hollow (white fill, lighter) where it is not, so a thin period is seen, not hidden or
    bridged. The axis is ordinal (only the periods present, in time order). A single period
    has no band to draw: it is a point with its interval as a rule."""
    x = alt.X(
        "label:O",
        sort=list(order),
        scale=alt.Scale(type="point", padding=0.5),
        axis=ordinal_axis(order, width, title=_label(period)),
    )
    y_scale = alt.Scale(domain=[y_floor, 1], nice=False, zero=False)
    series = {"color": alt.Color(f"{color}:N", title=_label(color))} if color else {}
    fixed = {} if color else {"color": BAR}
    tips = _tooltip(["label"] + ([color] if color else []))
    solid = (
        base.mark_point(filled=True, size=36, **fixed)
        .encode(
            **_channels(
                x=x, y=alt.Y("rate:Q", scale=y_scale, axis=_rate_axis()), tooltip=tips, **series
            )
        )
        .transform_filter(alt.datum.reliable)
    )
    hollow = (
        base.mark_point(filled=False, fill="white", size=46, strokeWidth=1.5, opacity=0.7, **fixed)
        .encode(**_channels(x=x, y=alt.Y("rate:Q", scale=y_scale), tooltip=tips, **series))
        .transform_filter(~alt.datum.reliable)
    )
    if len(order) == 1:
        rule = base.mark_rule(strokeWidth=2, **fixed).encode(
            **_channels(x=x, y=alt.Y("lo:Q", scale=y_scale, axis=_rate_axis()), y2="hi:Q", **series)
        )
        return [rule, solid, hollow]
    band = base.mark_area(opacity=0.18, invalid="break-paths-filter-domains", **fixed).encode(
        **_channels(x=x, y=alt.Y("lo:Q", scale=y_scale, axis=_rate_axis()), y2="hi:Q", **series)
    )
    line = base.mark_line(invalid="break-paths-filter-domains", strokeWidth=1.5, **fixed).encode(
        **_channels(x=x, y=alt.Y("rate:Q", scale=y_scale), **series)
    )
    return [band, line, solid, hollow]


def _trend_records(df: pd.DataFrame, dims: Sequence[str], period: str) -> list[dict[str, Any]]:
    records = _records(df, dims)
    for rec, (_, row) in zip(records, df.iterrows(), strict=True):
        rec["t"] = _period_start(row[period], period)
        rec["label"] = rec[period]
    return [r for r in records if r["t"] is not None and r["rate"] is not None]


@unvalidated()
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

    Periods stay in time order; unreliable ones are hollow points on the same line.
    """
    period = _temporal_dim(df, period)
    dims = [period] + ([color] if color else [])
    records = _trend_records(df, dims, period)
    floor = _y_floor(records)
    base = alt.Chart()  # the rows go on the layer (see rate_bars)
    order = sorted({r["label"] for r in records}, key=lambda lab: _period_start(lab, period) or "")
    layers = _trend_layers(base, period, floor, color, order, width)
    return _layered(
        *layers,
        data=alt.Data(values=records),
        width=width,
        height=height,
        title=_title(title or f"Uphold rate by {_label(period).lower()}", subtitle, df, records),
    )


def _axis_order(records: Sequence[dict[str, Any]], dim: str) -> list[str]:
    """Heatmap axis order: natural for ordinal dimensions, else by total n; others last."""
    values = list(dict.fromkeys(r[dim] for r in records))
    if not is_ordinal(dim):
        totals: dict[str, int] = {}
        for r in records:
            totals[r[dim]] = totals.get(r[dim], 0) + (r["n"] or 0)
        values.sort(key=lambda v: -totals[v])
    return [v for v in values if v != OTHERS_LABEL] + (
        [OTHERS_LABEL] if OTHERS_LABEL in values else []
    )


@unvalidated()
def source_heatmap(
    df: pd.DataFrame,
    x: str = "reviewer_source",
    y: str = "ca_source",
    *,
    title: str | None = None,
    subtitle: str | None = None,
    cell: int = 64,
    max_values: int = MAX_FACETS,
) -> alt.LayerChart:
    """Uphold rate in every claims-administrator source x reviewer source cell.

    Feed it ``uphold_rates(con, by=["ca_source", "reviewer_source"])``. Each cell shows the rate
    and n; a cell whose rate is not reliable is white with a coloured border (hollow), its
    rate marked with a dagger. Axes are ordered by n; more than ``max_values`` values on the
    y axis are pooled into "all others".
    """
    bounded = with_others(df, y, max_values) if y in df.columns else df
    records = _records(bounded, [x, y])
    for r in records:
        r["text"] = [r["rate_text"], r["n_text"]]
    rates = [r["rate"] for r in records if r["rate"] is not None and r["reliable"]]
    lo, hi = (min(rates), max(rates)) if rates else (0.0, 1.0)
    if hi - lo < 0.02:
        lo, hi = max(0.0, lo - 0.01), min(1.0, hi + 0.01)
    mid = (lo + hi) / 2
    base = alt.Chart().encode(  # the rows go on the layer (see rate_bars)
        **_channels(
            x=alt.X(
                f"{x}:N",
                sort=_axis_order(records, x),
                title=_label(x),
                axis=alt.Axis(labelAngle=0, orient="top"),
            ),
            y=alt.Y(f"{y}:N", sort=_axis_order(records, y), title=_label(y)),
        )
    )
    solid = alt.datum.reliable
    shown = (
        base.mark_rect(stroke="white", strokeWidth=2)
        .encode(
            **_channels(
                color=alt.Color(
                    "rate:Q",
                    scale=alt.Scale(scheme="blues", domain=[lo, hi]),
                    # a colour legend for no coloured cell would only confuse
                    legend=alt.Legend(format="%", title="Uphold rate", orient="right")
                    if rates
                    else None,
                ),
                tooltip=_tooltip([y, x]),
            )
        )
        .transform_filter(solid)
    )
    hollow = (
        base.mark_rect(fill="white", stroke="#9fb3c8", strokeWidth=2, strokeDash=[4, 2])
        .encode(**_channels(tooltip=_tooltip([y, x])))
        .transform_filter(~solid)
    )
    for r in records:
        dark = r["reliable"] and r["rate"] is not None and r["rate"] > mid
        r["ink"] = "white" if dark else (INK if r["reliable"] else "#7b8794")
    text = base.mark_text(baseline="middle", lineHeight=14).encode(
        **_channels(text="text:N", color=alt.Color("ink:N", scale=None))
    )
    note = subtitle
    if any(not r["reliable"] for r in records):
        note = (subtitle + " " if subtitle else "") + (
            "White dashed cells, \u2020: rate not reliable (NCHS 2017)."
        )
    return _layered(
        shown,
        hollow,
        text,
        data=alt.Data(values=records),
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
        width=alt.Step(cell * 1.4),
        height=alt.Step(cell * 0.75),
        title=_title(
            title or f"Uphold rate: {_label(y)} x {_label(x)}", note, bounded, intervals=False
        ),
    )


@unvalidated()
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
    max_facets: int = MAX_FACETS,
) -> alt.FacetChart:
    """One small panel per value of ``facet`` (e.g. item_category), sharing scales.

    ``x`` is the other dimension of ``df``: a period gives a trend with a band in each panel,
    anything else gives a column of rates with whiskers (in the frame's order). Unreliable
    rates are hollow points. Panels are ordered by total n, largest first; beyond
    ``max_facets`` the rest share one "all others" panel.
    """
    by = _by(df)
    if facet is None or x is None:
        rest = [d for d in by if d not in (facet, x)]
        facet = facet or (rest.pop(0) if rest else None)
        x = x or (rest.pop(0) if rest else None)
    if facet is None or x is None:
        raise ValueError("small_multiples needs a DataFrame grouped by two dimensions")
    bounded = with_others(df, facet, max_facets)
    bounded.attrs["by"] = [facet, x]
    temporal = x in DIMENSIONS and DIMENSIONS[x].temporal is not None
    if temporal:
        records = _trend_records(bounded, [facet, x], x)
    else:
        records = [r for r in _records(bounded, [facet, x]) if r["rate"] is not None]
        for r in records:
            r["label"] = r[x]
    floor = _y_floor(records)
    facet_order = _axis_order(records, facet)
    base = alt.Chart()
    if temporal:
        order = sorted({r["label"] for r in records}, key=lambda lab: _period_start(lab, x) or "")
        layers = _trend_layers(base, x, floor, None, order, panel_width)
        if len(order) > 1:
            # a panel with one period has no band: draw its interval as a rule
            x_enc = layers[0].encoding.x
            layers.insert(
                0,
                base.mark_rule(color=BAR, strokeWidth=2)
                .encode(
                    **_channels(
                        x=x_enc,
                        y=alt.Y("lo:Q", scale=alt.Scale(domain=[floor, 1], nice=False, zero=False)),
                        y2="hi:Q",
                    )
                )
                .transform_joinaggregate(periods="distinct(label)", groupby=[facet])
                .transform_filter("datum.periods == 1"),
            )
    else:
        y_scale = alt.Scale(domain=[floor, 1], nice=False, zero=False)
        solid = alt.datum.reliable
        x_order = list(dict.fromkeys(r[x] for r in records))  # frame order: bands stay in order
        xe = alt.X(f"{x}:N", sort=x_order, axis=ordinal_axis(x_order, panel_width, title=_label(x)))
        tips = _tooltip(["label"])
        layers = [
            base.mark_rule().encode(
                **_channels(
                    x=xe,
                    y=alt.Y("lo:Q", scale=y_scale, axis=_rate_axis()),
                    y2="hi:Q",
                    color=alt.condition(solid, alt.value(INK), alt.value(GREY)),
                )
            ),
            base.mark_point(filled=True, color=BAR, size=40)
            .encode(**_channels(x=xe, y=alt.Y("rate:Q", scale=y_scale), tooltip=tips))
            .transform_filter(solid),
            base.mark_point(filled=False, fill="white", color=BAR, size=46, opacity=0.7)
            .encode(**_channels(x=xe, y=alt.Y("rate:Q", scale=y_scale), tooltip=tips))
            .transform_filter(~solid),
        ]
    inner = _layered(*layers, data=alt.Data(values=records), width=panel_width, height=panel_height)
    chart = inner.facet(
        facet=alt.Facet(f"{facet}:N", sort=facet_order, title=None),
        columns=columns,
    )
    return chart.properties(
        title=_title(
            title or f"Uphold rate by {_label(x).lower()}, per {_label(facet).lower()}",
            subtitle,
            bounded,
            records,
        )
    )


@unvalidated()
def odds_ratio_chart(
    df: pd.DataFrame,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    width: int = 420,
) -> alt.LayerChart:
    """Odds ratios of a ``compare_rates`` result against its reference level (a forest plot).

    Log scale with a rule at 1; each level's 95% interval (cluster-robust) as a whisker and
    its Holm-adjusted p-value as a label. Levels stay in the frame's order (by n).
    """
    by = df.attrs.get("by") or next(c for c in df.columns if c in DIMENSIONS)
    records = []
    for _, row in df.iterrows():
        ref = bool(row.get("is_reference"))
        odds = 1.0 if ref else _number(row.get("odds_ratio"))
        if odds is None or odds <= 0:
            continue
        lo = None if ref else _number(row.get("or_ci_low"))
        hi = None if ref else _number(row.get("or_ci_high"))
        p = _number(row.get("p_holm"))
        label = _value_label(row[by]) + (" (reference)" if ref else "")
        records.append(
            {
                "level": label,
                "or": odds,
                "lo": lo if lo and lo > 0 else None,
                "hi": hi if hi and hi > 0 else None,
                "n": None if _number(row.get("n")) is None else int(row["n"]),
                "p_text": "reference"
                if ref
                else ("Holm p<0.001" if p is not None and p < 0.001 else f"Holm p={p:.3f}")
                if p is not None
                else "",
            }
        )
    bounds = [v for r in records for v in (r["or"], r["lo"], r["hi"]) if v is not None]
    low = min([*bounds, 0.5]) / 1.3
    high = max([*bounds, 2.0]) * 1.3
    x_scale = alt.Scale(type="log", domain=[low, high], nice=False)
    ticks = [t for t in (0.1, 0.25, 0.5, 1, 2, 4, 10) if low <= t <= high]
    for r in records:
        r["label_at"] = r["hi"] if r["hi"] is not None else r["or"]
    order = [r["level"] for r in records]
    base = alt.Chart(alt.Data(values=records)).encode(
        **_channels(y=alt.Y("level:N", sort=order, title=None))
    )
    one = (
        alt.Chart(alt.Data(values=[{"one": 1.0}]))
        .mark_rule(color=GREY, strokeDash=[4, 3])
        .encode(**_channels(x=alt.X("one:Q", scale=x_scale)))
    )
    whiskers = base.mark_rule(color=INK, strokeWidth=1.5).encode(
        **_channels(
            x=alt.X(
                "lo:Q",
                scale=x_scale,
                title="Odds ratio (log scale)",
                axis=alt.Axis(values=ticks, format="~g"),
            ),
            x2="hi:Q",
        )
    )
    points = base.mark_point(filled=True, color=BAR, size=60, shape="diamond").encode(
        **_channels(
            x=alt.X("or:Q", scale=x_scale),
            tooltip=[
                alt.Tooltip("level:N", title=_label(by)),
                alt.Tooltip("or:Q", format=".2f", title="odds ratio"),
                alt.Tooltip("lo:Q", format=".2f", title="95% CI low"),
                alt.Tooltip("hi:Q", format=".2f", title="95% CI high"),
                alt.Tooltip("p_text:N", title="p"),
            ],
        )
    )
    labels = base.mark_text(align="left", dx=6, color=INK).encode(
        **_channels(x=alt.X("label_at:Q", scale=x_scale), text="p_text:N")
    )
    adjust = df.attrs.get("adjust") or []
    sub = [subtitle] if subtitle else []
    sub.append(
        "Adjusted for " + ", ".join(_label(a).lower() for a in adjust) + "."
        if adjust
        else "No adjustment."
    )
    sub.append("95% intervals clustered by letter. Left of 1: lower odds of uphold.")
    return _layered(
        whiskers,
        one,
        points,
        labels,
        width=width,
        height=alt.Step(26),
        title=alt.Title(title or f"Odds of uphold by {_label(by).lower()}", subtitle=sub),
    )


# --- rendering ------------------------------------------------------------------------------


def _vl_version() -> str | None:
    """The Vega-Lite version Altair writes, if this vl-convert has it (else its default)."""
    wanted = alt.SCHEMA_VERSION.lstrip("v").rsplit(".", 1)[0]
    return wanted if wanted in vlc.get_vegalite_versions() else None


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart as a Vega-Lite dict with the house theme, whatever theme is enabled now.

    Not validated against the Vega-Lite schema here: that walk costs more CPU than drawing
    the chart (0.3 s a chart), and the charts are built by this module alone, whose tests
    validate every builder's output (``chart.to_dict()`` validates by default).
    """
    with alt.theme.enable(THEME):
        return chart.to_dict(validate=False)


def vegalite_spec(chart: alt.TopLevelMixin) -> tuple[dict[str, Any], str | None]:
    """The chart as the Vega-Lite dict ``to_svg`` draws, and the Vega-Lite version to draw it
    with: what a process other than this one (``reports.chartworker``) needs to draw it."""
    return _spec(chart), _vl_version()


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render to an SVG string offline: any external data/image URL makes it fail."""
    return vlc.vegalite_to_svg(_spec(chart), vl_version=_vl_version(), allowed_base_urls=[])


def to_png(chart: alt.TopLevelMixin, scale: float = 2) -> bytes:
    """Render to PNG bytes offline (``scale`` 2 suits print and high-density screens)."""
    return vlc.vegalite_to_png(
        _spec(chart), vl_version=_vl_version(), scale=scale, allowed_base_urls=[]
    )
