"""Subgraph drawings on the real graph, and the interactive page in a real headless browser."""

from __future__ import annotations

import os
import re
import shutil
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from sensekg.graph import viz
from sensekg.graph.cli import main

ID = "https://w3id.org/sensekg/id/"


def test_senseauto_neighbourhood_keeps_entities_and_draws_qualified_facts_as_edges(store):
    sub = viz.neighbourhood(store, ID + "senseauto", depth=1)
    graph = sub.graph
    labels = {a["label"] for _, a in graph.nodes(data=True)}
    assert {"SenseAuto", "SenseAuto Pilot", "TISAX", "ISO/SAE 21434"} <= labels
    assert not any(n.startswith("https://w3id.org/sensekg/evidence/") for n in graph)
    assert not any(a["type"] in ("Certification", "Observation") for _, a in graph.nodes(data=True))
    edges = [a for s, o, a in graph.edges(data=True) if o == ID + "tisax"]
    assert any(e["label"] == "certified: TISAX AL3 (2023)" and "sustainability-report-2024:811" in e["evidence"]
               for e in edges)
    assert graph.nodes[ID + "senseauto"].get("aliases") is None or isinstance(graph.nodes[ID + "senseauto"]["aliases"], str)


def test_max_nodes_keeps_the_nearest_and_says_how_many_it_dropped(store):
    sub = viz.neighbourhood(store, ID + "senseauto", depth=2, max_nodes=30)
    assert sub.graph.number_of_nodes() == 30 and sub.dropped > 0
    assert ID + "senseauto" in sub.graph
    assert all(a["depth"] <= 1 for _, a in sub.graph.nodes(data=True)) or sub.dropped


def test_type_and_report_filters(store):
    products = viz.neighbourhood(store, ID + "senseauto", types={"Product"}).graph
    assert {a["type"] for n, a in products.nodes(data=True) if n != ID + "senseauto"} == {"Product"}
    prospectus = viz.neighbourhood(store, ID + "senseauto", report="prospectus-2021-business").graph
    assert "Kaiwu" not in {a["label"] for _, a in prospectus.nodes(data=True)}


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_exchange_formats_read_back(runner, built, tmp_path, fmt):
    target = tmp_path / f"senseauto.{fmt}"
    result = runner.invoke(main, ["viz", "SenseAuto", "--graph", str(built[1]), "-o", str(target)])
    assert result.exit_code == 0, result.output
    graph = nx.read_graphml(target) if fmt == "graphml" else nx.read_gexf(target)
    assert any(a.get("label") == "SenseAuto Pilot" for _, a in graph.nodes(data=True))


@pytest.mark.parametrize(("name", "options"), [("senseauto.svg", []), ("senseauto.png", ["--format", "svg"])])
def test_svg_has_a_legend_and_labels(runner, built, tmp_path, name, options):
    """``--format`` says the format whatever the file's suffix (it used to follow the suffix)."""
    target = tmp_path / name
    result = runner.invoke(main, ["viz", "SenseAuto", "--graph", str(built[1]), "-o", str(target), *options])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    ET.fromstring(text)  # well-formed
    assert "SenseAuto Pilot" in text and "Product" in text and "Standard" in text


def test_a_saved_query_result_can_be_drawn(runner, built, tmp_path):
    target = tmp_path / "certs.graphml"
    result = runner.invoke(main, ["viz", "--query", "certifications", "--param", "entity=SenseCore",
                                  "--graph", str(built[1]), "-o", str(target)])
    assert result.exit_code == 0, result.output
    labels = {a.get("label") for _, a in nx.read_graphml(target).nodes(data=True)}
    assert {"SenseCore", "ISO/IEC 27017"} <= labels


def test_central_hubs(runner, built):
    result = runner.invoke(main, ["stats", "--central", "--graph", str(built[1])])
    assert result.exit_code == 0
    assert "most central products" in result.output and "SenseNova" in result.output


def test_page_is_self_contained(runner, built, tmp_path):
    target = tmp_path / "sensecore.html"
    assert runner.invoke(main, ["viz", "SenseCore", "--graph", str(built[1]), "-o", str(target)]).exit_code == 0
    page = target.read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page and "vis.Network" in page
    assert "http://" not in page.split("<script>", 1)[0]


