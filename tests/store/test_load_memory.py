"""A load's DuckDB memory limit leaves ``LOAD_MEMORY_BYTES`` beside the primary-key indexes,
which DuckDB counts against the limit and cannot spill: under a fixed limit they squeezed the
buffer pool as the database grew (the write cost per batch doubled over a 500,000-letter
load) and a load into a large database ran out of memory."""

from __future__ import annotations

from pathlib import Path

import duckdb

from imr_analytics.store import loader
from imr_analytics.store.database import open_database
from imr_analytics.synth import generate_corpus


def _limit(con) -> int:
    return con.execute(
        "SELECT current_setting('memory_limit')::VARCHAR, "
        "(SELECT sum(memory_usage_bytes) FROM duckdb_memory() WHERE tag = 'ART_INDEX')"
    ).fetchall()[0]


def _bytes(setting: str) -> int:
    number, unit = setting.split()
    return int(float(number) * {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30}[unit])


def test_the_limit_starts_above_the_indexes_an_existing_database_will_read_in(
    tmp_path: Path,
) -> None:
    db = tmp_path / "x.duckdb"
    con = open_database(db)
    con.execute(
        "INSERT INTO documents SELECT sha256(i::VARCHAR), 'p' || i, 'txt', 'text', 1, NULL, "
        "'t', now() FROM range(100000) r(i)"
    )
    loader._tune_for_load(con)
    setting, _ = _limit(con)
    expected = loader.LOAD_MEMORY_BYTES + 100000 * loader._INDEX_BYTES_PER_DOCUMENT
    assert _bytes(setting) >= expected - 2**20
    assert _bytes(setting) <= expected + 2**20
    con.close()


def test_each_commit_keeps_the_data_budget_beside_the_indexes(tmp_path: Path, monkeypatch) -> None:
    generate_corpus(tmp_path / "c", 120, seed=5)
    seen: list[tuple[int, int]] = []
    fit = loader._fit_memory_to_indexes

    def spy(con, at_least: int = 0) -> None:
        fit(con, at_least)
        setting, index_bytes = _limit(con)
        seen.append((_bytes(setting), int(index_bytes or 0)))

    monkeypatch.setattr(loader, "_fit_memory_to_indexes", spy)
    monkeypatch.setattr(loader, "BATCH_FILES", 40)
    loader.load_paths([tmp_path / "c" / "letters"], tmp_path / "x.duckdb", workers=1, log=print)
    assert len(seen) >= 4  # once at the start, then after each batch's commit
    assert seen[-1][1] > 0  # the keyed tables' indexes are in memory by then
    for limit, index_bytes in seen:
        # within one step of the budget plus what the indexes hold
        assert limit + loader._MEMORY_STEP > loader.LOAD_MEMORY_BYTES + index_bytes
        assert limit >= loader.LOAD_MEMORY_BYTES
    with duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM letters").fetchall()[0][0] > 0
