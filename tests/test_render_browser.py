"""The interactive page in a real browser: headless Chromium (Debian's ``chromium``),
driven by Playwright's Python client pointed at that browser (nothing is downloaded).

Checked on the lecture's neuron and on the README's big example: the page loads with no
console error and no network request; the stepper reaches the end and the grads it shows
are the Values' own; clicking a node shows its explanation; a folded stack expands; a
hostile label stays text and runs nothing; a screenshot is not blank.

Without the browser these tests skip with a message saying how to install it; CI runs them
with CHAINRULE_NO_SKIP=1, where a skip fails the run. Set CHAINRULE_UPDATE_DOCS=1 to
rewrite the committed screenshot of the page (docs/page.png).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_render_fold import big_example
from test_render_page import HOSTILE, neuron

import autograd
from autograd import Value, save

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM", "/usr/bin/chromium")
# The network is closed where CI runs: nothing may try to reach it.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
INSTALL = ("headless Chromium is needed: as root, `apt-get install chromium` (Debian's package, "
           "/usr/bin/chromium; or set CHAINRULE_CHROMIUM to its path), and `pip install -e "
           "\".[browser]\"` for Playwright's Python client (no `playwright install`: the "
           "installed browser is used)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(INSTALL)
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(INSTALL)
    profile = tempfile.mkdtemp(prefix="chainrule-chromium-")  # a new, empty profile
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": 1400, "height": 900})
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


class Visit:
    """One page open in the browser, with what it logged and asked for."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.url = path.resolve().as_uri()
        self.page.on("console", lambda m: m.type in ("error", "warning")
                     and self.errors.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("request", lambda r: r.url != self.url and self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(self.url)
        self.page.wait_for_function("window.chainrule && window.chainrule.view() === 0")

    def js(self, expression: str) -> Any:
        return self.page.evaluate(expression)

    def run_stepper(self) -> int:
        total = self.js("window.chainrule.steps()")
        self.page.click("#reset")
        for _ in range(total):
            self.page.keyboard.press("ArrowRight")
        assert self.js("window.chainrule.step()") == total
        return int(total)

    def shown_grads(self) -> dict[str, str]:
        """Unit name -> the full-precision grad the page shows for it (Values only)."""
        return dict(self.js(
            "Array.from(document.querySelectorAll('#graph g.node[data-grad]'))"
            ".filter(g => g.getAttribute('data-grad') !== '')"
            ".map(g => [g.getAttribute('data-unit'), g.getAttribute('data-grad')])"))

    def clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.requests == [], self.requests
        assert self.dialogs == [], self.dialogs

    def screenshot_is_not_blank(self) -> bytes:
        png = self.page.screenshot()
        from PIL import Image

        image = Image.open(io.BytesIO(png)).convert("L")
        histogram = image.histogram()
        dark = sum(histogram[:200])
        assert dark > 0.002 * image.width * image.height, "the page looks blank"
        return bytes(png)


def _page(tmp_path: Path, root: Value, name: str, **options: Any) -> Path:
    return save(root, tmp_path / name, **options)


def test_the_neuron_page_steps_to_the_values_grads(browser: Any, tmp_path: Path) -> None:
    v = neuron()
    visit = Visit(browser, _page(tmp_path, v["o"], "neuron.html"))
    visit.screenshot_is_not_blank()
    labels = dict(visit.js(
        "Array.from(document.querySelectorAll('#graph g.node')).map(g => "
        "[g.getAttribute('data-unit'), g.querySelector('text') ? "
        "g.querySelector('text').textContent : ''])"))
    visit.run_stepper()
    grads = visit.shown_grads()
    checked = 0
    for unit, label in labels.items():
        if label in v and unit in grads:
            assert float(grads[unit]) == v[label].grad, (label, grads[unit], v[label].grad)
            checked += 1
    assert checked == len(v)
    # every grad field reads as micrograd's picture does once the stepper is done
    texts = visit.js("Array.from(document.querySelectorAll('#graph text'))"
                     ".map(t => t.textContent)")
    assert "grad -1.5000" in texts and not any(t.endswith("\u00b7") for t in texts)
    # stepping back and forth is the same state
    visit.page.keyboard.press("ArrowLeft")
    assert visit.js("window.chainrule.step()") == visit.js("window.chainrule.steps()") - 1
    # clicking a node shows its explanation
    w1 = next(u for u, label in labels.items() if label == "w1")
    visit.page.click(f"#graph g.node[data-unit='{w1}']", force=True)
    panel = visit.js("document.getElementById('panel').textContent")
    assert "w1.grad = 1: w1 (#1, data -3) is used once" in panel
    assert "local derivative x upstream gradient" in panel
    # search by label
    visit.page.fill("#search", "x1")
    assert visit.js("document.querySelectorAll('#graph g.node.match').length") == 3
    visit.clean()


def test_the_big_example_page_folds_expands_and_steps(browser: Any, tmp_path: Path) -> None:
    loss = big_example()
    loss.label = "loss"
    visit = Visit(browser, _page(tmp_path, loss, "big.html"))
    visit.screenshot_is_not_blank()
    first = visit.js("document.querySelectorAll('#graph g.node').length")
    visit.run_stepper()
    grads = visit.shown_grads()
    root = autograd.render.NumberedGraph(loss)
    assert float(grads[f"n{len(root) - 1}"]) == loss.grad
    total = root.nodes[root.parents[-1][0]]  # the sum before * 0.01
    assert float(grads[f"n{len(root) - 2}"]) == total.grad
    # a folded stack expands (to its copy drawn in full, the parameters outside)
    visit.page.click("#graph g.cluster.stack text", force=True)
    visit.page.wait_for_function("window.chainrule.view() !== 0")
    opened = visit.js("document.querySelectorAll('#graph g.node').length")
    assert opened > first + 50
    assert "stack of 100 opened" in visit.js("document.getElementById('say').textContent")
    visit.page.click("#back")
    visit.page.wait_for_function("window.chainrule.view() === 0")
    # a collapsed module expands too
    visit.page.click("#graph g.node[data-unit='g0']", force=True)
    visit.page.wait_for_function("window.chainrule.view() !== 0")
    assert "expanded" in visit.js("document.getElementById('say').textContent")
    visit.clean()


def test_a_hostile_label_is_text_and_runs_nothing(browser: Any, tmp_path: Path) -> None:
    x = Value(1.5, label=HOSTILE)
    y = (x * 2).tanh()
    y.label = "y"
    y.backward()
    visit = Visit(browser, _page(tmp_path, y, "hostile.html"))
    visit.page.click("#graph g.node[data-unit='n0']", force=True)
    visit.page.fill("#search", "onerror")
    visit.page.hover("#graph g.node[data-unit='n0']", force=True)
    visit.run_stepper()
    assert visit.js("document.querySelectorAll('img, iframe, script:not([type])').length") == 2
    assert visit.js("document.getElementById('panel').querySelector('h2').textContent") == HOSTILE
    assert visit.js("document.querySelectorAll('#graph g.node.match').length") == 1
    texts = visit.js("Array.from(document.querySelectorAll('#graph text'))"
                     ".map(t => t.textContent)")
    assert any("<img src=x onerror=alert(1)>" in t for t in texts)
    visit.page.wait_for_timeout(200)
    visit.clean()  # no dialog, no error, no request


def test_the_committed_page_picture_is_current(browser: Any, tmp_path: Path) -> None:
    """docs/page.png is the README example's page as the browser shows it."""
    from PIL import Image, ImageChops

    loss = big_example()
    loss.label = "loss"
    visit = Visit(browser, _page(tmp_path, loss, "big.html"))
    root = len(autograd.render.NumberedGraph(loss)) - 1
    visit.page.click(f"#graph g.node[data-unit='n{root}']", force=True)
    # mid-way through the backward pass: an edge lit with local derivative x upstream
    visit.js("window.chainrule.goTo(window.chainrule.steps() - 5)")
    visit.page.mouse.move(5, 5)
    png = visit.screenshot_is_not_blank()
    target = ROOT / "docs" / "page.png"
    if os.environ.get("CHAINRULE_UPDATE_DOCS") == "1":
        target.write_bytes(png)
    now = Image.open(io.BytesIO(png)).convert("L")
    committed = Image.open(target).convert("L")
    assert now.size == committed.size
    diff = ImageChops.difference(now, committed)
    changed = sum(diff.histogram()[32:])
    assert changed < 0.02 * now.width * now.height, (
        f"{changed} pixels differ: rerun with CHAINRULE_UPDATE_DOCS=1 to update docs/page.png")
    visit.clean()
