"""Parameterised report notebooks: run with papermill, export self-contained HTML, email.

The notebooks themselves are package data in ``imr_analytics/notebooks/`` (.ipynb); this package runs
them (:func:`run_report`), validates their parameters against their ``parameters`` cell,
exports static HTML, mails a digest (:mod:`~imr_analytics.reports.mailer`) and registers the
``report`` CLI subcommand (:func:`register`). ``nbkit`` is what the notebooks import.
"""

from __future__ import annotations

from imr_analytics.reports.cli import register
from imr_analytics.reports.errors import (
    ReportError,
    ReportExecutionError,
    ReportExportError,
    ReportParameterError,
)
from imr_analytics.reports.params import ParamSpec
from imr_analytics.reports.runner import (
    ReportResult,
    describe_report,
    list_reports,
    run_report,
)

__all__ = [
    "ParamSpec",
    "ReportError",
    "ReportExecutionError",
    "ReportExportError",
    "ReportParameterError",
    "ReportResult",
    "describe_report",
    "list_reports",
    "register",
    "run_report",
]
