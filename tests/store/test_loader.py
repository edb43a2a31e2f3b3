"""Loader behaviour: bad input quarantined with reasons, idempotency, duplicates, locks, reparse."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fpdf import FPDF

from imr_analytics.cli import main
from imr_analytics.store.loader import load_paths, reparse_database
from imr_analytics.synth import generate_corpus


def _pdf_bytes(text: str, *, password: str | None = None) -> bytes:
    pdf = FPDF()
    if password:
        pdf.set_encryption(owner_password="owner", user_password=password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in text.split("\n"):
        pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@pytest.fixture()
def mixed_folder(tmp_path: Path) -> tuple[Path, int]:
    """Good synthetic letters mixed with every kind of bad file."""
    folder = tmp_path / "in"
    generate_corpus(folder / "good", 40, seed=11)
    truth = folder / "good" / "truth.jsonl"
    if truth.exists():  # the generator's answer key is not a letter; keep it out of this folder
        truth.rename(tmp_path / "truth.jsonl")
    good = sum(1 for p in (folder / "good").rglob("*") if p.is_file())
    bad = folder / "bad"
    bad.mkdir()
    (bad / "empty.pdf").write_bytes(b"")
    (bad / "empty.txt").write_bytes(b"")
    (bad / "corrupt.pdf").write_bytes(_pdf_bytes("Case Number: CM16-0000001")[:400])
    (bad / "locked.pdf").write_bytes(_pdf_bytes("Case Number: CM16-0000002", password="secret"))
    (bad / "image.png").write_bytes(bytes(range(256)) * 20)
    (bad / "fake.pdf").write_bytes(b"this is not a pdf at all")
    (bad / "minutes.txt").write_text("Board meeting minutes\nThe budget was approved.\n")
    (bad / "scanned.pdf").write_bytes(_pdf_bytes(""))  # a PDF with no text layer
    (bad / "broken-letter.txt").write_text(
        "Case Number: CM16-0000003\nHOW THE IMR FINAL DETERMINATION WAS MADE\nCLINICAL CASE SUMMARY\nText.\n"
    )
    return folder, good


def test_mixed_folder_loads_every_good_file_and_lists_every_bad_one(
    mixed_folder, tmp_path: Path, capsys
) -> None:
    folder, good = mixed_folder
    db = tmp_path / "mixed.duckdb"
    assert main(["load", str(folder), "--db", str(db), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM letters").fetchone()[0] == good
    errors = dict(
        con.execute(
            "SELECT regexp_extract(source_path, '[^/]+$'), stage || ' ' || reason FROM load_errors"
        ).fetchall()
    )
    n_error_rows = (
        duckdb.connect(str(db), read_only=True)
        .execute("SELECT count(*) FROM load_errors")
        .fetchone()[0]
    )
    con.close()
    assert n_error_rows == len(errors), "one row per bad file"
    assert set(errors) == {
        "empty.pdf",
        "empty.txt",
        "corrupt.pdf",
        "locked.pdf",
        "image.png",
        "fake.pdf",
        "minutes.txt",
        "scanned.pdf",
        "broken-letter.txt",
    }
    assert "empty" in errors["empty.pdf"]
    assert "password" in errors["locked.pdf"]
    assert (
        errors["corrupt.pdf"].startswith("extract")
        and "not a readable PDF" in errors["corrupt.pdf"]
    )
    assert "binary" in errors["image.png"]
    assert "not a PDF" in errors["fake.pdf"]
    assert errors["minutes.txt"].startswith("detect not_an_imr_letter")
    assert errors["scanned.pdf"].startswith("detect empty_text")
    assert errors["broken-letter.txt"].startswith("parse missing_section")
    for name in errors:  # the summary names every bad file
        assert name in out
    assert f"loaded:      {good} letters" in out


def test_second_load_adds_nothing(mixed_folder, tmp_path: Path) -> None:
    folder, good = mixed_folder
    db = tmp_path / "twice.duckdb"
    first = load_paths([folder], db, workers=1, log=lambda _: None)
    con = duckdb.connect(str(db), read_only=True)
    counts = [
        con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("documents", "letters", "items", "citations", "load_errors")
    ]
    con.close()
    second = load_paths([folder], db, workers=1, log=lambda _: None)
    con = duckdb.connect(str(db), read_only=True)
    again = [
        con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("documents", "letters", "items", "citations", "load_errors")
    ]
    con.close()
    assert again == counts
    assert first.letters_loaded == good
    assert second.letters_loaded == 0 and second.files_quarantined == 0
    assert second.files_skipped == first.files_seen


def test_same_case_number_in_two_files_is_one_letter_and_reported(tmp_path: Path) -> None:
    truth = generate_corpus(tmp_path / "c", 3, seed=5)
    truth.rename(tmp_path / "truth.jsonl")  # the answer key is not a letter
    letters = sorted(p for p in (tmp_path / "c").rglob("synthetic-*") if p.is_file())
    copy = letters[-1].parent / "zz-copy.txt"  # walked after the original
    copy.write_text(letters[0].read_text() + "\n")  # other bytes, same case number
    summary = load_paths([tmp_path / "c"], tmp_path / "d.duckdb", workers=1, log=lambda _: None)
    assert summary.duplicates == 1
    assert summary.letters_loaded == len(letters)
    con = duckdb.connect(str(tmp_path / "d.duckdb"), read_only=True)
    (dup_path, kept) = con.execute(
        "SELECT source_path, kept_source_path FROM letter_duplicates"
    ).fetchone()
    # same decision date: the later load (the copy, walked after the original) is the letter
    assert dup_path == str(letters[0]) and kept.endswith("zz-copy.txt")
    # the other version's text is still kept in the raw layer and as a version: nothing is lost
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == len(letters) + 1
    statuses = con.execute(
        "SELECT source_path, status FROM letter_history WHERE letter_id = "
        "(SELECT letter_id FROM letter_duplicates) ORDER BY version_seq"
    ).fetchall()
    assert statuses == [(str(letters[0]), "superseded"), (str(copy), "current")]


def test_nothing_readable_exits_non_zero(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.pdf").write_bytes(b"")
    assert main(["load", str(tmp_path / "a.pdf"), "--db", str(tmp_path / "x.duckdb")]) == 1
    assert main(["load", str(tmp_path / "missing-folder"), "--db", str(tmp_path / "x.duckdb")]) == 1
    assert "no such file" in capsys.readouterr().out


def test_second_writer_gets_one_sentence(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    holder = duckdb.connect(str(db))
    try:
        (tmp_path / "l.txt").write_text("x")
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "imr_analytics",
                "load",
                str(tmp_path / "l.txt"),
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
    finally:
        holder.close()
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "in use by another process" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_reparse_rebuilds_from_stored_text_without_the_files(tmp_path: Path) -> None:
    generate_corpus(tmp_path / "c", 25, seed=3)
    db = tmp_path / "r.duckdb"
    load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    con = duckdb.connect(str(db))
    before = con.execute("SELECT * FROM items ORDER BY letter_id, item_no").fetchall()
    con.execute("DELETE FROM items WHERE item_no > 1")  # damage the core layer
    con.close()
    for p in (tmp_path / "c").rglob("*"):
        if p.is_file():
            p.unlink()  # the source files are gone
    summary = reparse_database(db, workers=1, log=lambda _: None)
    con = duckdb.connect(str(db), read_only=True)
    after = con.execute("SELECT * FROM items ORDER BY letter_id, item_no").fetchall()
    runs = con.execute("SELECT command FROM load_runs ORDER BY started_at").fetchall()
    con.close()
    assert after == before
    assert summary.letters_loaded > 0
    assert [r[0] for r in runs] == ["load", "reparse"]


def test_generated_letters_parse_back_to_their_truth(tmp_path: Path) -> None:
    """Every layout and extraction style, through the loader, against the generator's truth."""
    corpus = tmp_path / "synthetic"
    generate_corpus(corpus, 400, seed=7)
    truth_file = next(corpus.rglob("truth.jsonl"))
    truth = [json.loads(line) for line in truth_file.read_text().splitlines()]
    truth_file.rename(tmp_path / "truth.jsonl")
    db = tmp_path / "s.duckdb"
    summary = load_paths([corpus], db, workers=2, log=lambda _: None)
    assert summary.files_quarantined == 0, summary.quarantined[:5]
    con = duckdb.connect(str(db), read_only=True)
    layouts = {t["layout"] for t in truth}
    styles = {t["style"] for t in truth}
    assert len(layouts) == 7 and len(styles) >= 7
    bad = []
    for t in truth:
        path = str(next(corpus.rglob(t["file"])))
        row = con.execute(
            "SELECT letter_id, case_number, decision_date, injury_date, patient_age, patient_sex, "
            "reviewer_specialties, reviewer_licensure FROM letters WHERE source_path = ?",
            [path],
        ).fetchone()
        if row is None:
            bad.append((t["file"], "not loaded"))
            continue
        got = dict(
            zip(
                [
                    "case_number",
                    "decision_date",
                    "injury_date",
                    "patient_age",
                    "patient_sex",
                    "reviewer_specialties",
                    "reviewer_licensure",
                ],
                row[1:],
                strict=True,
            )
        )
        for k, v in got.items():
            if (v.isoformat() if hasattr(v, "isoformat") else v) != t[k]:
                bad.append((t["file"], t["layout"], t["style"], k, v, t[k]))
        items = con.execute(
            "SELECT disputed_text, decision, modified_request, ca_guideline_sources, reviewer_guideline_sources, "
            "item_category, drug_class FROM items WHERE letter_id = ? ORDER BY item_no",
            [row[0]],
        ).fetchall()
        want = [
            (
                i["disputed_text"],
                i["decision"],
                i["modified_request"],
                i["ca_guideline_sources"],
                i["reviewer_guideline_sources"],
                i["item_category"],
                i["drug_class"],
            )
            for i in t["items"]
        ]
        if items != want:
            bad.append((t["file"], t["layout"], t["style"], "items", items, want))
    con.close()
    assert not bad, "\n".join(map(str, bad[:20]))


