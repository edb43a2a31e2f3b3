"""``imr-analytics bench``: load speed and peak memory, measured the way a user runs it.

The load runs as a child process (``python -m imr_analytics load``), timed from start to
exit, so interpreter and worker start-up are counted. Memory is the peak of the summed
resident set of the whole process tree (loader plus workers), sampled from /proc; on
systems without /proc only the largest single process is known (``ru_maxrss``).
PDF extraction is timed separately, per file, beside poppler's ``pdftotext`` on the same
files when it is installed.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


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


def run_measured(cmd: list[str]) -> tuple[float, int | None, int, str]:
    """Run ``cmd``; return (seconds, peak tree RSS in bytes or None, exit code, output)."""
    peak = 0
    have_proc = Path("/proc/self/statm").exists()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_bytes(proc.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if have_proc:
        sampler.start()
    output, _ = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    if have_proc:
        sampler.join()
    return elapsed, (peak if have_proc else None), proc.returncode, output


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


def run_benchmark(
    *, letters: int, pdfs: int, workers: int | None, seed: int, keep: str | None
) -> int:
    from .synth import generate_corpus

    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="imr-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    text_dir, pdf_dir, db = work / "text", work / "pdf", work / "bench.duckdb"
    try:
        if db.exists():
            db.unlink()
        print(f"benchmark: {letters:,} synthetic text letters, {pdfs:,} PDFs, in {work}")
        t0 = time.perf_counter()
        if not text_dir.exists():
            generate_corpus(text_dir, letters, seed=seed)
        print(f"  corpus ready in {time.perf_counter() - t0:.1f} s")

        # generate_corpus writes letters/ and its answer key truth.jsonl beside it
        cmd = [
            sys.executable,
            "-m",
            "imr_analytics",
            "load",
            str(text_dir / "letters"),
            "--db",
            str(db),
        ]
        if workers:
            cmd += ["--workers", str(workers)]
        elapsed, peak, code, output = run_measured(cmd)
        if code != 0:
            print(output)
            print(f"benchmark: the load failed with exit code {code}", file=sys.stderr)
            return 1
        peak_text = (
            f"{peak / 2**20:,.0f} MiB (loader + workers, summed)"
            if peak is not None
            else f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:,.0f} MiB (largest process)"
        )
        loaded = sum(
            1 for p in (text_dir / "letters").rglob("*") if p.is_file()
        )  # a kept corpus may differ
        print(
            f"  load:       {loaded / elapsed:,.0f} letters/s "
            f"({loaded:,} letters in {elapsed:.1f} s, {os.cpu_count()} cores)"
        )
        print(f"  peak memory: {peak_text}")

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
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
