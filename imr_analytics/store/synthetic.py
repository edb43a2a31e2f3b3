"""How many letters of a database the synthetic generator wrote, counted once per load.

Reports say so prominently when their letters are synthetic. The count is derived from the
stored text (each synthetic letter's text opens with ``parse.normalize.SYNTHETIC_MARKER``), so
it holds for every database ever built; but on a synthetic database the query decompresses every
text (about 7 s of CPU at a million letters), in every report. A load and a reparse therefore
count at their end (``store_count``) and keep the count in ``schema_info`` beside a fingerprint
of what it counted; ``count`` uses the stored number only while the fingerprint still matches
and otherwise runs the query, so a database built by an older version, loaded into by one that
does not store the count, or changed by hand is counted as before. No schema change: a key of
the key/value table.

The fingerprint is what the count depends on, in aggregates DuckDB answers without reading a
text: the letters (how many, and a sum of hashes of their ``content_sha256``) and the documents
(the same). Any letter or document added, removed or pointed at another text changes it; a load
that adds nothing leaves it, and the stored count stands without the text being read again.
What it cannot see is a document's text rewritten in place under the same ``content_sha256``,
which breaks the table's own rule (the key is the hash of the file's bytes).
"""

from __future__ import annotations

import json

import duckdb

__all__ = ["STORED_KEY", "count", "count_from_text", "fingerprint", "store_count"]

# The schema_info key holding {"count": N, "fingerprint": "..."}.
STORED_KEY = "synthetic_letters"

# Which rule counted a stored number: bump it whenever the marker, MARKER_INDENT or the test in
# count_from_text changes, so that counts stored under the old rule are not trusted
# (tests/store/test_synthetic.py pins the three against it).
RULE_VERSION = "v1"

# Spaces allowed before the marker line (the check has always read a 200-character margin).
MARKER_INDENT = 200


def count_from_text(con: duckdb.DuckDBPyConnection) -> int:
    """The count from the stored text, exact for any database (the query reports ran before
    the count was stored)."""
    from imr_analytics.parse.normalize import SYNTHETIC_MARKER

    # The same test as starts_with(ltrim(left(text, len + 200)), marker), in three disjoint
    # ranges of the text: it starts with the marker; or with an ASCII space or control
    # character, or with any non-ASCII character (ltrim removes the Unicode space separators,
    # ' ' and e.g. U+00A0), and then the plain test decides. DuckDB checks a range against
    # each row group's smallest and largest text first and skips the groups outside it, so a
    # database of DWC letters (whose texts start "Case Number...") is answered without
    # reading a text, instead of decompressing every one (about 8 s of CPU at a million
    # letters); synthetic letters are still read, each once. Only the matching hashes leave
    # the scan, and no letter's whole text is carried into a join.
    after = SYNTHETIC_MARKER[:-1] + chr(ord(SYNTHETIC_MARKER[-1]) + 1)
    plain = f"starts_with(ltrim(left(text, {len(SYNTHETIC_MARKER) + MARKER_INDENT})), $marker)"
    row = con.execute(
        "SELECT count(*) FROM letters WHERE content_sha256 IN ("
        "SELECT content_sha256 FROM documents WHERE text >= $marker AND text < $after "
        f"UNION ALL SELECT content_sha256 FROM documents WHERE text < '!' AND {plain} "
        f"UNION ALL SELECT content_sha256 FROM documents WHERE text >= $wide AND {plain})",
        {"marker": SYNTHETIC_MARKER, "after": after, "wide": "\u0080"},
    ).fetchone()
    return int(row[0]) if row else 0


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """What the count depends on, read from the key columns only (0.2 s of CPU at a million
    letters)."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM letters), "
        "(SELECT coalesce(sum(hash(content_sha256)), 0) FROM letters), "
        "(SELECT count(*) FROM documents), "
        "(SELECT coalesce(sum(hash(content_sha256)), 0) FROM documents)"
    ).fetchone()
    assert row is not None
    names = ("letters", "letters_hash", "documents", "documents_hash")
    return f"{RULE_VERSION};" + ";".join(f"{k}={v}" for k, v in zip(names, row, strict=True))


def _stored(con: duckdb.DuckDBPyConnection) -> tuple[int, str] | None:
    """The stored (count, fingerprint), or None (none stored, or not in the form written)."""
    try:
        row = con.execute("SELECT value FROM schema_info WHERE key = ?", [STORED_KEY]).fetchone()
        value = json.loads(row[0]) if row else None
    except (duckdb.Error, ValueError):
        return None  # no schema_info (not a loaded database), or a damaged value
    if (
        isinstance(value, dict)
        and type(value.get("count")) is int
        and isinstance(value.get("fingerprint"), str)
    ):
        return value["count"], value["fingerprint"]
    return None


def store_count(con: duckdb.DuckDBPyConnection) -> int:
    """Keep the count with its fingerprint (end of a load or reparse); counted from the text
    unless the stored count is of this very state (a load that added nothing). Returns it."""
    now = fingerprint(con)
    stored = _stored(con)
    if stored is not None and stored[1] == now:
        return stored[0]
    n = count_from_text(con)
    value = json.dumps({"count": n, "fingerprint": now})
    con.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [STORED_KEY, value])
    return n


def count(con: duckdb.DuckDBPyConnection) -> int:
    """The number of synthetic letters: the stored count while its fingerprint matches,
    else counted from the text. Always the number ``count_from_text`` gives."""
    stored = _stored(con)
    if stored is not None:
        try:
            if stored[1] == fingerprint(con):
                return stored[0]
        except duckdb.Error:
            pass  # tables missing: count from the text, which says what is wrong
    return count_from_text(con)
