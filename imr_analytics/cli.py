"""The ``imr-analytics`` command: load, reparse, generate, demo, bench, report, export.

Exit status: 0 on success (a load that quarantined some files succeeded), 1 when nothing
at all could be read, or a load, reparse or report could not finish (a full disk, an
unwritable --out), 2 when the database cannot be opened (missing folder, in use for
writing, not an imr-analytics database, damaged) or the command line is wrong. Errors are
one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

EXIT_OK = 0
EXIT_NOTHING_READ = 1
EXIT_FAILED = 1  # a load, reparse or report that started and could not finish
EXIT_USAGE = 2


COPY_HELP = (
    "write a copy of the database and swap it in at the end, so that notebooks and reports "
    "can open it while this runs (done anyway when they hold it open; costs a second "
    "database's worth of disk meanwhile)"
)


def _err(message: str) -> None:
    print(f"imr-analytics: {message}", file=sys.stderr)


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """One OpenBLAS thread for the NumPy that a load or reparse imports (with pyarrow) and
    never computes with: OpenBLAS otherwise starts a thread per core that spins while it waits
    for work, about 0.1 s of CPU per load (a fifth of a small load's fixed cost). Only when
    NumPy is not imported yet and no thread count is set; the variable is removed again once
    the imports are done, so that processes started later do not inherit it."""
    if "numpy" in sys.modules or {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"} & set(os.environ):
        yield
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        yield
    finally:
        os.environ.pop("OPENBLAS_NUM_THREADS", None)


def cmd_load(args: argparse.Namespace) -> int:
    from .extract import Limits

    with _one_blas_thread():
        from .store.database import DatabaseError, WriteFailed
        from .store.loader import WorkerError, load_paths, without_pandas

    limits = Limits(
        max_pages=args.max_pages,
        max_chars=args.max_chars,
        timeout_s=args.timeout,
        worker_memory=args.worker_memory,
    )
    try:
        with without_pandas():  # this process ends with the load
            summary = load_paths(
                args.paths,
                args.db,
                workers=args.workers,
                rescan=args.rescan,
                copy=args.copy,
                limits=limits,
            )
    except WriteFailed as exc:  # opened, then stopped by a full disk or an I/O error
        _err(str(exc))
        return EXIT_FAILED
    except (DatabaseError, WorkerError) as exc:
        _err(str(exc))
        return EXIT_USAGE
    print("\n".join(summary.lines(max_listed=args.list_errors)))
    if summary.files_seen == 0:
        _err("no files found under " + ", ".join(map(str, args.paths)))
        return EXIT_NOTHING_READ
    if summary.nothing_readable:
        _err("not one file could be read; see the reasons above")
        return EXIT_NOTHING_READ
    return EXIT_OK


def cmd_reparse(args: argparse.Namespace) -> int:
    with _one_blas_thread():
        from .store.database import DatabaseError, WriteFailed
        from .store.loader import reparse_database, without_pandas

    if not Path(args.db).exists():
        _err(f"{args.db} does not exist; load some letters into it first")
        return EXIT_USAGE
    try:
        with without_pandas():  # this process ends with the reparse
            summary = reparse_database(args.db, workers=args.workers, copy=args.copy)
    except WriteFailed as exc:
        _err(str(exc))
        return EXIT_FAILED
    except DatabaseError as exc:
        _err(str(exc))
        return EXIT_USAGE
    print("\n".join(summary.lines(max_listed=args.list_errors)))
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    from .synth import generate_corpus

    if args.letters < 1:
        _err("--letters must be at least 1")
        return EXIT_USAGE
    out = generate_corpus(args.out, args.letters, seed=args.seed, pdf_count=args.pdf)
    print(f"wrote {args.letters:,} synthetic letters to {out}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(
        data_dir=Path(args.data),
        reports_dir=Path(args.out),
        letters=args.letters,
        seed=args.seed,
        reports=not args.no_reports,
    )


def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmark, run_real_benchmark, run_report_benchmark

    if args.real:
        if args.reports or args.replicate or args.db or args.report:
            _err(
                "bench --real measures a load; --reports, --db, --report and --replicate "
                "belong to the report benchmark"
            )
            return 2
        return run_real_benchmark(
            args.real, letters=args.letters, workers=args.workers, keep=args.keep
        )

    if args.reports or args.replicate:
        if not args.db:
            _err("bench --reports needs --db FILE (e.g. the database a bench --keep DIR kept)")
            return 2
        return run_report_benchmark(
            args.db, names=args.report or None, replicate=args.replicate, keep=args.keep
        )
    return run_benchmark(
        letters=args.letters, pdfs=args.pdfs, workers=args.workers, seed=args.seed, keep=args.keep
    )


def cmd_export(args: argparse.Namespace) -> int:
    from .store.export import ExportError, export_tables

    try:
        result = export_tables(args.db, args.out, format=args.format, include_text=not args.no_text)
    except ExportError as exc:
        _err(str(exc))
        return EXIT_USAGE
    print("\n".join(result.lines()))
    return EXIT_OK


def _add_export(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="write every table (and items_wide) as Parquet partitioned by decision year, or CSV",
        description="Write every table of a database, plus items_wide (each item with its "
        "letter's columns), into a folder: Parquet partitioned by decision year (hive layout, "
        "as Spark, pyarrow and DuckDB read it) or one CSV file per table. The database is "
        "opened read-only.",
    )
    p.add_argument("--db", required=True, metavar="FILE", help="database to export (read-only)")
    p.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="folder to write into (created if missing; tables from an earlier export are replaced)",
    )
    p.add_argument(
        "--format",
        choices=("parquet", "csv"),
        default="parquet",
        help="parquet (default): one folder per table, partitioned by decision_year; "
        "csv: one file per table",
    )
    p.add_argument(
        "--no-text",
        action="store_true",
        help="leave out the extracted text of every letter (documents.text), most of the size",
    )
    p.set_defaults(func=cmd_export)


def _version() -> str:
    from . import __version__

    return f"imr-analytics {__version__}"


def _add_limit_arguments(p: argparse.ArgumentParser) -> None:
    """The per-document limits of ``load`` (a file past one is quarantined, naming it)."""
    from .extract.limits import DEFAULT_LIMITS as d
    from .extract.limits import format_bytes, parse_bytes

    def positive(kind):
        def convert(text: str):
            try:
                value = kind(text)
            except ValueError as exc:
                raise argparse.ArgumentTypeError(str(exc)) from None
            if value <= 0:
                raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
            return value

        convert.__name__ = kind.__name__
        return convert

    g = p.add_argument_group("limits per document (raise them for unusual files)")
    for flag, kind, metavar, default, what in (
        ("--max-pages", int, "N", d.max_pages, f"PDF pages (default {d.max_pages:,})"),
        ("--max-chars", int, "N", d.max_chars, f"characters of text (default {d.max_chars:,})"),
        (
            "--timeout",
            float,
            "SECONDS",
            d.timeout_s,
            f"wall time to extract and parse one file (default {d.timeout_s:g})",
        ),
        (
            "--worker-memory",
            parse_bytes,
            "SIZE",
            d.worker_memory,
            "address space of each worker process, e.g. 1G "
            f"(default {format_bytes(d.worker_memory)})",
        ),
    ):
        g.add_argument(flag, type=positive(kind), default=default, metavar=metavar, help=what)


def build_parser(*, with_reports: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imr-analytics",
        description="California workers' compensation IMR determination letters into DuckDB, and uphold-rate reports.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "load", help="load letters (PDF, .txt, .md; files or folders) into a database"
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders, read recursively")
    p.add_argument(
        "--db", required=True, metavar="FILE", help="DuckDB database file (created if missing)"
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes (default: all cores)",
    )
    p.add_argument(
        "--list-errors",
        type=int,
        default=20,
        metavar="N",
        help="quarantined files to list (default 20)",
    )
    p.add_argument(
        "--rescan",
        action="store_true",
        help="read and hash every file, even those unchanged (same size and time) since an earlier load",
    )
    p.add_argument("--copy", action="store_true", help=COPY_HELP)
    _add_limit_arguments(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser(
        "reparse", help="re-run the current parser over the text stored in a database"
    )
    p.add_argument("--db", required=True, metavar="FILE", help="the database to rebuild")
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes that parse (default: one per core)",
    )
    p.add_argument(
        "--list-errors",
        type=int,
        default=20,
        metavar="N",
        help="list at most N failed documents in the summary (default 20)",
    )
    p.add_argument("--copy", action="store_true", help=COPY_HELP)
    p.set_defaults(func=cmd_reparse)

    p = sub.add_parser(
        "generate", help="write a synthetic corpus of letters with their true values"
    )
    p.add_argument("out", metavar="DIR", help="folder for letters/ and truth.jsonl")
    p.add_argument(
        "--letters", type=int, default=1000, metavar="N", help="text letters (default 1,000)"
    )
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="random seed; the same seed writes the same bytes (default 0)",
    )
    p.add_argument("--pdf", type=int, default=0, metavar="N", help="also write N letters as PDFs")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("demo", help="generate the demo corpus, load it, render the reports")
    p.add_argument(
        "--data",
        default="data",
        metavar="DIR",
        help="where data/demo/ and demo.duckdb go (default data/)",
    )
    p.add_argument(
        "--out", default="reports", metavar="DIR", help="where the reports go (default reports/)"
    )
    p.add_argument(
        "--letters", type=int, default=3000, metavar="N", help="synthetic letters (default 3,000)"
    )
    p.add_argument("--seed", type=int, default=2017, help="random seed (default 2017)")
    p.add_argument("--no-reports", action="store_true", help="stop after loading")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("bench", help="measure load speed and peak memory on a synthetic corpus")
    p.add_argument(
        "--letters",
        type=int,
        default=20000,
        metavar="N",
        help="text letters to load (default 20,000)",
    )
    p.add_argument(
        "--pdfs",
        type=int,
        default=200,
        metavar="N",
        help="PDF letters for the extraction rate (default 200)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="loader worker processes (default: all cores)",
    )
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic corpus (default 1)")
    p.add_argument("--keep", metavar="DIR", help="keep the corpus and database in DIR")
    p.add_argument(
        "--real",
        metavar="DIR",
        help="load the real letters under DIR (PDF, text or markdown, e.g. DWC's published PDFs) "
        "instead of synthetic ones: their text, repeated to --letters files, each copy under "
        "a case number of its own",
    )
    reports = p.add_argument_group(
        "reports",
        "time each report (imr-analytics report NAME, in a child process) with the CPU and "
        "peak memory of its whole process tree, instead of the load",
    )
    reports.add_argument("--reports", action="store_true", help="benchmark the reports on --db")
    reports.add_argument("--db", metavar="FILE", help="database the reports run on")
    reports.add_argument(
        "--report", action="append", metavar="NAME", help="only this report (repeatable)"
    )
    reports.add_argument(
        "--replicate",
        type=int,
        metavar="N",
        help="run them on a copy of --db grown to N letters by replication (fresh letter ids "
        "and case numbers; labelled REPLICATED), kept in --keep DIR",
    )
    p.set_defaults(func=cmd_bench)

    _add_export(sub)

    p = sub.add_parser(
        "values",
        help="list the values of a dimension with their counts (for -p categories etc.)",
        description="List every value of DIMENSION (any uphold_rates dimension, e.g. "
        "item_category, reviewer_specialty, drug_class, reviewer_source) with its decided "
        "items and letters, most items first. An unknown DIMENSION lists the dimensions.",
    )
    p.add_argument("dimension", metavar="DIMENSION", help="e.g. item_category")
    p.add_argument(
        "--db", metavar="FILE", help="database (default: $IMR_DB; one of the two is required)"
    )

    def _values(args: argparse.Namespace) -> int:
        from .reports.cli import handle_values

        return handle_values(args)

    p.set_defaults(func=_values)

    if with_reports:
        try:
            from .reports import register
        except ImportError as exc:  # pragma: no cover - only with a broken install
            sub.add_parser("report", help=f"unavailable: {exc}")
        else:
            register(sub)
    else:
        # The report machinery (nbformat, papermill) costs a second to import; commands
        # that do not need it should not pay for it.
        sub.add_parser(
            "report", help="run a report notebook and export self-contained HTML", add_help=False
        )
    return parser


def _email_arguments_problem(args: argparse.Namespace) -> str | None:
    """Why --email-to / --email-subject cannot be used as given (checked again at sending)."""
    recipients = getattr(args, "email_to", None) or []
    subject = getattr(args, "email_subject", None)
    if not recipients and subject is None:
        return None
    from ._addresses import email_problem

    return email_problem(recipients, subject or "", "")


EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a command killed by SIGPIPE


def _quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command != "report":
        return _main(argv, command)
    from .reports.cli import start_chart_worker_early

    early = start_chart_worker_early(argv)  # first: it warms up while the rest is imported
    from ._jsonschema import UNUSED_FORMAT_CHECKERS, import_jsonschema

    import_jsonschema(UNUSED_FORMAT_CHECKERS)  # this process only runs reports
    try:
        return _main(argv, command)
    finally:
        if early:
            from .reports.chartworker import drop_spare

            drop_spare(now=True)  # one no report took over (a refused or failed run)


def _main(argv: list[str], command: str | None) -> int:
    parser = build_parser(with_reports=command in (None, "report"))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    if problem := _email_arguments_problem(args):
        _err(problem)  # before a report runs for minutes only to be refused at sending
        return EXIT_USAGE
    from ._atomic import OutputError

    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`imr-analytics values ... | head`): end quietly, as
        # command-line tools do, instead of a message about our own output.
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except OutputError as exc:  # --out is a file, unwritable, or its disk is full
        _err(str(exc))
        return EXIT_FAILED
    except OSError as exc:  # e.g. a full disk while generating a corpus
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        _err(f"{args.command} failed{where}: {exc.strerror or exc}")
        return EXIT_FAILED


def _fast_exit_allowed(argv: list[str]) -> bool:
    """Whether this command may end without the interpreter's own teardown (see console).

    Only ``report``: everything it opened is closed by then (the database, the chart worker,
    temporary folders). ``load`` and the other commands keep the ordinary exit.
    """
    command = next((a for a in argv if not a.startswith("-")), None)
    if command != "report":
        return False
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return False  # a profiler or coverage writes its data at the ordinary exit
    main_thread = threading.main_thread()
    return all(t.daemon or t is main_thread for t in threading.enumerate())


def console() -> None:
    """The ``imr-analytics`` program (``python -m imr_analytics`` too): :func:`main`, then exit.

    A report run ends without the interpreter's teardown: freeing every module and object it
    imported (pandas, Altair, IPython, papermill: 135,000 objects) took 0.5-1 s of CPU after
    the report was written, on the report's wall time. What that teardown does that matters
    is done first: exit handlers run (``atexit``), and stdout and stderr are flushed.
    """
    argv = sys.argv[1:]
    code = main(argv)
    if not _fast_exit_allowed(argv):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in {sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__} - {None}:
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away, as main() reports it
            code = code or EXIT_BROKEN_PIPE
        except (OSError, ValueError):  # the paths could not be printed: not a success
            code = code or EXIT_FAILED
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
