"""Mime types the report notebooks use to hand structured data to the runner.

A notebook can't return values to papermill, so it displays them: the footer's provenance and
the email summary travel as JSON mime bundles beside their HTML, each table carries its rows as
CSV (for ``imr-analytics report --tables``), and charts carry metadata that
says whether the email should include them. Kept in a module of its own so the kernel side
(``nbkit``) and the export side agree without importing each other.
"""

from __future__ import annotations

PROVENANCE_MIME = "application/vnd.imr-analytics.provenance+json"
SUMMARY_MIME = "application/vnd.imr-analytics.summary+json"
TABLE_MIME = "application/vnd.imr-analytics.table+json"  # {"name", "caption", "csv"}
CHART_META_KEY = "imr_chart"  # output metadata: {"title": str, "email": bool}
