"""``imr-analytics bench --reports``: a replicated database that reads like a loaded one, and
each report timed in a child process with the CPU and memory of its whole process tree."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from imr_analytics.bench import REPLICA_SUFFIX, replicate_database, run_report_benchmark


def test_replication_copies_every_letter_with_fresh_ids(small_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "big.duckdb"
    with duckdb.connect(str(small_db), read_only=True) as con:
        base_letters, base_items, base_cites = con.execute(
            "SELECT (SELECT count(*) FROM letters), (SELECT count(*) FROM items), "
            "(SELECT count(*) FROM citations)"
        ).fetchone()
    wanted = base_letters * 2 + 17  # two whole copies and part of a third
    n, base = replicate_database(small_db, target, wanted)
    assert (n, base) == (wanted, base_letters)
    with duckdb.connect(str(target), read_only=True) as con:
        letters, distinct_ids, distinct_cases, copies = con.execute(
            "SELECT count(*), count(DISTINCT letter_id), count(DISTINCT case_number), "
            f"count(*) FILTER (WHERE letter_id LIKE '%{REPLICA_SUFFIX}%') FROM letters"
        ).fetchone()
        assert letters == distinct_ids == wanted
        assert (
            distinct_cases
            == con.execute("SELECT count(*) FROM letters WHERE case_number IS NOT NULL").fetchone()[
                0
            ]
        )
        assert copies == wanted - base_letters
        # every item and citation follows its letter: none orphaned, counts scale with letters
        orphans = con.execute(
            "SELECT count(*) FROM items AS i ANTI JOIN letters AS l USING (letter_id)"
        ).fetchone()[0]
        items, cites = con.execute(
            "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM citations)"
        ).fetchone()
        assert orphans == 0
        assert 2 * base_items < items < 3 * base_items
        assert 2 * base_cites <= cites <= 3 * base_cites
        label = con.execute(
            "SELECT value FROM schema_info WHERE key = 'replicated_from'"
        ).fetchone()[0]
        assert str(small_db) in label
        # the synthetic-letter count is stored for these letters, as a load leaves it, so
        # a report on the copy does not read every text
        from imr_analytics.store import synthetic

        stored = con.execute(
            "SELECT value FROM schema_info WHERE key = ?", [synthetic.STORED_KEY]
        ).fetchone()[0]
        assert f'"fingerprint": "{synthetic.fingerprint(con)}"' in stored
        assert synthetic.count(con) == synthetic.count_from_text(con)


def test_replicating_nothing_is_refused(small_db: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one letter"):
        replicate_database(small_db, tmp_path / "x.duckdb", 0)


def test_report_benchmark_times_a_report_on_a_replicated_database(
    small_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_report_benchmark(
        str(small_db), names=["uphold_rates"], replicate=500, keep=str(tmp_path)
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "REPLICATED: 500 letters" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("uphold_rates"))
    m = re.search(
        r"([\d.]+) s wall\s+([\d.]+) s CPU \(whole tree\)\s+peak ([\d,]+) MiB .*"
        r"load average [\d.]+ -> [\d.]+$",
        line,
    )
    assert m, line
    wall, cpu, peak = float(m[1]), float(m[2]), int(m[3].replace(",", ""))
    assert wall > 0.5 and cpu > 0.5  # a kernel was started and counted
    assert 100 < peak < 4096
    assert (tmp_path / "reports" / "uphold_rates.html").exists()


def test_report_benchmark_names_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_report_benchmark(
        str(tmp_path / "none.duckdb"), names=None, replicate=None, keep=None
    )
    assert code == 1
    assert "no database at" in capsys.readouterr().err
