"""What report notebooks import: filters from parameters, rate tables, static charts, footer.

A notebook cell should read like the report it produces (``rep.rate_table(rep.rates("priority"))``),
so the plumbing lives here: every number goes through ``uphold_rates``, ``letter_volumes``,
``compare_rates`` or ``coverage`` with the report's filters applied in one place; every count is
shown, and a rate that is not reliable by the NCHS 2017 standard carries a dagger and a lighter
style (never hidden, never quoted in an email subject); tables are plain HTML with
inline styles (they survive email clients and copy-paste) and escape every value, because item
text and rationales come from letters and may contain anything; charts are rendered to SVG by
vl-convert and displayed as images, never as JavaScript.
"""

from __future__ import annotations

import html
import os
import platform
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from imr_analytics.reports.bundles import (
    CHART_META_KEY,
    PROVENANCE_MIME,
    SUMMARY_MIME,
    TABLE_MIME,
)
from imr_analytics.reports.errors import ReportError, ReportParameterError

__all__ = [
    "Report",
    "combine_where",
    "esc",
    "fmt_count",
    "fmt_interval",
    "fmt_multi_share",
    "fmt_num",
    "fmt_pct",
    "html_table",
]

DASH = "\u2013"
DAGGER = "\u2020"
NOT_STATED = "(not stated)"
# Most rows a rate table lists: the rest is pooled into one "all others" row (a dimension
# can have thousands of values, e.g. reviewer specialties spelled every which way).
MAX_TABLE_ROWS = 40
NOT_RELIABLE = "not reliable"

# Inline styles: the same table reads the same in the report, in JupyterLab and in an email.
_TABLE = (
    "border-collapse:collapse;margin:6px 0 4px;font-size:13px;"
    "font-family:-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1f2933"
)
_TH = (
    "padding:5px 10px;border-bottom:2px solid #334e68;background:#f0f4f8;"
    "font-weight:600;white-space:nowrap;text-align:{align}"
)
_TD = "padding:4px 10px;border-bottom:1px solid #e4e7eb;text-align:{align};vertical-align:top"
_TD_NUM = _TD + ";font-variant-numeric:tabular-nums;white-space:nowrap"
_CAPTION = "caption-side:top;text-align:left;font-weight:600;padding:2px 0 6px;font-size:14px"
_NOTE = "margin:2px 0 14px;font-size:12px;color:#52606d;max-width:80ch"
_UNRELIABLE_ROW = "color:#829ab1"
_WARN = (
    "margin:6px 0 10px;padding:6px 10px;border-left:4px solid #de911d;background:#fffbea;"
    "font-size:13px;color:#513c06;max-width:80ch"
)
_STATUS = {"in band": "#2f8132", "out of band": "#b44d12", "not comparable": "#52606d"}


# -- formatting ---------------------------------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escape anything (letters are untrusted input); NA becomes an en dash."""
    if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
        return DASH
    return html.escape(str(value), quote=True)


def _isna(value: Any) -> bool:
    return value is None or (not isinstance(value, list | tuple) and bool(pd.isna(value)))


def fmt_count(value: Any) -> str:
    """Thousands separators; NA (no value) shows as an en dash."""
    return DASH if _isna(value) else f"{int(value):,}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage; NA shows as an en dash."""
    return DASH if _isna(value) else f"{float(value) * 100:.{digits}f}%"


def fmt_num(value: Any, digits: int = 1) -> str:
    """A plain number with fixed decimals; NA shows as an en dash."""
    return DASH if _isna(value) else f"{float(value):,.{digits}f}"


def fmt_interval(low: Any, high: Any, sep: str = "\u2013") -> str:
    """An interval as 'low-high%'; a single en dash when there is none (a pooled row)."""
    if _isna(low) or _isna(high):
        return DASH
    return f"{float(low) * 100:.1f}{sep}{float(high) * 100:.1f}%"


def _fmt_ci(row: Mapping[str, Any]) -> str:
    return fmt_interval(row.get("ci_low"), row.get("ci_high"))


def fmt_p(value: Any) -> str:
    """A p-value with three decimals, '<0.001' below that; NA as an en dash."""
    if _isna(value):
        return DASH
    return "<0.001" if float(value) < 0.001 else f"{float(value):.3f}"


def _with_ci(value: str, interval: str) -> str:
    """'86.4% (84.3-88.3%)' in one cell, so a model table fits a narrow screen."""
    return value if interval == DASH else f"{value} ({interval})"


def _p_clause(value: Any) -> str:
    text = fmt_p(value)
    return f"= {text}" if not text.startswith("<") else text


def is_reliable(row: Mapping[str, Any]) -> bool:
    """The row's ``reliable`` flag; a missing flag counts as not reliable (never as fine)."""
    value = row.get("reliable")
    return False if _isna(value) else bool(value)


def fmt_rate(row: Mapping[str, Any], column: str = "uphold_rate") -> str:
    """A rate with a dagger when it is not reliable (NCHS 2017)."""
    text = fmt_pct(row.get(column))
    return text if text == DASH or is_reliable(row) else text + DAGGER


def fmt_multi_share(row: Mapping[str, Any]) -> str:
    """A ``letter_volumes`` share of letters with more than one item, dagger when unreliable."""
    text = fmt_pct(row.get("share_multi_item"))
    flag = row.get("share_multi_item_reliable")
    return text if text == DASH or _isna(flag) or bool(flag) else text + DAGGER


def lighter_if_unreliable(row: Mapping[str, Any]) -> str:
    """A table row's style: the lighter type of an unreliable rate (``html_table``'s row_style)."""
    return "" if is_reliable(row) else _UNRELIABLE_ROW


def any_unreliable(df: pd.DataFrame) -> bool:
    """Whether a table has a row marked unreliable (and so needs the rule's footnote)."""
    return "reliable" in df.columns and not all(is_reliable(r) for _, r in df.iterrows())


def reliability_footnote() -> str:
    """The table footnote stating the rule behind the daggers (the rule text is 6a's, once)."""
    from imr_analytics.analytics import RELIABILITY_RULE

    return f"{DAGGER} Not reliable: {RELIABILITY_RULE} Shown in lighter type, never ranked."


# Report parameters that select items by one of their naming fields: parameter -> (items
# column, whether the column is a list). The parameter names are the rates dimensions.
NAMED_SELECTIONS: dict[str, tuple[str, bool]] = {
    "treatment": ("treatment", False),
    "ingredient": ("ingredients", True),
    "body_region": ("body_regions", True),
}


def _named_key(value: str) -> str:
    """A naming value compared loosely: lower case, words only (no '·', '/', extra spaces)."""
    return " ".join(re.sub(r"[·/,]+", " ", value.lower()).split())


def _label_value(value: Any) -> str:
    if _isna(value):
        return NOT_STATED
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Column:
    """One table column: a header and how to turn a row into (already escaped) cell text."""

    header: str
    render: Callable[[Mapping[str, Any]], str]
    numeric: bool = True
    style: str = ""  # extra inline CSS for the cells, e.g. a min-width for long text


