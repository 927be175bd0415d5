"""The wheel, not only the editable install, ships every module and data file.

The wheel is built from the source tree and installed with ``--no-deps`` into a fresh
virtual environment that borrows the dependencies of the running one through a ``.pth``
file, then ``sensekg --help`` and a build run from outside the source tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_env(module_tmp) -> Path:
    work = module_tmp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)],
                   check=True, capture_output=True, text=True)
    wheel = next((work / "dist").glob("sensekg-*.whl"))
    env = work / "env"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                   check=True, capture_output=True, text=True)
    return env


def run(env: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(env / "bin" / "sensekg"), *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=300)


def test_wheel_installs_a_working_console_script(wheel_env, tmp_path, reports_dir):
    help_text = run(wheel_env, "--help", cwd=tmp_path)
    assert help_text.returncode == 0, help_text.stderr
    assert "build" in help_text.stdout and "validate" in help_text.stdout
    built = run(wheel_env, "build", "-q", "--reports", str(reports_dir), "--out", str(tmp_path / "b"), cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "b" / "sensekg.trig").stat().st_size > 100_000
    # the console script ends a build without freeing its heap (`cli.run`): what it printed to
    # the pipe, block-buffered, must still all arrive, the timings last
    assert built.stdout.startswith("Built ") and built.stdout.splitlines()[-1].startswith("Timings: read "), \
        built.stdout[-500:]
    answer = run(wheel_env, "sparql", "--graph", str(tmp_path / "b"),
                 "SELECT ?l WHERE { id:cert-senseauto-tisax-al3 rdfs:label ?l }", cwd=tmp_path)
    assert "SenseAuto: TISAX AL3 (2023)" in answer.stdout
    page = run(wheel_env, "viz", "SenseCore", "--graph", str(tmp_path / "b"), "-o", str(tmp_path / "p.html"),
               cwd=tmp_path)
    assert page.returncode == 0, page.stderr
    assert "vis.Network" in (tmp_path / "p.html").read_text(encoding="utf-8")


def test_wheel_ships_no_generic_top_level_packages(wheel_env):
    python = wheel_env / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import importlib.util as u; print([m for m in "
                            "('graph', 'loaders', 'ontology', 'queries') if u.find_spec(m)])"],
                           capture_output=True, text=True, cwd="/")
    assert probe.stdout.strip() == "[]"


def test_the_console_script_runs_the_wheel_not_the_source_tree(wheel_env):
    python = wheel_env / "bin" / "python"
    where = subprocess.run([str(python), "-c", "import sensekg.graph, sensekg.ontology as o; "
                            "import importlib.resources as r; print(sensekg.graph.__file__); "
                            "print(r.files(o).joinpath('shapes.ttl').is_file())"],
                           capture_output=True, text=True, cwd="/", check=True).stdout.split()
    assert where[0].startswith(str(wheel_env)) and where[1] == "True"