def test_unchanged_files_are_not_read_again_unless_rescanned(tmp_path: Path) -> None:
    truth = generate_corpus(tmp_path / "c", 5, seed=9)
    truth.rename(tmp_path / "truth.jsonl")
    db = tmp_path / "inc.duckdb"
    load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    # Same size and modification time, other bytes: a load that does not read the file
    # cannot notice; one that rescans must.
    victim = sorted((tmp_path / "c").rglob("synthetic-*"))[0]
    st = victim.stat()
    victim.write_bytes(b"\x00" * st.st_size)
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    quiet = load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    assert (quiet.files_skipped, quiet.files_quarantined) == (5, 0)
    rescanned = load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None, rescan=True)
    assert rescanned.files_quarantined == 1
    assert "binary" in rescanned.quarantined[0][2]


def test_oversized_file_is_refused_unread_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imr_analytics.store import loader

    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 1000)
    (tmp_path / "huge.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * 5000)
    # the database sits in the folder being loaded: the loader must pass over its own file
    first = load_paths([tmp_path], tmp_path / "h.duckdb", workers=1, log=lambda _: None)
    assert first.files_seen == 1
    assert (
        first.quarantined[0][1] == "read"
        and "larger than any IMR letter" in first.quarantined[0][2]
    )
    second = load_paths([tmp_path], tmp_path / "h.duckdb", workers=1, log=lambda _: None)
    assert (second.files_quarantined, second.files_skipped) == (0, 1)


def test_a_file_that_kills_its_worker_costs_that_file_not_the_load(tmp_path: Path) -> None:
    from hostile_files import stream_bomb

    from imr_analytics.extract import Limits

    truth = generate_corpus(tmp_path / "c", 12, seed=4)
    truth.rename(tmp_path / "truth.jsonl")
    (tmp_path / "c" / "bomb.pdf").write_bytes(stream_bomb(64))
    limits = Limits(worker_memory=384 * 2**20)
    db = tmp_path / "p.duckdb"
    summary = load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None, limits=limits)
    assert summary.letters_loaded == 12 and summary.files_quarantined == 1
    (path, stage, reason) = summary.quarantined[0]
    assert path.endswith("bomb.pdf") and stage == "extract"
    assert reason.startswith("worker exceeded the 384 MiB memory limit")
    again = load_paths(
        [tmp_path / "c"], db, workers=1, log=lambda _: None, limits=limits, rescan=True
    )
    assert (again.letters_loaded, again.files_quarantined, again.files_skipped) == (0, 0, 13)


