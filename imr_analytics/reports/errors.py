"""Errors of the report pipeline, in one module so callers can catch :class:`ReportError` alone.

Every error message names the report (and where it helps, the cell or the parameter), because
the person reading it is running a CLI or a cron job, not debugging a kernel.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ReportError",
    "ReportExecutionError",
    "ReportExportError",
    "ReportParameterError",
]


class ReportError(RuntimeError):
    """A report could not be produced; the message says which report and why."""


class ReportParameterError(ReportError, ValueError):
    """A report parameter is unknown, mistyped, or the parameters cell itself is malformed.

    Raised as an error, never a warning: a report run with a silently ignored filter publishes
    numbers for the wrong population. Also a ValueError, since it is bad input.
    """


class ReportExportError(ReportError):
    """The notebook's outputs cannot be made into a static, offline page."""


class ReportExecutionError(ReportError):
    """A cell of the report notebook raised; names the notebook, the cell and the exception."""

    def __init__(
        self,
        message: str,
        *,
        notebook: Path,
        cell_number: int | None = None,
        line: int | None = None,
        ename: str = "",
        evalue: str = "",
        executed_path: Path | None = None,
    ) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.cell_number = cell_number
        self.line = line
        self.ename = ename
        self.evalue = evalue
        self.executed_path = executed_path
