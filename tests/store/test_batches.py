"""The load's batches: bounded by the bytes of the files to read, then by count, across the
groups in which files are stat-ed (a batch's size is what its memory and its once-per-batch
write costs depend on)."""

from __future__ import annotations

from pathlib import Path

import pytest

from imr_analytics.store import loader


def _files(folder: Path, sizes: list[int]) -> list[str]:
    folder.mkdir()
    paths = []
    for i, size in enumerate(sizes):
        p = folder / f"f{i:03d}.txt"
        p.write_bytes(b"x" * size)
        paths.append(str(p))
    return paths


def _bounds(monkeypatch: pytest.MonkeyPatch, *, stat_group: int, files: int, nbytes: int) -> None:
    monkeypatch.setattr(loader, "_STAT_GROUP", stat_group)
    monkeypatch.setattr(loader, "BATCH_FILES", files)
    monkeypatch.setattr(loader, "BATCH_BYTES", nbytes)


def _sizes(batches) -> list[list[int]]:
    return [[r[2] for r in records] for records, _ in batches]


def test_a_batch_closes_when_its_files_reach_the_byte_bound_across_stat_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bounds(monkeypatch, stat_group=3, files=100, nbytes=1000)
    paths = _files(tmp_path / "in", [300] * 10)
    batches = list(loader._batches(iter(paths), lambda stats: set()))
    # 4 files reach 1,200 bytes >= 1,000; the groups of 3 do not cut a batch short.
    assert _sizes(batches) == [[300] * 4, [300] * 4, [300] * 2]
    assert [r[1] for records, _ in batches for r in records] == paths


def test_a_batch_closes_at_the_file_count_when_files_are_small(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bounds(monkeypatch, stat_group=4, files=3, nbytes=10**9)
    paths = _files(tmp_path / "in", [10] * 7)
    batches = list(loader._batches(iter(paths), lambda stats: set()))
    assert _sizes(batches) == [[10] * 3, [10] * 3, [10]]


def test_unchanged_files_are_counted_not_batched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bounds(monkeypatch, stat_group=2, files=100, nbytes=250)
    paths = _files(tmp_path / "in", [100] * 6)
    unchanged = {loader.path_text(p) for p in paths[:3]}
    batches = list(loader._batches(iter(paths), lambda stats: {s[0] for s in stats} & unchanged))
    assert sum(skipped for _, skipped in batches) == 3
    assert [r[1] for records, _ in batches for r in records] == paths[3:]
    assert _sizes(batches) == [[100] * 3]


def test_files_that_cannot_be_stat_ed_count_towards_the_file_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _bounds(monkeypatch, stat_group=2, files=3, nbytes=10**9)
    folder = tmp_path / "in"
    paths = _files(folder, [10, 10])
    for i in range(10):
        link = folder / f"broken{i:02d}.txt"
        link.symlink_to(folder / f"missing{i:02d}.txt")
        paths.insert(1, str(link))
    batches = list(loader._batches(iter(paths), lambda stats: set()))
    assert all(len(records) <= 3 for records, _ in batches)
    assert sorted(r[1] for records, _ in batches for r in records) == sorted(paths)
    reasons = [r[4] for records, _ in batches for r in records if r[2] is None]
    assert len(reasons) == 10 and all(reasons)
