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


def _writers_left(folder: Path, wait: float = 3.0) -> list[str]:
    """The command lines of processes still running with ``folder`` in them (Linux's /proc),
    after up to ``wait`` seconds for them to go."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if str(folder) in text:
                found.append(text)
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


# -- SIGKILL during a build ---------------------------------------------------------------

@pytest.mark.parametrize(("stage", "delay", "options"), [
    ("extract", 0.0, ()),
    ("check and assemble", 0.3, ()),  # a forked child checks and assembles half of the facts
    ("write search index", 0.1, ()),  # the TriG is being written by a child process
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
    assert _writers_left(tmp_path) == [], "a writer the build started outlived it"
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


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_the_trig_writer_dies_with_the_process_that_started_it(tmp_path, built):
    """The build writes its TriG in a child process; a build killed outright takes it along at
    once, rather than leaving it writing into a staging folder for the next command to clear."""
    from sensekg.graph.buildio import NQUADS

    script = (f"import time\nfrom pathlib import Path\nfrom sensekg.graph import rdfio\n"
              f"conversion = rdfio.Conversion(Path({str(built[1] / NQUADS)!r}), Path({str(tmp_path / 'x.trig')!r}))\n"
              f"print(conversion.child.pid, flush=True)\ntime.sleep(60)\n")
    starter = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(starter.stdout.readline())
    time.sleep(0.1)  # the child is under way: a conversion of the whole build takes most of a second
    starter.kill()
    starter.wait(timeout=30)

    def running() -> bool:
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        return state != "Z"  # a zombie has finished; who reaps it is not ours to say

    deadline = time.monotonic() + 0.3
    while running() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not running(), "the child went on writing after its parent was killed"