def test_summary_counts_items_left_in_other(tmp_path: Path) -> None:
    letter = (
        "Case Number: CM16-0000042\nDate Assigned: 11/09/2016 Decision Date: 12/09/2016\n"
        "HOW THE IMR FINAL DETERMINATION WAS MADE\nThe Expert Reviewer has the following credentials:\n"
        "State(s) of Licensure: California\nCertification(s)/Specialty: Family Practice\n"
        "CLINICAL CASE SUMMARY\nThe injured worker is a 40 year old male.\n"
        "IMR ISSUES, DECISIONS AND RATIONALES\n"
        "Zyxwv quantum gizmo: Upheld\nClaims Administrator guideline: Decision based on MTUS Low Back Complaints 2004.\n"
        "MAXIMUS guideline: Decision based on MTUS Low Back Complaints 2004.\nDecision rationale: Not necessary.\n"
    )
    (tmp_path / "l.txt").write_text(letter)
    summary = load_paths([tmp_path / "l.txt"], tmp_path / "o.duckdb", workers=1, log=lambda _: None)
    assert summary.items_other == 1
    assert "1 items (100.0%) fell into 'Other'" in "\n".join(summary.lines())
    con = duckdb.connect(str(tmp_path / "o.duckdb"), read_only=True)
    assert con.execute(
        "SELECT items_other, vocab_version IS NOT NULL FROM load_runs"
    ).fetchone() == (1, True)
    con.close()


