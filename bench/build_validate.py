"""Whole-process timings of the curator's loop, each paired with a baseline run in turn (A B A B …).

    python bench/build_validate.py            # 3 pairs of each
    python bench/build_validate.py --runs 5

Pairs (A against B, the ratio A/B taken pair by pair, then its median):

1. ``validate --full`` with shifty (the default) against ``validate --engine pyshacl --full``.
2. ``build --force`` then ``validate`` after a rebuild in which one record changed (the
   definition of one measure, alternately two wordings, so that every run changes it), against
   the same with ``validate --full``: what incremental validation saves.
3. ``build --force`` then ``validate --full``, the cold run of issue 18's first target, against
   pyoxigraph's own load of the build's TriG into a fresh RocksDB store with its union as the
   default graph: the floor a build writing that store cannot go below.

Each process is timed from outside (wall clock, and user + system CPU of the children from
``getrusage``). Absolute times on a shared machine drift; the ratios, measured in the same
run, are what to quote. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENSEKG = str(Path(sys.executable).with_name("sensekg"))
LOAD = """
import sys, pyoxigraph as ox
quads = list(ox.parse(path=sys.argv[1], format=ox.RdfFormat.TRIG))
store = ox.Store(sys.argv[2])
store.bulk_extend(quads)
store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
store.flush()
"""


def run(commands: list[list[str]]) -> tuple[float, float]:
    """Run commands one after another; wall seconds and CPU seconds of the children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pair(name: str, a, b, runs: int) -> str:
    """``a`` and ``b`` return the command lists of one run (they may prepare files first)."""
    walls_a, walls_b, cpu_a, ratios = [], [], [], []
    run(a())  # warm-up: file caches, compiled bytecode
    for _ in range(runs):
        wa, ca = run(a())
        wb, _ = run(b())
        walls_a.append(wa)
        walls_b.append(wb)
        cpu_a.append(ca)
        ratios.append(wa / wb)
    return (f"| {name} | {statistics.median(walls_a):.1f} | {statistics.median(cpu_a):.1f} | "
            f"{statistics.median(walls_b):.1f} | {statistics.median(ratios):.2f} "
            f"({min(ratios):.2f}–{max(ratios):.2f}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from sensekg.loaders.datafiles import data_dir

    with tempfile.TemporaryDirectory(prefix="sensekg-bench-") as folder:
        root = Path(folder)
        data, out = root / "data", root / "build"
        shutil.copytree(data_dir(), data, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        measures = data / "measures.toml"
        original = measures.read_text(encoding="utf-8")
        wording = "Income from contracts with customers in the period, as reported under IFRS."
        assert wording in original, "bench/build_validate.py: the revenue definition it edits has moved"
        flip = [0]

        def change_one_record() -> None:
            flip[0] ^= 1
            measures.write_text(original.replace(wording, wording + " (reworded)") if flip[0] else original,
                                encoding="utf-8")

        build = [SENSEKG, "build", "-q", "--force", "--out", str(out), "--data", str(data)]
        validate = [SENSEKG, "validate", "--graph", str(out)]
        run([build, validate])  # a build to validate, and the results an incremental run starts from

        def rebuilt(*validate_args: str):
            def commands() -> list[list[str]]:
                change_one_record()
                return [build, [*validate, *validate_args]]
            return commands

        def floor() -> list[list[str]]:
            shutil.rmtree(root / "floor", ignore_errors=True)
            return [[sys.executable, "-c", LOAD, str(out / "sensekg.trig"), str(root / "floor")]]

        print(f"sensekg: whole processes on {os.cpu_count()} cores, median of {args.runs} pairs")
        print("| A against B | A wall s | A CPU s | B wall s | A/B (min–max) |")
        print("|---|---|---|---|---|")
        print(pair("validate --full: shifty against pyshacl", lambda: [[*validate, "--full"]],
                   lambda: [[*validate, "--full", "--engine", "pyshacl"]], args.runs))
        print(pair("one record changed: build + validate, against build + validate --full",
                   rebuilt(), rebuilt("--full"), args.runs))
        print(pair("cold: build + validate --full, against pyoxigraph loading the TriG into a store",
                   rebuilt("--full"), floor, args.runs))


if __name__ == "__main__":
    main()
