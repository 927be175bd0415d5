"""A build killed at any stage leaves the previous build complete and usable."""

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

SENSEKG = str(Path(sys.executable).with_name("sensekg"))


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def trig_quads(folder: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(folder / "sensekg.trig"), format=ox.RdfFormat.TRIG))


# -- SIGKILL during a build ---------------------------------------------------------------

@pytest.mark.parametrize(("stage", "delay", "options"), [
    ("extract", 0.0, ()), ("write TriG", 0.5, ()),
    ("write store", 2.0, ("--fresh",)),  # writing the store whole takes seconds
    ("write store", 0.3, ()),  # updating a checkpoint of the previous build's store (hard links to its files)
])
def test_a_killed_build_leaves_the_previous_build_complete(tmp_path, built, stage, delay, options):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    before = digest(out)
    process = subprocess.Popen([SENSEKG, "build", "--force", *options, "--out", str(out)], stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL, text=True)
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
