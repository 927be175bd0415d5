"""Data safety: killed builds, reproducible builds, diffs between builds, and ad-hoc SPARQL that
cannot write or run forever."""

from __future__ import annotations

import hashlib
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from sensekg.graph.cli import main
from sensekg.graph.diff import canonical_nquads, diff_builds

SENSEKG = str(Path(sys.executable).with_name("sensekg"))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def trig_quads(folder: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(folder / "sensekg.trig"), format=ox.RdfFormat.TRIG))


# -- SIGKILL during a build ---------------------------------------------------------------

@pytest.mark.parametrize(("stage", "delay"), [("extract", 0.0), ("write TriG", 0.5), ("write store", 2.0)])
def test_a_killed_build_leaves_the_previous_build_complete(tmp_path, built, stage, delay):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    before = digest(out)
    process = subprocess.Popen([SENSEKG, "build", "--force", "--out", str(out)], stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.strip().startswith(stage):
            time.sleep(delay)
            break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    # the next command sees the previous build, whole, and clears what the dead build left
    answer = subprocess.run([SENSEKG, "query", "run", "certifications", "--param", "entity=SenseAuto",
                             "--graph", str(out)], capture_output=True, text=True, timeout=60)
    assert answer.returncode == 0, answer.stderr
    assert "TISAX" in answer.stdout
    assert digest(out) == before
    assert not list(tmp_path.glob(".build.sensekg-*-*")), "a dead build's staging folder was not cleared"
    store = ox.Store.read_only(str(out / "store"))
    named = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")))["n"].value)
    assert named == len(trig_quads(out))


# -- reproducible builds and diffs ---------------------------------------------------------

def test_two_builds_of_the_same_reports_are_identical(tmp_path, built):
    again = tmp_path / "again"
    done = subprocess.run([SENSEKG, "build", "-q", "--out", str(again)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    first, second = canonical_nquads(trig_quads(built[1])), canonical_nquads(trig_quads(again))
    assert first == second
    assert first.count(b"\n") == len(built[0].quads)
    assert (built[1] / "sensekg.trig").read_bytes() == (again / "sensekg.trig").read_bytes()


def test_canonical_form_skolemises_blank_nodes():
    def dataset(label: str) -> list[ox.Quad]:
        g, b = ox.NamedNode("http://g"), ox.BlankNode(label)
        return [ox.Quad(ox.NamedNode("http://s"), ox.NamedNode("http://p"), b, g),
                ox.Quad(b, ox.NamedNode("http://q"), ox.Literal("v"), g)]

    assert canonical_nquads(dataset("a1")) == canonical_nquads(dataset("zz"))
    assert diff_builds(dataset("a1"), dataset("zz")).empty


@pytest.fixture(scope="module")
def dropped_citation(built, tmp_path_factory):
    """A build whose data no longer cites sustainability-report-2024:811 for TISAX AL3, and
    has no certification of SenseAuto's ISO 26262 at all."""
    from sensekg.loaders.datafiles import data_dir

    root = tmp_path_factory.mktemp("changed")
    data = root / "data"
    shutil.copytree(data_dir(), data, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = data / "reports/sustainability-report-2024/statements-certifications.toml"
    text = path.read_text(encoding="utf-8")
    line = '  "sustainability-report-2024:811 | Trusted Information Security Assessment TISAX AL3 Certification in 2023",\n'
    assert line in text
    path.write_text(text.replace(line, "", 1), encoding="utf-8")
    done = subprocess.run([SENSEKG, "build", "-q", "--data", str(data), "--out", str(root / "build")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return root / "build"


def test_diff_names_the_citation_that_went_away(runner, built, dropped_citation):
    result = runner.invoke(main, ["diff", str(built[1]), str(dropped_citation)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("0 fact(s) removed, 0 added; 6 citation(s) of unchanged facts removed")
    assert ("- SenseAuto: TISAX AL3 (2023) (id:cert-senseauto-tisax-al3)  holder (sk:holder)  SenseAuto "
            "(id:senseauto)  no longer cited at sustainability-report-2024:811") in result.output
    same = runner.invoke(main, ["diff", str(built[1]), str(built[1])])
    assert same.output.strip() == "The two builds hold the same quads."


def test_rdf_patch_turns_the_old_build_into_the_new(runner, built, dropped_citation, tmp_path):
    patch = tmp_path / "change.rdfp"
    result = runner.invoke(main, ["diff", str(built[1]), str(dropped_citation), "--format", "patch", "-o", str(patch)])
    assert result.exit_code == 0, result.output
    lines = patch.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "TX ." and lines[-1] == "TC ."
    quads = set(trig_quads(built[1]))
    for line in lines[1:-1]:
        op, quad_text = line[0], line[2:]
        quad = next(ox.parse(quad_text.encode(), format=ox.RdfFormat.N_QUADS))
        (quads.discard if op == "D" else quads.add)(quad)
    assert op == "D" and len(lines) == 2 + 48
    assert quads == set(trig_quads(dropped_citation))


# -- ad-hoc SPARQL: no writes unless asked, no endless queries -----------------------------

UPDATES = ["INSERT DATA { <urn:a> <urn:b> <urn:c> }", "DROP ALL", "# comment\nPREFIX x: <urn:x>\n  clear default",
           "DELETE WHERE { ?s ?p ?o }", "LOAD <http://127.0.0.1:9/x.ttl>", "WITH <urn:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }"]


@pytest.mark.parametrize("update", UPDATES)
def test_ad_hoc_update_is_refused_without_writable(runner, built, update, tmp_path):
    before = digest(built[1])
    result = runner.invoke(main, ["sparql", update, "--graph", str(built[1])])
    assert result.exit_code == 2
    assert "SPARQL Update" in result.output and "--writable" in result.output
    assert digest(built[1]) == before


def test_writable_update_changes_only_the_store(runner, built, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    trig = (out / "sensekg.trig").read_bytes()
    result = runner.invoke(main, ["sparql", "INSERT DATA { GRAPH <urn:notes> { id:senseauto rdfs:comment 'x' } }",
                                  "--writable", "--graph", str(out)])
    assert result.exit_code == 0, result.output
    assert "-> " in result.output
    answer = runner.invoke(main, ["sparql", "SELECT ?c WHERE { GRAPH <urn:notes> { ?s rdfs:comment ?c } }",
                                  "--graph", str(out), "--format", "csv"])
    assert answer.output.splitlines() == ["c", "x"]
    assert (out / "sensekg.trig").read_bytes() == trig


def test_a_query_past_its_timeout_is_stopped(built):
    start = time.monotonic()
    result = subprocess.run([SENSEKG, "sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                             "--timeout", "1", "--graph", str(built[1])], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1  # a query failure (QueryTimeout), not bad input
    assert "ran past --timeout 1 s and was stopped" in result.stderr
    assert time.monotonic() - start < 15
