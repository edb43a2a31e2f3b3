"""``imr-analytics demo``: the whole pipeline on a synthetic corpus, start to finish.

It is the README's first command, so it must work on a fresh clone with nothing but the
package installed: generate letters (clearly marked synthetic) into ``data/demo/``, load
them into ``data/demo.duckdb``, render every report into ``reports/``, print the paths.
Running it again reuses what is there: the corpus is regenerated only when missing, and
the load skips letters already stored.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

MANIFEST = "demo.json"


def run_demo(
    *, data_dir: Path, reports_dir: Path, letters: int, seed: int, reports: bool = True
) -> int:
    from .store.database import DatabaseError
    from .store.loader import load_paths
    from .synth import generate_corpus

    corpus = data_dir / "demo"
    db_path = data_dir / "demo.duckdb"
    manifest = corpus / MANIFEST
    wanted = {"letters": letters, "seed": seed}
    if not manifest.exists() or json.loads(manifest.read_text()) != wanted:
        print(
            f"generating {letters:,} synthetic letters (seed {seed}) into {corpus}/ …",
            file=sys.stderr,
        )
        # Another demo corpus (other seed or size) must not mix with this one, neither
        # as files left in the folder nor as letters left in the database.
        shutil.rmtree(corpus, ignore_errors=True)
        if db_path.exists():
            db_path.unlink()
        generate_corpus(corpus, letters, seed=seed)  # letters/ and truth.jsonl
        manifest.write_text(json.dumps(wanted))
    try:
        summary = load_paths([corpus / "letters"], db_path)
    except DatabaseError as exc:
        print(f"imr-analytics: {exc}", file=sys.stderr)
        return 2
    print("\n".join(summary.lines()))
    print(f"database: {db_path}")
    if not reports:
        return 0

    from .reports import ReportError, list_reports, run_report

    try:
        names = list_reports()
    except ReportError as exc:
        print(f"imr-analytics: no reports rendered: {exc}", file=sys.stderr)
        return 1
    if not names:
        print("imr-analytics: no report notebooks found; nothing rendered", file=sys.stderr)
        return 1
    status = 0
    for name in names:
        try:
            result = run_report(name, {}, out_dir=reports_dir, db_path=db_path)
        except ReportError as exc:
            print(f"imr-analytics: report {name} failed: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"report: {result.html_path}")
    return status
