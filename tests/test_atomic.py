"""Atomic outputs: a write that fails half way leaves the previous files exactly as they were."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from imr_analytics import _atomic
from imr_analytics._atomic import OutputError, output_dir, try_copy, write_files


def test_all_files_are_replaced_together(tmp_path: Path) -> None:
    a, b = tmp_path / "r.ipynb", tmp_path / "r.html"
    a.write_text("old nb")
    b.write_text("old html")
    write_files({a: "new nb", b: b"new html"})
    assert (a.read_text(), b.read_text()) == ("new nb", "new html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.ipynb"]


def test_a_failure_while_writing_the_second_file_changes_neither(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "r.ipynb", tmp_path / "r.html"
    a.write_text("old nb")
    b.write_text("old html")
    real_fsync = os.fsync
    calls = []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the second file: the disk fills up
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(_atomic.os, "fsync", full_disk)
    with pytest.raises(OutputError, match="the disk is full.*previous files are unchanged"):
        write_files({a: "new nb", b: "new html"})
    assert (a.read_text(), b.read_text()) == ("old nb", "old html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.ipynb"]  # no temporaries


def test_output_dir_refuses_a_file_and_makes_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is a file, not a folder"):
        output_dir(tmp_path / "f")
    with pytest.raises(OutputError, match="cannot create"):
        output_dir(tmp_path / "f" / "sub")
    assert output_dir(tmp_path / "new" / "deep").is_dir()


def test_try_copy_gives_none_instead_of_raising(tmp_path: Path) -> None:
    src = tmp_path / "a"
    src.write_text("x")
    assert try_copy(src, tmp_path / "b") == tmp_path / "b"
    assert try_copy(src, tmp_path / "missing" / "b") is None
