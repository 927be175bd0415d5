"""Benchmarks of sensekg on this machine, printed as one table with ratios to baselines.

    python bench/run.py                 # everything, scale series 1x and 10x
    python bench/run.py --sizes 1,10,100 --query-runs 20

Rows:
1. the build of the four reports by stage (read, extract, evidence check, assemble,
   validate, write TriG, write store);
2. each saved query, median of N runs on the Oxigraph store against the same query on an
   in-memory rdflib graph (the common alternative; its runs stop after a time budget);
3. `sensekg query run` as a whole process, start to answer;
4. a scale series: the real facts replicated under renamed entities, each size measured in its
   own process: quads, load into the store against pyoxigraph's own parse of the N-Quads (the
   limit for load), validate (pySHACL, up to --validate-up-to), p50 of three saved queries, peak RSS.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# by id: the scale series copies every label, so names are ambiguous there on purpose
REPRESENTATIVE = [("certifications", {"entity": "id:senseauto"}), ("revenue-by-segment", {}),
                  ("product-dependencies", {"entity": "id:sensefoundry-vl"})]


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return time.perf_counter() - start, value


def build_stages() -> list[tuple[str, float, str]]:
    from sensekg.graph.build import build_dataset, write_outputs
    from sensekg.graph.rdfio import rdflib_graph
    from sensekg.graph.validate import validate_graph

    total, result = timed(build_dataset)
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        write_outputs(result, Path(folder) / "build")
    rows = [(f"build: {stage}", seconds, "") for stage, seconds in result.timings.items()]
    seconds, graph = timed(rdflib_graph, result.ox_quads)
    rows.append(("build: rdflib graph for pySHACL", seconds, ""))
    seconds, report = timed(validate_graph, graph)
    rows.append(("validate (pySHACL)", seconds, "conforms" if report.conforms else "VIOLATIONS"))
    everything = sum(s for _, s, _ in rows)
    rows.append(("build + validate, all stages", everything, f"{len(result.quads)} quads"))
    return rows


def saved_query_rows(runs: int, budget: float) -> list[tuple[str, float, str]]:
    from sensekg.graph.build import build_dataset
    from sensekg.graph.query import bind, with_prefixes
    from sensekg.graph.rdfio import rdflib_graph, store
    from sensekg.graph.runner import bindings_for
    from sensekg.graph.saved import load_saved

    result = build_dataset()
    ox_store, graph = store(result.ox_quads), rdflib_graph(result.ox_quads)
    examples = {name: query.example for name, query in load_saved().items()}
    rows = []
    for name, query in load_saved().items():
        text = bind(with_prefixes(query.text), bindings_for(ox_store, query, examples[name]))
        fast = [timed(lambda t=text: list(ox_store.query(t)))[0] for _ in range(runs)]
        slow, spent = [], 0.0
        try:
            while len(slow) < runs and (spent < budget or not slow):
                seconds, _ = timed(lambda t=text: list(graph.query(t)))
                slow.append(seconds)
                spent += seconds
        except Exception as exc:  # engines differ: rdflib refuses some aggregates over unbound values
            rows.append((f"query {name}", statistics.median(fast), f"rdflib fails: {type(exc).__name__}"))
            continue
        store_p50, rdflib_p50 = statistics.median(fast), statistics.median(slow)
        rows.append((f"query {name}", store_p50, f"rdflib {rdflib_p50 * 1000:.1f} ms ({len(slow)} runs); "
                     f"{rdflib_p50 / store_p50:.0f}x faster on the store"))
    return rows


def process_row(runs: int) -> tuple[str, float, str]:
    build = ROOT / "build"
    if not (build / "store").is_dir():
        subprocess.run([sys.executable, "-m", "sensekg.graph.cli", "build", "-q", "--out", str(build)], check=True)
    command = [str(Path(sys.executable).with_name("sensekg")), "query", "run", "certifications",
               "--param", "entity=SenseAuto", "--graph", str(build)]
    times = [timed(subprocess.run, command, capture_output=True, check=True)[0] for _ in range(runs)]
    python = [timed(subprocess.run, [sys.executable, "-c", "pass"], check=True)[0] for _ in range(runs)]
    return ("sensekg query run (whole process)", statistics.median(times),
            f"bare Python start {statistics.median(python):.2f} s")


def scale_child(size: int, validate: bool) -> dict:
    """Run in a fresh process: one size of the scale series."""
    import pyoxigraph as ox

    from sensekg.graph.build import build_dataset
    from sensekg.graph.query import bind, with_prefixes
    from sensekg.graph.rdfio import fill, rdflib_graph
    from sensekg.graph.runner import bindings_for
    from sensekg.graph.saved import load_saved

    base = build_dataset().ox_quads
    ids = ("https://w3id.org/sensekg/id/", "https://w3id.org/sensekg/evidence/")

    def rename(term, copy):
        if copy and isinstance(term, ox.NamedNode) and term.value.startswith(ids):
            return ox.NamedNode(f"{term.value}-r{copy}")
        return term

    quads = [q if copy == 0 else ox.Quad(rename(q.subject, copy), q.predicate, rename(q.object, copy), q.graph_name)
             for copy in range(size) for q in base
             if copy == 0 or not q.graph_name.value.endswith("/ontology")]
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    del quads
    parse, parsed = timed(lambda: list(ox.parse(data, format=ox.RdfFormat.N_QUADS)))
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        target = ox.Store(folder)
        load, _ = timed(fill, target, parsed)
        saved = load_saved()
        p50s = []
        for name, params in REPRESENTATIVE:
            text = bind(with_prefixes(saved[name].text), bindings_for(target, saved[name], params))
            p50s.append(statistics.median([timed(lambda t=text: list(target.query(t)))[0] for _ in range(5)]))
        validation = None
        if validate:
            from sensekg.graph.validate import validate_graph

            graph = rdflib_graph(parsed)
            validation, _ = timed(validate_graph, graph)
        target = None  # close the store before its folder is removed
    return {"size": size, "quads": len(parsed), "parse": parse, "load": load, "validate": validation,
            "p50": p50s, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def scale_rows(sizes: list[int], validate_up_to: int) -> list[tuple[str, float, str]]:
    rows = []
    for size in sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(size), "--validate-up-to", str(validate_up_to)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            rows.append((f"scale {size}x", float("nan"), "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1]))
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((f"scale {size}x: load {r['quads']} quads", r["load"],
                     f"pyoxigraph parse {r['parse']:.2f} s; ratio {r['load'] / r['parse']:.2f}; peak RSS "
                     f"{r['rss_mb']:.0f} MB"))
        rows.append((f"scale {size}x: validate", r["validate"] if r["validate"] is not None else float("nan"),
                     "pySHACL" if r["validate"] is not None else f"not run above {validate_up_to}x"))
        rows.append((f"scale {size}x: p50 of 3 saved queries", statistics.median(r["p50"]),
                     ", ".join(f"{name} {p * 1000:.1f} ms" for (name, _), p in zip(REPRESENTATIVE, r["p50"],
                                                                                    strict=True))))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--query-runs", type=int, default=20)
    parser.add_argument("--rdflib-budget", type=float, default=5.0, help="seconds per query on rdflib")
    parser.add_argument("--validate-up-to", type=int, default=10)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(scale_child(args.child, args.child <= args.validate_up_to)))
        return
    rows = build_stages() + saved_query_rows(args.query_runs, args.rdflib_budget) + [process_row(5)]
    rows += scale_rows([int(s) for s in args.sizes.split(",")], args.validate_up_to)
    print(f"sensekg benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"| {'what':58s} | {'seconds':>9s} | notes |")
    print(f"|{'-' * 60}|{'-' * 11}|-------|")
    for what, seconds, note in rows:
        print(f"| {what:58s} | {seconds:9.3f} | {note} |")


if __name__ == "__main__":
    main()
