"""A corrected letter's old items and citations are deleted by the rowids the load noted
(``keyindex.LoadKeys.placed``) rather than by a scan of both tables; when those rowids are
wrong (a checkpoint renumbered the rows) the writer notices and scans. Either way the tables
end as a load that only ever scans would leave them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from imr_analytics.store import keyindex, loader

from .test_versions import _versions_folder

_TABLES = ("letters", "items", "citations", "letter_versions")


def _scan_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer as before: no letter is found among the noted placements."""
    monkeypatch.setattr(
        keyindex.KeySet, "lookup", _no_placements(keyindex.KeySet.lookup), raising=True
    )


def _no_placements(lookup):
    def patched(self, keys):
        if set(self.payload) == set(keyindex.LoadKeys.PLACED_PAYLOAD):
            return [None] * len(keys)
        return lookup(self, keys)

    return patched


def _same_rows(a: Path, b: Path) -> None:
    con = duckdb.connect(str(a), read_only=True)
    con.execute(f"ATTACH '{b}' AS other (READ_ONLY)")
    skip = {"loaded_at", "replaced_at"}
    for table in _TABLES:
        cols = ", ".join(
            c
            for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_catalog = current_database() AND table_name = ? "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
            if c not in skip
        )
        for x, y in ((table, f"other.{table}"), (f"other.{table}", table)):
            extra = con.execute(
                f"SELECT count(*) FROM (SELECT {cols} FROM {x} EXCEPT ALL SELECT {cols} FROM {y})"
            ).fetchall()[0][0]
            assert extra == 0, (table, x)
    con.close()


def _count_deletes(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many deletes of items or citations went by rowid and how many scanned."""
    counts = {"rowid": 0, "scan": 0}
    original = loader._Writer._delete_rows_of

    def counting(self, letter_ids):
        con = self.con

        class Spy:
            def execute(self, sql, *args):
                if sql.startswith("DELETE FROM items") or sql.startswith("DELETE FROM citations"):
                    counts["rowid" if "rowid IN" in sql else "scan"] += 1
                return con.execute(sql, *args)

            def __getattr__(self, name):
                return getattr(con, name)

        spy = Spy()
        keyindex._STATES[spy] = keyindex.keys_of(con)  # the load's key sets, as for con
        self.con = spy
        try:
            return original(self, letter_ids)
        finally:
            self.con = con

    monkeypatch.setattr(loader._Writer, "_delete_rows_of", counting)
    return counts


def _corrected_and_scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A folder of letters with corrections, in batches of 5 files, and the database a load
    that only ever scans makes of it (what every writer must end with)."""
    folder = _versions_folder(tmp_path)
    monkeypatch.setattr(loader, "BATCH_FILES", 5)
    with monkeypatch.context() as m:
        _scan_only(m)
        scanned = tmp_path / "scanned.duckdb"
        loader.load_paths([folder], scanned, workers=1, log=lambda line: None)
    return folder, scanned


def test_corrections_delete_by_noted_rowids_and_end_as_a_scan_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, scanned = _corrected_and_scanned(tmp_path, monkeypatch)
    counts = _count_deletes(monkeypatch)
    fast = tmp_path / "fast.duckdb"
    summary = loader.load_paths([folder], fast, workers=1, log=lambda line: None)
    assert summary.letters_corrected > 0
    assert counts["rowid"] > 0 and counts["scan"] == 0, counts
    _same_rows(fast, scanned)


def test_wrong_noted_rowids_fall_back_to_a_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every noted rowid one off (as if the rows had moved): each delete finds fewer rows
    than it noted, scans, and the tables end the same."""
    folder, scanned = _corrected_and_scanned(tmp_path, monkeypatch)
    original = loader._Writer._remember_placement

    def shifted(self):
        original(self)
        placed = keyindex.keys_of(self.con).placed()
        for name in ("items_at", "citations_at"):
            placed.payload[name] += 1
        placed.pending = {k: (v[0] + 1, v[1], v[2] + 1, v[3]) for k, v in placed.pending.items()}

    monkeypatch.setattr(loader._Writer, "_remember_placement", shifted)
    counts = _count_deletes(monkeypatch)
    moved = tmp_path / "moved.duckdb"
    loader.load_paths([folder], moved, workers=1, log=lambda line: None)
    assert counts["scan"] > 0
    _same_rows(moved, scanned)


def test_a_failure_to_note_rowids_after_a_commit_keeps_the_batch_and_forgets_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is committed before its rowids are noted: a failed note neither fails the
    load nor leaves half-noted rowids behind (they are rebuilt by a scan when next needed)."""
    folder, scanned = _corrected_and_scanned(tmp_path, monkeypatch)
    original = loader._Writer._remember_placement
    failed = []

    def flaky(self):
        if keyindex.keys_of(self.con).has_placed and not failed:
            failed.append(True)
            raise duckdb.IOException("disk went away while reading max(rowid)")
        original(self)

    monkeypatch.setattr(loader._Writer, "_remember_placement", flaky)
    dropped = []
    drop = keyindex.LoadKeys.drop_placed
    monkeypatch.setattr(
        keyindex.LoadKeys, "drop_placed", lambda self: (dropped.append(True), drop(self))
    )
    flaky_db = tmp_path / "flaky.duckdb"
    summary = loader.load_paths([folder], flaky_db, workers=1, log=lambda line: None)
    assert failed and dropped
    assert summary.letters_corrected > 0 and summary.files_quarantined == 0
    _same_rows(flaky_db, scanned)
