"""The in-memory key sets behind a load's per-batch lookups answer what the tables would."""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime

import duckdb
import numpy as np
import pytest

from imr_analytics.store import create_schema, keyindex, versions
from imr_analytics.store.keyindex import KeySet, hex_key, keys_of, text_key
from imr_analytics.store.loader import _known_hashes, _unchanged_files


def _sha(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def test_keys_computed_by_duckdb_equal_those_computed_in_python() -> None:
    con = duckdb.connect()
    for text in ["/letters/a.txt", "/lettres/é\\xff ü.pdf", "", "CM13-0012345"]:
        sha = hashlib.sha256(text.encode()).hexdigest()
        got = con.execute(
            f"SELECT {keyindex.sql_hex_key('$1')}, {keyindex.sql_text_key('$2')}", [sha, text]
        ).fetchall()[0]
        assert got[:2] == hex_key(sha)
        assert got[2:] == text_key(text)


def test_lookup_add_and_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyindex, "_MERGE_AT", 8)
    rng = random.Random(5)
    keys = [(rng.getrandbits(64), rng.getrandbits(64)) for _ in range(200)]
    # two keys sharing their first half, one of them absent: the second half decides
    keys += [(keys[0][0], keys[0][1] ^ 1)]
    stored = keys[:150]
    s = KeySet(
        np.array([k[0] for k in stored], dtype=np.uint64),
        np.array([k[1] for k in stored], dtype=np.uint64),
        {"v": np.arange(150, dtype=np.int64)},
    )
    assert s.lookup(keys) == [(i,) for i in range(150)] + [None] * 51
    s.add(keys[150:190], [(1000 + i,) for i in range(40)])  # merged on the way (8 at a time)
    s.add([keys[3]], [(-3,)])  # overwritten in place
    assert len(s) == 190
    assert s.lookup(keys) == (
        [(i,) for i in range(3)]
        + [(-3,)]
        + [(i,) for i in range(4, 150)]
        + [(1000 + i,) for i in range(40)]
        + [None] * 11
    )
    assert len(s.pending) < 8


@pytest.fixture()
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "k.duckdb"))
    create_schema(con)
    yield con
    con.close()


def test_known_hashes_follow_rows_committed_after_the_set_was_built(con) -> None:
    now = datetime.now()
    con.execute(
        "INSERT INTO documents VALUES (?, 'a.txt', 'txt', 'text', 1, NULL, 'x', ?)", [_sha(1), now]
    )
    con.execute("INSERT INTO load_errors VALUES ('b.pdf', ?, 'extract', 'bad', ?)", [_sha(2), now])
    con.execute("INSERT INTO load_errors VALUES ('c', NULL, 'read', 'gone', ?)", [now])
    asked = [_sha(i) for i in range(6)]
    assert _known_hashes(con, asked) == {_sha(1), _sha(2)}
    con.execute(
        "INSERT INTO documents VALUES (?, 'd.txt', 'txt', 'text', 1, NULL, 'x', ?)", [_sha(4), now]
    )
    con.execute("INSERT INTO load_errors VALUES ('e.pdf', ?, 'parse', 'bad', ?)", [_sha(5), now])
    assert _known_hashes(con, asked) == {_sha(1), _sha(2), _sha(4), _sha(5)}


def test_unchanged_files_and_path_changes_read_seen_files(con) -> None:
    now = datetime.now()
    con.executemany(
        "INSERT INTO seen_files VALUES (?, ?, ?, ?, ?)",
        [
            ("/l/a.txt", 10, 100, _sha(1), now),
            ("/l/b.txt", 20, 200, _sha(2), now),
            ("/l/big.pdf", 2**40, 300, None, now),
        ],
    )
    stats = [("/l/a.txt", 10, 100), ("/l/b.txt", 20, 201), ("/l/big.pdf", 2**40, 300), ("/n", 1, 1)]
    assert _unchanged_files(con, stats) == {"/l/a.txt", "/l/big.pdf"}
    seen = [("/l/b.txt", 20, 201, _sha(3)), ("/l/big.pdf", 5, 301, _sha(4)), ("/n", 1, 1, _sha(5))]
    assert versions.path_changes(con, seen) == [("/l/b.txt", _sha(2), _sha(3))]
    # the batch's rows are now what the load knows of those paths
    assert _unchanged_files(con, [("/l/b.txt", 20, 201), ("/n", 1, 1)]) == {"/l/b.txt", "/n"}


def test_resolve_settles_new_case_numbers_in_memory_as_the_sql_would(con) -> None:
    now = datetime.now()
    con.begin()
    versions.insert_versions(
        con,
        [
            ("CM1", _sha(1), "/a", date(2015, 1, 1)),
            ("CM2", _sha(2), "/b", None),
            ("CM2", _sha(3), "/c", date(2014, 1, 1)),  # dated beats undated
            ("CM3", _sha(4), "/d", date(2016, 1, 1)),
            ("CM3", _sha(5), "/e", date(2016, 1, 1)),  # same date: the later load wins
        ],
        now,
    )
    ids = ["CM3", "CM1", "CM2"]
    assert keys_of(con).new_versions  # the fast path is taken
    fast = versions.resolve(con, ids)
    slow = con.execute(versions._RESOLVE_SQL, [ids]).fetchall()
    assert fast == sorted(slow, key=lambda r: ids.index(r[0]))
    assert fast == [
        ("CM3", _sha(5), "/e", None),
        ("CM1", _sha(1), "/a", None),
        ("CM2", _sha(3), "/c", None),
    ]
    # a case number seen again in a later batch is read from the table
    versions.insert_versions(con, [("CM1", _sha(6), "/f", date(2014, 6, 1))], now)
    assert keys_of(con).new_versions == {}
    assert versions.resolve(con, ["CM1"]) == [("CM1", _sha(1), "/a", None)]
    con.rollback()


def test_split_seen_names_the_rows_a_plain_insert_can_take(con) -> None:
    now = datetime.now()
    con.execute("INSERT INTO seen_files VALUES ('/l/a.txt', 1, 1, ?, ?)", [_sha(1), now])
    seen = [
        ("/l/a.txt", 2, 2, _sha(2)),
        ("/l/b.txt", 3, 3, _sha(3)),
        ("/l/b.txt", 3, 3, _sha(3)),
        ("/l/c.txt", 4, 4, None),
    ]
    versions.path_changes(con, seen)
    new, rest = versions.split_seen(con, seen)
    assert new == [seen[1], seen[3]] and rest == [seen[0], seen[2]]
    cols = "source_path, byte_size, source_mtime_ns, content_sha256"
    con.executemany(f"INSERT INTO seen_files ({cols}) VALUES (?, ?, ?, ?)", new)
    con.executemany(f"INSERT OR REPLACE INTO seen_files ({cols}) VALUES (?, ?, ?, ?)", rest)
    assert con.execute(f"SELECT {cols} FROM seen_files ORDER BY 1").fetchall() == [
        seen[0],
        seen[1],
        seen[3],
    ]