# --- a real browser, with the network blocked ---

def _browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver must be installed in CI (.ci/run installs them)")
        pytest.skip("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1400,900",
                 "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


def test_interactive_page_in_headless_chromium(runner, built, tmp_path):
    import json

    from matplotlib import image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    target = tmp_path / "sensecore.html"
    assert runner.invoke(main, ["viz", "SenseCore", "--graph", str(built[1]), "-o", str(target)]).exit_code == 0
    browser = _browser()
    try:
        browser.get(target.as_uri())
        wait = WebDriverWait(browser, 30)
        wait.until(lambda b: b.execute_script("return !!window.sensekg"))
        rendered = browser.execute_script("return window.sensekg.network.body.nodeIndices.length")
        assert rendered >= 10
        labels = browser.execute_script("return window.sensekg.nodes.get().map(n => n.label)")
        assert "SenseCore" in labels and "Shanghai Lingang AIDC" in labels
        # the search box finds SenseNova
        box = browser.find_element(By.ID, "search")
        box.send_keys("SenseNova")
        wait.until(lambda b: b.execute_script("return window.sensekg.network.getSelectedNodes().length") == 1)
        selected = browser.execute_script("return window.sensekg.network.getSelectedNodes()[0]")
        assert selected.startswith(ID + "sensenova")
        # a real click on a node shows its evidence
        browser.execute_script("window.sensekg.network.fit(); window.sensekg.network.unselectAll();"
                               "document.getElementById('details').textContent = '';")
        point = browser.execute_script(
            "const id = 'https://w3id.org/sensekg/id/lingang-aidc';"
            "const p = window.sensekg.network.getPositions([id])[id];"
            "return window.sensekg.network.canvasToDOM(p);")
        canvas = browser.find_element(By.CSS_SELECTOR, "#graph canvas")
        size = canvas.size
        ActionChains(browser).move_to_element_with_offset(
            canvas, int(point["x"] - size["width"] / 2), int(point["y"] - size["height"] / 2)).click().perform()
        wait.until(lambda b: "Shanghai Lingang AIDC" in b.execute_script("return window.sensekg.details()"))
        details = browser.execute_script("return window.sensekg.details()")
        assert re.search(r"(prospectus-2021-business|sustainability-report-2024|annual-results-2024):\d+: \w", details)
        # no request left the page
        requests = [json.loads(entry["message"])["message"] for entry in browser.get_log("performance")]
        urls = [m["params"]["request"]["url"] for m in requests if m.get("method") == "Network.requestWillBeSent"]
        assert all(url.startswith(("file://", "data:")) for url in urls), urls
        assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
        # and the screenshot is not blank
        shot = tmp_path / "page.png"
        browser.save_screenshot(str(shot))
        pixels = image.imread(str(shot))
        assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[-1])[::97]}) > 20
    finally:
        browser.quit()


