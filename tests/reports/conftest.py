"""Fixtures for the report tests: a small synthetic database and each report run once or twice.

Notebook execution is the slow part (a kernel start and a few dozen queries and charts), so the
runs are session fixtures shared by every test that inspects their output: each notebook runs
at most twice per session (default and non-default parameters).
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from unittest import mock

import duckdb
import pytest

from imr_analytics.store import create_schema
from imr_analytics.store.rows import ITEM_COLUMNS

HOSTILE_ITEM = "<script>alert(1)</script>"
HOSTILE_RATIONALE = (
    'The request is not medically necessary. <img src=x onerror="alert(2)"> '
    "</td></tr></table><script>alert(3)</script> see src=http://evil.example/x.js & @import url(http://evil)"
)
PARSER_VERSION = "parser-test-1.4"
TAXONOMY_VERSION = "taxonomy-test-2"

CATEGORIES = {
    "Pharmaceuticals": 0.90,
    "Rehabilitation Services": 0.88,
    "Diagnostic Tests": 0.86,
    "DMEPOS": 0.92,
    "Surgery": 0.84,
    "Injections": 0.95,
    "Evaluation and Management": 0.80,
    "Behavioral and Mental Health": 0.78,
}
PATTERNS = {
    "Pharmaceuticals": [
        ("norco", "opioid"),
        ("tramadol", "opioid"),
        ("cyclobenzaprine", "muscle relaxant"),
        ("lidoderm patch", "topical analgesic"),
        ("compound cream: flurbiprofen/lidocaine", "compound"),
        ("omeprazole", "proton pump inhibitor"),
    ],
    "Rehabilitation Services": [("physical therapy", None), ("acupuncture", None)],
    "Diagnostic Tests": [("mri of the lumbar spine", None), ("urine drug screen", None)],
    "DMEPOS": [("tens unit", None), ("lumbar brace", None)],
    "Surgery": [("right shoulder arthroscopy", None)],
    "Injections": [("lumbar esi l4-5", None), ("trigger point injections", None)],
    "Evaluation and Management": [("follow-up visit", None), ("referral to pain management", None)],
    "Behavioral and Mental Health": [("cognitive behavioral therapy", None)],
}
SPECIALTIES = [
    "Physical Medicine and Rehabilitation",
    "Occupational Medicine",
    "Orthopaedic Surgery",
    "Anesthesiology",
    "Psychiatry",
]
STATES = ["California", "California", "California", "Texas", "New York", "Florida"]
SOURCES = ["MTUS", "MTUS", "MTUS", "ODG", "ODG", "ACOEM", "other", "none"]
CHAPTERS = [
    "Chronic Pain Medical Treatment Guidelines (2009)",
    "ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 12",
    "ACOEM Practice Guidelines, 2nd Edition (2004), Chapter 9",
]


def build_small_db(path: Path, *, seed: int = 7, letters: int = 220) -> Path:
    """Write a database with ``letters`` letters (about 440 decided items) over 19 months.

    Values are drawn from realistic vocabularies so every report section has something to
    show, and one item pattern plus several rationales carry hostile HTML.
    """
    rng = random.Random(seed)
    con = duckdb.connect(str(path))
    create_schema(con)
    letter_rows, item_rows, cite_rows = [], [], []
    start = date(2016, 1, 4)
    hostile_left = 14
    for k in range(letters):
        letter_id = f"CM16-{k:07d}"
        assigned = start + timedelta(days=int(k * 540 / letters) + rng.randint(0, 6))
        decided = assigned + timedelta(days=rng.choice([3, 5, 8, 12, 15, 21, 34, 45]))
        n_items = rng.choice([1, 1, 1, 2, 2, 3, 4])
        specialties = [rng.choice(SPECIALTIES)]
        if rng.random() < 0.1:
            specialties.append(rng.choice(SPECIALTIES))
        licensure = [rng.choice(STATES)]
        if rng.random() < 0.15:
            licensure.append("California")
        letter_rows.append(
            (
                letter_id,
                letter_id,
                "A",
                f"letters/{letter_id}.pdf",
                f"{k:064x}",
                assigned,
                decided,
                assigned - timedelta(days=rng.randint(200, 3000)),
                assigned - timedelta(days=20),
                assigned - timedelta(days=5),
                "expedited" if rng.random() < 0.06 else "standard",
                rng.randint(24, 72),
                rng.choice(["female", "male"]),
                specialties,
                licensure,
                "A worker injured at work. " + ("<b>bold?</b>" if k % 17 == 0 else ""),
                specialties,
                licensure,
                n_items,
                PARSER_VERSION,
                [],
            )
        )
        for item_no in range(1, n_items + 1):
            if hostile_left and k % 11 == 3:
                category, pattern, drug = "Pharmaceuticals", HOSTILE_ITEM, "other"
                hostile_left -= 1
            else:
                category = rng.choices(list(CATEGORIES), weights=[8, 5, 4, 3, 2, 3, 3, 2])[0]
                pattern, drug = rng.choice(PATTERNS[category])
            upheld = rng.random() < CATEGORIES[category]
            ca_src = [rng.choice(SOURCES)] if rng.random() < 0.97 else None
            rv_src = [rng.choice(SOURCES)]
            if rv_src[0] == "MTUS" and rng.random() < 0.3:
                rv_src.append("ODG")
            if rv_src == ["none"]:
                rv_src = []
            if ca_src == ["none"]:
                ca_src = []
            rationale = (
                HOSTILE_RATIONALE
                if (pattern == HOSTILE_ITEM or k % 23 == 0)
                else f"Guidelines support {pattern} only with documented functional improvement."
            )
            item_rows.append(
                (
                    letter_id,
                    item_no,
                    pattern.title() if pattern != HOSTILE_ITEM else pattern,
                    pattern,
                    rng.random() < 0.2,
                    "upheld" if upheld else "overturned",
                    category,
                    drug,
                    "MTUS guidelines",
                    ca_src,
                    "MTUS guidelines",
                    rv_src,
                    "pages 1-2",
                    rationale,
                    pattern,
                    TAXONOMY_VERSION,
                    *_naming(pattern, category),
                )
            )
            for c_no, src in enumerate(rv_src or ["none"], start=1):
                cite_rows.append(
                    (
                        letter_id,
                        item_no,
                        "reviewer",
                        c_no,
                        src,
                        rng.choice(CHAPTERS) if src == "MTUS" else None,
                        None,
                        None,
                        f"{src} citation",
                    )
                )
            for c_no, src in enumerate(ca_src or ["none"], start=1):
                cite_rows.append(
                    (
                        letter_id,
                        item_no,
                        "claims_administrator",
                        c_no,
                        src,
                        rng.choice(CHAPTERS) if src == "MTUS" else None,
                        None,
                        None,
                        f"{src} citation",
                    )
                )
    con.executemany(
        "INSERT INTO letters (letter_id, case_number, layout, source_path, content_sha256, "
        "date_assigned, decision_date, injury_date, ur_denial_date, application_received, "
        "priority, patient_age, patient_sex, reviewer_specialties, reviewer_licensure, "
        "case_summary, reviewer_specialties_raw, reviewer_licensure_raw, item_count, "
        "parser_version, parse_warnings) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        letter_rows,
    )
    con.executemany(
        f"INSERT INTO items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * len(ITEM_COLUMNS))})",
        item_rows,
    )
    con.executemany("INSERT INTO citations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", cite_rows)
    con.close()
    return path


@pytest.fixture(scope="session")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic database, built once per session."""
    return build_small_db(tmp_path_factory.mktemp("db") / "small.duckdb")


