"""A folder of good letters plus every hostile file: the load finishes under a 4 GiB
address-space limit with the whole process tree under 1 GiB, exits 0, names every bad
file's problem in load_errors, prints no raw control character, and a second run adds
nothing. Marked slow: it loads 400 letters twice and waits out a memory bomb."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import duckdb
import pytest
from hostile_files import page_tree_bomb, stream_bomb, text_bomb, zero_page_pdf

pytestmark = pytest.mark.slow

# file name (bytes, as the OS gives it) -> (stage, words its reason must contain)
HOSTILE: dict[bytes, tuple[str, str]] = {
    b"bomb.pdf": ("extract", "memory limit"),
    b"tree.pdf": ("extract", "more than 100 pages (the PDF claims 1,000,000)"),
    b"text.pdf": ("extract", "more than 1,000,000 characters of text"),
    b"zero.pdf": ("extract", "the PDF has no pages"),
    b"fifo.txt": ("read", "a named pipe (FIFO), not a regular file; not opened"),
    b"socket.txt": ("read", "a socket, not a regular file; not opened"),
    b"device.txt": ("read", "a character device, not a regular file; not opened"),
    b"x\xff.txt": ("detect", "not_an_imr_letter"),
    b"evil\x1b[2J\nname\r.txt": ("detect", "not_an_imr_letter"),
}
GOOD_HOSTILE_NAME = b"letter \xe9\xff.txt"  # a real letter under a name that is not UTF-8


def _build(folder: Path, letters: Path) -> tuple[int, socket.socket]:
    shutil.copytree(letters, folder)
    good = sum(1 for p in folder.rglob("*") if p.is_file())
    first = sorted(p for p in folder.rglob("*") if p.is_file())[0]
    os.rename(first, os.path.join(os.fsencode(folder), GOOD_HOSTILE_NAME))
    base = os.fsencode(folder)
    contents = {
        b"bomb.pdf": stream_bomb(64),
        b"tree.pdf": page_tree_bomb(),
        b"text.pdf": text_bomb(1_500_000),
        b"zero.pdf": zero_page_pdf(),
        b"x\xff.txt": b"Board minutes, not a letter.\n",
        b"evil\x1b[2J\nname\r.txt": b"Escape sequences in a name, not a letter.\n",
    }
    for name, data in contents.items():
        with open(os.path.join(base, name), "wb") as fh:
            fh.write(data)
    os.mkfifo(os.path.join(base, b"fifo.txt"))
    os.symlink("/dev/zero", os.path.join(base, b"device.txt"))  # reading it never ends
    server = socket.socket(socket.AF_UNIX)
    server.bind(os.path.join(base, b"socket.txt"))
    return good, server


def test_good_letters_and_every_hostile_file(
    letters_400: Path, tmp_path: Path, run_cli, table_rows
) -> None:
    folder = tmp_path / "in"
    good, server = _build(folder, letters_400)
    assert good == 401
    db = tmp_path / "h.duckdb"
    try:
        first = run_cli(["load", str(folder), "--db", str(db), "--workers", "2"])
        after_first = table_rows(db)
        second = run_cli(["load", str(folder), "--db", str(db), "--workers", "2"])
    finally:
        server.close()
    print(f"peak memory of the process tree: {first.peak_rss / 2**20:.0f} MiB")
    assert first.code == 0, first.stderr
    assert "Traceback" not in first.stderr + first.stdout
    assert first.peak_rss < 2**30, f"{first.peak_rss / 2**20:.0f} MiB"
    assert not first.survivors and not second.survivors
    assert first.started, "the load ran no worker process"

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM letters").fetchone()[0] == good
    stored_name = f"{folder}/letter \\xe9\\xff.txt"
    assert con.execute(
        "SELECT count(*) FROM letters WHERE source_path = ?", [stored_name]
    ).fetchone() == (1,)
    errors = {
        path: (stage, reason)
        for path, stage, reason in con.execute(
            "SELECT source_path, stage, reason FROM load_errors"
        ).fetchall()
    }
    con.close()
    for name, (stage, words) in HOSTILE.items():
        stored = os.fsencode(folder).decode() + "/" + name.decode("utf-8", "backslashreplace")
        assert stored in errors, (stored, sorted(errors))
        assert errors[stored][0] == stage and words in errors[stored][1], errors[stored]
    assert len(errors) == len(HOSTILE)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM load_errors").fetchone()[0] == len(HOSTILE)
    con.close()

    # Names are printed with their control characters escaped.
    assert "evil\\x1b[2J\\nname\\r.txt" in first.stdout and "x\\xff.txt" in first.stdout
    assert not any(c in first.stdout for c in "\x1b\r")

    assert second.code == 0, second.stderr
    assert "loaded:      0 letters" in second.stdout and "quarantined: 0" in second.stdout
    assert table_rows(db) == after_first
