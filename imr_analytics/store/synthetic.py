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
text: the letters (how many, and a sum of hashes of their ``content_sha256``), the documents
(the same), and the load runs (how many, and the last one's end). Any letter or document added,
removed or pointed at another text changes it; a load or reparse adds a run. What it cannot see
is a document's text rewritten in place under the same ``content_sha256``, which breaks the
table's own rule (the key is the hash of the file's bytes).
"""

from __future__ import annotations

import json

import duckdb

__all__ = ["STORED_KEY", "count", "count_from_text", "fingerprint", "store_count"]

# The schema_info key holding {"count": N, "fingerprint": "..."}.
STORED_KEY = "synthetic_letters"

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
    """What the count depends on, read from the key columns only (a tenth of a second at a
    million letters)."""
    row = con.execute(
        "SELECT (SELECT count(*) FROM letters), "
        "(SELECT coalesce(sum(hash(content_sha256)), 0) FROM letters), "
        "(SELECT count(*) FROM documents), "
        "(SELECT coalesce(sum(hash(content_sha256)), 0) FROM documents), "
        "(SELECT count(*) FROM load_runs), "
        "(SELECT max(finished_at)::VARCHAR FROM load_runs)"
    ).fetchone()
    assert row is not None
    names = ("letters", "letters_hash", "documents", "documents_hash", "runs", "last_run")
    return "v1;" + ";".join(f"{k}={v}" for k, v in zip(names, row, strict=True))


def store_count(con: duckdb.DuckDBPyConnection) -> int:
    """Count from the text and keep the count with its fingerprint (end of a load or
    reparse, after its ``load_runs`` row). Returns the count."""
    n = count_from_text(con)
    value = json.dumps({"count": n, "fingerprint": fingerprint(con)})
    con.execute("INSERT OR REPLACE INTO schema_info VALUES (?, ?)", [STORED_KEY, value])
    return n


def count(con: duckdb.DuckDBPyConnection) -> int:
    """The number of synthetic letters: the stored count while its fingerprint matches,
    else counted from the text. Always the number ``count_from_text`` gives."""
    try:
        row = con.execute("SELECT value FROM schema_info WHERE key = ?", [STORED_KEY]).fetchone()
        stored = json.loads(row[0]) if row else None
        if (
            isinstance(stored, dict)
            and isinstance(stored.get("count"), int)
            and stored.get("fingerprint") == fingerprint(con)
        ):
            return stored["count"]
    except (duckdb.Error, ValueError):
        pass  # no schema_info or load_runs (not a loaded database), or a damaged value
    return count_from_text(con)
