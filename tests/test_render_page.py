"""The interactive page, read as a document (no browser): self-contained, escaped, with a
policy that allows exactly its own script and styles, and a stepper whose numbers are the
Values' own. tests/test_render_browser.py drives it in Chromium."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from pathlib import Path

import pytest
from examples import lecture, neuron

import autograd
from autograd import Value, draw_dot, save, to_html
from autograd.render import Page
from autograd.render.page import _json

HOSTILE = "<img src=x onerror=alert(1)></script><script>alert(2)</script>"


def page_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="chainrule-data">(.*?)</script>',
                      page, re.S)
    assert found
    return json.loads(found.group(1))


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_page_is_self_contained_with_a_strict_policy() -> None:
    page = to_html(neuron()["o"])
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp
    policy = html.unescape(csp.group(1))
    assert policy.startswith("default-src 'none';") and "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy and "http" not in policy
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 2 and len(styles) == 1
    for text in scripts + styles:  # exactly these, by hash
        assert _sha(text) in policy
    # nothing is loaded from anywhere
    assert not re.search(r'\b(src|href)\s*=\s*["\']?(https?:|//)', page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "fetch(" not in scripts[1] and "XMLHttpRequest" not in scripts[1]


def test_labels_cannot_end_the_data_block_or_become_markup() -> None:
    x = Value(1.5, label=HOSTILE)
    y = (x * 2).tanh()
    y.label = "y"
    y.backward()
    page = to_html(y)
    assert page.count("</script>") == 3  # the data block and the two scripts, no more
    assert "<img" not in page and "<script>alert" not in page
    data = page_data(page)
    labels = [u["label"] for u in data["views"][0]["units"].values()]
    assert HOSTILE in labels  # kept as text, whole
    assert "\\u003c" in _json({"label": "<"}) and "<" not in _json({"label": "</script>"})


def test_the_stepper_replays_forward_then_backward_to_the_values_grads() -> None:
    v = neuron()
    data = page_data(to_html(v["o"]))
    view = data["views"][0]
    steps = view["steps"]
    units = view["units"]
    forward = [s for s in steps if s["say"].startswith("forward")]
    backward = [s for s in steps if s["say"].startswith("backward")]
    assert len(forward) == 10 and steps.index(forward[-1]) < steps.index(backward[0])
    # forward in topological order: every input before the node it feeds
    order = [s["node"] for s in forward]
    assert order.index("n0") < order.index("n2") and order[-1] == "n9"
    # backward: each edge says local derivative x upstream = contribution
    first = backward[1]
    assert "x  upstream grad" in first["say"] and first["mark"]
    # replaying the grads the steps set ends at the Values' grads
    shown: dict[str, str] = {}
    for step in steps:
        for change in step["set"]:
            if change[1] == "grad":
                shown[change[0]] = change[3] if len(change) > 3 else units[change[0]]["grad"]
    for name, unit in units.items():
        if unit["kind"] == "value":
            label = unit["label"]
            assert float(shown[name]) == v[label].grad, (label, shown[name])


def test_each_node_has_its_explanation_and_full_precision_numbers() -> None:
    v = neuron()
    units = page_data(to_html(v["o"]))["views"][0]["units"]
    w1 = next(u for u in units.values() if u["label"] == "w1")
    assert w1["data"] == repr(-3.0) and w1["grad"] == repr(v["w1"].grad)
    assert w1["explain"].startswith("w1.grad = 1: w1 (#1, data -3) is used once")
    assert any("data = -3.0" in line for line in w1["info"])


def test_save_html_interactive_and_notebook_frame(tmp_path: Path) -> None:
    o = neuron()["o"]
    path = save(o, tmp_path / "graph.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and page_data(text)["title"] == "o"
    page = draw_dot(o).interactive()
    assert isinstance(page, Page) and page.html == text
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in frame
    assert "<script>" not in frame  # the page is an escaped attribute value
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame).group(1)) == text
    assert save(draw_dot(o), tmp_path / "again.html").read_text(encoding="utf-8") == text
    assert page.save(tmp_path / "sub" / "p.html").exists()
    with pytest.raises(TypeError, match="Value"):
        to_html(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_views"):
        to_html(o, max_views=0)


def test_a_folded_stack_and_modules_expand_to_precomputed_drawings() -> None:
    import nn

    model = nn.MLP(2, [4, 4, 1], seed=0)
    xs = [[0.1 * i, -0.2 * i] for i in range(40)]
    loss = autograd.sum([(model(x) - 1.0) ** 2 for x in xs]) * 0.01
    loss.label = "loss"
    loss.backward()
    # Folded without collapsing: drawing every copy is over budget, so the stack says so.
    [alone] = page_data(to_html(loss, max_nodes=300))["views"][0]["clusters"].values()
    assert alone["expand"] == -1
    data = page_data(to_html(loss, collapse=1, fold=True))
    views = data["views"]
    first = views[0]
    [stack] = first["clusters"].values()
    assert stack["label"] == "x 40 samples" and stack["expand"] > 0
    opened = views[stack["expand"]]
    assert opened["name"] == "stack of 40 opened"
    assert len(opened["units"]) > len(first["units"])
    groups = [u for u in first["units"].values() if u["kind"] == "group"]
    assert groups and all(u["expand"] != 0 for u in groups)
    assert any(views[u["expand"]]["name"].endswith("expanded") for u in groups
               if u["expand"] > 0)
    # the loss at the end of the stepper is the loss's own grad
    last = first["steps"][-1]
    assert last["say"].startswith("done")


def test_the_lecture_expression_page() -> None:
    L = lecture()["L"]
    data = page_data(to_html(L, title="the lecture's L"))
    assert data["title"] == "the lecture's L"
    assert len(data["views"]) == 1 and data["views"][0]["svg"].startswith("<svg")