# -- an SMTP server on loopback -----------------------------------------------------------------


@dataclass
class Received:
    """One message as the server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _Collect:
    """aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: _Collect

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, without STARTTLS or auth."""
    from aiosmtpd.controller import Controller

    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


# -- report runs, shared by the whole session ---------------------------------------------------

SMTP_ENV = (
    "IMR_SMTP_HOST",
    "IMR_SMTP_PORT",
    "IMR_SMTP_STARTTLS",
    "IMR_SMTP_USER",
    "IMR_SMTP_FROM",
    "IMR_SMTP_PASSWORD",
)

CUSTOM_PARAMS: dict[str, list[tuple[str, str]]] = {
    "uphold_rates": [
        ("period", "month"),
        ("categories", "Pharmaceuticals"),
        ("categories", "Injections"),
        ("specialties", "Occupational Medicine,Anesthesiology,Psychiatry"),
        ("date_from", "2016-03-01"),
        ("date_to", "2017-06-30"),
        ("interval", "wilson"),
        ("top_items", "5"),
        ("title", "Rx & injections <i>draft</i>"),
    ],
    "item_drilldown": [
        ("item_pattern", HOSTILE_ITEM),
        ("category", ""),  # "": any category (a str parameter since issue 9)
        ("include_text", "true"),
        ("sample_size", "5"),
        ("period", "quarter"),
        ("title", "Drilldown <b>hostile</b>"),
    ],
    "guideline_effects": [
        ("categories", "Pharmaceuticals,DMEPOS,Diagnostic Tests"),
        ("adjust", "item_category"),
        ("date_from", "2016-02-01"),
        ("title", "Guidelines <em>draft</em>"),
    ],
}
EMAIL_TO = ["analyst@example.org", "team@example.org"]


@dataclass
class CliRun:
    """A report run through ``imr-analytics report ...``."""

    name: str
    exit_code: int
    stdout: str
    stderr: str
    out_dir: Path

    @property
    def html_path(self) -> Path:
        return self.out_dir / f"{self.name}.html"

    @property
    def notebook_path(self) -> Path:
        return self.out_dir / f"{self.name}.ipynb"


@pytest.fixture(scope="session")
def default_reports(small_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every report run once through the Python API with its default parameters."""
    from imr_analytics.reports import list_reports, run_report

    out = tmp_path_factory.mktemp("reports-default")
    return {name: run_report(name, {}, out, db_path=small_db) for name in list_reports()}


