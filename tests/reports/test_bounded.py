"""A dimension with thousands of values (3,000 reviewer specialties once broke the chart with
"Maximum call stack size exceeded") renders as the largest values plus "all others"."""

from __future__ import annotations

import re
import shutil
from html import unescape
from pathlib import Path

import duckdb
import pytest

from imr_analytics.reports import run_report
from imr_analytics.reports.nbkit import MAX_TABLE_ROWS

pytestmark = pytest.mark.slow

SPECIALTIES = 3000


@pytest.fixture(scope="module")
def many_specialties_db(small_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test database plus 3,000 one-item letters, each with its own reviewer specialty."""
    db = tmp_path_factory.mktemp("bounded") / "many.duckdb"
    shutil.copy(small_db, db)
    con = duckdb.connect(str(db))
    con.execute(
        f"""
        INSERT INTO letters (letter_id, case_number, layout, decision_date, date_assigned,
            reviewer_specialties, reviewer_licensure, item_count, parser_version, parse_warnings)
        SELECT 'CM17-' || lpad(k::VARCHAR, 7, '0'), 'CM17-' || lpad(k::VARCHAR, 7, '0'), 'B4',
            DATE '2017-01-02' + (k % 300)::INTEGER, DATE '2016-12-20' + (k % 300)::INTEGER,
            ['Specialty ' || lpad(k::VARCHAR, 4, '0')], ['California'], 1, 'p', []
        FROM range({SPECIALTIES}) AS t(k)
        """
    )
    con.execute(
        """
        INSERT INTO items (letter_id, item_no, item_text, disputed_text, decision,
            item_category, reviewer_guideline_sources, ca_guideline_sources, item_pattern)
        SELECT letter_id, 1, 'Norco', 'Norco',
            CASE WHEN hash(letter_id) % 10 < 9 THEN 'upheld' ELSE 'overturned' END,
            'Pharmaceuticals', ['MTUS'], ['MTUS'], 'norco'
        FROM letters WHERE letter_id LIKE 'CM17-%'
        """
    )
    con.close()
    return db


def test_report_with_3000_specialties_shows_top_values_and_all_others(
    many_specialties_db: Path, tmp_path: Path
) -> None:
    result = run_report("uphold_rates", {}, tmp_path, db_path=many_specialties_db)
    html = unescape(result.html_path.read_text(encoding="utf-8"))
    start = html.index("<h2>Reviewer specialty and licensure</h2>")
    section = html[start : html.index("<h2>", start + 10)]
    table = section[section.index("By reviewer specialty") :]
    table = table[: table.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table)[1:]
    assert len(rows) == MAX_TABLE_ROWS
    assert "all others" in rows[-1]
    assert "smaller values pooled" in section
    charts = re.findall(r'<img[^>]*alt="Uphold rate by reviewer specialty"', section)
    assert len(charts) == 1  # drawn, not broken
    assert result.html_path.stat().st_size < 3_000_000
