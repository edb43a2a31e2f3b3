"""Versions of a letter: which document stands for a case number.

The rule (docs/database.md, "Versions and corrections"):
1. Every document that parses to a letter is kept as a version (``letter_versions``).
2. A file whose content changed at the same path *replaces* the version it had produced,
   when the new content is itself a letter: the old version stays in ``letter_versions``
   (``replaced_at``, ``replaced_by``) but no longer competes. A new content that is not a
   letter (quarantined) replaces nothing, so a damaged re-download cannot erase a letter.
3. Among the versions of one ``letter_id`` that are not replaced, the current one (the row
   in ``letters``, with its items and citations) has the latest decision date, then the
   latest load (``version_seq``).

Everything here is set-based SQL over one batch, run inside the writer's transaction.
"""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa

from .keyindex import hex_key, keys_of, text_key

_NO_DATE = date.min

# Versions of the given letter ids: (letter_id, winning sha, its path, current sha in letters).
_RESOLVE_SQL = """
WITH ids AS (SELECT DISTINCT UNNEST($1::VARCHAR[]) AS letter_id),
ranked AS (
    SELECT v.letter_id, v.content_sha256, v.source_path,
           row_number() OVER (PARTITION BY v.letter_id
                              ORDER BY v.decision_date DESC NULLS LAST, v.version_seq DESC) AS rn
    FROM letter_versions v JOIN ids USING (letter_id)
    WHERE v.replaced_at IS NULL
)
SELECT ids.letter_id, r.content_sha256, r.source_path, l.content_sha256
FROM ids
LEFT JOIN ranked r ON r.letter_id = ids.letter_id AND r.rn = 1
LEFT JOIN letters l ON l.letter_id = ids.letter_id
"""


def _with_table(con, name: str, table: pa.Table, sql: str, params: list | None = None) -> list:
    con.register(name, table)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.unregister(name)


def path_changes(con, seen: list[tuple]) -> list[tuple[str, str, str]]:
    """(path, old sha, new sha) for files of this batch whose content changed since the
    last load that read them. ``seen`` rows are (path, size, mtime, sha), the rows this
    batch writes to ``seen_files``.

    Looked up in the load's copy of ``seen_files`` (keyindex.py), which then takes the
    batch's rows: only the rare changed paths are read from the database, for their full
    old hash.
    """
    if not seen:
        return []
    state = keys_of(con)
    index = state.seen()
    keys = [text_key(s[0]) for s in seen]
    changed = []
    state.known_paths = set()
    for row, hit in zip(seen, index.lookup(keys), strict=True):
        if hit is not None:
            state.known_paths.add(row[0])
        sha = row[3]
        if sha is None or hit is None or not hit[4]:
            continue
        if (hit[2], hit[3]) != hex_key(sha):
            changed.append((row[0], sha))
    index.add(
        keys,
        [
            (s[1], s[2], *(hex_key(s[3]) if s[3] is not None else (0, 0)), int(s[3] is not None))
            for s in seen
        ],
    )
    if not changed:
        return []
    table = pa.table({"path": [c[0] for c in changed], "sha": [c[1] for c in changed]})
    return _with_table(
        con,
        "_imr_seen",
        table,
        "SELECT s.path, f.content_sha256, s.sha FROM _imr_seen s JOIN seen_files f "
        "ON f.source_path = s.path WHERE f.content_sha256 IS NOT NULL "
        "AND f.content_sha256 <> s.sha",
    )


def split_seen(con, seen: list[tuple]) -> tuple[list[tuple], list[tuple]]:
    """The batch's ``seen_files`` rows as (rows for paths no load has recorded, the rest),
    as ``path_changes`` found them: the first can be a plain INSERT, the second need
    INSERT OR REPLACE, which costs DuckDB far more per row (a conflict check against the
    whole table: 1.2 s against 60 ms for 1,000 rows at 500,000 files). A path repeated in
    the batch goes with the second group after its first row."""
    known = keys_of(con).known_paths
    new, rest, taken = [], [], set()
    for row in seen:
        if row[0] in known or row[0] in taken:
            rest.append(row)
        else:
            taken.add(row[0])
            new.append(row)
    return new, rest


