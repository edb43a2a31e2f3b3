"""The exported HTML: self-contained, script-free, static charts, hostile letter text escaped."""

from __future__ import annotations

import base64
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest

from imr_analytics.reports.errors import ReportExportError
from imr_analytics.reports.export import check_self_contained, export_html

pytestmark = pytest.mark.slow

# Minimum charts each run must contain (a section with no decided items draws none).
MIN_CHARTS = {
    "uphold_rates-default": 8,
    "uphold_rates-custom": 6,
    "item_drilldown-default": 4,
    "item_drilldown-custom": 2,
    "guideline_effects-default": 4,
    "guideline_effects-custom": 3,
}


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text of <style> blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.styles: list[str] = []
        self._style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._style = False if tag == "style" else self._style

    def handle_data(self, data: str) -> None:
        if self._style:
            self.styles.append(data)


def _parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def test_every_page_is_self_contained(all_html: dict[str, Path]) -> None:
    for key, path in all_html.items():
        html = path.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), key
        parsed = _parse(html)
        # CSS lives in <style> blocks and style attributes; the hostile letter text quotes
        # "@import url(http://evil)" as escaped, inert text, which a whole-page grep would flag.
        css = parsed.styles + [a.get("style", "") for _, a in parsed.tags]
        assert not any(re.search(r"@import|url\(\s*['\"]?(https?:)?//", c, re.I) for c in css)
        for tag, attrs in parsed.tags:
            for attr in ("src", "href", "srcset", "data", "poster", "action"):
                value = attrs.get(attr, "").strip().lower()
                assert not value.startswith(("http://", "https://", "//")), (key, tag, attr)
            assert not any(a.startswith("on") for a in attrs), (key, tag, attrs)
            assert tag not in {"link", "iframe", "object", "embed", "base"}, (key, tag)
        assert check_self_contained(html) == [], key


def test_pages_hide_code_and_have_static_charts(all_html: dict[str, Path]) -> None:
    for key, path in all_html.items():
        html = path.read_text(encoding="utf-8")
        assert "Report.open(" not in html and "from imr_analytics" not in html, key
        imgs = [a for t, a in _parse(html).tags if t == "img"]
        charts = [a for a in imgs if a.get("src", "").startswith("data:image/svg+xml;base64,")]
        assert len(charts) >= MIN_CHARTS[key], (key, len(charts))
        for attrs in charts:
            svg = base64.b64decode(attrs["src"].split(",", 1)[1]).decode("utf-8")
            assert svg.lstrip().startswith("<svg") and "<script" not in svg
            assert attrs.get("alt"), key


def test_tables_are_plain_html_with_inline_styles(all_html: dict[str, Path]) -> None:
    html = all_html["uphold_rates-default"].read_text(encoding="utf-8")
    tags = _parse(html).tags
    tables = [a for t, a in tags if t == "table"]
    assert len(tables) >= 15
    assert all("style" in a for a in tables)
    cells = [a for t, a in tags if t in {"td", "th"}]
    assert cells and all("style" in a for a in cells)
    assert "Uphold rate by treatment category" in html
    assert "Pharmaceuticals" in html


def test_breakdowns_required_by_the_anchors_are_present(all_html: dict[str, Path]) -> None:
    html = all_html["uphold_rates-default"].read_text(encoding="utf-8")
    for heading in (
        "Volume over time",
        "Uphold rate over time",
        "By treatment category",
        "Treatment category over time",
        "Drug class within pharmaceuticals",
        "Guideline sources",
        "Reviewer specialty and licensure",
        "Letters with several items",
        "Modified versus denied requests",
        "Timeliness",
        "Review priority, patient age and sex",
        "Claim age",
    ):
        assert f"<h2>{heading}</h2>" in html, heading
    for caption in (
        "Uphold rate by decision year",
        "Uphold rate: UR's source x reviewer's source",
        "Reviewer licensed in California?",
        "By UR action on the request",
        "By patient sex",
        "By review priority",
    ):
        assert caption in unescape(html), caption
    drill = all_html["item_drilldown-default"].read_text(encoding="utf-8")
    for heading in ("Over time", "By guideline", "MTUS chapters cited", "By reviewer specialty"):
        assert f"<h2>{heading}</h2>" in drill, heading


def test_hostile_letter_text_is_escaped(all_html: dict[str, Path], facts: Any) -> None:
    escaped_item = "&lt;script&gt;alert(1)&lt;/script&gt;"
    default = all_html["item_drilldown-default"].read_text(encoding="utf-8")
    custom = all_html["item_drilldown-custom"].read_text(encoding="utf-8")
    overview = all_html["uphold_rates-default"].read_text(encoding="utf-8")
    assert escaped_item in default and escaped_item in custom and escaped_item in overview
    # rationales only when include_text is true
    assert "Sample of reviewers" not in default and "onerror" not in default
    assert "Sample of reviewers" in custom
    assert "&lt;img src=x onerror=" in custom  # text (quotes may or may not be entities)
    assert "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;" in custom
    for html in (default, custom, overview):
        tags = _parse(html).tags
        assert not any(t == "img" and a.get("src") == "x" for t, a in tags)


