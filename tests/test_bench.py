"""``imr-analytics bench``: CPU of the whole process tree, per-batch write costs, peak memory."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from imr_analytics.bench import Measured, WriteLog, load_report, run_benchmark, run_measured

# A parent that burns no CPU itself and waits for a child that burns about 0.4 s of it,
# as the loader waits for its workers.
_GRANDCHILD = (
    "import subprocess, sys;"
    "subprocess.run([sys.executable, '-c', "
    "'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.4: pass'],"
    " check=True)"
)


def test_cpu_counts_the_processes_the_command_started_and_waited_for() -> None:
    run = run_measured([sys.executable, "-c", _GRANDCHILD])
    assert run.code == 0, run.output
    assert run.cpu_s >= 0.35  # the child's CPU, not only the parent's start-up
    assert run.seconds >= 0.35


def test_write_log_gives_the_cost_at_both_ends_and_the_cpu_split(tmp_path: Path) -> None:
    log_path = tmp_path / "log.tsv"
    lines = [f"batch\t{i * 1000}\t1000\t{100 + i * 10}.0\t{50 + i}.0" for i in range(20)]
    lines += ["batch\t20000\t37\t5.0\t4.0", "finish\t20037\t0\t900.0\t800.0"]
    lines += ["rusage\t4.000\t16.000\t300000000\t200000000"]
    log_path.write_text("\n".join(lines) + "\n")
    log = WriteLog.read(log_path)
    assert len(log.batches) == 21 and log.finish_ms == 900.0
    assert (log.main_cpu_s, log.workers_cpu_s) == (4.0, 16.0)
    (w0, c0), (w1, c1) = log.ends()
    assert (w0, c0) == (120.0, 52.0)  # median of the first five full batches
    assert (w1, c1) == (270.0, 67.0)  # the last five, the short remainder left out
    report = "\n".join(load_report(Measured(10.0, 500 * 2**20, 20.0, 0, ""), log, 20_037))
    assert "0.998 ms per letter, whole process tree (loader 0.200, workers 0.799)" in report
    assert (
        "120 ms per batch of up to 1,000 letters at the start, 270 ms at the end (2.25x" in report
    )
    assert "closing checkpoint 900 ms" in report
    assert "peak memory: 500 MiB" in report


def test_a_missing_log_reports_what_was_measured() -> None:
    log = WriteLog.read(Path("/nonexistent/write-log.tsv"))
    assert log.ends() is None
    report = load_report(Measured(2.0, None, 1.0, 0, ""), log, 1000)
    assert any("1.000 ms per letter" in line for line in report)
    assert not any("writes:" in line for line in report)


def test_bench_end_to_end(tmp_path: Path, capsys) -> None:
    from imr_analytics.store.loader import BATCH_FILES

    # One batch more than a full one, so that the log has a first and a last batch.
    letters = BATCH_FILES + 200
    code = run_benchmark(letters=letters, pdfs=0, workers=2, seed=3, keep=str(tmp_path))
    out = capsys.readouterr().out
    assert code == 0, out
    cpu = re.search(
        r"CPU:\s+([\d.]+) ms per letter, whole process tree \(loader ([\d.]+), workers ([\d.]+)\)",
        out,
    )
    assert cpu, out
    total, main, workers = map(float, cpu.groups())
    assert workers > 0 and main > 0  # both sides of the load are counted
    assert total >= main + workers * 0.9  # the tree total includes both
    assert re.search(r"writes:\s+[\d,]+ ms per batch of up to [\d,]+ letters at the start", out), (
        out
    )
    assert re.search(r"peak memory: [\d,]+ MiB", out), out
    assert (tmp_path / "write-log.tsv").read_text().count("batch\t") >= 2


def test_real_benchmark_loads_every_copy_as_a_letter_of_its_own(tmp_path: Path, capsys) -> None:
    """``bench --real DIR``: the letters' text, repeated, each copy a letter of its own (none
    skipped as a duplicate or taken for a correction); a file without a case number is
    skipped with its reason. Synthetic text letters stand in for the real ones here, so the
    test runs without ../shared (tests/store/test_real_letters.py loads those)."""
    import duckdb

    from imr_analytics.bench import run_real_benchmark
    from imr_analytics.synth import generate_corpus

    source = tmp_path / "source"
    generate_corpus(source, 3, seed=5)
    (source / "letters" / "notes.txt").write_text("no case number here\n", encoding="utf-8")
    kept = tmp_path / "kept"
    code = run_real_benchmark(source / "letters", letters=25, workers=1, keep=str(kept))
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    assert "3 real letters" in captured.out and "repeated to 25 files" in captured.out
    assert "notes.txt: no case number in its text" in captured.err
    assert re.search(r"CPU:\s+[\d.]+ ms per letter, whole process tree", captured.out)
    with duckdb.connect(str(kept / "bench-real.duckdb"), read_only=True) as con:
        ids = con.execute("SELECT count(*), count(DISTINCT case_number) FROM letters").fetchone()
    assert ids == (25, 25)


def test_real_benchmark_refuses_what_it_cannot_load(tmp_path: Path, capsys) -> None:
    from imr_analytics.bench import run_real_benchmark

    assert run_real_benchmark(tmp_path / "absent", letters=10, workers=1, keep=None) == 2
    assert "is not a folder of letters" in capsys.readouterr().err
    assert run_real_benchmark(tmp_path, letters=0, workers=1, keep=None) == 2
    assert "--letters must be 1 to" in capsys.readouterr().err
    assert run_real_benchmark(tmp_path, letters=10, workers=1, keep=None) == 1
    assert "names a case number" in capsys.readouterr().err


def test_real_benchmark_keeps_its_copies_out_of_the_source(tmp_path: Path, capsys) -> None:
    from imr_analytics.bench import run_real_benchmark

    (tmp_path / "letter.txt").write_text("Case Number: CM16-0000001\n", encoding="utf-8")
    code = run_real_benchmark(tmp_path, letters=10, workers=1, keep=str(tmp_path / "kept"))
    assert code == 2
    assert "is inside" in capsys.readouterr().err
    assert not (tmp_path / "kept").exists()


def test_real_copies_rename_every_mention_of_the_case_number(tmp_path: Path) -> None:
    from imr_analytics.bench import write_real_copies

    text = "Case Number: CM16-0000001\nre cm16-0000001 and CM16-0000002\n"
    write_real_copies([("CM16-0000001", text)], tmp_path, 2)
    first, second = (p.read_text(encoding="utf-8") for p in sorted(tmp_path.rglob("*.txt")))
    assert first == "Case Number: CM16-9000000\nre CM16-9000000 and CM16-0000002\n"
    assert "CM16-9000001" in second and "0000001" not in second


def test_a_disk_too_small_is_said_before_anything_is_written(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    """Each load benchmark checks the disk of its folder first, says how much it needs, and
    leaves no temporary folder behind."""
    import tempfile
    from collections import namedtuple

    from imr_analytics import bench
    from imr_analytics.bench import run_real_benchmark

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(bench.shutil, "disk_usage", lambda path: usage(2**20, 0, 2**10))
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))

    assert run_benchmark(letters=1000, pdfs=0, workers=1, seed=1, keep=None) == 1
    err = capsys.readouterr().err
    assert "1,000 letters need about" in err and "GiB of disk in" in err

    source = tmp_path / "letters"
    source.mkdir()
    (source / "letter.txt").write_text("Case Number: CM16-0000001\n" * 100, encoding="utf-8")
    kept = tmp_path / "kept"
    assert run_real_benchmark(source, letters=10, workers=1, keep=str(kept)) == 1
    err = capsys.readouterr().err
    assert "10 copies need about" in err and str(kept) in err
    assert kept.is_dir() and not any(kept.iterdir())  # a kept folder stays, empty
    assert run_real_benchmark(source, letters=10, workers=1, keep=None) == 1
    assert list(temp.iterdir()) == []  # the temporary folders are gone


def test_stale_bytecode_is_what_the_interpreter_would_compile(tmp_path: Path) -> None:
    """The check agrees with CPython's own: ``python -v`` says which modules it compiles."""
    import os
    import py_compile
    import subprocess

    from imr_analytics.bench import bytecode_note, stale_bytecode

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for name in ("fresh", "edited", "hashed", "missing"):
        (pkg / f"{name}.py").write_text(f"NAME = {name!r}\n")
    (pkg / "__init__.py").write_text("")
    for name in ("__init__", "fresh", "edited"):
        py_compile.compile(str(pkg / f"{name}.py"), doraise=True)
    py_compile.compile(
        str(pkg / "hashed.py"),
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
    )
    (pkg / "edited.py").write_text("NAME = 'edited, longer now'\n")
    touched = pkg / "fresh.py"  # same size, another time: stale too
    os.utime(touched, (touched.stat().st_atime, touched.stat().st_mtime + 10))
    found = {p.stem for p in stale_bytecode(pkg)}
    assert found == {"edited", "fresh", "missing"}

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(tmp_path)}
    imports = "import pkg.fresh, pkg.edited, pkg.hashed, pkg.missing"
    done = subprocess.run(
        [sys.executable, "-v", "-c", imports], env=env, capture_output=True, text=True, check=True
    )
    source = re.escape(str(pkg))
    compiled = set(re.findall(rf"code object from '?{source}/(\w+)\.py'?$", done.stderr, re.M))
    assert compiled == found

    (pkg / "hashed.py").write_text("NAME = 'hashed, edited'\n")
    assert {p.stem for p in stale_bytecode(pkg)} == {"edited", "fresh", "missing", "hashed"}
    assert bytecode_note({}) is None  # bytecode is written by the first process that imports


def test_the_bytecode_note_names_the_modules_and_the_command(monkeypatch) -> None:
    from imr_analytics import bench

    package = Path(bench.__file__).resolve().parent
    stale = [package / f"m{k}.py" for k in range(7)]
    monkeypatch.setattr(bench, "stale_bytecode", lambda path: stale)
    line = bench.bytecode_note({"PYTHONDONTWRITEBYTECODE": "1"})
    assert line is not None
    assert "7 of this package's modules" in line and "(m0, m1, m2, m3, m4, ...)" in line
    assert line.endswith(f"{sys.executable} -m compileall -q {package}")
    monkeypatch.setattr(bench, "stale_bytecode", lambda path: [])
    assert bench.bytecode_note({"PYTHONDONTWRITEBYTECODE": "1"}) is None
