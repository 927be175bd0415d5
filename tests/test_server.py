"""A real Oxigraph server on 127.0.0.1: idempotent pushes, faults, the HTTP API, serve."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import free_port
from fastapi.testclient import TestClient

from sensekg.graph.api import create_app
from sensekg.graph.cli import main
from sensekg.graph.remote import Endpoint, RemoteStore
from sensekg.graph.serve import start_oxigraph


@pytest.fixture(scope="module")
def served(built, module_tmp):
    """A writable Oxigraph server on a copy of the build's own store (the default graph is the
    union), as ``sensekg serve`` runs it. Pushing a build to a server is tested in
    test_push_faults.py, whose module pushes the whole build once."""
    store = module_tmp("served") / "store"
    shutil.copytree(built[1] / "store", store)
    port = free_port()
    process = start_oxigraph(store, "127.0.0.1", port, True, 10)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def remote_counts(server: str) -> dict[str, int]:
    store = RemoteStore(Endpoint(f"{server}/query"))
    return {s["g"].value: int(s["n"].value)
            for s in store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}


def test_pushing_twice_doubles_nothing(built, tmp_path):
    """Two named graphs (the prospectus's and the ontology) pushed twice to a server of their own:
    every PUT replaces, so the counts after the second push are those after the first. (The whole
    build is pushed once, in test_push_faults.py; twice would cost a minute and a half.)"""
    from sensekg.graph.remote import push

    keep = {"https://w3id.org/sensekg/report/prospectus-2021-business", "https://w3id.org/sensekg/ontology"}
    quads = [q for q in built[0].quads if getattr(q.graph_name, "value", None) in keep]
    port = free_port()
    process = start_oxigraph(tmp_path / "store", "127.0.0.1", port, True, 10)
    try:
        url = f"http://127.0.0.1:{port}"
        first = push(quads, Endpoint(f"{url}/store"), Endpoint(f"{url}/query"))
        before = remote_counts(url)
        second = push(quads, Endpoint(f"{url}/store"), Endpoint(f"{url}/query"))
        assert remote_counts(url) == before and second == first
        assert set(first) == keep and all(local == remote > 0 for local, remote in first.values())
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pushing_to_a_stopped_server_is_a_clear_error(runner, built, tmp_path):
    from test_cli import digest

    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    before = digest(out)
    url = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(main, ["push", url, "--graph", str(out), "--timeout", "2"])
    assert result.exit_code == 2
    assert url in result.output and "Traceback" not in result.output
    assert digest(out) == before


@pytest.fixture(scope="module")
def api(served):
    return TestClient(create_app(f"{served}/query", timeout=10))


def test_api_lists_and_runs_saved_queries(api):
    listed = api.get("/api/queries").json()
    assert {"certifications", "board"} <= {q["name"] for q in listed}
    answer = api.get("/api/queries/certifications", params={"entity": "SenseAuto"})
    assert answer.status_code == 200
    assert any(row["standard"] == "TISAX" and row["level"] == "AL3" for row in answer.json()["rows"])
    as_csv = api.get("/api/queries/certifications", params={"entity": "SenseAuto", "format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv") and "TISAX" in as_csv.text


def test_api_openapi_names_every_parameter(api):
    spec = api.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"]["/api/queries/certification-holders"]["get"]["parameters"]}
    assert "standard" in params


@pytest.mark.parametrize("value", ['x" } ; DROP ALL #', "}}}", "INSERT DATA { <a> <b> <c> }", "a\nb", "é" * 5000])
def test_api_parameters_cannot_change_the_query(api, served, value):
    before = remote_counts(served)
    answer = api.get("/api/queries/search", params={"text": value})
    assert answer.status_code == 200 and answer.json()["rows"] == []
    assert api.get("/api/queries/certifications", params={"entity": value}).status_code == 400
    assert remote_counts(served) == before


def test_api_missing_parameter_and_unknown_query(api):
    assert api.get("/api/queries/certification-holders").status_code == 422
    assert api.get("/api/queries/nope").status_code == 404


def test_serve_refuses_a_build_without_store(runner, tmp_path):
    (tmp_path / "sensekg.trig").write_text("", encoding="utf-8")
    result = runner.invoke(main, ["serve", "--graph", str(tmp_path), "--port", str(free_port())])
    assert result.exit_code == 2 and "no store" in result.output


def test_oxigraph_server_binary_is_installed():
    from sensekg.graph.serve import oxigraph_binary

    assert subprocess.run([oxigraph_binary(), "--version"], capture_output=True).returncode == 0


def test_a_query_past_the_timeout_is_stopped_with_an_error(built):
    from sensekg.loaders.errors import QueryTimeout

    port = free_port()
    process = start_oxigraph(built[1] / "store", "127.0.0.1", port, False, 1)
    try:
        app = TestClient(create_app(f"http://127.0.0.1:{port}/query", timeout=1))
        with pytest.raises(QueryTimeout, match="timed out"):
            RemoteStore(Endpoint(f"http://127.0.0.1:{port}/query", tries=1)).query(
                "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }")
        assert app.get("/api/queries/entity-list").status_code == 200  # and the server still answers
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_listens_on_loopback_and_stops_cleanly_on_ctrl_c(built, tmp_path):
    import os
    import signal
    import time
    import urllib.request

    port = free_port()
    process = subprocess.Popen([str(__import__("pathlib").Path(__import__("sys").executable).with_name("sensekg")),
                                "serve", "--graph", str(built[1]), "--port", str(port),
                                "--log", str(tmp_path / "serve.log")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        first = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/query" in first
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        os.kill(process.pid, signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "Stopped." in process.stdout.read()
        with pytest.raises(OSError):  # the Oxigraph server went with it
            urllib.request.urlopen(f"http://127.0.0.1:{port}/query?query=ASK%7B%7D", timeout=2)
    finally:
        if process.poll() is None:
            process.kill()
