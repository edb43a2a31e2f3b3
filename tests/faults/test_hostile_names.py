"""Any file name, any file kind, in process: names as the OS gives them (stored and
printed escaped, never an error), and what is not a regular file never opened."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import pytest

from imr_analytics.store.loader import iter_files, load_paths, path_text, printable


def test_names_are_stored_as_the_os_bytes_and_printed_without_controls() -> None:
    raw = os.fsdecode(b"/in/x\xff\x1b[2J\n.txt")  # what os.listdir gives for those bytes
    assert path_text(raw) == "/in/x\\xff\x1b[2J\n.txt"
    assert path_text("/in/é.txt") == "/in/é.txt"
    assert printable(path_text(raw)) == "/in/x\\xff\\x1b[2J\\n.txt"
    assert printable("right\u202etxt.exe") == "right\\u202etxt.exe"
    assert printable(raw).isprintable()  # a lone surrogate is escaped, not an error


def test_a_folder_of_hostile_names_loads_and_prints(tmp_path: Path, capsys) -> None:
    base = os.fsencode(tmp_path / "in")
    os.mkdir(base)
    for name in (b"x\xff.txt", b"tab\there.txt", b"bell\x07.md"):
        with open(os.path.join(base, name), "wb") as fh:
            fh.write(b"Not a letter: " + name + b"\n")
    summary = load_paths([tmp_path / "in"], tmp_path / "n.duckdb", workers=1, log=print)
    assert summary.files_quarantined == 3
    text = "\n".join(summary.lines())
    print(text)  # must not raise on a terminal or a pipe
    assert "x\\xff.txt" in text and "tab\\there.txt" in text and "bell\\x07.md" in text
    assert "\x07" not in capsys.readouterr().out
    con = duckdb.connect(str(tmp_path / "n.duckdb"), read_only=True)
    stored = {r[0] for r in con.execute("SELECT source_path FROM load_errors").fetchall()}
    assert f"{tmp_path}/in/x\\xff.txt" in stored


def test_what_is_not_a_regular_file_is_listed_and_never_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "pipe.txt")
    (folder / "tty.txt").symlink_to("/dev/null")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    (folder / "sub").mkdir()
    (folder / "linked-dir").symlink_to(folder / "sub")  # not followed
    opened: list[str] = []
    real_open = os.open

    def watching_open(path, flags, *args, **kwargs):
        opened.append(os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", watching_open)
    assert sorted(p.name for p in iter_files([folder])) == ["loop.txt", "pipe.txt", "tty.txt"]
    summary = load_paths([folder], tmp_path / "k.duckdb", workers=1, log=lambda _: None)
    reasons = {Path(p).name: r for p, _, r in summary.quarantined}
    assert reasons["pipe.txt"].startswith("a named pipe (FIFO), not a regular file")
    assert reasons["tty.txt"].startswith("a character device, not a regular file")
    assert "Too many levels of symbolic links" in reasons["loop.txt"]
    assert not [p for p in opened if p.startswith(str(folder))]
    assert stat.S_ISFIFO(os.stat(folder / "pipe.txt").st_mode)


@pytest.mark.skipif(os.geteuid() == 0, reason="file permissions do not bind root")
def test_unreadable_folders_and_files_get_a_row(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "locked").mkdir(parents=True)
    (folder / "locked" / "a.txt").write_text("x")
    (folder / "secret.txt").write_text("x")
    os.chmod(folder / "locked", 0)
    os.chmod(folder / "secret.txt", 0)
    try:
        summary = load_paths([folder], tmp_path / "u.duckdb", workers=1, log=lambda _: None)
    finally:
        os.chmod(folder / "locked", 0o755)
    reasons = {Path(p).name: r for p, _, r in summary.quarantined}
    assert reasons["locked"] == "a folder that cannot be read: Permission denied"
    assert reasons["secret.txt"] == "cannot be read: Permission denied"
