"""The workers read and hash the files themselves: what they read is what they report."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from imr_analytics.store.worker import hash_file, process_file


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_hash_then_process_reads_the_same_file_once_hashed(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"not a letter")
    hashed = hash_file(("a.txt", f.stat().st_size, str(f)))
    assert hashed[:3] == ("hashed", _sha(b"not a letter"), 12)
    result = process_file(("a.txt", 12, hashed[1], str(f), hashed[3]))
    assert result[0] == "failed" and result[3] == hashed[1]  # read, but not a letter
    assert result[1][4] == 12  # the document's byte size


def test_a_file_rewritten_after_hashing_comes_back_under_its_new_hash(tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_bytes(b"first content")
    hashed = hash_file(("a.txt", f.stat().st_size, str(f)))
    st = f.stat()
    f.write_bytes(b"other content")  # same size, and the same mtime put back
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    result = process_file(("a.txt", st.st_size, hashed[1], str(f), hashed[3]))
    assert result[3] == _sha(b"other content") != hashed[1]


def test_a_file_gone_or_swapped_for_a_folder_is_a_read_error(tmp_path: Path) -> None:
    gone = hash_file(("gone.txt", 5, str(tmp_path / "gone.txt")))
    assert gone[0] == "error" and gone[3] == "read" and "No such file" in gone[4]
    (tmp_path / "d").mkdir()
    folder = process_file(("d", 5, "0" * 64, str(tmp_path / "d"), None))
    assert folder[0] == "error" and folder[3] == "read" and folder[2] is None


def test_a_file_grown_past_the_limit_since_its_stat_is_not_read_but_remembered(
    tmp_path: Path, monkeypatch
) -> None:
    from imr_analytics.store import worker

    monkeypatch.setattr(worker, "MAX_FILE_BYTES", 100)
    f = tmp_path / "big.txt"
    f.write_bytes(b"x" * 500)
    result = hash_file(("big.txt", 50, str(f)))
    assert result == ("error", "big.txt", None, "read", worker.TOO_LARGE, True)
    gone = hash_file(("gone.txt", 50, str(tmp_path / "gone.txt")))
    assert gone[5] is False  # not read at all: nothing to remember


def test_nul_characters_are_dropped_from_the_stored_text() -> None:
    from imr_analytics.store.worker import process_bytes

    body = b"Independent Medical Review\n" + b"x" * 9000  # NULs past the binary-file sample
    for data, want in ((body + b"\x00ab\x00\n", body + b"ab\n"), (body + b"ab\n", body + b"ab\n")):
        result = process_bytes("a.txt", data, _sha(data))
        assert result[1][6] == want.decode()


def test_load_file_reads_hashes_and_parses_in_one_go(tmp_path: Path) -> None:
    """A file at a new path is read once: its hash is of the bytes that were parsed."""
    from imr_analytics.store.worker import load_file, process_bytes

    f = tmp_path / "a.txt"
    f.write_bytes(b"not a letter")
    loaded = load_file(("a.txt", 12, str(f)))
    assert loaded[:3] == ("read", _sha(b"not a letter"), 12)
    assert loaded[3] == process_bytes("a.txt", b"not a letter", _sha(b"not a letter"))
    (tmp_path / "e.txt").write_bytes(b"")
    assert load_file(("e.txt", 0, str(tmp_path / "e.txt"))) == ("read", _sha(b""), 0, None)
    gone = load_file(("gone.txt", 5, str(tmp_path / "gone.txt")))
    assert gone[:4] == ("error", "gone.txt", None, "read") and gone[5] is False


def test_a_load_file_task_whose_worker_died_is_hashed_again_by_the_loader() -> None:
    from imr_analytics.store.worker import failed_task

    assert failed_task("load_file", ("a.pdf", 10, "/x/a.pdf"), "worker died") == (
        "lost",
        "a.pdf",
        "worker died",
    )
