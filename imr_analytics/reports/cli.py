"""The ``report`` subcommand: ``imr-analytics report NAME -p key value ... --out reports/``.

The main CLI (``imr_analytics/cli.py``) calls :func:`register` with its subparsers; everything
about reports (parameters, email flags, error wording) stays here so the two can change apart.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from imr_analytics.reports.errors import ReportError, ReportParameterError

__all__ = ["handle_report", "handle_values", "register", "start_chart_worker_early"]

EXIT_USAGE = 2
EXIT_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand; its handler is stored as ``func`` in the namespace."""
    from imr_analytics.reports.runner import ReportError, list_reports

    try:
        available = ", ".join(list_reports())
    except ReportError:
        # building the parser must not fail (it serves every subcommand); running one says why
        available = "none found, see IMR_NOTEBOOKS_DIR"
    parser = subparsers.add_parser(
        "report",
        help="run a report notebook and export self-contained HTML",
        description=(
            "Execute a report notebook (imr_analytics/notebooks/) with papermill and write NAME.html "
            "(self-contained, no scripts) and the executed NAME.ipynb. "
            f"Reports: {available}. Run without NAME to list them with their parameters."
        ),
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help=f"report to run ({available})")
    parser.add_argument(
        "-p",
        "--param",
        dest="params",
        action="append",
        nargs=2,
        metavar=("KEY", "VALUE"),
        default=[],
        help="set a notebook parameter; repeat a list parameter or give a,b,c or a JSON list",
    )
    parser.add_argument(
        "--out", default="reports", metavar="DIR", help="output directory (default: reports/)"
    )
    parser.add_argument(
        "--db",
        metavar="FILE",
        help="DuckDB database; wins over -p db_path, which wins over $IMR_DB (one is required)",
    )
    parser.add_argument(
        "--output-name",
        metavar="TEMPLATE",
        help="file name of NAME.html/.ipynb without extension; placeholders {name}, {date}, "
        "{time}, {datetime}, e.g. uphold_rates-{date} (default: the report name)",
    )
    parser.add_argument(
        "--tables",
        action="store_true",
        help="also write each table of the report as CSV beside the HTML, named "
        "OUTPUT.TABLE.csv (e.g. uphold_rates.by_item_category.csv): every row with its counts, "
        "interval and reliability flag, nothing pooled or suppressed",
    )
    parser.add_argument(
        "--path",
        action="store_true",
        help="print the path of the report's notebook (for plain papermill) and exit",
    )
    parser.add_argument(
        "--kernel",
        metavar="NAME",
        help="run the notebook in this Jupyter kernel (default: in this process, no kernel)",
    )
    mail = parser.add_argument_group(
        "email",
        "SMTP settings come from IMR_SMTP_HOST, IMR_SMTP_PORT, IMR_SMTP_STARTTLS (on/off), "
        "IMR_SMTP_USER, IMR_SMTP_FROM and IMR_SMTP_PASSWORD (password from the environment only)",
    )
    mail.add_argument(
        "--email-to", action="append", default=[], metavar="ADDR", help="mail the report to ADDR"
    )
    mail.add_argument("--smtp-host", metavar="HOST", help="SMTP server (overrides IMR_SMTP_HOST)")
    mail.add_argument(
        "--smtp-port", type=int, metavar="PORT", help="SMTP port (overrides IMR_SMTP_PORT)"
    )
    mail.add_argument(
        "--smtp-starttls",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="use STARTTLS (overrides IMR_SMTP_STARTTLS; default on)",
    )
    mail.add_argument("--email-subject", metavar="TEXT", help="subject line")
    parser.set_defaults(func=handle_report)
    return parser


# Options of ``report`` after which no report runs (a kernel asked for: engine.py decides).
_NO_WORKER_AHEAD = ("--path", "-h", "--help")


