"""Send a finished report by email: a short HTML digest with the full report attached.

Mail clients strip ``<style>`` blocks, block SVG and never run scripts, so the digest uses
inline styles only and charts as PNG parts referenced by ``cid:``; the self-contained report
HTML travels as an attachment. Settings come from ``IMR_SMTP_*`` environment variables (the
password only from ``IMR_SMTP_PASSWORD``, never a flag, so it stays out of shell history and
process listings), with CLI overrides for host and port. Only the standard library is used.
"""

from __future__ import annotations

import html
import os
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from imr_analytics._addresses import email_problem
from imr_analytics.reports.params import FALSE_WORDS, TRUE_WORDS
from imr_analytics.reports.runner import ReportResult

__all__ = ["EmailError", "SmtpSettings", "build_message", "send_report"]

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
MAX_EMAIL_CHARTS = 3


class EmailError(RuntimeError):
    """The report could not be mailed; the message says what to set or check."""


@dataclass
class SmtpSettings:
    """Where and how to send: one SMTP server, optional STARTTLS and login."""

    host: str | None = None
    port: int | None = None
    starttls: bool = True
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    from_addr: str | None = None
    timeout: float = 30.0

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
        starttls: bool | None = None,
        user: str | None = None,
        from_addr: str | None = None,
    ) -> SmtpSettings:
        """Read ``IMR_SMTP_HOST/PORT/STARTTLS/USER/FROM/PASSWORD``; arguments override them."""
        env = os.environ if env is None else env
        raw_tls = env.get("IMR_SMTP_STARTTLS", "").strip().lower()
        if raw_tls and raw_tls not in TRUE_WORDS | FALSE_WORDS:
            raise EmailError(f"IMR_SMTP_STARTTLS must be on/off (1/0, true/false), got {raw_tls!r}")
        env_tls = None if not raw_tls else raw_tls in TRUE_WORDS
        raw_port = env.get("IMR_SMTP_PORT", "").strip()
        env_port = None
        if raw_port:
            try:
                env_port = int(raw_port)
            except ValueError:
                raise EmailError(f"IMR_SMTP_PORT must be a number, got {raw_port!r}") from None
        return cls(
            host=host or env.get("IMR_SMTP_HOST") or None,
            port=port or env_port,
            starttls=starttls
            if starttls is not None
            else (env_tls if env_tls is not None else True),
            user=user or env.get("IMR_SMTP_USER") or None,
            password=env.get("IMR_SMTP_PASSWORD") or None,
            from_addr=from_addr or env.get("IMR_SMTP_FROM") or None,
        )

    @property
    def effective_port(self) -> int:
        """587 (submission) with STARTTLS, 25 without, unless set."""
        return self.port or (587 if self.starttls else 25)

    @property
    def sender(self) -> str:
        """The From address: IMR_SMTP_FROM, else the login user, else a local placeholder."""
        if self.from_addr:
            return self.from_addr
        if self.user and "@" in self.user:
            return self.user
        return f"imr-analytics@{socket.getfqdn() or 'localhost'}"


# -- message ------------------------------------------------------------------------------------


def _svg_to_png(svg: str) -> bytes:
    """Rasterise a chart for mail clients (most block SVG); 2x for sharp text on hi-dpi."""
    import vl_convert

    return vl_convert.svg_to_png(svg, scale=2.0)