@pytest.fixture(scope="session")
def custom_reports(
    small_db: Path, tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer
) -> dict[str, CliRun]:
    """Every report run once through the CLI with non-default parameters, mailed to loopback."""
    from imr_analytics.cli import main

    runs = {}
    with mock.patch.dict(os.environ, {k: "" for k in SMTP_ENV}):
        for name, pairs in CUSTOM_PARAMS.items():
            out = tmp_path_factory.mktemp(f"reports-{name}")
            argv = ["report", name, "--out", str(out), "--db", str(small_db), "--tables"]
            for key, value in pairs:
                argv += ["-p", key, value]
            for addr in EMAIL_TO:
                argv += ["--email-to", addr]
            argv += ["--smtp-host", smtp_server.host, "--smtp-port", str(smtp_server.port)]
            argv += ["--no-smtp-starttls", "--email-subject", f"test {name}"]
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = main(argv)
            runs[name] = CliRun(name, code, stdout.getvalue(), stderr.getvalue(), out)
    return runs


@pytest.fixture(scope="session")
def all_html(default_reports: dict[str, Any], custom_reports: dict[str, CliRun]) -> dict[str, Path]:
    """Every exported page of the session, by a readable key."""
    pages = {f"{name}-default": r.html_path for name, r in default_reports.items()}
    pages.update({f"{name}-custom": r.html_path for name, r in custom_reports.items()})
    return pages


def _naming(text: str, category: str) -> tuple:
    """The item naming columns (ingredients ... quantity_unit) as the loader would fill them.

    The hostile item keeps its text as its treatment: the reports list treatments, and
    whatever a database holds there (an analyst's lexicon can name anything) must be escaped.
    """
    from imr_analytics.parse.naming import name_item

    n = name_item(text, category)
    return (
        list(n.ingredients) or None,
        list(n.body_regions) or None,
        text if text == HOSTILE_ITEM else n.treatment,
        n.strength,
        n.quantity,
        n.quantity_unit,
    )


@dataclass(frozen=True)
class Facts:
    """Constants of the synthetic database, for tests (test modules cannot import conftest)."""

    hostile_item: str = HOSTILE_ITEM
    hostile_rationale: str = HOSTILE_RATIONALE
    parser_version: str = PARSER_VERSION
    taxonomy_version: str = TAXONOMY_VERSION
    email_to: tuple[str, ...] = tuple(EMAIL_TO)
    letters: int = 220


@pytest.fixture(scope="session")
def facts() -> Facts:
    return Facts()