def start_chart_worker_early(argv: list[str]) -> bool:
    """Start the chart worker of ``imr-analytics report NAME`` before anything is imported.

    Its JavaScript engine takes about a second of CPU to start and warm up; started here, it
    does so on the other core while this process imports the runner, DuckDB, pandas and
    papermill (about 2 s), so the first chart is drawn as soon as the report asks. The runner
    takes it over, or ends it at once if the report draws no chart or runs in a kernel
    (``IMR_REPORT_ENGINE=kernel``); the caller ends it with ``chartworker.drop_spare(now=True)``
    if the run stops before that. True when started.
    """
    rest = argv[argv.index("report") + 1 :] if "report" in argv else []
    if not any(not a.startswith("-") for a in rest):
        return False  # no report named: the catalogue (one listed with options starts one,
        # which the caller ends at once)
    if any(a == o or a.startswith(o + "=") for a in rest for o in _NO_WORKER_AHEAD):
        return False
    from imr_analytics.reports.engine import runs_in_process

    kernel = any(a == "--kernel" or a.startswith("--kernel=") for a in rest)
    try:
        if not runs_in_process(kernel):
            return False  # a kernel draws its own charts
    except ReportError:
        return False  # the runner reports the engine that is not one
    from imr_analytics.reports.chartworker import start_spare

    start_spare()
    return True


def _collect_params(pairs: list[list[str]]) -> dict[str, Any]:
    """``-p k v`` pairs to a dict; a key given several times becomes a list (list parameters)."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        if key in params:
            prev = params[key]
            params[key] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            params[key] = value
    return params


def _print_catalogue(out: Any) -> None:
    from imr_analytics.reports.params import allowed_values, size_limits
    from imr_analytics.reports.runner import describe_report, list_reports, report_script

    for name in list_reports():
        print(f"{name}  ({report_script(name)})", file=out)
        for spec in describe_report(name).values():
            default = repr(spec.default)
            choices = allowed_values(spec.name)
            one_of = f"  (one of: {', '.join(choices)})" if choices else ""
            limits = size_limits(spec.name)
            if limits:
                one_of += f"  (from {limits[0]} to {limits[1]})"
            print(
                f"  -p {spec.name} <{spec.type}>  default {default}  {spec.help}{one_of}", file=out
            )


def handle_report(args: argparse.Namespace) -> int:
    """Run the report, optionally mail it, print the paths written; errors go to stderr."""
    from imr_analytics.reports.runner import ReportError, run_report

    if not args.name:
        try:
            _print_catalogue(sys.stdout)
        except ReportError as exc:
            print(f"imr-analytics: {exc}", file=sys.stderr)
            return EXIT_FAILED
        return 0
    if args.path:
        from imr_analytics.reports.runner import report_script

        try:
            print(report_script(args.name))
        except ReportError as exc:
            print(f"imr-analytics: {exc}", file=sys.stderr)
            return EXIT_FAILED
        return 0
    try:
        params = _collect_params(args.params)
        result = run_report(
            args.name,
            params,
            args.out,
            db_path=args.db,
            kernel_name=args.kernel,
            stem=args.output_name,
            tables=args.tables,
        )
    except ReportParameterError as exc:
        print(f"imr-analytics: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ReportError as exc:
        print(f"imr-analytics: {exc}", file=sys.stderr)
        return EXIT_FAILED
    for path in result.paths:
        print(path)
    if args.email_to:
        from imr_analytics.reports.mailer import EmailError, SmtpSettings, send_report

        try:
            settings = SmtpSettings.from_env(
                host=args.smtp_host, port=args.smtp_port, starttls=args.smtp_starttls
            )
            send_report(result, args.email_to, settings, subject=args.email_subject)
        except EmailError as exc:
            print(f"imr-analytics: report written but not mailed: {exc}", file=sys.stderr)
            return EXIT_FAILED
        print(f"mailed to {', '.join(args.email_to)}", file=sys.stderr)
    return 0


def handle_values(args: argparse.Namespace) -> int:
    """``imr-analytics values DIMENSION --db FILE``: a table of values, items and letters."""
    from imr_analytics.reports.selection import dimension_values
    from imr_analytics.store.database import DatabaseError, open_database, resolve_db_path

    try:
        path = resolve_db_path(args.db, what="--db")
        con = open_database(path, read_only=True)
    except (FileNotFoundError, DatabaseError) as exc:
        print(f"imr-analytics: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        df = dimension_values(con, args.dimension)
    except ReportParameterError as exc:
        print(f"imr-analytics: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        con.close()
    shown = ["(not stated)" if v is None or v != v else str(v) for v in df["value"]]
    width = max([len(args.dimension), *map(len, shown)])
    print(f"{args.dimension:<{width}}  {'items':>9}  {'letters':>9}")
    for value, items, letters in zip(shown, df["n_items"], df["n_letters"], strict=True):
        print(f"{value:<{width}}  {int(items):>9,}  {int(letters):>9,}")
    return 0
