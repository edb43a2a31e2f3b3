"""Uphold-rate analytics over the IMR database: rates with letter-clustered intervals, charts.

``rates`` computes (in DuckDB) the uphold rate per dimension with letter-clustered Korn-Graubard
(or Wilson) intervals and an NCHS reliability flag on every rate (``intervals``); ``compare``
fits logistic models with letter-clustered standard errors (``compare_rates``); ``coverage``
says what a selection covers; ``charts`` draws aggregated rows in one house theme and renders
them offline. Read ``rates``' module docstring for the dimensions and docs/statistics.md for
the method. Heavy modules (charts: altair; compare: statsmodels) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imr_analytics._lazy import lazy_attributes
from imr_analytics.analytics.coverage import REFERENCE_BANDS, Coverage, coverage
from imr_analytics.analytics.intervals import (
    RELIABILITY_RULE,
    clustered_proportion,
    proportion_interval,
    reliability,
)
from imr_analytics.analytics.rates import (
    DIMENSIONS,
    Dimension,
    filtered_items,
    letter_volumes,
    others_row,
    uphold_rates,
)

__all__ = [
    "DIMENSIONS",
    "REFERENCE_BANDS",
    "RELIABILITY_RULE",
    "THEME",
    "Coverage",
    "Dimension",
    "clustered_proportion",
    "compare_rates",
    "coverage",
    "filtered_items",
    "letter_volumes",
    "others_row",
    "proportion_interval",
    "rate_bars",
    "rate_trend",
    "reliability",
    "small_multiples",
    "source_heatmap",
    "to_png",
    "to_svg",
    "uphold_rates",
]

_LAZY = {
    "compare_rates": "imr_analytics.analytics.compare",
    "THEME": "imr_analytics.analytics.charts",
    "rate_bars": "imr_analytics.analytics.charts",
    "rate_trend": "imr_analytics.analytics.charts",
    "small_multiples": "imr_analytics.analytics.charts",
    "source_heatmap": "imr_analytics.analytics.charts",
    "to_png": "imr_analytics.analytics.charts",
    "to_svg": "imr_analytics.analytics.charts",
}

if TYPE_CHECKING:  # pragma: no cover
    from imr_analytics.analytics.charts import (
        THEME,
        rate_bars,
        rate_trend,
        small_multiples,
        source_heatmap,
        to_png,
        to_svg,
    )
    from imr_analytics.analytics.compare import compare_rates


__getattr__, __dir__ = lazy_attributes(
    globals(), {name: (module, name) for name, module in _LAZY.items()}, __all__
)