def insert_versions(con, versions: list[tuple], now: datetime, previous: str | None = None) -> None:
    """Add (letter_id, sha, path, decision_date) versions in load order. ``previous`` names
    a table of earlier versions (a reparse) whose order and replacements are kept."""
    state = keys_of(con)
    state.new_versions = {}
    state.batch_versions = {}
    # A load appends: each new version has a later version_seq than every stored one. A
    # reparse keeps the old numbers, so its versions may come in any order.
    state.appending = previous is None
    if not versions:
        return
    ids = state.letter_ids()  # read before this batch's rows are in the table
    base_sql = "SELECT coalesce(max(version_seq), 0) FROM letter_versions"
    if previous:
        base_sql = (
            f"SELECT greatest(({base_sql}), (SELECT coalesce(max(version_seq), 0) FROM {previous}))"
        )
    base = con.execute(base_sql).fetchall()[0][0]
    table = pa.table(
        {
            "letter_id": pa.array([v[0] for v in versions], pa.string()),
            "content_sha256": pa.array([v[1] for v in versions], pa.string()),
            "source_path": pa.array([v[2] for v in versions], pa.string()),
            "decision_date": pa.array([v[3] for v in versions], pa.date32()),
            "ord": pa.array(range(1, len(versions) + 1), pa.int64()),
        }
    )
    if previous:
        select = (
            "SELECT b.content_sha256, b.letter_id, b.source_path, b.decision_date, "
            "coalesce(p.version_seq, $1 + b.ord), coalesce(p.loaded_at, $2), p.replaced_at, "
            f"p.replaced_by FROM _imr_versions b LEFT JOIN {previous} p USING (content_sha256)"
        )
    else:
        select = (
            "SELECT content_sha256, letter_id, source_path, decision_date, $1 + ord, $2, "
            "NULL, NULL FROM _imr_versions"
        )
    added = {
        sha: (seq, replaced)
        for sha, seq, replaced in _with_table(
            con,
            "_imr_versions",
            table,
            # A plain INSERT: ON CONFLICT costs DuckDB a pass over the whole table (150 ms
            # per 1,000 rows at 500,000 versions against 15 ms for this). No conflict can
            # arise: a version is a document, and the writer has just inserted each of
            # these documents into ``documents`` (a plain insert: a stored one would have
            # failed there), or a reparse writes each document once into empty tables.
            f"INSERT INTO letter_versions {select} "
            "RETURNING content_sha256, version_seq, replaced_at IS NOT NULL",
            [base, now],
        )
    }
    # What ``resolve`` needs to settle a case number seen for the first time without
    # reading letter_versions: its versions are all in this batch.
    keys = [text_key(v[0]) for v in versions]
    for v, had in zip(versions, ids.contains(keys), strict=True):
        seq, replaced = added[v[1]]
        version = (v[1], v[2], v[3], seq)
        if had:
            if not replaced:
                state.batch_versions.setdefault(v[0], []).append(version)
            continue
        versions_of = state.new_versions.setdefault(v[0], [])
        if not replaced:  # a reparse keeps replacements; a replaced version does not compete
            versions_of.append(version)
    ids.add(keys)


def apply_replacements(con, changes: list[tuple[str, str, str]], now: datetime) -> set[str]:
    """Mark the versions whose file changed in place as replaced; return the letter ids
    whose current version may have changed.

    A content that comes back to a path (a correction reverted) is no longer replaced.
    A content still present under another path that has not changed is not replaced:
    that file still says what it said.
    """
    if not changes:
        return set()
    table = pa.table(
        {
            "path": [c[0] for c in changes],
            "old_sha": [c[1] for c in changes],
            "new_sha": [c[2] for c in changes],
        }
    )
    con.register("_imr_changes", table)
    try:
        affected = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT letter_id FROM letter_versions WHERE content_sha256 IN "
                "(SELECT old_sha FROM _imr_changes UNION SELECT new_sha FROM _imr_changes)"
            ).fetchall()
        }
        con.execute(
            "UPDATE letter_versions SET replaced_at = NULL, replaced_by = NULL "
            "WHERE replaced_at IS NOT NULL AND content_sha256 IN (SELECT new_sha FROM _imr_changes)"
        )
        con.execute(
            """
            UPDATE letter_versions SET replaced_at = $1, replaced_by = c.new_sha
            FROM _imr_changes c
            WHERE letter_versions.content_sha256 = c.old_sha
              AND letter_versions.replaced_at IS NULL
              AND c.new_sha IN (SELECT content_sha256 FROM letter_versions)
              AND NOT EXISTS (
                  SELECT 1 FROM seen_files s
                  WHERE s.content_sha256 = c.old_sha
                    AND s.source_path NOT IN (SELECT path FROM _imr_changes))
            """,
            [now],
        )
    finally:
        con.unregister("_imr_changes")
    return affected


def _rule(version: tuple) -> tuple:
    """The rule's order of (sha, path, decision_date, version_seq): latest decision date
    (undated last), then latest load."""
    return (version[2] is not None, version[2] or _NO_DATE, version[3])


# The current version of each letter, where there is one (the letters table's index column
# comes first: DuckDB reads little more than that column to find them).
_CURRENT_SQL = (
    "SELECT letter_id, content_sha256, source_path, decision_date FROM letters "
    "WHERE letter_id IN (SELECT UNNEST($1::VARCHAR[]))"
)


