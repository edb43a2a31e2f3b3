"""In-memory key sets for a load's per-batch bookkeeping, so a batch costs the same at any size.

Every batch asks the database which of its files are unchanged (``seen_files`` by path),
which of its contents are already stored (``documents`` and ``load_errors`` by hash), and
which of its case numbers already have versions (``letter_versions`` by letter id). DuckDB
answers such a question for a thousand keys by scanning the whole column (its ART index
serves single-key lookups only; a list of keys is a hash join over a full scan), so each
batch cost more than the last: 130 ms per 1,000 hashes at 500,000 documents against 25 ms
at 20,000. Here each key set is read once per load, in one scan, into sorted NumPy arrays
of 128-bit keys; a batch then costs a binary search per key.

Keys are 128 bits: the first half of a SHA-256 (of the content, or of a path or case
number). Two different values share a key with probability about n^2 / 2^129, 10^-26 for
1.6 million keys: treated as never. Memory is 16 bytes a key plus the payload (24 MB for
the paths of 500,000 files with their sizes, times and hashes), not the ~150 bytes a
Python string and set slot would take.
"""

from __future__ import annotations

import hashlib
import weakref

import numpy as np

# A new key waits in a small Python dict until this many (or a quarter of the sorted
# arrays) have gathered, then all are merged at once: amortised O(log n) per key.
_MERGE_AT = 65536


def hex_key(hex_digest: str) -> tuple[int, int]:
    """The 128-bit key of a hex SHA-256 (its first 32 hex digits), as two integers."""
    return int(hex_digest[:16], 16), int(hex_digest[16:32], 16)


def text_key(text: str) -> tuple[int, int]:
    """The 128-bit key of any text: the first half of its UTF-8 SHA-256."""
    d = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(d[:8], "big"), int.from_bytes(d[8:16], "big")


# The same keys computed by DuckDB over a whole column, so that building an index is one
# vectorised scan (no Python loop over a million rows).
def sql_hex_key(column: str) -> str:
    return f"('0x' || {column}[1:16])::UBIGINT AS hi, ('0x' || {column}[17:32])::UBIGINT AS lo"


def sql_text_key(column: str) -> str:
    return sql_hex_key(f"sha256({column})")


