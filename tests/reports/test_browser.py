"""Each exported report in headless Chromium, offline: no console errors, every chart drawn.

Skips only when /usr/bin/chromium is absent (a developer machine without it); CI installs it and
sets IMR_REQUIRE_BROWSER=1, which turns that skip into a failure. Screenshots go to
$IMR_SCREENSHOT_DIR when set (to look at them), else to the test's temp directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Every text box on the page (one per line of each text node, via Range.getClientRects) in
# page coordinates; returns the pairs of different text nodes whose boxes overlap by more than
# a pixel each way. Evaluated by playwright: the report itself has no scripts.
OVERLAPS_JS = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node, id = 0;
  while ((node = walker.nextNode())) {
    const text = node.textContent.trim();
    if (!text) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) {
      if (r.width < 1 || r.height < 1) continue;
      boxes.push({id, t: text.slice(0, 40), x: r.left + scrollX, y: r.top + scrollY,
                  w: r.width, h: r.height});
    }
    id++;
  }
  boxes.sort((a, b) => a.y - b.y);
  const hits = [];
  for (let i = 0; i < boxes.length; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length && boxes[j].y < a.y + a.h; j++) {
      const b = boxes[j];
      if (a.id === b.id) continue;
      const ox = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const oy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (ox > 1 && oy > 1) hits.push([a.t, b.t, Math.round(ox), Math.round(oy)]);
    }
  }
  return [boxes.length, hits.slice(0, 10)];
}"""

# The level (unrotated) text of an SVG chart, checked the same way: axis labels, titles and
# bar labels must not run into each other. Rotated labels are thinned by the chart builder
# (their axis-aligned boxes overlap by construction, so they are not compared here).
SVG_OVERLAPS_JS = """() => {
  const boxes = [], clipped = [];
  const frame = document.querySelector('svg').getBoundingClientRect();
  document.querySelectorAll('svg text').forEach((el, id) => {
    const tr = el.getAttribute('transform') || '';
    if (!el.textContent.trim()) return;
    if (getComputedStyle(el).opacity === '0' || el.closest('[opacity="0"]')) return;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return;
    const t = el.textContent.trim().slice(0, 40);
    // drawn in this browser's fonts: no label may run past the chart's edge
    if (r.left < frame.left - 1 || r.right > frame.right + 1) clipped.push(t);
    if (/rotate\\((?!0\\))/.test(tr)) return;
    boxes.push({id, t, x: r.left, y: r.top, w: r.width, h: r.height});
  });
  const hits = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    const ox = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
    const oy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    if (ox > 1 && oy > 1) hits.push([a.t, b.t, Math.round(ox), Math.round(oy)]);
  }
  return [boxes.length, hits.slice(0, 10), clipped.slice(0, 10)];
}"""


@pytest.fixture(scope="module")
def browser() -> Any:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not installed (apt-get install chromium) - browser test not run"
        if os.environ.get("IMR_REQUIRE_BROWSER"):
            pytest.fail(reason + ", but IMR_REQUIRE_BROWSER is set")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def test_reports_render_offline_in_chromium(
    browser: Any, all_html: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    shots = Path(os.environ.get("IMR_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    for name in ("uphold_rates", "item_drilldown", "guideline_effects"):
        assert {f"{name}-default", f"{name}-custom"} <= set(all_html), name
    for key, path in all_html.items():
        context = browser.new_context(
            offline=True, java_script_enabled=True, viewport={"width": 1280, "height": 900}
        )
        blocked: list[str] = []

        def guard(route: Any, blocked: list[str] = blocked) -> None:
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                blocked.append(url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        problems: list[str] = []
        page.on(
            "console",
            lambda m, p=problems: (
                p.append(f"console {m.type}: {m.text}") if m.type in {"error", "warning"} else None
            ),
        )
        page.on("pageerror", lambda e, p=problems: p.append(f"page error: {e}"))
        page.on("requestfailed", lambda r, p=problems: p.append(f"failed: {r.url}"))
        page.on("dialog", lambda d, p=problems: (p.append(f"dialog: {d.message}"), d.dismiss()))
        page.goto(path.resolve().as_uri(), wait_until="load")
        page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=15_000)
        images = page.evaluate(
            """Array.from(document.images).map(i => ({
                alt: i.alt, w: i.naturalWidth, h: i.naturalHeight, shown: i.width
            }))"""
        )
        svgs = page.evaluate(
            "Array.from(document.querySelectorAll('svg')).map(s => s.getBBox().width)"
        )
        scripts = page.evaluate("document.scripts.length")
        title = page.title()
        page.screenshot(path=str(shots / f"{key}.png"), full_page=True)
        n_wide, overlaps_wide = page.evaluate(OVERLAPS_JS)
        # on a phone-sized screen the page itself never scrolls sideways: wide tables scroll
        # inside their own box and charts shrink to the width
        page.set_viewport_size({"width": 420, "height": 900})
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        # a chart wider than the screen scrolls inside its figure (it is never shown below 75%)
        narrow_imgs = page.evaluate(
            "Array.from(document.querySelectorAll('figure.imr-chart'))"
            ".map(f => f.getBoundingClientRect().right)"
        )
        page.screenshot(path=str(shots / f"{key}-420.png"), full_page=True)
        n_narrow, overlaps_narrow = page.evaluate(OVERLAPS_JS)
        # charts shrink with the page but never below 75% (text stays >= 9 px); wider ones
        # scroll inside their own figure
        scales = page.evaluate(
            "Array.from(document.querySelectorAll('figure.imr-chart img'))"
            ".map(i => i.getBoundingClientRect().width / i.naturalWidth)"
        )
        svg_overlaps: list[Any] = []
        svg_clipped: list[str] = []
        for uri in page.evaluate(
            "Array.from(document.querySelectorAll('figure.imr-chart img')).map(i => i.src)"
        ):
            chart_page = context.new_page()
            chart_page.goto(uri)
            count, hits, clipped = chart_page.evaluate(SVG_OVERLAPS_JS)
            chart_page.close()
            assert count > 0, (key, "a chart without text")
            svg_overlaps += hits
            svg_clipped += clipped
        context.close()

        assert n_wide > 50 and n_narrow > 50, (key, n_wide, n_narrow)
        assert overlaps_wide == [], (key, 1280, overlaps_wide)
        assert overlaps_narrow == [], (key, 420, overlaps_narrow)
        assert svg_overlaps == [], (key, svg_overlaps)
        assert svg_clipped == [], (key, svg_clipped)
        assert all(scale >= 0.74 for scale in scales), (key, scales)

        assert widths[0] <= widths[1], (key, widths)
        assert all(right <= 420 for right in narrow_imgs), (key, max(narrow_imgs or [0]))

        assert problems == [], (key, problems)
        assert blocked == [], (key, blocked)
        assert scripts == 0, key
        assert images or svgs, f"{key}: no charts at all"
        for img in images:
            assert img["w"] > 0 and img["h"] > 0, (key, img)
            assert img["shown"] > 0, (key, img)
        assert all(w > 0 for w in svgs), key
        assert title, key
        assert (shots / f"{key}.png").stat().st_size > 20_000
