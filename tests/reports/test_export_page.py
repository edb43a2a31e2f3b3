"""The page renderer (no nbconvert): what it shows of each kind of cell and output."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from imr_analytics.reports.export import check_self_contained, export_html, markdown_html


def _page(*cells: nbformat.NotebookNode) -> str:
    nb = new_notebook()
    nb.cells = list(cells)
    return export_html(nb, title="T & <t>")


def test_markdown_is_rendered_as_nbconvert_renders_it() -> None:
    html = markdown_html(
        "# Title & more\n\nSome *text*, <b>raw</b> HTML and a table:\n\n| a |\n|---|\n| 1 |"
    )
    assert '<h1 id="Title-&amp;-more">Title &amp; more<a class="anchor-link"' in html
    assert "<em>text</em>" in html and "<b>raw</b>" in html and "<td>1</td>" in html


def test_page_shows_markdown_stdout_html_and_text_and_hides_code_and_noise() -> None:
    code = new_code_cell("print('secret code')")
    code.outputs = [
        new_output("stream", name="stdout", text="hello <world>\n"),
        new_output("stream", name="stderr", text="a warning\n"),
        new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
        new_output("display_data", data={"text/markdown": "**bold**", "text/plain": "x"}),
        new_output("display_data", data={"text/html": "<p class='x'>it's html</p>"}),
        new_output("display_data", data={"text/plain": "plain <tag>"}),
        new_output("display_data", data={"application/javascript": "x()", "text/plain": "js"}),
    ]
    page = _page(new_markdown_cell("## Section"), code)
    assert not check_self_contained(page)
    assert "<title>T &amp; &lt;t&gt;</title>" in page
    assert '<section class="md">' in page and 'id="Section"' in page
    assert "<pre>hello &lt;world&gt;\n</pre>" in page
    assert "<strong>bold</strong>" in page
    assert "<p class='x'>it's html</p>" in page
    assert "<pre>plain &lt;tag&gt;</pre>" in page
    main = page[page.index("<main>") : page.index("</main>")]
    for hidden in ("secret code", "a warning", "42", ">js<"):
        assert hidden not in main, hidden


def test_a_code_cell_showing_nothing_leaves_no_box() -> None:
    quiet = new_code_cell("x = 1")
    quiet.outputs = [new_output("execute_result", data={"text/plain": "1"}, execution_count=1)]
    assert '<div class="out">' not in _page(quiet)
