"""Whole-process timings of the curator's loop, each paired with a baseline run in turn (A B A B …).

    python bench/build_validate.py            # 3 pairs of each
    python bench/build_validate.py --runs 5
    python bench/build_validate.py --against /path/to/other/venv/bin/sensekg
    python bench/build_validate.py --only "first target"   # the pairs whose name holds the text

Pairs (A against B, the ratio A/B taken pair by pair, then its median):

1. ``validate --full`` with SHACL_Engine (``shacl-engine``, the default) against
   ``validate --engine shifty --full`` (the default until this round), and shifty against
   ``validate --engine pyshacl --full``.
2. The curator's loop, ``build --force`` then ``validate``, after a rebuild in which one record
   changed (the definition of one measure, alternately two wordings, so that every run changes
   it), against the same with ``validate --full``: what incremental validation saves.
   The same pair again with a record whose change reaches the report graphs: one of SenseCore's
   aliases removed, then restored (facts, their evidence, and the names mentions match).
3. The same loop against the same with ``build --force --fresh``: what recalling the replaced
   build's work (graph/memo.py) and updating its store, instead of working everything out and
   writing the store whole, saves.
   And the loop as one command, ``build --force --validate`` (the build, then its validation in
   the same process), against ``build --force`` then ``validate``: what the second process's
   start-up costs.
4. ``build --force --fresh`` then ``validate --full``, the cold run of issue 18's first target,
   against pyoxigraph's own load of the build's TriG into a fresh RocksDB store with its union
   as the default graph, the plain way (parsed, then `bulk_extend`): what a user's own load of
   the build costs. (It was the floor until the build loaded the graphs and the union at once.)
   Then the target's command as the issue writes it, ``build --force`` then ``validate`` on a build folder that
   holds a build of the same inputs (its store updated, its validation results reused), against
   the same load.
5. With ``--against EXE``: the curator's loop with this checkout's sensekg against the same
   loop with another installation's (an earlier commit, installed in its own virtual
   environment), on the same reports, each with a copy of the data it packages (an earlier
   commit may not read this one's records) and its own build folder; then the same with the
   alias edit (a change to the names, after which the subjects whose facts name that entity are
   grounded again); and the cold run against the other installation's.

The builds print their summaries (to nowhere), as the curator's ``sensekg build`` does.

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
    run(a())  # warm-up: file caches, compiled bytecode, and each side's build folder made once
    run(b())
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
    parser.add_argument("--against", metavar="EXE",
                        help="another installation's sensekg to pair the curator's loop with")
    parser.add_argument("--only", metavar="TEXT", default="",
                        help="run only the pairs whose name holds TEXT (the first build always runs)")
    args = parser.parse_args()
    from sensekg.loaders.datafiles import data_dir
    from sensekg.loaders.reports import ENV_VAR, locate_reports

    os.environ[ENV_VAR] = str(locate_reports())  # the same reports for both installations

    with tempfile.TemporaryDirectory(prefix="sensekg-bench-") as folder:
        root = Path(folder)
        out = root / "build"
        wording = "Income from contracts with customers in the period, as reported under IFRS."

        def data_copy(exe: str) -> Path:
            """A copy of the data the installation of ``exe`` packages: an earlier commit may not
            read this one's records (a class its ontology lacks)."""
            source = data_dir() if exe == SENSEKG else Path(subprocess.run(
                [str(Path(exe).with_name("python")), "-c",
                 "from sensekg.loaders.datafiles import data_dir; print(data_dir())"],
                check=True, capture_output=True, text=True).stdout.strip())
            target = root / ("data" if exe == SENSEKG else "data-against")
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
            assert wording in (target / "measures.toml").read_text(encoding="utf-8"), \
                f"bench/build_validate.py: the revenue definition it edits has moved in {source}"
            return target

        datas = {exe: data_copy(exe) for exe in (SENSEKG, *([args.against] if args.against else []))}
        # the records a run changes: a measure's definition (the ontology graph only), or one of
        # SenseCore's aliases (a fact with its evidence, in a report graph, and the names it matches)
        edits = {"definition": ("measures.toml", wording, wording + " (reworded)"),
                 "alias": ("entities/products.toml", ', "SenseTime AI Infrastructure"', "")}
        originals = {(exe, name): (d / name).read_text(encoding="utf-8")
                     for exe, d in datas.items() for name, _, _ in edits.values()}
        assert all(old in originals[(SENSEKG, name)] for name, old, _ in edits.values()), \
            "bench/build_validate.py: a record it edits has moved"
        flips: dict[tuple[str, str], bool] = {}

        def change_one_record(exe: str, edit: str = "definition") -> None:
            """Flip the record from the way the build of ``exe`` was last made with."""
            name, old, new = edits[edit]
            flips[(exe, edit)] = not flips.get((exe, edit), False)
            original = originals[(exe, name)]
            (datas[exe] / name).write_text(original.replace(old, new) if flips[(exe, edit)] else original,
                                           encoding="utf-8")

        def folder(exe: str) -> Path:
            """Each installation its own build folder: a build replaces only the store it wrote."""
            return out if exe == SENSEKG else root / "build-against"

        def build(exe: str = SENSEKG, *extra: str) -> list[str]:
            return [exe, "build", "--force", *extra, "--out", str(folder(exe)), "--data", str(datas[exe])]

        def validate(exe: str = SENSEKG, *extra: str) -> list[str]:
            return [exe, "validate", "--graph", str(folder(exe)), *extra]

        run([build(), validate()])  # a build to validate, and the results an incremental run starts from

        def rebuilt(*validate_args: str, exe: str = SENSEKG, build_args: tuple[str, ...] = (),
                    edit: str = "definition"):
            def commands() -> list[list[str]]:
                change_one_record(exe, edit)
                return [build(exe, *build_args), validate(exe, *validate_args)]
            return commands

        def floor() -> list[list[str]]:
            shutil.rmtree(root / "floor", ignore_errors=True)
            return [[sys.executable, "-c", LOAD, str(out / "sensekg.trig"), str(root / "floor")]]

        def show(name: str, a, b) -> None:
            if args.only in name:
                print(pair(name, a, b, args.runs), flush=True)

        print(f"sensekg: whole processes on {os.cpu_count()} cores, median of {args.runs} pairs")
        print("| A against B | A wall s | A CPU s | B wall s | A/B (min–max) |")
        print("|---|---|---|---|---|")
        show("validate --full: shacl-engine against shifty", lambda: [validate(SENSEKG, "--full")],
             lambda: [validate(SENSEKG, "--full", "--engine", "shifty")])
        show("validate --full: shifty against pyshacl", lambda: [validate(SENSEKG, "--full", "--engine", "shifty")],
             lambda: [validate(SENSEKG, "--full", "--engine", "pyshacl")])
        show("one record changed: build + validate, against build + validate --full",
             rebuilt(), rebuilt("--full"))
        show("one alias removed and restored (facts, evidence, names): build + validate, against build "
             "+ validate --full", rebuilt(edit="alias"), rebuilt("--full", edit="alias"))
        show("one record changed: build + validate, against build --fresh + validate",
             rebuilt(), rebuilt(build_args=("--fresh",)))
        def one_command() -> list[list[str]]:
            change_one_record(SENSEKG)
            return [build(SENSEKG, "--validate")]

        show("one record changed: build --validate (one process), against build + validate", one_command, rebuilt())
        show("cold: build --fresh + validate --full, against pyoxigraph loading the TriG into a store",
             rebuilt("--full", build_args=("--fresh",)), floor)
        show("issue 18's first target as written, nothing changed: build --force + validate, against "
             "pyoxigraph loading the TriG into a store", lambda: [build(), validate()], floor)
        if args.against:
            show(f"one record changed: build + validate, against the same with {args.against}",
                 rebuilt(), rebuilt(exe=args.against))
            show(f"one alias removed and restored: build + validate, against the same with {args.against}",
                 rebuilt(edit="alias"), rebuilt(exe=args.against, edit="alias"))
            show(f"cold: build --fresh + validate --full, against the same with {args.against}",
                 rebuilt("--full", build_args=("--fresh",)),
                 rebuilt("--full", exe=args.against, build_args=("--fresh",)))


if __name__ == "__main__":
    main()
