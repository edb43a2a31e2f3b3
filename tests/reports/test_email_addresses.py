"""Email headers: a recipient must be an address, and no header may carry a CR or LF.

``not an address`` used to be delivered to the local user ``not``; a line break in the
subject or the report title could add headers (``Bcc:``). Both are refused with one
sentence before anything is sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from imr_analytics._addresses import recipient_problem
from imr_analytics.reports.mailer import EmailError, build_message
from imr_analytics.reports.runner import ReportResult

REPO = Path(__file__).resolve().parents[2]


def _result(tmp_path: Path, title: str = "Uphold rates") -> ReportResult:
    html = tmp_path / "r.html"
    html.write_text("<!DOCTYPE html><html><body>report</body></html>", encoding="utf-8")
    return ReportResult(
        name="uphold_rates",
        html_path=html,
        notebook_path=tmp_path / "r.ipynb",
        params={"title": title},
        db_path=tmp_path / "x.duckdb",
    )


@pytest.mark.parametrize(
    "value",
    [
        "not an address",
        "not",
        "a@b",
        "@example.org",
        "a@@example.org",
        "a@example..org",
        "a@example.org, b@example.org",
        "a@example.org\r\nBcc: evil@example.org",
        "a@example.org\nX: y",
        "",
    ],
)
def test_what_is_not_one_address_is_refused(value: str, tmp_path: Path) -> None:
    assert recipient_problem(value)
    with pytest.raises(EmailError, match="recipient"):
        build_message(_result(tmp_path), [value], sender="reports@example.org")


@pytest.mark.parametrize(
    "value", ["analyst@example.org", "Ann Analyst <ann.analyst+imr@dwc.ca.gov>", "ops@localhost"]
)
def test_addresses_are_accepted(value: str, tmp_path: Path) -> None:
    assert recipient_problem(value) is None
    msg = build_message(_result(tmp_path), [value], sender="reports@example.org")
    assert msg["To"]


@pytest.mark.parametrize("bad", ["Weekly\r\nBcc: evil@example.org", "Weekly\nBcc: x@y.org"])
def test_line_breaks_in_subject_or_title_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(EmailError, match="line break"):
        build_message(_result(tmp_path), ["a@example.org"], sender="r@example.org", subject=bad)
    with pytest.raises(EmailError, match="report title"):
        build_message(_result(tmp_path, title=bad), ["a@example.org"], sender="r@example.org")
    with pytest.raises(EmailError, match="IMR_SMTP_FROM"):
        build_message(_result(tmp_path), ["a@example.org"], sender=f"r@example.org{bad[6:]}")


@pytest.mark.slow
def test_cli_refuses_a_recipient_that_is_not_an_address(
    small_db: Path, smtp_server: Any, tmp_path: Path
) -> None:
    before = len(smtp_server.messages)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("IMR_SMTP_")},
        "PYTHONPATH": str(REPO),
        "IMR_SMTP_HOST": smtp_server.host,
        "IMR_SMTP_PORT": str(smtp_server.port),
        "IMR_SMTP_STARTTLS": "off",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "imr_analytics",
            "report",
            "uphold_rates",
            "--db",
            str(small_db),
            "--out",
            str(tmp_path / "out"),
            "--email-to",
            "not an address",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    # refused before the report runs: a usage error, and nothing written or delivered
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("imr-analytics:")]
    assert len(lines) == 1 and "is not an email address" in lines[0], proc.stderr
    assert not (tmp_path / "out").exists()
    assert len(smtp_server.messages) == before  # nothing delivered, not to "not" either


def test_the_mailer_refuses_too_when_called_directly(tmp_path: Path) -> None:
    """The check at sending stays: the API (send_report) has no command line in front."""
    from imr_analytics.reports.mailer import SmtpSettings, send_report

    settings = SmtpSettings(host="127.0.0.1", port=1, starttls=False)
    with pytest.raises(EmailError, match="not an email address"):
        send_report(_result(tmp_path), ["not an address"], settings)


def test_cli_refuses_a_subject_with_a_line_break(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "imr_analytics",
            "report",
            "uphold_rates",
            "--db",
            str(tmp_path / "x.duckdb"),
            "--email-to",
            "a@example.org",
            "--email-subject",
            "Weekly\r\nBcc: evil@example.org",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "line break" in proc.stderr