def test_generate_and_reparse_commands(tmp_path: Path, capsys) -> None:
    assert main(["generate", str(tmp_path / "g"), "--letters", "6", "--seed", "2"]) == 0
    assert (tmp_path / "g" / "truth.jsonl").exists()
    assert main(["load", str(tmp_path / "g" / "letters"), "--db", str(tmp_path / "g.duckdb")]) == 0
    assert main(["reparse", "--db", str(tmp_path / "g.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "reparse: 6 files" in out and "loaded:      6 letters" in out
    assert main(["reparse", "--db", str(tmp_path / "missing.duckdb")]) == 2


def test_database_folder_that_cannot_be_made_is_one_sentence(tmp_path: Path, capsys) -> None:
    (tmp_path / "a-file").write_text("x")
    db = tmp_path / "a-file" / "sub" / "x.duckdb"  # a folder cannot be made inside a file
    assert main(["load", str(tmp_path), "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("imr-analytics: cannot create the folder") and "Traceback" not in err


def test_a_file_changed_between_hashing_and_reading_is_checked_again(tmp_path: Path) -> None:
    """The workers hash a file, then read it again to parse it: a content that changed in
    between is checked against the database under its new hash before it is written."""
    from imr_analytics.store import loader

    generate_corpus(tmp_path / "c", 2, seed=5).rename(tmp_path / "truth.jsonl")
    db = tmp_path / "x.duckdb"
    load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    con = duckdb.connect(str(db))
    stored = con.execute("SELECT content_sha256 FROM documents ORDER BY 1").fetchall()[0][0]
    summary = loader.LoadSummary()

    class Writer:
        pass

    writer = Writer()
    writer.con, writer.summary = con, summary
    doc = ("x", "p", "text", "plain", 1, None, "t")
    done = [
        ("failed", doc, "a", "a" * 64, "detect", "why"),  # as hashed
        ("failed", doc, "b", stored, "detect", "why"),  # now a stored content
        ("failed", doc, "c", "c" * 64, "detect", "why"),  # now a new content
        ("error", "d", None, "read", "gone"),  # unreadable on the second read
    ]
    tasks = [
        (n, 1, sha, n, None)
        for n, sha in zip("abcd", ["a" * 64, "0" * 64, "1" * 64, "d" * 64], strict=True)
    ]
    seen = {n: (n, 1, 7, t[2]) for n, t in zip("abcd", tasks, strict=True)}
    kept = loader._changed_since_hashed(writer, done, tasks, seen)
    con.close()
    assert [r[1] if r[0] == "error" else r[2] for r in kept] == ["a", "c", "d"]
    assert summary.files_skipped == 1
    assert seen["b"][3] == stored and seen["c"][3] == "c" * 64 and seen["a"][3] == "a" * 64


def test_stored_text_is_compressed_with_zstd_and_reads_back_whole(tmp_path: Path) -> None:
    """The documents' text is declared ``USING COMPRESSION zstd`` (schema.sql): a load's
    checkpoint then spends a fifth of the CPU it spent on DuckDB's default, and the text
    still comes back byte for byte."""
    folder = tmp_path / "letters"
    generate_corpus(folder, 30, seed=7)
    db = tmp_path / "z.duckdb"
    load_paths([folder], db, workers=1, log=lambda _: None)
    con = duckdb.connect(str(db), read_only=True)
    methods = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT compression FROM pragma_storage_info('documents') "
            "WHERE column_name = 'text' AND segment_type = 'VARCHAR'"
        ).fetchall()
    }
    stored = dict(con.execute("SELECT source_path, text FROM documents").fetchall())
    con.close()
    assert methods == {"ZSTD"}
    assert len(stored) == 31  # the 30 letters and the truth file
    plain = [p for p in stored if p.endswith((".txt", ".md"))]
    assert plain
    for path in plain:
        assert Path(path).read_bytes().decode("utf-8") == stored[path]


def test_files_at_new_paths_are_parsed_once_and_stored_content_is_still_skipped(
    tmp_path: Path,
) -> None:
    """A file at a path no load recorded is read, hashed and parsed in one task; the loader
    drops it if its content is stored, counts it as skipped, and remembers the path, as
    when files were hashed first. A changed file at a recorded path is hashed first."""
    generate_corpus(tmp_path / "c", 6, seed=21).rename(tmp_path / "truth.jsonl")
    db = tmp_path / "n.duckdb"
    first = load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    assert first.letters_loaded == 6
    letters = sorted((tmp_path / "c").rglob("synthetic-*"))
    copy = tmp_path / "c" / "copy-of-first.txt"
    copy.write_bytes(letters[0].read_bytes())  # a new path, stored content
    twin = tmp_path / "c" / "twin-of-first.txt"
    twin.write_bytes(letters[0].read_bytes())  # and again, in the same batch
    letters[1].write_bytes(letters[2].read_bytes())  # a recorded path, now stored content
    (tmp_path / "c" / "e1.txt").write_bytes(b"")
    (tmp_path / "c" / "e2.txt").write_bytes(b"")
    second = load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    assert second.letters_loaded == 0 and second.documents_read == 0
    # five unchanged, the copy, its twin and the rewrite: all but the two empty files
    assert second.files_skipped == 5 + 3 == second.files_seen - 2
    assert sorted(q[0].rsplit("/", 1)[-1] for q in second.quarantined) == ["e1.txt", "e2.txt"]
    con = duckdb.connect(str(db), read_only=True)
    shas = dict(con.execute("SELECT source_path, content_sha256 FROM seen_files").fetchall())
    stored = {r[0] for r in con.execute("SELECT content_sha256 FROM documents").fetchall()}
    con.close()
    assert shas[str(copy)] == shas[str(twin)] == shas[str(letters[0])] in stored
    assert shas[str(letters[1])] == shas[str(letters[2])]
    third = load_paths([tmp_path / "c"], db, workers=1, log=lambda _: None)
    assert (third.files_skipped, third.files_quarantined) == (third.files_seen, 0)