def _display_width(png: bytes) -> str:
    """``width`` attribute showing a 2x PNG at its CSS size (clients ignore srcset)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or len(png) < 24:
        return ""
    return f' width="{int.from_bytes(png[16:20], "big") // 2}"'


def _headline_html(headline: Sequence[Mapping[str, Any]]) -> str:
    cells = "".join(
        '<td style="padding:8px 16px 8px 0;vertical-align:top">'
        f'<div style="font-size:22px;font-weight:bold;color:#102a43">{html.escape(str(h.get("value", "")))}</div>'
        f'<div style="font-size:12px;color:#52606d">{html.escape(str(h.get("label", "")))}</div>'
        "</td>"
        for h in headline
    )
    return f'<table role="presentation" style="border-collapse:collapse;margin:8px 0"><tr>{cells}</tr></table>'


def build_message(
    result: ReportResult,
    to: Sequence[str],
    *,
    sender: str,
    subject: str | None = None,
) -> EmailMessage:
    """The digest email for ``result``: text and HTML alternatives, cid PNG charts, HTML attached."""
    if not to:
        raise EmailError("no recipients given")
    summary = result.summary or {}
    prov = result.provenance or {}
    title = str(summary.get("title") or result.params.get("title") or result.name)
    headline = list(summary.get("headline") or [])
    subject = subject or str(summary.get("subject") or f"IMR report: {title}")
    if result.provenance.get("synthetic") and "synthetic" not in subject.lower():
        # a report on the generator's letters must never pass for one on DWC's
        subject = f"[synthetic demo data] {subject}"
    if problem := email_problem(to, subject, sender):
        raise EmailError(problem)

    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="imr-analytics")

    text_lines = [title, ""]
    text_lines += [f"{h.get('label')}: {h.get('value')}" for h in headline]
    text_lines += [
        "",
        f"Full report attached: {result.html_path.name}",
        f"Database: {prov.get('db_path', result.db_path)}",
        f"Run: {prov.get('run_at', '')}",
    ]
    msg.set_content("\n".join(text_lines))

    charts = [c for c in result.charts if c.get("email")][:MAX_EMAIL_CHARTS]
    images: list[tuple[str, bytes, str]] = []
    for chart in charts:
        png = chart.get("png") or (_svg_to_png(chart["svg"]) if chart.get("svg") else None)
        if png:
            cid = make_msgid(domain="imr-analytics")
            images.append((cid, png, str(chart.get("title", ""))))

    esc = html.escape
    chart_html = "".join(
        f'<img src="cid:{cid[1:-1]}" alt="{esc(t, quote=True)}"{_display_width(png)} '
        'style="max-width:100%;height:auto;border:0;display:block;margin:16px 0 0">'
        for cid, png, t in images
    )
    period = prov.get("date_range") or ""
    body = (
        '<!DOCTYPE html><html><body style="margin:0;padding:16px;font-family:Arial,Helvetica,'
        'sans-serif;color:#1f2933;font-size:14px;line-height:1.4">'
        f'<h2 style="margin:0 0 4px;font-size:20px;color:#102a43">{esc(title)}</h2>'
        f'<p style="margin:0 0 8px;color:#52606d">{esc(str(period))}</p>'
        f"{_headline_html(headline)}"
        f"{summary.get('html', '')}"
        f"{chart_html}"
        '<p style="margin:20px 0 0;font-size:12px;color:#52606d">The full report is attached as '
        f"{esc(result.html_path.name)} (opens offline in any browser). "
        f"Database {esc(str(prov.get('db_path', result.db_path)))}; "
        f"parser {esc(str(prov.get('parser_versions', '')))}; "
        f"run {esc(str(prov.get('run_at', '')))}.</p>"
        "</body></html>"
    )
    msg.add_alternative(body, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, png, t in images:
        html_part.add_related(
            png,
            maintype="image",
            subtype="png",
            cid=cid,
            filename=f"{(t or 'chart')[:40].replace('/', '-')}.png",
            disposition="inline",
        )
    msg.add_attachment(
        result.html_path.read_text(encoding="utf-8"),
        subtype="html",
        charset="utf-8",
        cte="base64",  # long lines (data-URI charts) are not allowed raw in SMTP
        filename=result.html_path.name,
    )
    return msg


# -- sending ------------------------------------------------------------------------------------


def send_report(
    result: ReportResult,
    to: Sequence[str],
    settings: SmtpSettings | None = None,
    *,
    subject: str | None = None,
) -> EmailMessage:
    """Build the digest for ``result`` and send it; returns the message sent.

    Errors are :class:`EmailError` with the host and port in the message: a missing host, a
    refused connection, a server without STARTTLS when it is required, a failed login.
    """
    settings = settings or SmtpSettings.from_env()
    if not settings.host:
        raise EmailError(
            "no SMTP server configured: set IMR_SMTP_HOST (and IMR_SMTP_PORT) or pass --smtp-host"
        )
    if settings.user and not settings.password:
        raise EmailError("IMR_SMTP_USER is set but IMR_SMTP_PASSWORD is empty")
    if settings.user and not settings.starttls and settings.host not in _LOCAL_HOSTS:
        raise EmailError(
            "refusing to send the SMTP password without STARTTLS; set IMR_SMTP_STARTTLS=1"
        )
    msg = build_message(result, to, sender=settings.sender, subject=subject)
    host, port = settings.host, settings.effective_port
    where = f"SMTP server {host}:{port}"
    try:
        with smtplib.SMTP(host, port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise EmailError(
                        f"{where} does not offer STARTTLS; set IMR_SMTP_STARTTLS=0 only for a "
                        "trusted local relay"
                    )
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            smtp.send_message(msg)
    except EmailError:
        raise
    except ConnectionRefusedError:
        raise EmailError(f"could not connect to {where}: connection refused") from None
    except socket.gaierror as exc:
        raise EmailError(f"could not resolve SMTP host {host!r}: {exc.strerror}") from None
    except TimeoutError:
        raise EmailError(f"timed out talking to {where}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(
            f"{where} rejected the login for {settings.user!r}: {exc.smtp_code}"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailError(f"{where} refused the recipients: {', '.join(exc.recipients)}") from None
    except smtplib.SMTPException as exc:
        raise EmailError(f"sending via {where} failed: {exc}") from None
    except ssl.SSLError as exc:
        raise EmailError(f"TLS with {where} failed: {exc.reason or exc}") from None
    except OSError as exc:
        raise EmailError(f"could not connect to {where}: {exc.strerror or exc}") from None
    return msg
