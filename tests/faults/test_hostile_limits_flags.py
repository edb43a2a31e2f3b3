"""The limits are defaults a user can raise: the load flags reach the workers."""

from __future__ import annotations

from pathlib import Path

import duckdb
from hostile_files import page_tree_bomb

from imr_analytics.cli import main


def test_limit_flags_reach_the_workers(tmp_path: Path, capsys) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "tree.pdf").write_bytes(page_tree_bomb(claimed=200, fanout=200))
    (tmp_path / "in" / "long.txt").write_text("Upheld. " * 50)
    db = tmp_path / "f.duckdb"
    code = main(
        ["load", str(tmp_path / "in"), "--db", str(db), "--max-pages", "199", "--max-chars", "300"]
    )
    out = capsys.readouterr().out
    assert code == 1  # nothing could be read: both files are past a limit
    assert "more than 199 pages (the PDF claims 200)" in out
    assert "more than 300 characters of text" in out
    db.unlink()
    main(
        [
            "load",
            str(tmp_path / "in"),
            "--db",
            str(db),
            "--max-pages",
            "200",
            "--max-chars",
            "10000",
        ]
    )
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2


def test_a_bad_limit_is_a_usage_error(capsys) -> None:
    for args in (["--worker-memory", "lots"], ["--timeout", "0"], ["--max-pages", "-1"]):
        try:
            main(["load", "x", "--db", "y.duckdb", *args])
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError(f"{args} was accepted")
    assert "not a memory size" in capsys.readouterr().err