def resolve(
    con, letter_ids: list[str], replaced: set[str] = frozenset()
) -> list[tuple[str, str | None, str | None, str | None]]:
    """For each letter id: (letter_id, winning sha, its source path, sha now in ``letters``).

    A case number whose every version came in the last ``insert_versions`` (the usual
    case: a new letter) is settled from those versions in memory; it has no row in
    ``letters`` yet. A case number a load has seen before (a duplicate or a correction)
    is settled between its current version (the row in ``letters``, the winner of every
    version before this batch) and the batch's new ones, which were loaded later, unless
    a version of it was ``replaced`` in this batch (then the rule runs again over all its
    versions in the database). Reading every version of a few case numbers is a scan of
    the whole ``letter_versions`` table; reading their current rows costs a tenth of that
    (measured at 500,000 letters), so a batch's cost no longer grows with the database.
    """
    if not letter_ids:
        return []
    state = keys_of(con)
    fresh, state.new_versions = state.new_versions, {}  # good for this batch only
    later, state.batch_versions = state.batch_versions, {}
    out = []
    rest = []
    known = []
    for letter_id in letter_ids:
        candidates = fresh.get(letter_id)
        if candidates is None:
            if state.appending and letter_id in later and letter_id not in replaced:
                known.append(letter_id)
            else:
                rest.append(letter_id)
            continue
        if not candidates:  # every version of it is replaced
            out.append((letter_id, None, None, None))
            continue
        best = max(candidates, key=_rule)
        out.append((letter_id, best[0], best[1], None))
    if known:
        current = {r[0]: r[1:] for r in con.execute(_CURRENT_SQL, [known]).fetchall()}
        for letter_id in known:
            cur = current.get(letter_id)
            if cur is None:  # no current version (all were replaced): the full rule
                rest.append(letter_id)
                continue
            # The current version was loaded before every version of this batch.
            best = max([(cur[0], cur[1], cur[2], -1), *later[letter_id]], key=_rule)
            out.append((letter_id, best[0], best[1], cur[0]))
    if rest:
        out += con.execute(_RESOLVE_SQL, [rest]).fetchall()
    order = {letter_id: i for i, letter_id in enumerate(letter_ids)}
    out.sort(key=lambda r: order[r[0]])
    return out


def migrate_to_letter_versions(con) -> None:
    """Schema 2 -> 3: build ``letter_versions`` from what an older database recorded.

    Current letters become versions in the order their documents were stored; files listed
    in ``letter_duplicates`` are parsed again from their stored text to learn their case
    number and decision date; a version whose file now holds another letter document (the
    old loader ignored such corrections) is marked replaced; then the rule picks the
    current version of every letter that has more than one.
    """
    from .loader import LoadSummary, _Writer
    from .worker import reparse_task

    now = datetime.now()
    con.execute(
        """
        INSERT INTO letter_versions
        SELECT l.content_sha256, l.letter_id, l.source_path, l.decision_date, d.rowid + 1,
               d.loaded_at, NULL, NULL
        FROM letters l JOIN documents d USING (content_sha256)
        ON CONFLICT DO NOTHING
        """
    )
    dups = con.execute(
        """
        SELECT DISTINCT d.rowid + 1, d.content_sha256, x.source_path, d.text, d.loaded_at
        FROM letter_duplicates x JOIN documents d USING (content_sha256)
        WHERE d.content_sha256 NOT IN (SELECT content_sha256 FROM letter_versions)
        ORDER BY 1
        """
    ).fetchall()
    for seq, sha, path, text, loaded_at in dups:
        result = reparse_task((sha, path, text))
        if result[0] != "ok":
            continue
        from .rows import LETTER_COLUMNS

        row = result[5][0]
        con.execute(
            "INSERT INTO letter_versions VALUES (?, ?, ?, ?, ?, ?, NULL, NULL) ON CONFLICT DO NOTHING",
            [
                sha,
                row[LETTER_COLUMNS.index("letter_id")],
                path,
                row[LETTER_COLUMNS.index("decision_date")],
                seq,
                loaded_at,
            ],
        )
    con.execute(
        """
        UPDATE letter_versions SET replaced_at = $1, replaced_by = f.content_sha256
        FROM seen_files f
        WHERE f.source_path = letter_versions.source_path
          AND f.content_sha256 <> letter_versions.content_sha256
          AND f.content_sha256 IN (SELECT content_sha256 FROM letter_versions)
          AND NOT EXISTS (SELECT 1 FROM seen_files o
                          WHERE o.content_sha256 = letter_versions.content_sha256)
        """,
        [now],
    )
    multi = [
        r[0]
        for r in con.execute(
            "SELECT letter_id FROM letter_versions GROUP BY letter_id HAVING count(*) > 1"
        ).fetchall()
    ]
    if multi:
        _Writer(con, LoadSummary(command="migrate"), transactional=False).settle(set(multi), {})
