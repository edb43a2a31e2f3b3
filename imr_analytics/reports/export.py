"""Executed notebook -> one self-contained, script-free HTML page.

nbconvert's stock ``lab``/``classic`` templates link require.js and MathJax from CDNs and render
charts through JavaScript; a report that is mailed, archived or opened behind a proxy must not
depend on either. So outputs are normalised here first (charts become data-URI ``<img>``,
structured bundles are lifted out), rendered with the template in ``templates/``, and the result
is checked: any ``<script``, external ``src``/``href`` or remote CSS import fails the export
instead of shipping a report that silently breaks offline.
"""

from __future__ import annotations

import base64
import copy
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat

from imr_analytics import __version__
from imr_analytics.reports.bundles import (
    CHART_META_KEY,
    PROVENANCE_MIME,
    SUMMARY_MIME,
    TABLE_MIME,
)
from imr_analytics.reports.errors import ReportExportError

__all__ = [
    "ReportData",
    "ReportExportError",
    "check_self_contained",
    "export_html",
    "extract_report_data",
]

TEMPLATE_BASEDIR = Path(__file__).resolve().parent
TEMPLATE_NAME = "templates"  # the directory imr_analytics/reports/templates/

_DROP_MIMES = {
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
}
_SVG_SIZE = re.compile(r"<svg\b[^>]*?\bwidth=\"([\d.]+)[^\"]*\"[^>]*?\bheight=\"([\d.]+)", re.S)

_SCRIPT = re.compile(r"<\s*script", re.I)
_URL_ATTRS = {"src", "href", "srcset", "poster", "action", "data", "xlink:href", "background"}
_REMOTE_URL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//|^\s*javascript:", re.I)
_CSS_REMOTE = re.compile(r"@import|url\(\s*[\"']?\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


@dataclass
class ReportData:
    """Structured values a notebook displayed for the runner (not for readers)."""

    provenance: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)  # with "html": the digest's table
    charts: list[dict[str, Any]] = field(default_factory=list)
    tables: list[dict[str, str]] = field(default_factory=list)  # name, caption, csv; in order


def _text(value: Any) -> str:
    """nbformat stores multi-line strings either joined or as a list of lines."""
    return "".join(value) if isinstance(value, list) else str(value)


def extract_report_data(nb: nbformat.NotebookNode) -> ReportData:
    """Collect the provenance, email summary, tables and charts a notebook displayed, in order."""
    data = ReportData()
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            bundle = out.get("data") or {}
            if PROVENANCE_MIME in bundle:
                data.provenance = dict(bundle[PROVENANCE_MIME])
            if SUMMARY_MIME in bundle:
                data.summary = dict(bundle[SUMMARY_MIME])
                table = _text(bundle.get("text/html", ""))
                if table:
                    data.summary["html"] = table
            if TABLE_MIME in bundle:
                table = bundle[TABLE_MIME]
                data.tables.append({k: str(table.get(k, "")) for k in ("name", "caption", "csv")})
            meta = (out.get("metadata") or {}).get(CHART_META_KEY)
            if meta is not None:
                chart = {"title": meta.get("title", ""), "email": bool(meta.get("email"))}
                if "image/svg+xml" in bundle:
                    chart["svg"] = _text(bundle["image/svg+xml"])
                if "image/png" in bundle:
                    chart["png"] = base64.b64decode(_text(bundle["image/png"]))
                data.charts.append(chart)
    return data


# Smallest scale a chart is shown at (12 px axis labels stay at least 9 px on a phone).
MIN_CHART_SCALE = 0.75


def _img_html(mime: str, payload_b64: str, title: str, width: str = "", height: str = "") -> str:
    """A chart as a data-URI image: decodes without scripts and isolates SVG ids per chart."""
    size = f' width="{width}" height="{height}"' if width and height else ""
    if width:
        # shrink with the page, but never below MIN_CHART_SCALE of the drawn size: past that
        # the chart scrolls sideways inside its own figure, and its text stays readable
        size += f' style="min-width:{round(float(width) * MIN_CHART_SCALE)}px"'
    alt = html.escape(title or "chart", quote=True)
    return (
        f'<figure class="imr-chart"><img src="data:{mime};base64,{payload_b64}" alt="{alt}"'
        f"{size}></figure>"
    )