def test_export_refuses_scripts_and_network_references() -> None:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/html": "<div>chart</div><script>vegaEmbed()</script>"},
        )
    ]
    nb.cells = [cell]
    with pytest.raises(ReportExportError, match="cell 1 displays HTML with a <script>"):
        export_html(nb)
    assert check_self_contained('<img src="https://cdn.example/x.png">')
    assert check_self_contained('<link rel="stylesheet" href="//cdn.example/x.css">')
    assert check_self_contained("<style>@import url(http://x/y.css);</style>")
    assert check_self_contained('<div onclick="x()">a</div>')
    assert check_self_contained('<a href="javascript:alert(1)">a</a>')
    # letter text that merely mentions such things is fine once escaped
    assert not check_self_contained("<p>src=http://evil &lt;script&gt; @import url(http://x)</p>")
    assert not check_self_contained('<img src="data:image/png;base64,AAAA" alt="ok">')


def test_no_page_hides_a_count_or_says_suppressed(all_html: dict[str, Path]) -> None:
    for key, path in all_html.items():
        html = path.read_text(encoding="utf-8")
        assert "suppress" not in html.lower(), key
        assert "min_cell" not in html, key
        assert "Every count is shown" in html, key


def _h2s(html: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", html)


def test_coverage_is_the_first_section_after_the_headline(all_html: dict[str, Path]) -> None:
    for key, path in all_html.items():
        html = unescape(path.read_text(encoding="utf-8"))
        assert _h2s(html)[0] == "Coverage", (key, _h2s(html)[:3])
        headline = html.index('<div class="imr-headline"')
        coverage = html.index("<h2>Coverage</h2>")
        assert headline < coverage, key
        # nothing but notes and the email digest (not rendered) between them: no table, no chart
        between = html[headline:coverage]
        assert "<table" not in between and "<img" not in between, key
        section = html[coverage : html.index("<h2>", coverage + 5)]
        for needle in (
            "Letters / decided items by letter layout and decision year",
            "decision dates",
            "Other category",
            "Against published reference values",
            "parse warnings",
            "quarantined",
        ):
            assert needle.lower() in section.lower(), (key, needle)
        assert any(s in section for s in ("in band", "out of band", "not comparable")), key
    # a narrowed selection (the drilldown's Pharmaceuticals) is a different population from the
    # published figures': shown, never tested against their bands
    drill = unescape(all_html["item_drilldown-default"].read_text(encoding="utf-8"))
    section = drill[drill.index("<h2>Coverage</h2>") :]
    section = section[: section.index("<h2>", 10)]
    assert "are not compared with it" in section
    assert ">in band<" not in section and ">out of band<" not in section


def test_unreliable_rates_carry_a_dagger_a_lighter_row_and_the_rule(
    all_html: dict[str, Path],
) -> None:
    # the custom overview has a month trend over a few categories and specialties: thin cells
    html = all_html["uphold_rates-custom"].read_text(encoding="utf-8")
    rows = re.findall(r'<tr style="color:#829ab1">(.*?)</tr>', html)
    assert rows, "no row styled as unreliable"
    assert all("\u2020" in r for r in rows)
    assert "\u2020 Not reliable: " in unescape(html)
    assert "NCHS" in html and "30" in html


def test_guideline_effects_shows_models_tests_and_their_meaning(
    all_html: dict[str, Path],
) -> None:
    for key in ("guideline_effects-default", "guideline_effects-custom"):
        html = unescape(all_html[key].read_text(encoding="utf-8"))
        for heading in (
            "Coverage",
            "How to read the adjusted numbers",
            "The reviewer's guideline family",
            "The claims administrator's guideline family",
            "When the reviewer cites a different family than UR",
        ):
            assert f"<h2>{heading}</h2>" in html, (key, heading)
        assert "associations, not causes" in html
        assert "Joint Wald test" in html and "p (Holm)" in html and "Odds ratio (95% CI)" in html
        assert "items in" in html and "letters" in html  # the model's n
        assert "(reference)" in html
    custom = unescape(all_html["guideline_effects-custom"].read_text(encoding="utf-8"))
    assert "adjusted for treatment category" in custom
    assert "Guidelines &lt;em&gt;draft&lt;/em&gt;" in all_html[
        "guideline_effects-custom"
    ].read_text(encoding="utf-8")
