"""The versions rule settled batch by batch equals the rule run over every version at once.

A case number seen in an earlier batch is settled between its current row in ``letters``
and the batch's new versions (``versions.resolve``), not by reading all its versions again;
these tests load many versions of the same case numbers in small batches and check the
outcome against the rule's plain definition (``_RESOLVE_SQL`` over ``letter_versions``) and
against one load in a single batch.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import duckdb
import pytest

from imr_analytics.store import loader
from imr_analytics.store.versions import _RESOLVE_SQL
from imr_analytics.synth import generate_corpus

_DATE = re.compile(rb"(Decision Date:\s+)(\d\d)/(\d\d)/(\d{4})")


def _versions_folder(tmp_path: Path) -> Path:
    """Letters, and for most of them later files with the same case number: decided a year
    later, a year earlier, the same day, or with the decision date line made unreadable."""
    folder = tmp_path / "letters"
    generate_corpus(folder, 24, seed=5)
    (folder / "truth.jsonl").unlink(missing_ok=True)
    originals = sorted(p for p in folder.rglob("*.txt") if _DATE.search(p.read_bytes()))
    assert len(originals) >= 12
    rng = random.Random(7)
    n = 0
    for source in originals:
        data = source.read_bytes()
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(["later", "earlier", "same", "undated"])
            if kind == "undated":
                copy = _DATE.sub(lambda m: b"Decided: unknown", data, count=1)
            else:
                years = {"later": 1, "earlier": -1, "same": 0}[kind]
                copy = _DATE.sub(
                    lambda m, y=years: (
                        m.group(1)
                        + m.group(2)
                        + b"/"
                        + m.group(3)
                        + b"/"
                        + b"%d" % (int(m.group(4)) + y)
                    ),
                    data,
                    count=1,
                )
            n += 1
            # A different byte at the end: a distinct document even when the date is the same.
            (folder / f"zz-{n:03d}-{kind}.txt").write_bytes(copy + b"\n" * n)
    return folder


def _letters(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT letter_id, content_sha256, source_path FROM letters ORDER BY letter_id"
        ).fetchall()
    finally:
        con.close()


def _by_the_rule(db: Path) -> list[tuple]:
    """The winner of every case number by the rule over all its versions."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        ids = [
            r[0] for r in con.execute("SELECT DISTINCT letter_id FROM letter_versions").fetchall()
        ]
        rows = con.execute(_RESOLVE_SQL, [ids]).fetchall()
    finally:
        con.close()
    return sorted((r[0], r[1], r[2]) for r in rows if r[1] is not None)


@pytest.mark.parametrize("batch_files", [3, 7])
def test_batches_settle_versions_as_the_rule_over_all_of_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_files: int
) -> None:
    folder = _versions_folder(tmp_path)
    whole = tmp_path / "whole.duckdb"
    loader.load_paths([folder], whole, workers=1, log=lambda line: None)

    monkeypatch.setattr(loader, "BATCH_FILES", batch_files)
    small = tmp_path / "small.duckdb"
    summary = loader.load_paths([folder], small, workers=1, log=lambda line: None)
    assert summary.letters_corrected > 0  # some later version did replace a current one
    assert summary.duplicates > 0  # and some earlier one did not

    assert _letters(small) == _by_the_rule(small)
    assert _letters(small) == _letters(whole)
