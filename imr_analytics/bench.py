"""``imr-analytics bench``: load speed and peak memory, measured the way a user runs it.

The load runs as a child process (``python -m imr_analytics load``), timed from start to
exit, so interpreter and worker start-up are counted. Memory is the peak of the summed
resident set of the whole process tree (loader plus workers), sampled from /proc; on
systems without /proc only the largest single process is known (``ru_maxrss``).
PDF extraction is timed separately, per file, beside poppler's ``pdftotext`` on the same
files when it is installed.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@contextlib.contextmanager
def _work_folder(keep: str | None, prefix: str) -> Iterator[Path]:
    """Where a benchmark writes: ``--keep DIR``, left in place so that a second run reuses
    its corpus, or a temporary folder removed at the end however the run ends."""
    work = Path(keep).expanduser() if keep else Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    try:
        yield work
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _short_of_disk(work: Path, need: int, what: str) -> bool:
    """True, having said so, when the disk of ``work`` has less than ``need`` bytes free."""
    free = shutil.disk_usage(work).free
    if need <= free:
        return False
    print(
        f"benchmark: {what} need about {need / 2**30:,.1f} GiB of disk in {work} and "
        f"{free / 2**30:,.1f} GiB are free; use --keep DIR on a larger disk or fewer --letters",
        file=sys.stderr,
    )
    return True


def _remove_results(db: Path, write_log: Path) -> None:
    """A kept folder's database, its log and write log from the run before."""
    for stale in (db, db.with_name(db.name + ".wal"), write_log):
        stale.unlink(missing_ok=True)


def _tree_rss_bytes(root_pid: int) -> int:
    """Summed RSS of a process and all its descendants, from /proc."""
    total = 0
    stack = [root_pid]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
            continue
    return total


