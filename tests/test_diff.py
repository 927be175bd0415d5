"""Reproducible builds, and diffs between builds: readable, and as an RDF Patch."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from sensekg.graph.cli import main
from sensekg.graph.diff import canonical_nquads, diff_builds

SENSEKG = str(Path(sys.executable).with_name("sensekg"))


def trig_quads(folder: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(folder / "sensekg.trig"), format=ox.RdfFormat.TRIG))


# -- reproducible builds and diffs ---------------------------------------------------------

def test_two_builds_of_the_same_reports_are_identical(tmp_path, built):
    again = tmp_path / "again"
    done = subprocess.run([SENSEKG, "build", "-q", "--out", str(again)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    # the same bytes (so the same canonical form, which diff compares: test_canonical_form_* below)
    for name in ("sensekg.trig", "sensekg.nq"):
        assert (built[1] / name).read_bytes() == (again / name).read_bytes(), name
    assert len(trig_quads(again)) == len(built[0].quads)


def test_canonical_form_skolemises_blank_nodes():
    def dataset(label: str) -> list[ox.Quad]:
        g, b = ox.NamedNode("http://g"), ox.BlankNode(label)
        return [ox.Quad(ox.NamedNode("http://s"), ox.NamedNode("http://p"), b, g),
                ox.Quad(b, ox.NamedNode("http://q"), ox.Literal("v"), g)]

    assert canonical_nquads(dataset("a1")) == canonical_nquads(dataset("zz"))
    assert diff_builds(dataset("a1"), dataset("zz")).empty


@pytest.fixture(scope="module")
def dropped_citation(built, module_tmp):
    """A build whose data no longer cites sustainability-report-2024:811 for TISAX AL3, and
    has no certification of SenseAuto's ISO 26262 at all."""
    from sensekg.loaders.datafiles import data_dir

    root = module_tmp("changed")
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
