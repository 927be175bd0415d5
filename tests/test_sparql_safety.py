"""Ad-hoc SPARQL from the CLI: no writes unless asked, no endless queries."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sensekg.graph.cli import main

SENSEKG = str(Path(sys.executable).with_name("sensekg"))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


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
