"""Email: a real SMTP server on loopback receives the digest with cid charts and the report."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest

from imr_analytics.reports.mailer import EmailError, SmtpSettings, build_message, send_report

pytestmark = pytest.mark.slow


def _parts(msg: EmailMessage) -> dict[str, list[EmailMessage]]:
    found: dict[str, list[EmailMessage]] = {}
    for part in msg.walk():
        found.setdefault(part.get_content_type(), []).append(part)
    return found


def _check_digest(msg: EmailMessage, report_html: bytes) -> None:
    """The structure every digest must have: text, HTML with cid images, the report attached."""
    parts = _parts(msg)
    html_body = msg.get_body(preferencelist=("html",))
    assert html_body is not None
    body = html_body.get_content()
    assert "<script" not in body.lower()
    assert "<style" not in body.lower()  # mail clients drop <style>: inline styles only
    assert 'style="' in body and "<table" in body
    cids = re.findall(r'src="cid:([^"]+)"', body)
    assert cids, "charts are embedded as cid: images"
    pngs = {p["Content-ID"].strip("<>"): p for p in parts.get("image/png", [])}
    for cid in cids:
        assert cid in pngs, f"no image part for cid {cid}"
        data = pngs[cid].get_content()
        assert data.startswith(b"\x89PNG") and len(data) > 1000
    assert not re.search(r"""(src|href)=["']https?://""", body)
    attachments = [p for p in msg.iter_attachments() if p.get_filename()]
    html_attachments = [p for p in attachments if p.get_content_type() == "text/html"]
    assert len(html_attachments) == 1
    assert html_attachments[0].get_content() == report_html.decode("utf-8")
    assert msg.get_body(preferencelist=("plain",)) is not None


def test_cli_email_received_by_loopback_server(
    custom_reports: dict[str, Any], smtp_server: Any, facts: Any
) -> None:
    for name, run in custom_reports.items():
        assert run.exit_code == 0, run.stderr
        assert "mailed to" in run.stderr
        got = [m for m in smtp_server.messages if m.message["Subject"] == f"test {name}"]
        assert len(got) == 1, name
        received = got[0]
        assert sorted(received.rcpt_tos) == sorted(facts.email_to)
        _check_digest(received.message, run.html_path.read_bytes())
        assert (
            received.message.get_body(preferencelist=("html",)).get_content().count("Uphold rate")
        )


def test_send_report_api_with_env_settings(
    default_reports: dict[str, Any], smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = default_reports["uphold_rates"]
    monkeypatch.setenv("IMR_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("IMR_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("IMR_SMTP_STARTTLS", "off")
    monkeypatch.setenv("IMR_SMTP_FROM", "reports@example.org")
    monkeypatch.delenv("IMR_SMTP_USER", raising=False)
    before = len(smtp_server.messages)
    sent = send_report(result, ["boss@example.org"])
    assert len(smtp_server.messages) == before + 1
    received = smtp_server.messages[-1]
    assert received.mail_from == "reports@example.org"
    assert received.rcpt_tos == ["boss@example.org"]
    msg = received.message
    assert msg["Message-ID"] == sent["Message-ID"]
    assert "IMR uphold rates" in msg["Subject"] and "upheld" in msg["Subject"]
    _check_digest(msg, result.html_path.read_bytes())
    body = msg.get_body(preferencelist=("html",)).get_content()
    for label in ("Letters", "Decided items", "Uphold rate", "Uphold rate by treatment category"):
        assert label in body, label


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "IMR_SMTP_HOST": "mail.example.org",
        "IMR_SMTP_STARTTLS": "yes",
        "IMR_SMTP_USER": "bot@example.org",
        "IMR_SMTP_PASSWORD": "s3cret",
    }
    s = SmtpSettings.from_env(env)
    assert (s.host, s.effective_port, s.starttls, s.user) == (
        "mail.example.org",
        587,
        True,
        "bot@example.org",
    )
    assert s.password == "s3cret" and "s3cret" not in repr(s)
    assert s.sender == "bot@example.org"
    s = SmtpSettings.from_env({**env, "IMR_SMTP_STARTTLS": "0"}, host="relay", port=2525)
    assert (s.host, s.effective_port, s.starttls) == ("relay", 2525, False)
    with pytest.raises(EmailError, match="IMR_SMTP_PORT must be a number"):
        SmtpSettings.from_env({"IMR_SMTP_PORT": "smtp"})
    with pytest.raises(EmailError, match="IMR_SMTP_STARTTLS"):
        SmtpSettings.from_env({"IMR_SMTP_STARTTLS": "sometimes"})


def test_missing_host_is_a_clear_error(default_reports: dict[str, Any]) -> None:
    with pytest.raises(EmailError, match="no SMTP server configured: set IMR_SMTP_HOST"):
        send_report(default_reports["uphold_rates"], ["a@example.org"], SmtpSettings())


def test_refused_connection_is_a_clear_error(default_reports: dict[str, Any]) -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=5)
    with pytest.raises(EmailError, match=f"127.0.0.1:{port}: connection refused"):
        send_report(default_reports["uphold_rates"], ["a@example.org"], settings)


def test_starttls_required_but_not_offered(
    default_reports: dict[str, Any], smtp_server: Any
) -> None:
    settings = SmtpSettings(host=smtp_server.host, port=smtp_server.port, starttls=True)
    with pytest.raises(EmailError, match="does not offer STARTTLS"):
        send_report(default_reports["uphold_rates"], ["a@example.org"], settings)


def test_password_never_sent_in_clear_to_remote_host(default_reports: dict[str, Any]) -> None:
    settings = SmtpSettings(host="mail.example.org", starttls=False, user="u", password="p")
    with pytest.raises(EmailError, match="without STARTTLS"):
        send_report(default_reports["uphold_rates"], ["a@example.org"], settings)


def test_message_for_report_without_charts_still_builds(
    default_reports: dict[str, Any],
) -> None:
    result = default_reports["item_drilldown"]
    msg = build_message(result, ["a@example.org"], sender="x@example.org")
    assert msg.get_body(preferencelist=("html",)) is not None
    assert [p.get_filename() for p in msg.iter_attachments()][-1] == "item_drilldown.html"
