"""``imr-analytics demo`` renders every report, the third (guideline_effects) included."""

from __future__ import annotations

from pathlib import Path

import pytest

from imr_analytics.demo import run_demo

pytestmark = pytest.mark.slow

REPORTS = ("uphold_rates", "item_drilldown", "guideline_effects")


def test_demo_renders_all_three_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_demo(
        data_dir=tmp_path / "data", reports_dir=tmp_path / "reports", letters=120, seed=3
    )
    out = capsys.readouterr().out
    assert code == 0, out
    for name in REPORTS:
        page = tmp_path / "reports" / f"{name}.html"
        assert f"report: {page}" in out
        html = page.read_text(encoding="utf-8")
        assert "<h2>Coverage</h2>" in html and "suppress" not in html.lower()
        # the demo database is synthetic, and the page says so above its title (issue 9)
        assert html.index("Synthetic demo data") < html.index("<h1")
