"""Shared fixtures: the real graph, built once per test session from the real reports."""

from __future__ import annotations

import gc
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from sensekg.graph.build import BuildResult, build_dataset, write_outputs
from sensekg.graph.heap import paused_gc
from sensekg.graph.rdfio import rdflib_graph
from sensekg.loaders.datafiles import data_dir
from sensekg.loaders.reports import locate_reports

NEEDS_DISK = 3.5 * 2**30  # measured: the suite's temporary folders peak at 1.8 to 2.4 GiB on three workers


def pytest_report_header(config) -> str:
    """The free space where the tests write, named up front: a full disk fails a hundred tests at
    once with errors that do not say so."""
    import tempfile

    folder = tempfile.gettempdir()
    free = shutil.disk_usage(folder).free
    header = f"temporary folders in {folder}: {free / 2**30:.1f} GiB free"
    if free < NEEDS_DISK:
        header += f"; WARNING: the tests need about {NEEDS_DISK / 2**30:.1f} GiB there"
    return header


# The test files that take longest, slowest first (their sums of --durations=0 on three workers,
# 2026-12-04: test_memo 167 s down to test_table_reader 34 s). They are handed out first, so that
# no long file starts last while the other workers stand idle; pyproject.toml passes
# --no-loadscope-reorder, or xdist would hand out the files with the most tests first, which put
# test_curating_guide and test_packaging (three tests, a minute each) at the end.
SLOWEST_FIRST = ("test_memo.py", "test_push_faults.py", "test_store_update.py", "test_input_matrix.py", "test_cli.py",
                 "test_validate.py", "test_diff.py", "test_build_killed.py", "test_evidence.py", "test_packaging.py",
                 "test_curation.py", "test_input_schema.py", "test_fuzz.py", "test_curating_guide.py", "test_viz.py",
                 "test_safety_build.py", "test_safety_serve.py", "test_remote.py", "test_server.py",
                 "test_table_reader.py")


def pytest_collection_modifyitems(config, items) -> None:
    rank = {name: number for number, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: each file's own order is kept


@pytest.fixture(scope="session")
def reports_dir() -> Path:
    return locate_reports()


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Iterator[tuple[BuildResult, Path]]:
    """The real build and its output folder; tests must not modify either."""
    from sensekg.graph.build import inputs_digest

    out = tmp_path_factory.mktemp("build") / "build"
    with paused_gc():  # as the build command does, with its memo: a test's rebuild of a copy recalls what it can
        result = build_dataset(remember=True)
        write_outputs(result, out, inputs=inputs_digest())
    # The build's millions of objects live to the session's end: frozen out of the collector, so
    # a test's own collections do not walk them every time (the export tests took 98 s, now 78)
    gc.collect()
    gc.freeze()
    yield result, out
    shutil.rmtree(out.parent, ignore_errors=True)  # 200 MB a worker, kept by a failed run otherwise


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory):
    """``mktemp`` for a module's fixtures. The folders are removed once the module's tests are
    done: a copy of the build is 200 MB, and a run that kept them all filled CI's disk. (A test's
    own ``tmp_path`` is removed when it passes: ``tmp_path_retention_policy`` in pyproject.toml.)"""
    made: list[Path] = []

    def mktemp(name: str) -> Path:
        made.append(tmp_path_factory.mktemp(name))
        return made[-1]

    yield mktemp
    for folder in made:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def graph(built) -> Graph:
    """The union of all named graphs of the real build, ontology included."""
    return rdflib_graph(built[0].quads)


@pytest.fixture(scope="session")
def mini(tmp_path_factory, reports_dir):
    """The mini corpus (tests/minicorpus.py), read: excerpts of the four reports, line numbers kept."""
    from minicorpus import mini_corpus

    from sensekg.loaders.reports import read_corpus

    return read_corpus(mini_corpus(reports_dir, tmp_path_factory.mktemp("mini")))


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A writable copy of the packaged registry and statements, for bad-input tests."""
    target = tmp_path / "data"
    shutil.copytree(data_dir(), target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


@pytest.fixture
def reports_copy(tmp_path, reports_dir) -> Path:
    target = tmp_path / "reports"
    shutil.copytree(reports_dir, target)
    return target


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def select(graph: Graph, query: str, **bindings) -> list[tuple]:
    """Run SPARQL with the sensekg prefixes; values are bound, never pasted into the text."""
    prefixes = """
        PREFIX sk: <https://w3id.org/sensekg/ontology#>
        PREFIX id: <https://w3id.org/sensekg/id/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
    """
    return [tuple(row) for row in graph.query(prefixes + query, initBindings=bindings)]


@pytest.fixture(scope="session")
def store(built):
    """The real build in an Oxigraph store (the default graph is the union of all graphs)."""
    from sensekg.graph.rdfio import store as make_store

    return make_store(built[0].quads)


def rows(store, query: str, **bindings) -> list[tuple]:
    """SELECT rows as plain strings (None for unbound), with parameters bound, not pasted."""
    from sensekg.graph.query import select as run

    _, found = run(store, query, bindings)
    return [tuple(None if v is None else str(v) for v in row) for row in found]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(module_tmp):
    """An empty read-write Oxigraph server on a free loopback port (base URL), one per test module."""
    from sensekg.graph.serve import start_oxigraph

    port = free_port()
    process = start_oxigraph(module_tmp("remote") / "store", "127.0.0.1", port, True, 10)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)

