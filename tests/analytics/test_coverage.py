"""coverage: what a selection covers, and its check against the published reference bands."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from imr_analytics.analytics import REFERENCE_BANDS, coverage


def quarantine(db, stage: str, reason: str) -> None:
    db.con.execute(
        "INSERT INTO load_errors (source_path, stage, reason) VALUES ('x.pdf', ?, ?)",
        [stage, reason],
    )


def test_counts_window_layouts_warnings_and_other(db):
    db.letter([{}, {"item_category": "Other"}], layout="B4", decision_date="2016-03-01")
    db.letter(
        [{}],
        layout="B4",
        decision_date="2016-05-01",
        parse_warnings=["header labels without a value: Date", "no reviewer credentials found"],
    )
    db.letter(
        [{}], layout="A", decision_date=None, parse_warnings=["header labels without a value: Age"]
    )
    db.letter([], layout="A", decision_date="2016-04-01")  # no parsed items: still a letter
    quarantine(db, "detect", "unknown_layout: mentions IMR but has none of the known headings")
    quarantine(db, "detect", "unknown_layout: mentions IMR but has none of the known headings")
    quarantine(db, "read", "empty file")
    cov = coverage(db.con)
    assert (cov.n_letters, cov.n_items, cov.n_undated_letters) == (4, 4, 1)
    assert (cov.date_min, cov.date_max) == (date(2016, 3, 1), date(2016, 5, 1))
    assert cov.months_spanned == 3 and not cov.undated_excluded
    table = {
        (r.layout, None if pd.isna(r.decision_year) else int(r.decision_year)): (
            r.n_letters,
            r.n_items,
        )
        for r in cov.by_layout_year.itertuples()
    }
    assert table[("B4", 2016)] == (2, 3)
    assert table[("A", None)] == (1, 1) and table[("A", 2016)] == (1, 0)
    warnings = dict(zip(cov.parse_warnings.warning, cov.parse_warnings.n_letters, strict=True))
    assert warnings == {"header labels without a value": 2, "no reviewer credentials found": 1}
    quarantined = {(r.stage, r.reason): r.n_files for r in cov.quarantined.itertuples()}
    assert quarantined == {("detect", "unknown_layout"): 2, ("read", "empty file"): 1}
    assert cov.n_other == 1 and cov.other_share == pytest.approx(1 / 4)
    assert any("spans 3 months (< 12)" in w for w in cov.warnings)
    assert "1 letter without a decision date is counted but falls in no year." in cov.warnings
    assert "3 files in the database's loads were quarantined (not read as letters)." in cov.warnings
    assert set(cov.reference_checks.status) == {"not comparable"}
    assert list(cov.reference_checks.measure) == [b.measure for b in REFERENCE_BANDS]


def test_one_quarantined_file_is_said_in_the_singular(db):
    db.letter([{}], layout="B4", decision_date="2016-03-01")
    quarantine(db, "read", "empty file")
    cov = coverage(db.con)
    assert "1 file in the database's loads was quarantined (not read as letters)." in cov.warnings


def test_date_filter_drops_undated_letters_and_says_so(db):
    db.letter([{}], decision_date="2016-03-01")
    db.letter([{}], decision_date=None)
    db.letter([{}], decision_date=None, reviewer_specialties=["Psychiatry"])
    cov = coverage(db.con, date_from="2016-01-01", where={"reviewer_specialty": "Psychiatry"})
    assert cov.n_letters == 0 and cov.n_undated_letters == 1 and cov.undated_excluded
    assert cov.warnings == ["The selection holds no letters."]
    cov = coverage(db.con, date_to="2016-12-31")
    assert cov.n_letters == 1 and cov.n_undated_letters == 2
    assert any("left out by the date filter" in w for w in cov.warnings)


def test_reference_bands_in_and_out(db):
    # two years of letters: two items each, 90% upheld, no pharmaceuticals
    for k in range(200):
        year = 2016 + k % 2
        outcome = "upheld" if k % 10 else "overturned"
        db.letter(
            [
                {"decision": "upheld", "item_category": "Surgery"},
                {"decision": outcome, "item_category": "Surgery" if k % 3 else "Pharmaceuticals"},
            ],
            decision_date=f"{year}-{1 + k % 12:02d}-15",
        )
    cov = coverage(db.con)
    checks = cov.reference_checks.set_index("measure")
    assert checks.loc["overall uphold rate", "value"] == pytest.approx(380 / 400)
    assert (
        checks.loc["overall uphold rate", "ci_low"]
        < 0.95
        < checks.loc["overall uphold rate", "ci_high"]
    )
    assert checks.loc["items per letter", "status"] == "out of band"  # exactly 2, no spread
    assert checks.loc["share of letters with more than one item", "status"] == "out of band"
    rx = checks.loc["pharmaceutical share of items"]
    assert rx.value == pytest.approx(67 / 400) and rx.status == "out of band"
    for band in REFERENCE_BANDS:
        assert checks.loc[band.measure, "band_low"] == band.low and band.source
    assert not any("spans" in w for w in cov.warnings)


def test_synthetic_letters_reads_the_marker_as_the_plain_prefix_test() -> None:
    """The range form counts exactly the texts starting_with(ltrim(left(text, 243)), marker)."""
    import duckdb

    from imr_analytics.analytics.coverage import synthetic_letters
    from imr_analytics.parse.normalize import SYNTHETIC_MARKER as m

    texts = [
        m + " (seed 1); not a real IMR determination.\nCase Number: CM1",
        m,  # the marker alone
        "   " + m + "\nbody",  # indented
        " " * 200 + m,  # the widest indent the check has read
        " " * 201 + m,  # one space too many
        "\t" + m,  # ltrim removes spaces only
        m[:-1] + "\n",  # one character short
        m[:-1] + chr(ord(m[-1]) + 1),  # just above the marker
        m.lower(),
        "Case Number: CM13-0000001\n" + m,  # the marker later in the text
        "",
        " ",
        "SYNTHETIC",
        *(c + m for c in "\u00a0\u1680\u2000\u2009\u202f\u205f\u3000\ufeff\x85\n\r\x0b"),
        "\u3000 \u00a0" + m,
        "\u00e9" + m,
    ]
    con = duckdb.connect()
    con.execute("CREATE TABLE documents (content_sha256 VARCHAR, text VARCHAR)")
    con.execute("CREATE TABLE letters (letter_id VARCHAR, content_sha256 VARCHAR)")
    for k, text in enumerate(texts):
        con.execute("INSERT INTO documents VALUES (?, ?)", [f"h{k}", text])
        con.execute("INSERT INTO letters VALUES (?, ?)", [f"L{k}", f"h{k}"])
    con.execute("INSERT INTO letters VALUES ('L-none', 'no-such-document')")
    plain = con.execute(
        "SELECT count(*) FROM letters l JOIN documents d USING (content_sha256) "
        f"WHERE starts_with(ltrim(left(d.text, {len(m) + 200})), ?)",
        [m],
    ).fetchone()[0]
    assert plain >= 4  # DuckDB 2.0 ltrim also removes the Unicode space separators (12)
    assert synthetic_letters(con) == plain