def test_page_with_hundreds_of_nodes_renders_and_answers(runner, built, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    target = tmp_path / "big.html"
    # the whole connected neighbourhood of the group is a little under 500 entities
    result = runner.invoke(main, ["viz", "SenseTime", "--depth", "3", "--max-nodes", "450", "--graph", str(built[1]),
                                  "-o", str(target)])
    assert result.exit_code == 0 and "450 nodes" in result.output, result.output
    browser = _browser()
    try:
        browser.get(target.as_uri())
        wait = WebDriverWait(browser, 60)
        wait.until(lambda b: b.execute_script("return !!window.sensekg"))
        assert browser.execute_script("return window.sensekg.network.body.nodeIndices.length") == 450
        browser.find_element(By.ID, "search").send_keys("Xinzhou")
        wait.until(lambda b: "Xinzhou" in b.execute_script("return window.sensekg.details()"))
    finally:
        browser.quit()


# --- hubs: drawn, not expanded unless asked ---

@pytest.fixture(scope="module")
def senseauto_depth_2(store):
    """SenseAuto two hops out, as drawn by default and with every hub expanded."""
    default = viz.neighbourhood(store, ID + "senseauto", depth=2, max_nodes=5000)
    expanded = viz.neighbourhood(store, ID + "senseauto", depth=2, max_nodes=5000, expand=True)
    return default, expanded


def test_the_group_is_the_hub_and_products_are_not(store):
    hubs = viz.hub_degrees(store)
    assert ID + "sensetime" in hubs and hubs[ID + "sensetime"] > 200
    assert not {ID + slug for slug in ("senseauto", "sensecore", "sensenova", "iso")} & set(hubs)


def test_a_hub_is_drawn_but_its_other_links_are_not_followed(store, senseauto_depth_2):
    default, expanded = senseauto_depth_2
    graph, group = default.graph, ID + "sensetime"
    assert graph.number_of_nodes() < 100 and default.dropped == 0  # was about 360, a hairball
    assert expanded.graph.number_of_nodes() > 3 * graph.number_of_nodes()
    assert group in graph and (graph.has_edge(ID + "senseauto", group) or graph.has_edge(group, ID + "senseauto"))
    assert default.held == {group: viz.hub_degrees(store)[group]} and not expanded.held
    # the group's partners that have nothing to do with SenseAuto: the share registrar, a bank
    unrelated = {ID + "computershare-hong-kong-investor-services", ID + "china-merchants-bank"}
    assert unrelated <= set(expanded.graph) and not unrelated & set(graph)
    links = viz.entity_links(store)
    assert len(set(links[group]) - set(graph)) > 200
    # naming the hub expands it as --expand-hubs does
    named = viz.neighbourhood(store, ID + "senseauto", depth=2, max_nodes=5000, expand={group})
    assert set(named.graph) == set(expanded.graph) and not named.held


def test_other_entities_stay_readable(store):
    # the group itself is the focus, so it is expanded: its ~320 neighbours are cut to --max-nodes
    group = viz.neighbourhood(store, ID + "sensetime", depth=1)
    assert group.graph.number_of_nodes() <= 150 and group.dropped > 0 and not group.held
    product = viz.neighbourhood(store, ID + "sensecore", depth=2)
    assert product.graph.number_of_nodes() < 100 and product.dropped == 0
    assert set(product.held) == {ID + "sensetime"} and ID + "sensetime" in product.graph


def test_the_picture_says_which_hubs_it_did_not_expand(runner, built, tmp_path):
    target = tmp_path / "senseauto.graphml"
    result = runner.invoke(main, ["viz", "SenseAuto", "--depth", "2", "--graph", str(built[1]), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "hubs not expanded: SenseTime Group Inc." in result.output and "--expand-hubs" in result.output
    drawn = nx.read_graphml(target)
    assert drawn.number_of_nodes() < 100 and "sensetime" in drawn.graph["note"]
    assert "--expand-hubs" in drawn.graph["note"] and "--expand id:sensetime" in drawn.graph["note"]
    page = tmp_path / "all.html"
    result = runner.invoke(main, ["viz", "SenseAuto", "--depth", "2", "--expand", "id:sensetime", "--max-nodes", "1000",
                                  "--graph", str(built[1]), "-o", str(page)])
    assert result.exit_code == 0, result.output
    assert int(re.search(r": (\d+) nodes", result.output).group(1)) > 300 and "hubs not expanded" not in result.output


# --- parameters a picture cannot use are refused, not dropped ---

@pytest.mark.parametrize(("args", "says"), [
    (["--query", "certifications", "--param", "entitySenseAuto"], "expected NAME=VALUE"),
    (["SenseAuto", "--param", "entity=SenseAuto"], "parameters are for --query NAME"),
    (["SenseAuto", "--param", "entitySenseAuto"], "expected NAME=VALUE"),
    (["--query", "certifications", "--param", "entity=SenseCore", "--depth", "2"], "--depth: only for an ENTITY"),
    (["--query", "certifications", "--param", "entity=SenseCore", "--expand-hubs"], "--expand-hubs: only for an ENTITY"),
])
def test_a_parameter_that_cannot_be_used_is_refused(runner, built, tmp_path, args, says):
    target = tmp_path / "x.html"
    result = runner.invoke(main, ["viz", *args, "--graph", str(built[1]), "-o", str(target)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sensekg: error:") and says in lines[0], result.output
    assert not target.exists()