def html_table(
    rows: pd.DataFrame,
    columns: Sequence[Column],
    *,
    caption: str | None = None,
    note: str | None = None,
    row_style: Callable[[Mapping[str, Any]], str] | None = None,
) -> str:
    """A plain HTML table with inline styles; renderers must return escaped text."""
    head = "".join(
        f'<th style="{_TH.format(align="right" if c.numeric else "left")}">{esc(c.header)}</th>'
        for c in columns
    )
    body = []
    for _, row in rows.iterrows():
        rec = row.to_dict()
        extra = row_style(rec) if row_style else ""
        cells = "".join(
            f'<td style="{(_TD_NUM if c.numeric else _TD).format(align="right" if c.numeric else "left")}'
            f'{";" + c.style if c.style else ""}">{c.render(rec)}</td>'
            for c in columns
        )
        body.append(f'<tr style="{extra}">{cells}</tr>' if extra else f"<tr>{cells}</tr>")
    if not body:
        span = len(columns)
        body.append(
            f'<tr><td colspan="{span}" style="{_TD.format(align="left")};color:#52606d">'
            "No decided items in this selection.</td></tr>"
        )
    cap = f'<caption style="{_CAPTION}">{esc(caption)}</caption>' if caption else ""
    out = (
        f'<table style="{_TABLE}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    if note:
        out += f'<p style="{_NOTE}">{esc(note)}</p>'
    return out


def _head_with_others(df: pd.DataFrame, label: str, count: str, limit: int) -> pd.DataFrame:
    """The ``limit - 1`` largest rows by ``count`` and one "all others" row summing the rest."""
    if len(df) <= limit:
        return df
    ordered = df.sort_values(count, ascending=False, kind="stable")
    head, rest = ordered.iloc[: limit - 1], ordered.iloc[limit - 1 :]
    pooled = pd.DataFrame([{label: f"all others ({len(rest):,})", count: rest[count].sum()}])
    return pd.concat([head, pooled], ignore_index=True)


# -- the report context -------------------------------------------------------------------------


def _display(
    bundle: Mapping[str, Any],
    metadata: Mapping[str, Any] | None = None,
    *,
    display_id: str | None = None,
    update: bool = False,
) -> None:
    from IPython.display import display

    extra: dict[str, Any] = {"display_id": display_id, "update": update} if display_id else {}
    display(dict(bundle), raw=True, metadata=dict(metadata or {}), **extra)


def _html(markup: str) -> None:
    _display({"text/html": markup, "text/plain": "(HTML output; open the report to read it)"})


def _slug(text: str) -> str:
    """A table name safe in a file name: lower-case letters, digits and underscores."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_") or "table"


# DuckDB's memory for a report's queries (it spills to a temporary folder past it). Its default,
# 80% of RAM, let a report at a million letters hold 1.2 GiB of buffers; the kernel's Python,
# pandas, Altair and the chart renderer need about 400 MiB more, and the CLI that started it
# another 200. IMR_REPORT_MEMORY (a DuckDB size such as "1GB") overrides it.
REPORT_MEMORY_ENV = "IMR_REPORT_MEMORY"
REPORT_MEMORY_DEFAULT = "320MB"


def _bound_memory(con: Any) -> None:
    """Cap DuckDB's memory for this report and spill to the system's temporary folder.

    A read-only database's default spill folder is beside the file, which a reader may not be
    allowed to write. The cap applies to every connection of this process to the same file
    (DuckDB shares one instance per file), which in a report kernel is only the report's.
    """
    import tempfile

    limit = os.environ.get(REPORT_MEMORY_ENV, "").strip() or REPORT_MEMORY_DEFAULT
    try:
        con.execute(f"SET memory_limit = '{limit.replace(chr(39), '')}'")
    except Exception as exc:  # a malformed size: say which variable and why
        raise ReportParameterError(
            f"{REPORT_MEMORY_ENV}={limit!r} is not a DuckDB memory size (e.g. 512MB, 1GB): {exc}"
        ) from None
    spill = Path(tempfile.gettempdir()) / f"imr-report-spill-{os.getpid()}"
    con.execute(f"SET temp_directory = '{str(spill).replace(chr(39), '')}'")


def _values(value: Any) -> list[Any]:
    """A ``where`` value as a list, the way ``uphold_rates`` reads it (a string is one value)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def combine_where(
    selection: Mapping[str, Any], extra: Mapping[str, Any] | None
) -> dict[str, list[Any]]:
    """The report's selection narrowed by a section's own filter: never widened, never replaced.

    For a dimension in both, only the values in both lists are kept (in the section's order);
    no common value gives an empty list, which ``uphold_rates`` reads as "no item matches".
    For a multi-valued dimension (reviewer specialty...) this keeps the items carrying a value
    that both lists allow, which is inside both selections.
    """
    where = {key: _values(value) for key, value in selection.items()}
    for key, value in (extra or {}).items():
        wanted = _values(value)
        if key in where:
            mine = where[key]
            wanted = [v for v in wanted if v in mine]
        where[key] = list(dict.fromkeys(wanted))
    return where


@dataclass
class Report:
    """One report run: its parameters, the open database and the filters every query uses."""

    name: str
    params: dict[str, Any]
    db_path: Path
    con: Any
    where: dict[str, Any] = field(default_factory=dict)
    date_from: date | None = None
    date_to: date | None = None
    method: str = "korn-graubard"
    period: str = "quarter"
    started_at: datetime = field(default_factory=lambda: datetime.now().astimezone())
    _chart_count: int = 0
    _volumes: dict[tuple[Any, ...], pd.DataFrame] = field(default_factory=dict, repr=False)
    _coverage: Any = field(default=None, repr=False)
    _selection: Any = field(default=None, repr=False)
    _synthetic: int | None = field(default=None, repr=False)
    _table_names: set[str] = field(default_factory=set, repr=False)
    _chart_worker: Any = field(default=None, repr=False)
    _pending_charts: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list, repr=False)

    # -- opening --------------------------------------------------------------------------------

    @classmethod
    def open(cls, name: str, namespace: Mapping[str, Any]) -> Report:
        """Check the running notebook's parameters, open the database, check the selection.

        The names and types come from the notebook's own parameters cell as the kernel executed
        it (``__annotations__`` of the notebook's globals), so a value edited in JupyterLab and
        a value papermill injected are checked alike, against this notebook and not a file on
        disk. A name papermill injected that the parameters cell does not declare (a typo such
        as ``-p db_pth x``) is an error, so the run fails instead of quietly using a default.
        Coerced values are written back into the namespace (``-p top_items 5`` may arrive as
        text). Selection values must occur in the database, and the selection must match at
        least one decided item.
        """
        from imr_analytics.reports.params import ParamSpec as _Spec
        from imr_analytics.reports.params import (
            check_relations,
            coerce_value,
            injected_names,
            type_from_annotation,
        )
        from imr_analytics.reports.selection import check_selection, selection_where
        from imr_analytics.store.database import DatabaseError, open_database, resolve_db_path

        annotations = dict(namespace.get("__annotations__") or {})
        if not annotations:
            raise ReportParameterError(
                f"report {name!r}: run the parameters cell (the first cell) before this one"
            )
        specs = {k: _Spec(k, type_from_annotation(t), None) for k, t in annotations.items()}
        unknown = [k for k in injected_names(list(namespace.get("In") or [])) if k not in specs]
        if unknown:
            raise ReportParameterError(
                f"report {name!r}: unknown parameter {', '.join(map(repr, unknown))}; it "
                f"accepts: {', '.join(specs)} (see papermill --help-notebook)"
            )
        missing = [k for k in specs if k not in namespace]
        if missing:
            raise ReportParameterError(
                f"run the parameters cell first: {', '.join(missing)} not defined"
            )
        params = {k: coerce_value(spec, namespace[k]) for k, spec in specs.items()}
        check_relations(params)
        if isinstance(namespace, dict):
            namespace.update(params)
        try:
            db_path = resolve_db_path(params.get("db_path"))
        except FileNotFoundError as exc:
            hint = ""
            if "In" in namespace and not injected_names(list(namespace.get("In") or [])):
                hint = (
                    " (in JupyterLab: set db_path in the parameters cell, e.g. "
                    'db_path = "/path/to/imr.duckdb", or start JupyterLab with IMR_DB set)'
                )
            raise ReportError(f"report {name!r}: {exc}{hint}") from None
        rep = cls(name=name, params=params, db_path=db_path, con=None)
        if params.get("date_from"):
            rep.date_from = date.fromisoformat(params["date_from"])
        if params.get("date_to"):
            rep.date_to = date.fromisoformat(params["date_to"])
        rep.method = str(params.get("interval", "korn-graubard"))
        rep.period = str(params.get("period", "quarter"))
        rep.where.update(selection_where(params))
        try:
            rep.con = open_database(db_path, read_only=True)
        except DatabaseError as exc:
            raise ReportError(f"report {name!r}: {exc}") from None
        try:
            _bound_memory(rep.con)  # inside: a bad IMR_REPORT_MEMORY closes the database too
            check_selection(
                rep.con, params, report=name, date_from=rep.date_from, date_to=rep.date_to
            )
            if params.get("item_pattern"):
                rep.where["item_pattern"] = rep.match_patterns(str(params["item_pattern"]))
            for param in NAMED_SELECTIONS:
                if params.get(param):
                    rep.where[param] = [rep.match_named(param, str(params[param]))]
        except Exception:
            rep.close()
            raise
        rep._start_chart_worker()
        return rep

    def match_named(self, param: str, wanted: str) -> str:
        """The stored value a ``treatment``, ``ingredient`` or ``body_region`` parameter names.

        Matching forgives case, spacing and the separators of a drug's treatment
        (``naproxen oral`` is ``naproxen · oral``); a value the database does not hold (in the
        report's categories) is an error naming the nearest values, found by spelling and, for
        a drug's brand name, by its generic ingredients (``norco`` suggests
        ``acetaminophen / hydrocodone · oral``).
        """
        import difflib

        column, multi = NAMED_SELECTIONS[param]
        category = self.where.get("item_category")
        scope, args = "", []
        if category:
            scope = f" WHERE item_category IN ({', '.join('?' for _ in category)})"
            args = list(category)
        values_sql = (
            f"SELECT v, count(*) AS n FROM (SELECT unnest({column}) AS v FROM items{scope}) "
            "WHERE v IS NOT NULL GROUP BY v"
            if multi
            else f"SELECT {column} AS v, count(*) AS n FROM items{scope} GROUP BY v "
            "HAVING v IS NOT NULL"
        )
        counts = dict(self.con.execute(values_sql, args).fetchall())
        key = _named_key(wanted)
        by_key = {_named_key(v): v for v in counts}
        if key in by_key:
            return by_key[key]
        suggestions: list[str] = []
        from imr_analytics.parse.naming import name_item

        drug = name_item(wanted, "Pharmaceuticals")
        if drug.ingredients and not drug.unknown_drug:
            wanted_set = set(drug.ingredients)
            related = [
                v
                for v in counts
                if (multi and v in wanted_set)
                or (not multi and wanted_set & set(_named_key(v).split()))
            ]
            suggestions += sorted(related, key=lambda v: (-counts[v], v))
        close = difflib.get_close_matches(key, list(by_key), n=5, cutoff=0.6)
        suggestions += [by_key[k] for k in close]
        suggestions += sorted(
            (v for k, v in by_key.items() if key and key in k), key=lambda v: (-counts[v], v)
        )
        suggestions = list(dict.fromkeys(suggestions))[:5]
        where = f" in {', '.join(category)}" if category else ""
        hint = (
            "nearest: " + ", ".join(repr(v) for v in suggestions)
            if suggestions
            else "most frequent: "
            + ", ".join(repr(v) for v in sorted(counts, key=lambda v: (-counts[v], v))[:5])
        )
        raise ReportParameterError(
            f"no disputed item has {param} {wanted!r}{where}; {hint}"
            if counts
            else f"no disputed item has {param} {wanted!r}{where}: the database holds no "
            f"{param} values (run `imr-analytics reparse` on a database loaded before they existed)"
        )

    def match_patterns(self, wanted: str) -> list[str]:
        """Item patterns for an ``item_pattern`` parameter: the exact pattern, else all containing it.

        Patterns are lower-case disputed text without quantities, so "Norco" finds "norco" and
        "lumbar" finds every lumbar request. No match is an error that lists close candidates,
        not an empty report.
        """
        category = self.where.get("item_category")
        scope, args = "", []
        if category:
            scope = f" AND item_category IN ({', '.join('?' for _ in category)})"
            args = list(category)
        needle = wanted.strip().lower()
        exact = self.con.execute(
            f"SELECT DISTINCT item_pattern FROM items WHERE item_pattern = ?{scope}",
            [needle, *args],
        ).fetchall()
        if exact:
            return [exact[0][0]]
        found = self.con.execute(
            "SELECT item_pattern FROM items WHERE contains(lower(item_pattern), ?)"
            f"{scope} GROUP BY item_pattern ORDER BY count(*) DESC, item_pattern",
            [needle, *args],
        ).fetchall()
        if found:
            return [row[0] for row in found]
        where = f" in {', '.join(category)}" if category else ""
        raise ReportParameterError(
            f"no disputed item matches item_pattern {wanted!r}{where}; patterns are lower-case "
            "request text without quantities, e.g. 'norco' or 'physical therapy'"
        )

    @property
    def period_dim(self) -> str:
        """The rates dimension for the chosen time grain."""
        return f"decision_{self.period}"

    def filter_text(self) -> str:
        """The filters in words, for the page header and the footer."""
        parts = []
        if self.date_from or self.date_to:
            parts.append(f"decision dates {self.date_from or 'first'} to {self.date_to or 'last'}")
        for dim, values in self.where.items():
            from imr_analytics.analytics import DIMENSIONS

            label = DIMENSIONS[dim].label if dim in DIMENSIONS else dim
            shown = ", ".join(_label_value(v) for v in values[:12])
            if len(values) > 12:
                shown += f" and {len(values) - 12} more"
            parts.append(f"{label.lower()}: {shown}")
        return "; ".join(parts) if parts else "all letters in the database"

    # -- queries --------------------------------------------------------------------------------

    @property
    def selection(self) -> Any:
        """The report's selection read once (``analytics.prepared.SelectionCache``).

        Every rate, volume and coverage figure of the selection itself comes from it instead of
        a query over all items each; a section with its own filter goes to the plain functions.
        """
        if self._selection is None:
            from imr_analytics.analytics.prepared import SelectionCache

            self._selection = SelectionCache(
                self.con,
                combine_where(self.where, None) or None,
                date_from=self.date_from,
                date_to=self.date_to,
            )
        return self._selection

    def _where(self, extra: Mapping[str, Any] | None) -> dict[str, Any]:
        """The report's selection narrowed by a section's filter (see :func:`combine_where`)."""
        return combine_where(self.where, extra)

    def rates(
        self,
        by: str | Sequence[str] = (),
        *,
        where: Mapping[str, Any] | None = None,
        top: int | None = None,
    ) -> pd.DataFrame:
        """``uphold_rates`` with the report's filters and interval method.

        ``where`` narrows the report's selection for one section (see :func:`combine_where`).
        """
        from imr_analytics.analytics import uphold_rates

        return uphold_rates(
            self.selection,
            by=by,
            where=self._where(where) or None,
            date_from=self.date_from,
            date_to=self.date_to,
            method=self.method,  # type: ignore[arg-type]
            top=top,
        )

    def compare(
        self,
        by: str,
        *,
        adjust: Sequence[str] = (),
        where: Mapping[str, Any] | None = None,
        reference: Any = None,
    ) -> pd.DataFrame:
        """``compare_rates`` (logistic model, letter-clustered) with the report's filters."""
        from imr_analytics.analytics import compare_rates

        return compare_rates(
            self.con,
            by,
            where=self._where(where) or None,
            adjust=list(adjust),
            reference=reference,
            date_from=self.date_from,
            date_to=self.date_to,
        )

    def volumes(
        self, period: str | None = "year", *, where: Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """``letter_volumes`` with the report's filters and method; ``where`` as in rates.

        Results are kept for the run (the database is read-only and the filters fixed), so the
        footer's totals reuse the headline's query instead of running it again.
        """
        from imr_analytics.analytics import letter_volumes

        combined = self._where(where)
        key = (
            period,
            repr(sorted(combined.items())),
            self.date_from,
            self.date_to,
            self.method,
        )
        if key not in self._volumes:
            self._volumes[key] = letter_volumes(
                self.selection,
                period=period,
                where=combined or None,
                date_from=self.date_from,
                date_to=self.date_to,
                method=self.method,  # type: ignore[arg-type]
            )
        # a copy (attrs included), so a caller editing its table cannot change the footer's
        return self._volumes[key].copy()

    # -- output ---------------------------------------------------------------------------------

    def title_block(self, subtitle: str = "") -> None:
        """The page heading: title parameter, what the page shows, the filters."""
        title = self.params.get("title") or self.name
        rule = (
            f"Every count is shown; a rate marked {DAGGER} is not reliable (NCHS 2017 standard) "
            "and is shown in lighter type."
        )
        sub = (
            f'<p style="margin:0 0 6px;color:#334e68;font-size:15px">{esc(subtitle)}</p>'
            if subtitle
            else ""
        )
        banner = ""
        n_synthetic = self.synthetic_letters()
        if n_synthetic:
            share = (
                "every letter"
                if n_synthetic >= self._database_letters()
                else f"{fmt_count(n_synthetic)} letters"
            )
            banner = (
                f'<p class="imr-synthetic" style="{_WARN};font-weight:700">Synthetic demo data: '
                f"{share} in this database was made by the imr-analytics generator, not "
                "published by DWC. These numbers describe no real review.</p>"
            )
        _html(
            f"{banner}"
            f'<h1 style="margin:0 0 4px;overflow-wrap:anywhere">{esc(title)}</h1>{sub}'
            '<p style="margin:0;color:#52606d;font-size:13px">'
            f"Selection: {esc(self.filter_text())}. {esc(rule)}</p>"
        )

    def synthetic_letters(self) -> int:
        """Letters of the database made by the synthetic generator (0 for DWC's letters)."""
        if self.con is None:  # a Report built without a database (tests of the formatting)
            return 0
        if self._synthetic is None:
            from imr_analytics.analytics.coverage import synthetic_letters

            self._synthetic = synthetic_letters(self.con)
        return self._synthetic

    def _database_letters(self) -> int:
        row = self.con.execute("SELECT count(*) FROM letters").fetchone()
        return int(row[0]) if row else 0

    def heading(self, text: str, intro: str = "", level: int = 2) -> None:
        """A section heading with an optional one-paragraph explanation."""
        para = f'<p style="{_NOTE};font-size:13px">{esc(intro)}</p>' if intro else ""
        _html(f"<h{level}>{esc(text)}</h{level}>{para}")

    def note(self, text: str) -> None:
        """A short grey note under a table or chart."""
        _html(f'<p style="{_NOTE}">{esc(text)}</p>')

    def headline(self, items: Sequence[tuple[str, str]]) -> None:
        """Key figures as large numbers; values are preformatted strings.

        A value marked with the dagger (an unreliable rate or its interval) is not made a
        headline figure: its tile reads "not reliable" and keeps the marked value, small and
        in the tables' lighter type, under its label, so it is shown and marked but never
        headlined (as the email digest quotes it).

        Inline blocks, not a table row, so the figures wrap onto a second line on a phone
        instead of running off the side.
        """

        def tile(label: str, value: str) -> str:
            if DAGGER in value:
                big = f'<div style="font-size:18px;font-weight:700;{_UNRELIABLE_ROW};'
                big += f'padding-top:6px">{esc(NOT_RELIABLE)}</div>'
                small = f'{esc(label)}: <span style="{_UNRELIABLE_ROW}">{esc(value)}</span>'
            else:
                big = (
                    '<div style="font-size:24px;font-weight:700;color:#102a43;'
                    f'overflow-wrap:anywhere">{esc(value)}</div>'
                )
                small = esc(label)
            return (
                '<div style="display:inline-block;padding:6px 28px 6px 0;vertical-align:top;'
                f'max-width:100%">{big}<div style="font-size:12px;color:#52606d">{small}</div>'
                "</div>"
            )

        cells = "".join(tile(k, v) for k, v in items)
        _html(f'<div class="imr-headline" style="margin:10px 0 6px">{cells}</div>')

    def rate_table_html(
        self,
        df: pd.DataFrame,
        *,
        caption: str | None = None,
        note: str | None = None,
        share: bool = True,
        max_rows: int = MAX_TABLE_ROWS,
        digest: bool = False,
    ) -> str:
        """HTML for an ``uphold_rates`` result: one row per group, every count shown.

        Columns: the group, items, letters, effective n (items over the design effect), the
        counts, the rate and its clustered interval, the share. A rate that is not reliable
        (NCHS 2017) gets a dagger and the row a lighter colour, with a footnote stating the
        rule. More than ``max_rows`` groups: the largest by n and one "all others" row.
        ``digest`` (the email) prints "not reliable" instead of quoting such a rate.
        """
        from imr_analytics.analytics import DIMENSIONS
        from imr_analytics.analytics.charts import with_others

        by = list(df.attrs.get("by") or [c for c in df.columns if c in DIMENSIONS])
        if by and len(by) <= 2:
            df = with_others(df, by[0], max_rows)
        labels = df.attrs.get("labels") or {}
        cols = [
            Column(
                labels.get(d, DIMENSIONS[d].label if d in DIMENSIONS else d),
                lambda r, d=d: esc(_label_value(r.get(d))),
                numeric=False,
            )
            for d in by
        ]

        def rate(r: Mapping[str, Any]) -> str:
            if digest and not is_reliable(r) and not _isna(r.get("uphold_rate")):
                return f"{NOT_RELIABLE}{DAGGER}"
            return esc(fmt_rate(r))

        def interval(r: Mapping[str, Any]) -> str:
            if digest and not is_reliable(r):
                return DASH
            return _fmt_ci(r)

        cols += [
            Column("Items", lambda r: fmt_count(r.get("n"))),
            Column("Letters", lambda r: fmt_count(r.get("n_letters"))),
            Column("Effective n", lambda r: fmt_num(r.get("effective_n"), 0)),
            Column("Upheld", lambda r: fmt_count(r.get("upheld"))),
            Column("Overturned", lambda r: fmt_count(r.get("overturned"))),
            Column("Uphold rate", rate),
            Column("95% CI", interval),
        ]
        if share and by and "share" in df.columns:
            cols.append(Column("Share of items", lambda r: fmt_pct(r.get("share"))))
        notes = []
        if note:
            notes.append(note)
        if df.attrs.get("note") and not digest:
            notes.append(str(df.attrs["note"]))
        others = df.attrs.get("others")
        if others:
            notes.append(
                f"all others: the {others['pooled_values']:,} smaller values pooled (counts "
                "summed, no interval)."
            )
        if any_unreliable(df):
            notes.append(reliability_footnote())

        return html_table(
            df, cols, caption=caption, note=" ".join(notes) or None, row_style=lighter_if_unreliable
        )

    def compare_or_note(
        self, by: str, *, adjust: Sequence[str] = (), where: Mapping[str, Any] | None = None
    ) -> pd.DataFrame | str:
        """:meth:`compare`, or the one sentence saying why no model could be fitted.

        A selection can be too small or too uniform for a model (one family left, no outcome
        variation); that is a finding to print, not a reason to stop the report.
        """
        try:
            return self.compare(by, adjust=adjust, where=where)
        except ValueError as exc:
            return f"No model for {by}: {exc}"

    @staticmethod
    def joint_test_text(model: pd.DataFrame | str) -> str:
        """The joint Wald test's p-value for a headline, or "no model"."""
        if isinstance(model, str) or _isna(model.attrs.get("wald_p")):
            return "no model"
        p = float(model.attrs["wald_p"])
        return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"

    def chart_or_skip(
        self, model: pd.DataFrame | str, builder: Callable[..., Any], **kwargs: Any
    ) -> None:
        """A chart of a model result; nothing when there is no model (its table says why)."""
        if isinstance(model, str) or model.empty:
            return
        self.chart(model, builder, **kwargs)

    def compare_table(self, df: pd.DataFrame | str, **kwargs: Any) -> None:
        """Display :meth:`compare_table_html`; a string (no model) is shown as a note."""
        if isinstance(df, str):
            self.note(df)
            return
        by = df.attrs.get("by") or "levels"
        self._table(self.compare_table_html(df, **kwargs), df, f"model_{by}", kwargs.get("caption"))

    def compare_table_html(
        self,
        df: pd.DataFrame | str,
        *,
        caption: str | None = None,
        note: str | None = None,
        digest: bool = False,
    ) -> str:
        """A ``compare_rates`` result: raw and adjusted rates, odds ratios, Holm p-values.

        One row per level (the reference labelled), with the model's n, the joint Wald test
        and the adjustment in the footnote. Raw rates that are not reliable carry the dagger
        like every other table (``digest``: not quoted at all); the odds ratio's own interval
        says how precise it is.
        """
        from imr_analytics.analytics import DIMENSIONS

        if isinstance(df, str):
            return f'<p style="{_NOTE}">{esc(df)}</p>'
        by = df.attrs.get("by") or next((c for c in df.columns if c in DIMENSIONS), df.columns[0])
        label = DIMENSIONS[by].label if by in DIMENSIONS else str(by)

        def level(r: Mapping[str, Any]) -> str:
            text = esc(_label_value(r.get(by)))
            return text + (" (reference)" if bool(r.get("is_reference")) else "")

        def odds(r: Mapping[str, Any]) -> str:
            if bool(r.get("is_reference")):
                return "1"
            return fmt_num(r.get("odds_ratio"), 2)

        def odds_ci(r: Mapping[str, Any]) -> str:
            lo, hi = r.get("or_ci_low"), r.get("or_ci_high")
            if bool(r.get("is_reference")) or _isna(lo) or _isna(hi):
                return DASH
            return f"{float(lo):.2f}{DASH}{float(hi):.2f}"

        def raw_rate(r: Mapping[str, Any]) -> str:
            if digest and not is_reliable(r) and not _isna(r.get("uphold_rate")):
                return f"{NOT_RELIABLE}{DAGGER}"
            return esc(fmt_rate(r))

        def raw_ci(r: Mapping[str, Any]) -> str:
            return DASH if digest and not is_reliable(r) else _fmt_ci(r)

        cols = [
            Column(label, level, numeric=False),
            Column("Items", lambda r: fmt_count(r.get("n"))),
            Column("Letters", lambda r: fmt_count(r.get("n_letters"))),
            Column("Raw uphold rate (95% CI)", lambda r: _with_ci(raw_rate(r), raw_ci(r))),
            Column("Adjusted rate", lambda r: fmt_pct(r.get("adjusted_rate"))),
            Column("Odds ratio (95% CI)", lambda r: _with_ci(odds(r), odds_ci(r))),
            Column("p", lambda r: fmt_p(r.get("p_value"))),
            Column("p (Holm)", lambda r: fmt_p(r.get("p_holm"))),
        ]
        adjust = [
            DIMENSIONS[a].label.lower() if a in DIMENSIONS else str(a)
            for a in df.attrs.get("adjust") or []
        ]
        adj = "adjusted for " + ", ".join(adjust) if adjust else "no adjustment"
        notes = [note] if note else []
        if df.attrs.get("n_model") is not None:
            notes.append(
                f"Logistic model, {adj}, standard errors clustered by letter: "
                f"{fmt_count(df.attrs.get('n_model'))} items in "
                f"{fmt_count(df.attrs.get('n_letters_model'))} letters. Joint Wald test of "
                f"{label.lower()}: chi2 = {fmt_num(df.attrs.get('wald_chi2'), 2)}, "
                f"df = {fmt_count(df.attrs.get('wald_df'))}, p {_p_clause(df.attrs.get('wald_p'))}."
            )
        if not digest:
            notes += [str(n) for n in df.attrs.get("notes") or []]
        if any_unreliable(df):
            notes.append(reliability_footnote())

        return html_table(
            df, cols, caption=caption, note=" ".join(notes) or None, row_style=lighter_if_unreliable
        )

    def rate_table(self, df: pd.DataFrame, *, name: str | None = None, **kwargs: Any) -> None:
        """Display :meth:`rate_table_html`, with its rows for ``--tables`` (``name``: by_DIMS)."""
        by = list(df.attrs.get("by") or [])
        self._table(
            self.rate_table_html(df, **kwargs),
            df,
            name or ("by_" + "_".join(by) if by else "overall"),
            kwargs.get("caption"),
        )

    def _table(self, markup: str, rows: pd.DataFrame, name: str, caption: str | None) -> None:
        """Display a table's HTML with its rows as CSV beside it (never shown; the runner writes
        them as ``<output name>.<name>.csv`` when asked). The rows are the whole result the table
        was drawn from: every group with its counts, interval and reliability flag, none pooled
        into "all others" or hidden. Names are made unique within the run (``_2``, ``_3``...)."""
        base = _slug(name)
        unique, k = base, 1
        while unique in self._table_names:
            k += 1
            unique = f"{base}_{k}"
        self._table_names.add(unique)
        _display(
            {
                "text/html": markup,
                "text/plain": "(HTML output; open the report to read it)",
                TABLE_MIME: {
                    "name": unique,
                    "caption": caption or "",
                    "csv": rows.to_csv(index=False, lineterminator="\n"),
                },
            }
        )

    def share_table(
        self,
        df: pd.DataFrame,
        totals: pd.DataFrame,
        *,
        row: str,
        column: str,
        caption: str | None = None,
    ) -> None:
        """Share of each ``column`` value's items that fall in each ``row`` value (a pivot).

        Both counts come from ``uphold_rates`` (``df`` grouped by row and column, ``totals`` by
        column). A dimension with many values keeps the largest and pools the rest.
        """
        from imr_analytics.analytics import DIMENSIONS
        from imr_analytics.analytics.charts import with_others

        if df.empty:
            _html(html_table(df, [Column(DIMENSIONS[row].label, lambda r: "")]))
            return
        full = df
        df = with_others(df, row, MAX_TABLE_ROWS)
        denominators = {
            _label_value(r[column]): r["n"] for _, r in totals.iterrows() if not _isna(r["n"])
        }
        col_values = [_label_value(v) for v in totals[column]]
        row_values = list(dict.fromkeys(_label_value(v) for v in df[row]))
        cells: dict[tuple[str, str], Any] = {}
        for _, r in df.iterrows():
            key = (_label_value(r[row]), _label_value(r[column]))
            den = denominators.get(key[1])
            cells[key] = None if _isna(r["n"]) or not den else float(r["n"]) / float(den)
        table = pd.DataFrame({"__row": row_values})
        cols = [Column(DIMENSIONS[row].label, lambda r: esc(r["__row"]), numeric=False)]
        cols += [Column(c, lambda r, c=c: fmt_pct(cells.get((r["__row"], c)))) for c in col_values]
        caption = caption or (
            f"Share of each {DIMENSIONS[column].label.lower()}'s decided items by "
            f"{DIMENSIONS[row].label.lower()}"
        )
        note = f"{DASH} = no items."
        totals_by = {_label_value(r[column]): r["n"] for _, r in totals.iterrows()}
        long = pd.DataFrame(
            {
                row: full[row],
                column: full[column],
                "n": full["n"],
                "column_n": [totals_by.get(_label_value(v)) for v in full[column]],
            }
        )
        long["share"] = long["n"] / long["column_n"]
        self._table(
            html_table(table, cols, caption=caption, note=note),
            long,
            f"share_{row}_by_{column}",
            caption,
        )

    def volume_table(self, df: pd.DataFrame, *, caption: str | None = None) -> None:
        """Display a ``letter_volumes`` result: letters, items, items per letter, timeliness."""
        period = df.attrs.get("period")

        cols = []
        if period:
            cols.append(
                Column(
                    period.replace("decision_", "Decision ").replace("_", " "),
                    lambda r: esc(_label_value(r.get(period))),
                    numeric=False,
                )
            )
        cols += [
            Column("Letters", lambda r: fmt_count(r.get("n_letters"))),
            Column("Decided items", lambda r: fmt_count(r.get("n_items"))),
            Column("Items per letter", lambda r: fmt_num(r.get("items_per_letter"), 2)),
            Column("Multi-item letters", lambda r: fmt_count(r.get("multi_item_letters"))),
            Column(
                "Share multi-item (95% CI)",
                lambda r: _with_ci(
                    fmt_multi_share(r),
                    fmt_interval(
                        r.get("share_multi_item_ci_low"), r.get("share_multi_item_ci_high")
                    ),
                ),
            ),
            Column("Mean days", lambda r: fmt_num(r.get("mean_days"))),
            Column("Median days", lambda r: fmt_num(r.get("median_days"))),
        ]
        note = (
            "Multi-item letters decide more than one item; their share is a plain binomial share "
            f"of letters with its 95% interval ({DAGGER} = not reliable, NCHS 2017). Days run "
            "from IMR assignment to decision and need both dates."
        )
        self._table(
            html_table(df, cols, caption=caption, note=note),
            df,
            f"volumes_by_{period}" if period else "volumes",
            caption,
        )

    def chart(
        self,
        df: pd.DataFrame,
        builder: Callable[..., Any],
        *,
        email: bool = False,
        alt_text: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Build a chart from an aggregated result and display it as a static SVG image.

        Nothing is drawn (a note says why) when the result has no rows: an empty axis is worse
        than a sentence. Unreliable rates are drawn hollow, as the chart builders mark them.
        """
        if df.empty:
            self.note("No chart: no decided items in this selection.")
            return
        chart = builder(df, **kwargs)
        self.show_chart(chart, alt_text=alt_text or kwargs.get("title"), email=email)

    def show_chart(self, chart: Any, *, alt_text: str | None = None, email: bool = False) -> None:
        """Display an Altair chart as SVG (rendered offline by vl-convert), with chart metadata.

        Under the report runner the chart is drawn by a worker process while the report goes
        on (``reports.chartworker``): a placeholder with a display id is shown now and replaced
        by the SVG before the footer. Elsewhere it is drawn here and now.
        """
        self._chart_count += 1
        title = alt_text or _chart_title(chart) or f"Chart {self._chart_count}"
        metadata = {CHART_META_KEY: {"title": title, "email": bool(email)}}
        if self._chart_worker is not None:
            from imr_analytics.analytics.charts import vegalite_spec

            key = f"imr-chart-{os.getpid()}-{id(self)}-{self._chart_count}"
            self._chart_worker.submit(key, *vegalite_spec(chart))
            _display({"text/plain": f"[chart] {title}"}, metadata, display_id=key)
            self._pending_charts.append((key, title, metadata))
            return
        from imr_analytics.analytics import to_svg

        svg = to_svg(chart)
        _display({"image/svg+xml": svg, "text/plain": f"[chart] {title}"}, metadata)

    def _start_chart_worker(self) -> None:
        """Start the chart worker when the runner asks for it (its engine boots meanwhile)."""
        from imr_analytics.reports.chartworker import ASYNC_CHARTS_ENV, ChartWorker

        if os.environ.get(ASYNC_CHARTS_ENV) == "1" and self._chart_worker is None:
            self._chart_worker = ChartWorker()

    def _finish_charts(self) -> None:
        """Replace every placeholder with its drawn chart (waiting for the worker), in order."""
        from imr_analytics.reports.chartworker import ChartWorkerError

        while self._pending_charts:
            key, title, metadata = self._pending_charts.pop(0)
            try:
                svg = self._chart_worker.result(key)
            except ChartWorkerError as exc:
                raise ReportError(f"chart {title!r} could not be drawn: {exc}") from None
            _display(
                {"image/svg+xml": svg, "text/plain": f"[chart] {title}"},
                metadata,
                display_id=key,
                update=True,
            )

    def volume_chart(
        self, df: pd.DataFrame, *, measure: str = "n_letters", title: str, email: bool = False
    ) -> None:
        """Bars of a ``letter_volumes`` column per period (periods without a value left as gaps)."""
        import altair as alt

        period = df.attrs.get("period")
        if df.empty or not period or df[measure].isna().all():
            self.note("No chart: no letters in this selection.")
            return
        labels = {
            "n_letters": "Letters",
            "n_items": "Decided items",
            "median_days": "Median days, assignment to decision",
            "mean_days": "Mean days, assignment to decision",
            "items_per_letter": "Items per letter",
        }
        data = [
            {
                "period": _label_value(r[period]),
                "value": None if _isna(r[measure]) else float(r[measure]),
            }
            for _, r in df.iterrows()
        ]
        from imr_analytics.analytics.charts import ordinal_axis, unvalidated

        data = [d for d in data if d["period"] != NOT_STATED]  # undated: no place in time
        if not data:
            self.note("No chart: no dated letters in this selection.")
            return
        step = 44 if len(data) <= 6 else 26  # narrower, with slanted labels, past six
        subtitle = (
            ["Blank: no letter in the period has both dates."]
            if any(d["value"] is None for d in data)
            else []
        )
        with unvalidated():  # the spec is checked whole by the tests (charts.unvalidated)
            base = alt.Chart(alt.Data(values=data)).encode(
                x=alt.X(
                    "period:O",
                    title=None,
                    sort=[d["period"] for d in data],
                    axis=ordinal_axis([d["period"] for d in data], step * len(data)),
                )
            )
            if measure in {"n_letters", "n_items"}:
                mark = base.mark_bar(color="#2f5d8a").encode(
                    y=alt.Y("value:Q", title=labels.get(measure, measure))
                )
            else:
                mark = base.mark_line(point=True, color="#2f5d8a").encode(
                    y=alt.Y("value:Q", title=labels.get(measure, measure))
                )
            chart = mark.properties(
                width=alt.Step(step),
                height=200,
                title=alt.Title(title, subtitle=subtitle),
            )
        self.show_chart(chart, alt_text=title, email=email)

    def text_samples(
        self,
        rows: pd.DataFrame,
        *,
        caption: str,
        text_column: str = "rationale",
        max_chars: int = 900,
    ) -> None:
        """Letter excerpts as an escaped table (letter text is untrusted input)."""

        def clip(value: Any) -> str:
            text = "" if _isna(value) else str(value)
            if len(text) > max_chars:
                text = text[:max_chars].rsplit(" ", 1)[0] + " \u2026"
            return esc(text) if text else DASH

        cols = [
            Column("Letter", lambda r: esc(r.get("letter_id")), numeric=False),
            Column("Decision date", lambda r: esc(r.get("decision_date")), numeric=False),
            Column("Disputed item", lambda r: esc(r.get("disputed_text")), numeric=False),
            Column("Outcome", lambda r: esc(r.get("decision")), numeric=False),
            Column("Reviewer's rationale", lambda r: clip(r.get(text_column)), numeric=False),
        ]
        _html(html_table(rows, cols, caption=caption))

    def sample_items(self, n: int, *, seed: int = 0) -> pd.DataFrame:
        """A reproducible random sample of decided items under the report's filters (text only).

        The population is exactly what ``uphold_rates`` counts under the same filters
        (``filtered_items``), so a sample never comes from a wider or narrower set than the
        numbers beside it. Only letter text is read here, never a number that is shown.
        """
        from imr_analytics.analytics import filtered_items

        population = filtered_items(
            self.con,
            combine_where(self.where, None),
            date_from=self.date_from,
            date_to=self.date_to,
        )
        keys = list(population.itertuples(index=False, name=None))
        chosen = random.Random(seed).sample(keys, min(n, len(keys)))
        if not chosen:
            return pd.DataFrame(
                columns=["letter_id", "decision_date", "disputed_text", "decision", "rationale"]
            )
        values = ", ".join("(?, ?)" for _ in chosen)
        flat = [v for pair in chosen for v in pair]
        return self.con.execute(
            "SELECT i.letter_id, CAST(l.decision_date AS VARCHAR) AS decision_date, "
            "coalesce(i.disputed_text, i.item_text) AS disputed_text, i.decision, i.rationale "
            f"FROM items i JOIN letters l ON l.letter_id = i.letter_id JOIN (VALUES {values}) "
            "AS k(letter_id, item_no) ON k.letter_id = i.letter_id AND k.item_no = i.item_no "
            "ORDER BY l.decision_date, i.letter_id, i.item_no",
            flat,
        ).df()

    # -- headline figures -----------------------------------------------------------------------

    @staticmethod
    def _first_row(df: pd.DataFrame) -> dict[str, Any]:
        return df.iloc[0].to_dict() if not df.empty else {}

    def rate_text(self, df: pd.DataFrame) -> str:
        """The first row's rate for a headline, with a dagger when not reliable."""
        return fmt_rate(self._first_row(df))

    def interval_text(self, df: pd.DataFrame) -> str:
        """The first row's interval for a headline, with a dagger when the rate is not reliable."""
        row = self._first_row(df)
        text = _fmt_ci(row)
        return text if text == DASH or is_reliable(row) else text + DAGGER

    def subject_rate(self, df: pd.DataFrame) -> str:
        """The rate as an email subject may quote it: never an unreliable one.

        "87.3% upheld" when reliable; otherwise "uphold rate not reliable (<why>)", so a reader
        of the subject line alone is not handed a number the report itself marks.
        """
        row = self._first_row(df)
        if not row or _isna(row.get("uphold_rate")):
            return "no decided items"
        if is_reliable(row):
            return f"{fmt_pct(row['uphold_rate'])} upheld"
        why = row.get("reliability_note")
        return f"uphold rate {NOT_RELIABLE}" + (f" ({why})" if not _isna(why) and why else "")

    # -- coverage -------------------------------------------------------------------------------

    def coverage(self) -> Any:
        """``coverage`` of the report's selection (kept for the run: the database is read-only)."""
        from imr_analytics.analytics import coverage

        if self._coverage is None:
            self._coverage = coverage(
                self.selection,
                where=combine_where(self.where, None) or None,
                date_from=self.date_from,
                date_to=self.date_to,
                synthetic=self.synthetic_letters(),  # counted once per run (may read every text)
            )
        return self._coverage

    def coverage_section(self) -> None:
        """What the selection covers, first after the headline of every report.

        Letters and items by layout and decision year, the decision-date window, undated
        letters, the taxonomy's Other share, parse warnings, quarantined files, and the
        selection against the published DWC/CWCI reference values, with the warnings that say
        when a selection is too small or too short to be compared at all.
        """
        cov = self.coverage()
        self.heading(
            "Coverage",
            "What this selection contains, what was left out, and how it compares with "
            "published reference values. Read this before the rates.",
        )
        parts = [
            f"{fmt_count(cov.n_letters)} letters and {fmt_count(cov.n_items)} decided items",
        ]
        if cov.date_min is not None:
            parts.append(f"decision dates {cov.date_min} to {cov.date_max}")
        undated = int(cov.n_undated_letters or 0)
        if undated:
            one = undated == 1
            letters = f"{fmt_count(undated)} letter{'' if one else 's'}"
            if cov.undated_excluded:
                parts.append(
                    f"{letters} without a decision date {'is' if one else 'are'} left out by "
                    "the date filter"
                )
            else:
                parts.append(
                    f"{letters} {'has' if one else 'have'} no decision date (counted, but in no "
                    "period; a date filter would drop them)"
                )
        else:
            parts.append("every letter has a decision date")
        other = cov.other_share
        if not _isna(other):
            parts.append(
                f"{fmt_pct(other)} of decided items ({fmt_count(cov.n_other)}) fall in the "
                "taxonomy's Other category"
            )
        _html(f'<p style="{_NOTE};font-size:13px;color:#1f2933">{esc("; ".join(parts))}.</p>')
        warnings = list(cov.warnings or [])
        checks = cov.reference_checks
        if self.where and checks is not None and not checks.empty:
            # Published figures describe every decided item of a year; a selection narrowed
            # by category, specialty or item is a different population, so its values are
            # shown but not tested against those bands (a Pharmaceuticals drilldown is not
            # "out of band" for being 100% pharmaceutical).
            checks = checks.assign(status="not comparable")
            warnings.append(
                f"The selection is narrowed ({self.filter_text()}): published DWC/CWCI figures "
                "describe all decided items, so they are not compared with it."
            )
        for warning in warnings:
            _html(f'<div style="{_WARN}">{esc(warning)}</div>')
        self._layout_year_table(cov.by_layout_year)
        self._reference_table(checks)
        parse_warnings = cov.parse_warnings
        if parse_warnings is not None and not parse_warnings.empty:
            _html(
                html_table(
                    _head_with_others(parse_warnings, "warning", "n_letters", 10),
                    [
                        Column("Parse warning", lambda r: esc(r.get("warning")), numeric=False),
                        Column("Letters", lambda r: fmt_count(r.get("n_letters"))),
                    ],
                    caption="Parse warnings in the selection's letters",
                )
            )
        else:
            self.note("No parse warnings in the selection's letters.")
        quarantined = cov.quarantined
        if quarantined is not None and not quarantined.empty:
            reason = "reason" if "reason" in quarantined.columns else quarantined.columns[0]
            cols = []
            if "stage" in quarantined.columns:
                cols.append(Column("Stage", lambda r: esc(r.get("stage")), numeric=False))
            cols += [
                Column("Reason", lambda r, c=reason: esc(r.get(c)), numeric=False),
                Column("Files", lambda r: fmt_count(r.get("n_files"))),
            ]
            _html(
                html_table(
                    _head_with_others(quarantined, reason, "n_files", 10),
                    cols,
                    caption="Files quarantined by the loader (whole database, not filtered)",
                )
            )
        else:
            self.note("No file was quarantined by the loader (whole database).")

    def _layout_year_table(self, df: pd.DataFrame | None) -> None:
        """Letters / items per layout (rows) and decision year (columns), with totals."""
        if df is None or df.empty:
            self.note("No letters in this selection.")
            return
        frame = df.copy()
        frame["__year"] = frame["decision_year"].map(
            lambda v: "undated" if _isna(v) else _label_value(v)
        )
        frame["__layout"] = frame["layout"].map(_label_value)
        years = sorted(y for y in frame["__year"].unique() if y != "undated")
        if (frame["__year"] == "undated").any():
            years.append("undated")
        cells = {
            (r["__layout"], r["__year"]): (r["n_letters"], r["n_items"])
            for _, r in frame.groupby(["__layout", "__year"], as_index=False)[
                ["n_letters", "n_items"]
            ]
            .sum()
            .iterrows()
        }
        layouts = list(
            frame.groupby("__layout")["n_letters"].sum().sort_values(ascending=False).index
        )
        rows = pd.DataFrame({"__layout": layouts + ["All layouts"]})

        def cell(layout: str, year: str | None) -> str:
            picked = [
                v
                for (lay, yr), v in cells.items()
                if (layout == "All layouts" or lay == layout) and (year is None or yr == year)
            ]
            if not picked:
                return DASH
            return f"{sum(p[0] for p in picked):,} / {sum(p[1] for p in picked):,}"

        cols = [Column("Layout", lambda r: esc(r["__layout"]), numeric=False)]
        cols += [Column(y, lambda r, y=y: cell(r["__layout"], y)) for y in years]
        cols.append(Column("Total", lambda r: cell(r["__layout"], None)))
        _html(
            html_table(
                rows,
                cols,
                caption="Letters / decided items by letter layout and decision year",
                note="Layouts are the letter formats DWC used over the years (see docs).",
            )
        )

    def _reference_table(self, df: pd.DataFrame | None) -> None:
        """The selection against the published DWC/CWCI reference bands."""
        if df is None or df.empty:
            return

        def ratio(r: Mapping[str, Any]) -> bool:
            return "per letter" in str(r.get("measure", ""))

        def value(r: Mapping[str, Any]) -> str:
            v = r.get("value")
            if _isna(v):
                return DASH
            text = fmt_num(v, 2) if ratio(r) else fmt_pct(v)
            return text if is_reliable(r) else text + DAGGER

        def interval(r: Mapping[str, Any]) -> str:
            lo, hi = r.get("ci_low"), r.get("ci_high")
            if _isna(lo) or _isna(hi):
                return DASH
            return f"{float(lo):.2f}{DASH}{float(hi):.2f}" if ratio(r) else _fmt_ci(r)

        def band(r: Mapping[str, Any]) -> str:
            lo, hi = r.get("band_low"), r.get("band_high")
            if _isna(lo) or _isna(hi):
                return DASH
            if ratio(r):
                return f"{float(lo):.2f}{DASH}{float(hi):.2f}"
            return fmt_interval(lo, hi)

        def status(r: Mapping[str, Any]) -> str:
            text = str(r.get("status") or "")
            color = _STATUS.get(text, "#52606d")
            return f'<span style="color:{color};font-weight:600">{esc(text)}</span>'

        cols = [
            Column(
                "Measure", lambda r: esc(r.get("measure")), numeric=False, style="min-width:9em"
            ),
            Column("This selection", value),
            Column("95% CI", interval),
            Column("Published band", band),
            Column("Status", status, numeric=False),
            Column("Source", lambda r: esc(r.get("source")), numeric=False, style="min-width:18em"),
        ]
        _html(
            html_table(
                df,
                cols,
                caption="Against published reference values (DWC annual reports, CWCI studies)",
                note=(
                    "In band: the published range and this selection's interval overlap. "
                    "Published figures describe whole years of the full corpus; a small or "
                    "short selection is marked not comparable rather than tested."
                    + (
                        f" {reliability_footnote()} A mean of items per letter is not "
                        "reliable under 30 letters."
                        if any_unreliable(df)
                        else ""
                    )
                ),
                row_style=lighter_if_unreliable,
            )
        )

    # -- email digest and footer ----------------------------------------------------------------

    def email_summary(
        self, headline: Sequence[tuple[str, str]], table_html: str, *, subject: str
    ) -> None:
        """Hand the mailer its digest (headline, one table); invisible in the HTML report.

        A headline value marked with the dagger (an unreliable rate or its interval) is never
        quoted in the digest: it reads "not reliable (see the report)" instead.
        """
        title = self.params.get("title") or self.name
        if self.synthetic_letters():
            subject = f"[synthetic demo data] {subject}"
        quoted = [
            (k, f"{NOT_RELIABLE} (see the report)" if DAGGER in v else v) for k, v in headline
        ]
        _display(
            {
                SUMMARY_MIME: {
                    "title": title,
                    "subject": subject,
                    "headline": [{"label": k, "value": v} for k, v in quoted],
                },
                "text/html": table_html,
                "text/plain": "(email summary)",
            }
        )

    def provenance(self) -> dict[str, Any]:
        """Where the numbers come from: database, counts, dates, versions, parameters, time."""
        from imr_analytics import __version__

        totals = self.volumes(None)
        months = self.volumes("month")
        first = last = None
        if not months.empty:
            shown = months.dropna(subset=["decision_month"])
            if not shown.empty:
                first = str(shown["decision_month"].iloc[0])
                last = str(shown["decision_month"].iloc[-1])
        letters = totals["n_letters"].iloc[0] if not totals.empty else 0
        items = totals["n_items"].iloc[0] if not totals.empty else 0
        versions = {}
        for key, sql in {
            "parser_versions": "SELECT DISTINCT parser_version FROM letters",
            "taxonomy_versions": "SELECT DISTINCT taxonomy_version FROM items",
        }.items():
            values = sorted(str(v[0]) for v in self.con.execute(sql).fetchall() if v[0] is not None)
            versions[key] = ", ".join(values) if values else "not recorded"
        requested = f"{self.date_from or 'first letter'} to {self.date_to or 'last letter'}"
        covered = f"{first} to {last}" if first else "no letters"
        return {
            "report": self.name,
            "title": self.params.get("title") or self.name,
            "db_path": str(self.db_path),
            "letters": None if _isna(letters) else int(letters),
            "items": None if _isna(items) else int(items),
            "date_range": f"decision dates {requested} (letters found {covered})",
            "filters": self.filter_text(),
            **versions,
            "params": {k: v for k, v in self.params.items()},
            "interval": self.method,
            "synthetic": self.synthetic_letters() > 0,
            "run_at": datetime.now().astimezone().isoformat(timespec="seconds"),
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "package_version": __version__,
            "python": platform.python_version(),
            "host_user": os.environ.get("USER", ""),
        }

    def show_provenance(self) -> None:
        """Display the footer (and its data for the runner); the last output of every report.

        Charts still being drawn by the worker are put in place first.
        """
        self._finish_charts()
        prov = self.provenance()
        letters = fmt_count(prov["letters"] or 0)
        items = fmt_count(prov["items"] or 0)
        params = "; ".join(f"{k} = {v!r}" for k, v in prov["params"].items())
        rows = [
            ("Database", prov["db_path"]),
            ("Counted", f"{letters} letters, {items} decided items"),
            ("Date range", prov["date_range"]),
            ("Selection", prov["filters"]),
            ("Parser version", prov["parser_versions"]),
            ("Taxonomy version", prov["taxonomy_versions"]),
            ("Parameters", params),
            (
                "Method",
                f"{prov['interval']} 95% intervals on the effective n, letters as clusters; "
                f"rates marked {DAGGER} not reliable (NCHS 2017); every count shown",
            ),
            (
                "Run",
                f"{prov['run_at']} (imr-analytics {prov['package_version']}, "
                f"Python {prov['python']})",
            ),
        ]
        body = "".join(
            f'<tr><th style="text-align:left;padding:2px 12px 2px 0;font-weight:600;'
            f'vertical-align:top;white-space:nowrap">{esc(k)}</th>'
            f'<td style="padding:2px 0;word-break:break-word">{esc(v)}</td></tr>'
            for k, v in rows
        )
        markup = (
            '<div class="imr-provenance" style="font-size:12px;color:#3e4c59">'
            '<div style="font-weight:700;margin-bottom:4px">Provenance</div>'
            f'<table style="border-collapse:collapse">{body}</table></div>'
        )
        _display(
            {
                PROVENANCE_MIME: prov,
                "text/html": markup,
                "text/plain": f"Provenance: {prov['db_path']}",
            }
        )

    def abandon(self) -> None:
        """Close without drawing the charts still queued: after Ctrl-C or a cell timeout the run
        must end now, and a slow or stuck chart would hold it."""
        self._pending_charts.clear()
        if self._chart_worker is not None:
            self._chart_worker.kill()
        self.close()

    def close(self) -> None:
        """Release the database file, and the chart worker once its charts are in place."""
        try:
            if self._chart_worker is not None:
                try:
                    self._finish_charts()
                finally:
                    self._chart_worker.close()
                    self._chart_worker = None
        finally:
            if self.con is not None:
                self.con.close()


def _chart_title(chart: Any) -> str | None:
    """The chart's own title text, for the image's alt text."""
    title = getattr(chart, "title", None)
    text = getattr(title, "text", title)
    if isinstance(text, str):
        return text
    if isinstance(text, Iterable) and not isinstance(text, Mapping):
        return " ".join(str(t) for t in text)
    return None
