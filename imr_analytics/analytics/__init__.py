"""Uphold-rate analytics over the IMR database: rates with intervals and suppression, charts.

``rates`` computes (in DuckDB) the uphold rate per dimension with Wilson or Clopper-Pearson
intervals and CMS small-cell suppression; ``charts`` draws those aggregated rows in one house
theme and renders them offline. Read ``rates``' module docstring for the dimensions and the
suppression rule.
"""

from __future__ import annotations

from imr_analytics.analytics.charts import (
    THEME,
    rate_bars,
    rate_trend,
    small_multiples,
    source_heatmap,
    to_png,
    to_svg,
)
from imr_analytics.analytics.rates import (
    DIMENSIONS,
    Dimension,
    filtered_items,
    letter_volumes,
    proportion_interval,
    uphold_rates,
)

__all__ = [
    "DIMENSIONS",
    "THEME",
    "Dimension",
    "filtered_items",
    "letter_volumes",
    "proportion_interval",
    "rate_bars",
    "rate_trend",
    "small_multiples",
    "source_heatmap",
    "to_png",
    "to_svg",
    "uphold_rates",
]
