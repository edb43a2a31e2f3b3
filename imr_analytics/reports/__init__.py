"""Parameterised report notebooks: run with papermill, export self-contained HTML, email.

The notebooks themselves are package data in ``imr_analytics/notebooks/`` (.ipynb); this package runs
them (:func:`run_report`), validates their parameters against their ``parameters`` cell,
exports static HTML, mails a digest (:mod:`~imr_analytics.reports.mailer`) and registers the
``report`` CLI subcommand (:func:`register`). ``nbkit`` is what the notebooks import.

The runner (papermill, nbformat) loads on first use, not here: a report's kernel imports
``imr_analytics.reports.nbkit``, which imports this package, and must not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imr_analytics._lazy import lazy_attributes
from imr_analytics.reports.cli import register
from imr_analytics.reports.errors import (
    ReportError,
    ReportExecutionError,
    ReportExportError,
    ReportParameterError,
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

_LAZY = {
    "ParamSpec": "imr_analytics.reports.params",
    "ReportResult": "imr_analytics.reports.runner",
    "describe_report": "imr_analytics.reports.runner",
    "list_reports": "imr_analytics.reports.runner",
    "run_report": "imr_analytics.reports.runner",
}

if TYPE_CHECKING:  # pragma: no cover
    from imr_analytics.reports.params import ParamSpec
    from imr_analytics.reports.runner import (
        ReportResult,
        describe_report,
        list_reports,
        run_report,
    )


__getattr__, __dir__ = lazy_attributes(
    globals(), {name: (module, name) for name, module in _LAZY.items()}, __all__
)