class KeySet:
    """A set of 128-bit keys with optional payload columns (one integer each)."""

    def __init__(
        self, hi: np.ndarray, lo: np.ndarray, payload: dict[str, np.ndarray] | None = None
    ):
        order = np.lexsort((lo, hi))
        self.hi = np.ascontiguousarray(hi[order], dtype=np.uint64)
        self.lo = np.ascontiguousarray(lo[order], dtype=np.uint64)
        self.payload = {k: np.ascontiguousarray(v[order]) for k, v in (payload or {}).items()}
        self.pending: dict[tuple[int, int], tuple] = {}

    @classmethod
    def from_query(cls, con, sql: str, params: list | None = None, payload: tuple[str, ...] = ()):
        """Build from a query returning ``hi``, ``lo`` and the payload columns."""
        cols = con.execute(sql, params or []).fetchnumpy()
        hi = np.asarray(cols["hi"], dtype=np.uint64)
        lo = np.asarray(cols["lo"], dtype=np.uint64)
        data = {}
        for name in payload:
            values = cols[name]
            if np.ma.isMaskedArray(values):
                values = values.filled(0)
            data[name] = np.asarray(values)
        return cls(hi, lo, data)

    def __len__(self) -> int:
        return len(self.hi) + len(self.pending)

    def _positions(self, keys: list[tuple[int, int]]) -> np.ndarray:
        """Index of each key in the sorted arrays, or -1."""
        if not keys or not len(self.hi):
            return np.full(len(keys), -1, dtype=np.int64)
        q = np.array(keys, dtype=np.uint64).reshape(-1, 2)
        pos = np.searchsorted(self.hi, q[:, 0])
        found = np.full(len(keys), -1, dtype=np.int64)
        n = len(self.hi)
        at = np.minimum(pos, n - 1)
        same_hi = (pos < n) & (self.hi[at] == q[:, 0])
        exact = same_hi & (self.lo[at] == q[:, 1])
        found[exact] = pos[exact]
        # A first half shared by several keys (one pair in ~10^7 at a million keys): walk them.
        for i in np.nonzero(same_hi & ~exact)[0]:
            p = int(pos[i]) + 1
            while p < n and self.hi[p] == q[i, 0]:
                if self.lo[p] == q[i, 1]:
                    found[i] = p
                    break
                p += 1
        return found

    def lookup(self, keys: list[tuple[int, int]]) -> list[tuple | bool | None]:
        """For each key: its payload tuple (``()`` without payload) or None when absent."""
        pos = self._positions(keys)
        names = list(self.payload)
        out: list = []
        for key, p in zip(keys, pos, strict=True):
            if key in self.pending:
                out.append(self.pending[key])
            elif p >= 0:
                out.append(tuple(int(self.payload[n][p]) for n in names))
            else:
                out.append(None)
        return out

    def contains(self, keys: list[tuple[int, int]]) -> list[bool]:
        return [v is not None for v in self.lookup(keys)]

    def add(self, keys: list[tuple[int, int]], values: list[tuple] | None = None) -> None:
        """Add or overwrite keys (with their payload tuples, in payload column order)."""
        values = values if values is not None else [()] * len(keys)
        pos = self._positions(keys)
        for key, value, p in zip(keys, values, pos, strict=True):
            if p >= 0:
                for name, v in zip(self.payload, value, strict=True):
                    self.payload[name][p] = v
            else:
                self.pending[key] = tuple(value)
        if len(self.pending) >= max(_MERGE_AT, len(self.hi) // 4):
            self._merge()

    def _merge(self) -> None:
        keys = np.array(list(self.pending), dtype=np.uint64).reshape(-1, 2)
        values = list(self.pending.values())
        hi = np.concatenate([self.hi, keys[:, 0]])
        lo = np.concatenate([self.lo, keys[:, 1]])
        payload = {
            name: np.concatenate([col, np.array([v[i] for v in values], dtype=col.dtype)])
            for i, (name, col) in enumerate(self.payload.items())
        }
        self.__init__(hi, lo, payload)


class LoadKeys:
    """The key sets one load (or reparse) consults, each built on first use from one scan.

    Tied to the writer's connection (``keys_of``); a new load opens a new connection and so
    starts from the database as it is. Tables only this connection writes during a load
    keep their sets current: ``documents`` and ``load_errors`` are only appended to, so the
    rows past a ``rowid`` watermark are the new ones (DuckDB prunes the older row groups);
    ``seen_files`` and ``letter_versions`` are told of each batch by ``versions.py``.
    """

    def __init__(self, con) -> None:
        self.con = con
        self._known: KeySet | None = None
        self._marks: dict[str, int] = {}
        self._seen: KeySet | None = None
        self._ids: KeySet | None = None
        # The versions the last ``insert_versions`` added, for ``resolve``:
        # {letter_id: [(sha, path, decision_date, version_seq), ...]} of case numbers that had
        # no version before them.
        self.new_versions: dict[str, list[tuple]] = {}
        # The same for case numbers that had versions before it, and whether those were all
        # loaded before the batch's (a load; a reparse keeps the old load order).
        self.batch_versions: dict[str, list[tuple]] = {}
        self.appending = False
        # Paths of the last batch ``path_changes`` saw that ``seen_files`` already had.
        self.known_paths: set[str] = set()
        # Where this load wrote each letter's items and citations (``placed``).
        self._placed: KeySet | None = None
        self._tops: dict[str, int] = {}

    # -- where this load put each letter's items and citations --------------------------------
    PLACED_PAYLOAD = ("items_at", "items_n", "citations_at", "citations_n")

    def placed(self) -> KeySet:
        """Letter id -> (first rowid of its items, how many, the same for its citations).

        Deleting a corrected letter's old rows by these rowids touches a few row groups;
        by ``letter_id`` it scans both tables, a cost that grew with the database (65 and
        95 ms of CPU a batch at 500,000 letters). Built from one pass over both tables at
        the first correction a load meets, then kept by the writer after each commit. A
        letter whose rows are not one run of rowids is left out (its delete scans)."""
        if self._placed is None:
            self._placed = KeySet.from_query(
                self.con,
                f"""
                WITH {_rowid_runs("i", "items")}, {_rowid_runs("c", "citations")}
                SELECT {sql_text_key("l.letter_id")},
                       coalesce(i.a, 0) AS items_at, coalesce(i.n, 0) AS items_n,
                       coalesce(c.a, 0) AS citations_at, coalesce(c.n, 0) AS citations_n
                FROM letters l LEFT JOIN i USING (letter_id) LEFT JOIN c USING (letter_id)
                WHERE (i.n IS NULL OR i.z - i.a + 1 = i.n)
                  AND (c.n IS NULL OR c.z - c.a + 1 = c.n)
                """,
                payload=self.PLACED_PAYLOAD,
            )
        return self._placed

    def drop_placed(self) -> None:
        """Forget the noted rowids (they could not be kept up to date); ``placed`` builds
        them again from the tables when next asked."""
        self._placed = None
        self._tops.clear()

    @property
    def has_placed(self) -> bool:
        return self._placed is not None

    def last_rowid(self, table: str) -> int:
        """The largest rowid in ``table`` (just after an append: its last new row). Rows are
        only appended here, so the search starts at the last answer and DuckDB skips the
        older row groups; when rowids were renumbered (a checkpoint compacts row groups
        with deleted rows), nothing lies past it and the whole table is asked."""
        top = self._tops.get(table, 0)
        found = self.con.execute(f"SELECT max(rowid) FROM {table} WHERE rowid >= ?", [top])
        last = found.fetchall()[0][0]
        if last is None:
            last = self.con.execute(f"SELECT max(rowid) FROM {table}").fetchall()[0][0]
        self._tops[table] = last if last is not None else 0
        return -1 if last is None else last

    # -- stored contents: documents and quarantined files, by content hash ---------------------
    _KNOWN_TABLES = ("documents", "load_errors")

    def _rows_since(self, table: str, mark: int) -> tuple[KeySet, int]:
        part = KeySet.from_query(
            self.con,
            f"SELECT {sql_hex_key('content_sha256')}, rowid AS r FROM {table} "
            "WHERE rowid >= ? AND content_sha256 IS NOT NULL",
            [mark],
            payload=("r",),
        )
        top = int(part.payload["r"].max()) + 1 if len(part.hi) else mark
        return part, top

    def known(self) -> KeySet:
        """Every content hash in ``documents`` or ``load_errors``, up to the last commit."""
        if self._known is None:
            his, los = [], []
            for table in self._KNOWN_TABLES:
                part, self._marks[table] = self._rows_since(table, 0)
                his.append(part.hi)
                los.append(part.lo)
            self._known = KeySet(np.concatenate(his), np.concatenate(los))
            return self._known
        for table in self._KNOWN_TABLES:
            part, self._marks[table] = self._rows_since(table, self._marks[table])
            if len(part.hi):
                self._known.add(list(zip(part.hi.tolist(), part.lo.tolist(), strict=True)))
        return self._known

    # -- files handled by earlier loads, by path ---------------------------------------------
    SEEN_PAYLOAD = ("size", "mtime", "sha_hi", "sha_lo", "has_sha")

    def seen(self) -> KeySet:
        """``seen_files`` by path: (size, mtime, content key halves, whether it has one)."""
        if self._seen is None:
            self._seen = KeySet.from_query(
                self.con,
                f"SELECT {sql_text_key('source_path')}, byte_size AS size, "
                "source_mtime_ns AS mtime, "
                "coalesce(('0x' || content_sha256[1:16])::UBIGINT, 0) AS sha_hi, "
                "coalesce(('0x' || content_sha256[17:32])::UBIGINT, 0) AS sha_lo, "
                "(content_sha256 IS NOT NULL)::BIGINT AS has_sha FROM seen_files",
                payload=self.SEEN_PAYLOAD,
            )
        return self._seen

    # -- case numbers that have at least one version ----------------------------------------
    def letter_ids(self) -> KeySet:
        if self._ids is None:
            self._ids = KeySet.from_query(
                self.con, f"SELECT DISTINCT {sql_text_key('letter_id')} FROM letter_versions"
            )
        return self._ids


_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def keys_of(con) -> LoadKeys:
    """The key sets of the load running on ``con`` (made on first use)."""
    state = _STATES.get(con)
    if state is None:
        state = _STATES[con] = LoadKeys(con)
    return state


def forget(con) -> None:
    """Drop a connection's key sets (its tables were rebuilt outside the writer)."""
    _STATES.pop(con, None)


def _rowid_runs(alias: str, table: str) -> str:
    """A CTE: each letter's first and last rowid in ``table`` and its number of rows."""
    return (
        f"{alias} AS (SELECT letter_id, min(rowid) AS a, max(rowid) AS z, count(*) AS n "
        f"FROM {table} GROUP BY letter_id)"
    )
