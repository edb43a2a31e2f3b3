"""Executed notebook -> one self-contained, script-free HTML page.

nbconvert's stock ``lab``/``classic`` templates link require.js and MathJax from CDNs and render
charts through JavaScript; a report that is mailed, archived or opened behind a proxy must not
depend on either. So outputs are normalised here first (charts become data-URI ``<img>``,
structured bundles are lifted out), rendered with the package's own Jinja template
(``templates/index.html.j2``), and the result is checked: any ``<script``, external
``src``/``href`` or remote CSS import fails the export instead of shipping a report that
silently breaks offline.

The page is rendered here rather than through nbconvert: the report shows no code and only a
few kinds of output, and nbconvert's import and its HTML exporter's BeautifulSoup pass over the
finished page cost about 2 s of CPU per report for nothing this page uses. Markdown is
converted with mistune, the library (and the options) nbconvert uses.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

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

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"

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


def extract_report_data(nb: Mapping[str, Any]) -> ReportData:
    """Collect the provenance, email summary, tables and charts a notebook displayed, in order."""
    data = ReportData()
    for cell in nb["cells"]:
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


# What nbconvert's HTML exporter would pick from a bundle, first match wins; of these the page
# shows HTML, Markdown and plain text and nothing else (an interactive widget, JavaScript or a
# LaTeX-only output is left out, as the nbconvert template this replaces left it out).
_PRIORITY = (
    "application/vnd.jupyter.widget-view+json",
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/vnd.mermaid",
    "text/latex",
    "image/png",
    "image/jpeg",
    "text/plain",
)


def _pre(text: str) -> str:
    return f"<pre>{html.escape(text)}</pre>"


def _output_html(number: int, out: Any) -> str | None:
    """One output as page HTML, or None when the page does not show it.

    Charts (SVG or PNG) become data-URI images; HTML is shown as it is unless it carries a
    script; Markdown and plain text are rendered; stderr, the provenance footer and the email
    digest (its numbers are on the page already) are left out. An ``execute_result`` that is
    not a chart or HTML is not shown: report cells display what they mean to show.
    """
    kind = out.get("output_type")
    if kind == "stream":
        # stderr is warnings and progress noise, not report content
        return _pre(_text(out.get("text", ""))) if out.get("name") == "stdout" else None
    if kind not in {"display_data", "execute_result"}:
        return None
    bundle = out.get("data") or {}
    if PROVENANCE_MIME in bundle or SUMMARY_MIME in bundle:
        return None
    title = ((out.get("metadata") or {}).get(CHART_META_KEY) or {}).get("title", "")
    if "image/svg+xml" in bundle:
        svg = _text(bundle["image/svg+xml"])
        m = _SVG_SIZE.search(svg[:2000])
        b64 = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        return _img_html("image/svg+xml", b64, title, *(m.groups() if m else ("", "")))
    if "image/png" in bundle:
        return _img_html("image/png", _text(bundle["image/png"]).strip(), title)
    if "text/html" in bundle:
        markup = _text(bundle["text/html"])
        if _SCRIPT.search(markup):
            raise ReportExportError(
                f"cell {number} displays HTML with a <script> (an interactive chart or "
                "widget?); show charts with nbkit.show_chart() so they render as images"
            )
        return markup
    if kind != "display_data":
        return None
    mime = next((m for m in _PRIORITY if m in bundle), None)
    if mime == "text/markdown":
        return markdown_html(_text(bundle[mime]))
    if mime == "text/plain":
        return _pre(_text(bundle[mime]))
    return None


def _page_cells(nb: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """The cells as the template lays them out (code hidden), and the provenance footer HTML."""
    cells: list[dict[str, Any]] = []
    footer = ""
    for number, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") == "markdown":
            source = markdown_html(_text(cell.get("source", "")))
            cells.append({"kind": "markdown", "html": strip_files_prefix(source)})
            continue
        if cell.get("cell_type") != "code":
            continue
        parts = []
        for out in cell.get("outputs", []):
            bundle = out.get("data") or {}
            if PROVENANCE_MIME in bundle:
                footer = _text(bundle.get("text/html", ""))
            part = _output_html(number, out)
            if part is not None:
                parts.append(part)
        if parts:
            cells.append({"kind": "code", "parts": parts})
    return cells, footer


# -- Markdown ------------------------------------------------------------------------------------

_FILES_URL = re.compile(r'(src|href)\=([\'"]?)/?files/')
_MARKDOWN_FILES_URL = re.compile(r"(!?)\[(?P<caption>.*?)\]\(/?files/(?P<location>.*?)\)")


def strip_files_prefix(text: str) -> str:
    """Jupyter's ``files/`` URL prefix removed from links and images (as nbconvert does)."""
    text = _FILES_URL.sub(r"\1=\2", text)
    return _MARKDOWN_FILES_URL.sub(r"\1[\2](\3)", text)