@dataclass
class Measured:
    """One measured run of a command and its whole process tree."""

    seconds: float
    peak_rss: int | None  # summed RSS of the tree, sampled; None without /proc
    cpu_s: float  # user + system CPU of the command and every descendant it waited for
    code: int
    output: str


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run ``cmd`` and measure it: wall time, peak tree RSS and the CPU of the whole tree.

    The CPU comes from ``wait4`` on the child: Linux adds to a process's usage that of
    every child it waited for, and the loader waits for each worker it started (pool.py
    reaps them with ``wait4``), so workers are counted even though they are gone.
    """
    peak = 0
    have_proc = Path("/proc/self/statm").exists()
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if have_proc:
        sampler.start()
    assert proc.stdout is not None
    output = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - start
    done.set()
    if have_proc:
        sampler.join()
    return Measured(
        elapsed,
        peak if have_proc else None,
        usage.ru_utime + usage.ru_stime,
        proc.returncode,
        output,
    )


@dataclass
class WriteLog:
    """What a load wrote to ``IMR_WRITE_LOG``: per-batch write costs and its CPU split."""

    batches: list[tuple[int, int, float, float]]  # (letters before, letters, wall ms, cpu ms)
    finish_ms: float | None = None
    main_cpu_s: float | None = None
    workers_cpu_s: float | None = None

    @classmethod
    def read(cls, path: Path) -> WriteLog:
        log = cls([])
        if not path.exists():
            return log
        for line in path.read_text(encoding="utf-8").splitlines():
            kind, *f = line.split("\t")
            if kind == "batch":
                log.batches.append((int(f[0]), int(f[1]), float(f[2]), float(f[3])))
            elif kind == "finish":
                log.finish_ms = float(f[2])
            elif kind == "rusage":
                log.main_cpu_s, log.workers_cpu_s = float(f[0]), float(f[1])
        return log

    def _end_batches(self, n: int) -> tuple[list, list] | None:
        """The first and the last ``n`` full batches (both ends use a median over several:
        the last batch of a load is usually short, and the first ones pay for warming up the
        workers' results)."""
        full = [b for b in self.batches if b[1] > 0]
        if len(full) > 1:
            full = full[:-1]  # the last one is a remainder
        if not full:
            return None
        n = max(1, min(n, len(full) // 2 or 1))
        return full[:n], full[-n:]

    def ends(self, n: int = 5) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """Median (wall ms, CPU ms) per batch of the first and the last ``n`` full batches."""
        ends = self._end_batches(n)
        if ends is None:
            return None

        def med(rows, i):
            return statistics.median(r[i] for r in rows)

        return tuple((med(rows, 2), med(rows, 3)) for rows in ends)

    def cpu_per_letter_ends(self, n: int = 5) -> tuple[float, float] | None:
        """Median writing CPU ms per 1,000 letters over the same batches as ``ends``.

        Batches are bounded by bytes, so they hold different numbers of letters: per
        letter, the start and the end of a load compare like for like."""
        ends = self._end_batches(n)
        if ends is None:
            return None
        return tuple(statistics.median(1000 * b[3] / b[1] for b in rows) for rows in ends)


def _pdf_rates(pdf_files: list[Path]) -> tuple[float, float | None]:
    """Files per second for pypdfium2 (in process, one core) and pdftotext (if present)."""
    from .extract import extract_document

    start = time.perf_counter()
    for f in pdf_files:
        extract_document(f.name, f.read_bytes())
    ours = len(pdf_files) / (time.perf_counter() - start)
    poppler = shutil.which("pdftotext")
    if not poppler:
        return ours, None
    start = time.perf_counter()
    for f in pdf_files:
        subprocess.run([poppler, "-q", str(f), "-"], stdout=subprocess.DEVNULL, check=False)
    return ours, len(pdf_files) / (time.perf_counter() - start)


# Disk a synthetic letter needs: its text file (about 4 KB, in a 4 KB block) and its share
# of the database (text, rows, WAL), with room to spare.
BYTES_PER_LETTER = 24 * 1024


def run_benchmark(
    *, letters: int, pdfs: int, workers: int | None, seed: int, keep: str | None
) -> int:
    from .synth import generate_corpus

    with _work_folder(keep, "imr-bench-") as work:
        text_dir, pdf_dir, db = work / "text", work / "pdf", work / "bench.duckdb"
        write_log = work / "write-log.tsv"
        _remove_results(db, write_log)
        if not text_dir.exists() and _short_of_disk(
            work, letters * BYTES_PER_LETTER, f"{letters:,} letters"
        ):
            return 1
        print(f"benchmark: {letters:,} synthetic text letters, {pdfs:,} PDFs, in {work}")
        t0 = time.perf_counter()
        if not text_dir.exists():
            # Streams to disk in chunks: a million letters need no more memory than a thousand.
            generate_corpus(text_dir, letters, seed=seed, workers=os.cpu_count() or 1)
        print(f"  corpus ready in {time.perf_counter() - t0:.1f} s")

        # generate_corpus writes letters/ and its answer key truth.jsonl beside it
        if _measured_load(text_dir / "letters", db, write_log, workers) != 0:
            return 1

        if pdfs:
            if not pdf_dir.exists():
                generate_corpus(pdf_dir, pdfs, seed=seed + 1, pdf_count=pdfs)
            pdf_files = sorted(pdf_dir.rglob("*.pdf"))
            if pdf_files:
                ours, poppler = _pdf_rates(pdf_files)
                line = f"  PDF text:   pypdfium2 {ours:,.0f} files/s (one core, {len(pdf_files)} files)"
                line += (
                    f"; pdftotext {poppler:,.0f} files/s (one process per file, as a shell loop runs it)"
                    if poppler
                    else "; pdftotext not installed (apt-get install poppler-utils to compare)"
                )
                print(line)
        return 0


def stale_bytecode(package: Path) -> list[Path]:
    """The modules under ``package`` that an import would compile from source, checked as
    CPython checks them: no ``.pyc``, one of another Python version, or one written for
    another state of the file (its modification time and size, or its hash for a checked
    hash-based ``.pyc``)."""
    stale = []
    for source in sorted(package.rglob("*.py")):
        try:
            st = source.stat()
            with open(importlib.util.cache_from_source(str(source)), "rb") as fh:
                header = fh.read(16)
        except (OSError, NotImplementedError, ValueError):
            stale.append(source)
            continue
        if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
            stale.append(source)
            continue
        (flags,) = struct.unpack("<I", header[4:8])
        if flags & ~0b11:  # bits CPython does not know: it compiles the source
            current = False
        elif flags & 1:  # hash-based: checked against the source's hash, or never (unchecked)
            current = not flags & 2 or header[8:16] == importlib.util.source_hash(
                source.read_bytes()
            )
        else:
            mtime, size = struct.unpack("<II", header[8:16])
            current = (mtime, size) == (int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF)
        if not current:
            stale.append(source)
    return stale


# Stale modules named in the note; the rest are counted.
_NAMES_LISTED = 5


def bytecode_note(env: dict[str, str]) -> str | None:
    """A line for the report when the measured processes would compile part of this package
    from source in every run: ``PYTHONDONTWRITEBYTECODE`` set (they never write the ``.pyc``)
    and bytecode missing or stale, as under an editable install. Each process would then
    count the compiler, about 0.03-0.1 s of CPU, which an installed package never pays."""
    if not env.get("PYTHONDONTWRITEBYTECODE"):
        return None  # the first process that imports a module writes its bytecode
    package = Path(__file__).resolve().parent
    stale = stale_bytecode(package)
    if not stale:
        return None
    names = [p.relative_to(package).with_suffix("").as_posix() for p in stale]
    listed = ", ".join(names[:_NAMES_LISTED]) + (", ..." if len(names) > _NAMES_LISTED else "")
    return (
        f"  note:       PYTHONDONTWRITEBYTECODE is set and {len(stale)} of this package's modules "
        f"{'lacks' if len(stale) == 1 else 'lack'} current bytecode ({listed}): a process that "
        f"imports one compiles it in every run. For the figures of an installed package, first run: "
        f"{sys.executable} -m compileall -q {package}"
    )


def _measured_load(folder: Path, db: Path, write_log: Path, workers: int | None) -> int:
    """Load ``folder`` into ``db`` the way a user does, in a child process, and print the
    benchmark's lines for it; 1 if the load failed."""
    from .store.loader import WRITE_LOG_ENV

    cmd = [sys.executable, "-m", "imr_analytics", "load", str(folder), "--db", str(db)]
    if workers:
        cmd += ["--workers", str(workers)]
    env = {**os.environ, WRITE_LOG_ENV: str(write_log)}
    if line := bytecode_note(env):
        print(line)
    run = run_measured(cmd, env=env)
    if run.code != 0:
        print(run.output)
        print(f"benchmark: the load failed with exit code {run.code}", file=sys.stderr)
        return 1
    loaded = sum(1 for p in folder.rglob("*") if p.is_file())
    for line in load_report(run, WriteLog.read(write_log), loaded):
        print(line)
    return 0


# --- real letters -----------------------------------------------------------------------------
# The figure for real text: the text of the real letters (pdftotext's, where poppler is
# installed, as DWC's PDFs are most often converted), repeated to 20,000 files. Each copy gets
# a case number of its own in a range real letters do not use (CMyy-9xxxxxx), so that the load
# stores every copy as a letter instead of skipping it as a duplicate or a correction.
REAL_SUFFIXES = (".pdf", ".txt", ".md", ".markdown")
REAL_COPY_BASE = 9_000_000
MAX_REAL_COPIES = 10_000_000 - REAL_COPY_BASE  # case numbers keep their seven digits


def real_letter_texts(source: Path) -> tuple[list[tuple[str, str]], list[str], str]:
    """(case number, text) of each letter file under ``source`` that names one; the files
    skipped, each with why; and how PDFs were turned into text."""
    from .extract import ExtractionError, extract_document
    from .parse.header import CASE_NUMBER_RE

    poppler = shutil.which("pdftotext")
    how = "pdftotext" if poppler else "pypdfium2 (pdftotext is not installed)"
    texts: list[tuple[str, str]] = []
    skipped: list[str] = []
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        if path.suffix.lower() not in REAL_SUFFIXES:
            continue
        try:
            if path.suffix.lower() == ".pdf" and poppler:
                done = subprocess.run(
                    [poppler, "-q", str(path), "-"], capture_output=True, check=True, timeout=60
                )
                text = done.stdout.decode("utf-8", errors="replace")
            else:
                text = extract_document(path.name, path.read_bytes()).text
        except (OSError, ExtractionError, subprocess.SubprocessError) as exc:
            skipped.append(f"{path}: {exc}")
            continue
        m = CASE_NUMBER_RE.search(text)
        if m is None:
            skipped.append(f"{path}: no case number in its text")
            continue
        texts.append((m.group(0), text))
    return texts, skipped, how


def write_real_copies(texts: list[tuple[str, str]], out: Path, letters: int) -> None:
    """``letters`` files in ``out`` (1,000 to a folder), the texts in turn, each copy under a
    case number of its own: every mention of the letter's number, in any case, is replaced."""
    import re

    mentions = [(re.compile(re.escape(case), re.IGNORECASE), case, text) for case, text in texts]
    for k in range(letters):
        mention, case, text = mentions[k % len(mentions)]
        fresh = f"{case[:5]}{REAL_COPY_BASE + k:07d}"
        folder = out / f"{k // 1000:04d}"
        if k % 1000 == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"L{k:07d}.txt").write_text(mention.sub(fresh, text), encoding="utf-8")


def run_real_benchmark(
    source: str | Path, *, letters: int, workers: int | None, keep: str | None
) -> int:
    """Load the real letters under ``source``, repeated to ``letters`` files, and print the
    same lines as the synthetic benchmark."""
    source = Path(source)
    if not source.is_dir():
        print(f"benchmark: {source} is not a folder of letters", file=sys.stderr)
        return 2
    if not 0 < letters <= MAX_REAL_COPIES:
        print(f"benchmark: --letters must be 1 to {MAX_REAL_COPIES:,} with --real", file=sys.stderr)
        return 2
    texts, skipped, how = real_letter_texts(source)
    for line in skipped:
        print(f"  skipped {line}", file=sys.stderr)
    if not texts:
        print(f"benchmark: no letter under {source} names a case number", file=sys.stderr)
        return 1
    if keep and Path(keep).expanduser().resolve().is_relative_to(source.resolve()):
        print(
            f"benchmark: --keep {keep} is inside {source}; a second run would read the copies "
            "as letters. Keep them elsewhere",
            file=sys.stderr,
        )
        return 2
    # the copies, then about as much again for the database and its log
    need = 2 * letters * sum(len(t.encode("utf-8")) for _, t in texts) // len(texts)
    with _work_folder(keep, "imr-bench-real-") as work:
        copies, db = work / "real-text", work / "bench-real.duckdb"
        write_log = work / "write-log.tsv"
        _remove_results(db, write_log)  # a kept folder's run before: its space is free again
        shutil.rmtree(copies, ignore_errors=True)
        if _short_of_disk(work, need, f"{letters:,} copies"):
            return 1
        write_real_copies(texts, copies, letters)
        print(
            f"benchmark: {len(texts)} real letters from {source} (PDF text by {how}), "
            f"repeated to {letters:,} files under fresh case numbers, in {work}"
        )
        return _measured_load(copies, db, write_log, workers)


def load_report(run: Measured, log: WriteLog, files: int) -> list[str]:
    """The benchmark's lines for one measured load of ``files`` files."""
    n = max(files, 1)
    lines = [
        f"  load:       {files / run.seconds:,.0f} letters/s "
        f"({files:,} letters in {run.seconds:.1f} s, {os.cpu_count()} cores)"
    ]
    cpu = f"  CPU:        {run.cpu_s * 1000 / n:.3f} ms per letter, whole process tree"
    if log.main_cpu_s is not None and log.workers_cpu_s is not None:
        cpu += (
            f" (loader {log.main_cpu_s * 1000 / n:.3f}, workers {log.workers_cpu_s * 1000 / n:.3f})"
        )
    lines.append(cpu)
    ends = log.ends()
    if ends:
        (w0, c0), (w1, c1) = ends
        size = max(b[1] for b in log.batches)
        lines.append(
            f"  writes:     {w0:,.0f} ms per batch of up to {size:,} letters at the start, "
            f"{w1:,.0f} ms at the end ({w1 / w0:.2f}x; CPU {c0:,.0f} -> {c1:,.0f} ms)"
            + (f"; closing checkpoint {log.finish_ms:,.0f} ms" if log.finish_ms is not None else "")
        )
        p0, p1 = log.cpu_per_letter_ends()
        if p0 > 0:
            lines.append(
                f"              writing CPU per 1,000 letters {p0:,.0f} ms at the start, "
                f"{p1:,.0f} ms at the end ({p1 / p0:.2f}x)"
            )
        worst = max(log.batches, key=lambda b: b[2])
        lines.append(
            f"              slowest batch {worst[2]:,.0f} ms, after {worst[0]:,} letters "
            f"({len(log.batches):,} batches)"
        )
    peak_text = (
        f"{run.peak_rss / 2**20:,.0f} MiB (loader + workers, summed)"
        if run.peak_rss is not None
        else f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:,.0f} MiB (largest process)"
    )
    lines.append(f"  peak memory: {peak_text}")
    return lines


# --- reports ----------------------------------------------------------------------------------
# Report timings: each report runs as `python -m imr_analytics report NAME --db FILE` in a child
# process, the way cron runs it, so interpreter start, papermill, the notebook (in the CLI's own
# process, or in a kernel when one is asked for), the HTML export and chart rendering are all
# counted; CPU is the whole tree's (wait4: the CLI waits for its chart worker and any kernel)
# and memory the peak of the tree's summed RSS.

REPLICA_SUFFIX = "~r"  # letter ids and case numbers of copies: CM16-0219557~r12


def replicate_database(source: Path, target: Path, letters: int) -> tuple[int, int]:
    """Build ``target`` with ``letters`` letters by copying ``source``'s letters over and over.

    A million-letter database without a 30-minute load: copy k of a letter gets the letter id
    and case number ``<id>~r<k>`` and the content hash ``<sha>~r<k>`` (its document's text is
    copied too, so a report reads as much text as on a loaded database); items, citations,
    versions follow their letter. The aggregates then repeat the source's mix of values, which
    is what a report's cost depends on, not what it finds. Returns (letters, distinct letters).
    """
    import duckdb

    from .store import synthetic
    from .store.database import open_database

    if letters < 1:
        raise ValueError("replicate to at least one letter")
    open_database(source, read_only=True).close()  # DatabaseError: not an IMR database
    for stale in (target, target.with_name(target.name + ".wal")):
        stale.unlink(missing_ok=True)
    open_database(target, read_only=False).close()  # the schema, as a load creates it
    con = duckdb.connect(str(target))
    try:
        quoted = str(source).replace("'", "''")
        con.execute(f"ATTACH '{quoted}' AS src (READ_ONLY)")
        base = con.execute("SELECT count(*) FROM src.letters").fetchone()[0]
        if not base:
            raise ValueError(f"{source} has no letters to replicate")
        copies = -(-letters // base)
        con.execute(
            "CREATE TEMP TABLE copy_map AS SELECT l.letter_id AS src_id, c.k, "
            f"CASE WHEN c.k = 0 THEN l.letter_id ELSE l.letter_id || '{REPLICA_SUFFIX}' || c.k "
            "END AS letter_id FROM (SELECT letter_id, row_number() OVER (ORDER BY letter_id) - 1"
            " AS pos FROM src.letters) AS l CROSS JOIN range(?) AS c(k) "
            "WHERE c.k * ? + l.pos < ?",
            [copies, base, letters],
        )

        def fresh(column: str) -> str:
            return f"CASE WHEN m.k = 0 THEN {column} ELSE {column} || '{REPLICA_SUFFIX}' || m.k END"

        con.execute("SET preserve_insertion_order = false")
        con.execute("INSERT OR REPLACE INTO schema_info SELECT * FROM src.schema_info")
        for table in ("load_errors", "load_runs", "seen_files"):
            con.execute(f"INSERT INTO {table} SELECT * FROM src.{table}")
        con.execute(
            "INSERT INTO documents SELECT d.* REPLACE ("
            f"{fresh('d.content_sha256')} AS content_sha256) FROM src.letters AS l "
            "JOIN copy_map AS m ON m.src_id = l.letter_id "
            "JOIN src.documents AS d ON d.content_sha256 = l.content_sha256"
        )
        con.execute(
            "INSERT INTO letters SELECT l.* REPLACE (m.letter_id AS letter_id, "
            f"{fresh('l.case_number')} AS case_number, "
            f"{fresh('l.content_sha256')} AS content_sha256) "
            "FROM src.letters AS l JOIN copy_map AS m ON m.src_id = l.letter_id"
        )
        con.execute(
            "INSERT INTO letter_versions SELECT v.* REPLACE (m.letter_id AS letter_id, "
            f"{fresh('v.content_sha256')} AS content_sha256) "
            "FROM src.letter_versions AS v JOIN copy_map AS m ON m.src_id = v.letter_id"
        )
        for table in ("items", "citations"):
            con.execute(
                f"INSERT INTO {table} SELECT t.* REPLACE (m.letter_id AS letter_id) "
                f"FROM src.{table} AS t JOIN copy_map AS m ON m.src_id = t.letter_id"
            )
        con.execute(
            "INSERT OR REPLACE INTO schema_info VALUES ('replicated_from', ?)",
            [f"{source} ({base:,} letters, {copies:,} copies)"],
        )
        # What a load leaves at its end: the synthetic-letter count of these letters (the
        # source's, copied above, no longer matches them), so the reports read it as they
        # would on a loaded database instead of every text.
        synthetic.store_count(con)
        con.execute("CHECKPOINT")
        n = con.execute("SELECT count(*) FROM letters").fetchone()[0]
    finally:
        con.close()
    return int(n), int(base)


def run_report_benchmark(
    db: str, *, names: list[str] | None, replicate: int | None, keep: str | None
) -> int:
    """Time each report on ``db`` (or on a ``replicate``-letter copy of it) in a child process."""
    from .reports.runner import ReportError, list_reports
    from .store.database import DatabaseError

    source = Path(db).expanduser().resolve()
    if not source.is_file():
        print(f"benchmark: no database at {source}", file=sys.stderr)
        return 1
    try:
        names = names or list_reports()
    except ReportError as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 1
    import duckdb

    with _work_folder(keep, "imr-bench-") as work:
        target = source
        label = str(source)
        if replicate:
            target = work / f"replicated-{replicate}.duckdb"
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                n, base = replicate_database(source, target, replicate)
            except (ValueError, OSError, DatabaseError, duckdb.Error) as exc:
                print(f"benchmark: cannot replicate {source}: {exc}", file=sys.stderr)
                return 1
            label = (
                f"{target} (REPLICATED: {n:,} letters, copies of the {base:,} letters of "
                f"{source} with fresh letter ids and case numbers)"
            )
            print(
                f"  replicated: {n:,} letters in {time.perf_counter() - t0:.1f} s "
                f"(this process's CPU {time.process_time() - c0:.1f} s)"
            )
        with duckdb.connect(str(target), read_only=True) as con:
            letters, items = con.execute(
                "SELECT (SELECT count(*) FROM letters), (SELECT count(*) FROM items)"
            ).fetchone()
        print(f"benchmark: reports on {label}: {letters:,} letters, {items:,} items")
        failed = 0
        for name in names:
            out = work / "reports"
            load_before = os.getloadavg()[0]
            run = run_measured(
                [
                    sys.executable,
                    "-m",
                    "imr_analytics",
                    "report",
                    name,
                    "--db",
                    str(target),
                    "--out",
                    str(out),
                ]
            )
            peak = f"{run.peak_rss / 2**20:,.0f} MiB" if run.peak_rss is not None else "n/a"
            status = "" if run.code == 0 else f"  FAILED (exit {run.code})"
            print(
                f"  {name:<18} {run.seconds:6.1f} s wall  {run.cpu_s:6.1f} s CPU (whole tree)  "
                f"peak {peak} (whole tree)  load average {load_before:.1f} -> "
                f"{os.getloadavg()[0]:.1f}{status}"
            )
            if run.code:
                failed += 1
                print(run.output.strip()[-2000:], file=sys.stderr)
        return 1 if failed else 0