def _normalise_outputs(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, str]:
    """A copy of ``nb`` whose outputs the template can render statically, and the footer HTML."""
    nb = copy.deepcopy(nb)
    footer = ""
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                if out.get("name") == "stdout":
                    kept.append(out)
                continue  # stderr is warnings and progress noise, not report content
            if kind not in {"display_data", "execute_result"}:
                continue
            bundle = out.get("data") or {}
            if PROVENANCE_MIME in bundle:
                footer = _text(bundle.get("text/html", ""))
                continue
            if SUMMARY_MIME in bundle:
                continue  # the email digest; its numbers are in the page already
            title = ((out.get("metadata") or {}).get(CHART_META_KEY) or {}).get("title", "")
            new_html = None
            if "image/svg+xml" in bundle:
                svg = _text(bundle["image/svg+xml"])
                m = _SVG_SIZE.search(svg[:2000])
                b64 = base64.b64encode(svg.encode("utf-8")).decode("ascii")
                new_html = _img_html("image/svg+xml", b64, title, *(m.groups() if m else ("", "")))
            elif "image/png" in bundle:
                new_html = _img_html("image/png", _text(bundle["image/png"]).strip(), title)
            elif "text/html" in bundle:
                new_html = _text(bundle["text/html"])
                if _SCRIPT.search(new_html):
                    raise ReportExportError(
                        f"cell {number} displays HTML with a <script> (an interactive chart or "
                        "widget?); show charts with nbkit.show_chart() so they render as images"
                    )
            elif "text/markdown" in bundle or "text/plain" in bundle:
                kept.append(out)
                continue
            elif set(bundle) <= _DROP_MIMES:
                continue
            if new_html is None:
                continue
            kept.append(
                nbformat.v4.new_output("display_data", data={"text/html": new_html}, metadata={})
            )
        cell["outputs"] = kept
    return nb, footer


class _Audit(HTMLParser):
    """Walks the markup (not the text) for anything that runs code or fetches from a network.

    Parsing instead of grepping matters: a letter quoting ``src=http://...`` is escaped text and
    harmless, while a real ``<img src="//cdn...">`` is not.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.problems.append("a <script> element")
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"an event handler attribute {name!r} on <{tag}>")
            elif name in _URL_ATTRS and any(_REMOTE_URL.search(part) for part in value.split(",")):
                self.problems.append(f"<{tag} {name}={value[:80]!r}> loads from outside the file")
            elif name == "style" and _CSS_REMOTE.search(value):
                self.problems.append(f"<{tag} style> fetches remote CSS")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _CSS_REMOTE.search(data):
            self.problems.append("a <style> block imports remote CSS")


def check_self_contained(page: str) -> list[str]:
    """Reasons a page would run scripts or reach the network; empty when it is self-contained."""
    audit = _Audit()
    audit.feed(page)
    audit.close()
    problems = list(dict.fromkeys(audit.problems))
    if _SCRIPT.search(page) and not any("script" in p for p in problems):
        problems.append("the text '<script' (unescaped)")
    return problems


def export_html(
    nb: nbformat.NotebookNode,
    *,
    provenance: dict[str, Any] | None = None,
    title: str = "IMR report",
) -> str:
    """Render an executed notebook to a self-contained HTML page, code hidden.

    Raises :class:`ReportExportError` when the result would contain a script or a network
    reference; a report that fails loudly is better than one that is blank offline.
    """
    from nbconvert import HTMLExporter

    normalised, footer = _normalise_outputs(nb)
    exporter = HTMLExporter(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_BASEDIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    resources = {
        "imr_title": title,
        "imr_footer": footer,
        "imr_provenance": provenance or {},
        "imr_version": __version__,
    }
    page, _ = exporter.from_notebook_node(normalised, resources=resources)
    problems = check_self_contained(page)
    if problems:
        raise ReportExportError("exported HTML is not self-contained: " + "; ".join(problems[:3]))
    return page