_MARKDOWN: Any = None


def markdown_html(source: str) -> str:
    """Markdown to HTML the way nbconvert's ``markdown2html`` filter renders it.

    mistune with nbconvert's plugins, raw HTML passed through, and headings given an ``id``
    and a pilcrow anchor link. Code blocks are not syntax-highlighted (the page has no
    highlighting styles) and math is left as its TeX text (the page loads no MathJax).
    """
    global _MARKDOWN
    if _MARKDOWN is None:
        import mistune

        class _Renderer(mistune.HTMLRenderer):
            def heading(self, text: str, level: int, **attrs: Any) -> str:
                from urllib.parse import quote

                plain = html.unescape(re.sub(r"<[^>]*>", "", text))
                anchor = html.escape(
                    quote(plain.replace(" ", "-"), safe="?/:@!$&'()*+,;="), quote=True
                )
                return (
                    f'<h{level} id="{anchor}">{text}'
                    f'<a class="anchor-link" href="#{anchor}">\u00b6</a></h{level}>\n'
                )

        _MARKDOWN = mistune.create_markdown(
            escape=False,
            renderer=_Renderer(escape=False),
            plugins=["strikethrough", "table", "url", "task_lists", "def_list"],
        )
    return str(_MARKDOWN(source))


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


# Quote characters escaped in text (html.escape writes &#x27;, Jinja &#39; and &#34;): shown as
# the characters themselves, as nbconvert's BeautifulSoup pass used to leave them, so the page's
# text reads and searches the same as before. Attribute values (inside tags) are left alone.
_TEXT = re.compile(r">([^<]+)<")
_QUOTE_ENTITIES = re.compile(r"&#(?:x27|39|x22|34);|&quot;")
_QUOTES = {"&#x27;": "'", "&#39;": "'", "&#x22;": '"', "&#34;": '"', "&quot;": '"'}


def _plain_quotes(page: str) -> str:
    """``page`` with escaped quote characters in its text (not its attributes) unescaped."""

    def text(m: re.Match[str]) -> str:
        return ">" + _QUOTE_ENTITIES.sub(lambda q: _QUOTES[q.group(0)], m.group(1)) + "<"

    return _TEXT.sub(text, page)


_TEMPLATE: Any = None


def _template() -> Any:
    """The page template (``templates/index.html.j2``), loaded once per process."""
    global _TEMPLATE
    if _TEMPLATE is None:
        import jinja2

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)),
            autoescape=False,  # parts are HTML already; the template escapes its own text
            keep_trailing_newline=True,
        )
        _TEMPLATE = env.get_template("index.html.j2")
    return _TEMPLATE


def export_html(
    nb: Mapping[str, Any],
    *,
    title: str = "IMR report",
) -> str:
    """Render an executed notebook to a self-contained HTML page, code hidden.

    Raises :class:`ReportExportError` when the result would contain a script or a network
    reference; a report that fails loudly is better than one that is blank offline.
    """
    cells, footer = _page_cells(nb)
    page = _plain_quotes(
        _template().render(
            cells=cells,
            title=title,
            footer=footer,
            version=__version__,
        )
    )
    problems = check_self_contained(page)
    if problems:
        raise ReportExportError("exported HTML is not self-contained: " + "; ".join(problems[:3]))
    return page
