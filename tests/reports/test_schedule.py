"""Scheduled use as the ecosystem does it: the README's cron line, plain papermill, output names.

The cron test runs the exact command of the README's crontab block, through /bin/sh as cron
does, with only the variables cron sets (HOME, LOGNAME, SHELL) plus those the crontab declares.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from imr_analytics.reports.errors import ReportParameterError
from imr_analytics.reports.runner import output_stem, report_script

README = Path(__file__).resolve().parents[2] / "README.md"
BIN = Path(sys.executable).parent


def _crontab() -> tuple[dict[str, str], list[str]]:
    """The README's crontab block: its variable lines and its job lines (commands only)."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```crontab\n(.*?)```", text, re.S)
    assert block, "README has no ```crontab block"
    env, jobs = {}, []
    for line in block.group(1).splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.fullmatch(r"([A-Z_]+)=(.*)", line)
        if m:
            env[m.group(1)] = m.group(2)
            continue
        fields = line.split(None, 5)
        assert len(fields) == 6, line
        jobs.append(fields[5])
    return env, jobs


@pytest.mark.slow
def test_the_readme_cron_line_runs_under_crons_environment(small_db: Path, tmp_path: Path) -> None:
    env_lines, jobs = _crontab()
    assert set(env_lines) == {"SHELL", "PATH", "IMR_DB"}
    (job,) = [j for j in jobs if "imr-analytics report" in j]
    home = tmp_path / "home"
    home.mkdir()
    # cron's environment: HOME, LOGNAME, SHELL, then the crontab's variables, with this
    # machine's venv in place of /opt/imr/venv and the test database in place of /srv/imr
    env = {
        "HOME": str(home),
        "LOGNAME": "imr",
        "SHELL": env_lines["SHELL"],
        "PATH": env_lines["PATH"].replace("/opt/imr/venv/bin", str(BIN)),
        "IMR_DB": str(small_db),
    }
    before = datetime.now()
    done = subprocess.run(
        [env_lines["SHELL"], "-c", job],
        env=env,
        cwd="/",
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    days = {before.strftime("%Y-%m-%d"), datetime.now().strftime("%Y-%m-%d")}
    written = sorted(p.name for p in (home / "imr-reports").iterdir())
    assert any(f"uphold_rates-{d}.html" in written for d in days), written
    assert any(f"uphold_rates-{d}.ipynb" in written for d in days), written

    # the same line without a database fails with one sentence, and writes nothing
    env.pop("IMR_DB")
    shutil.rmtree(home / "imr-reports")
    done = subprocess.run(
        [env_lines["SHELL"], "-c", job], env=env, cwd="/", capture_output=True, text=True
    )
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "no database given" in done.stderr, done.stderr
    assert not (home / "imr-reports").exists() or not any((home / "imr-reports").iterdir())


def _papermill(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "IMR_DB"}
    env["PATH"] = f"{BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(
        [str(BIN / "papermill"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.mark.slow
def test_plain_papermill_runs_the_shipped_notebook_and_fails_on_a_typo(
    small_db: Path, tmp_path: Path
) -> None:
    notebook = str(report_script("uphold_rates"))
    helped = _papermill("--help-notebook", notebook, cwd=tmp_path)
    assert helped.returncode == 0
    from imr_analytics.reports.runner import describe_report

    for name, spec in describe_report("uphold_rates").items():
        # every parameter with its type and default, as papermill reads them
        assert re.search(
            rf"^\s+{name}: {re.escape(str(spec.type))} \(default ", helped.stdout, re.M
        ), (
            name,
            helped.stdout,
        )
    ok = _papermill(notebook, "out.ipynb", "-p", "db_path", str(small_db), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr[-2000:]
    typo = _papermill(notebook, "typo.ipynb", "-p", "db_pth", str(small_db), cwd=tmp_path)
    assert typo.returncode != 0
    assert "unknown parameter 'db_pth'" in typo.stderr
    wrong = _papermill(
        notebook,
        "wrong.ipynb",
        "-p",
        "db_path",
        str(small_db),
        "-p",
        "categories",
        "Pharmaceutical",
        cwd=tmp_path,
    )
    assert wrong.returncode != 0
    assert "'Pharmaceutical' does not occur" in wrong.stderr and "Pharmaceuticals" in wrong.stderr


def test_output_name_placeholders() -> None:
    now = datetime(2026, 12, 1, 17, 5, 9)
    assert output_stem("uphold_rates-{date}", name="x", now=now) == "uphold_rates-2026-12-01"
    assert output_stem("{name}-{datetime}", name="x", now=now) == "x-2026-12-01T170509"
    assert output_stem("{name}.html", name="x", now=now) == "x"
    with pytest.raises(ReportParameterError, match=r"unknown placeholder \{week\}"):
        output_stem("r-{week}", name="x", now=now)
    with pytest.raises(ReportParameterError, match="without a folder"):
        output_stem("sub/r", name="x", now=now)
