"""Benchmarks of sensekg on this machine, printed as one table with ratios to baselines.

    python bench/run.py                 # everything, scale series 1x and 10x
    python bench/run.py --sizes 1,10,100 --query-runs 20

Rows:
1. the build of the four reports by stage (read, extract, evidence check, assemble, write
   N-Quads, write store, write search index, the wait for the TriG written beside them) and
   validation with each engine (`bench/build_validate.py` sets the build against pyoxigraph's
   own load of its TriG);
2. each saved query, median of N runs on the Oxigraph store against the same query on an
   in-memory rdflib graph (the common alternative; its runs stop after a time budget);
3. `sensekg query run` as a whole process, start to answer;
4. a scale series: the real facts replicated under renamed entities, each size measured in its
   own process: quads, the build's whole store write (``rdfio.fill_from_nquads``) against
   pyoxigraph's own parse of every quad the store holds (the graphs and their union; the limit
   for load) and against pyoxigraph's own bulk load of them; validate (SHACL_Engine, shifty
   and pySHACL by partition, and pyrudof, each up to a size), p50 of three saved queries, peak RSS.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
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
    from sensekg.graph.validate import DEFAULT_ENGINE, ENGINES, validate_trig

    total, result = timed(build_dataset)
    rows = []
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        out = Path(folder) / "build"
        write_outputs(result, out)
        rows += [(f"build: {stage}", seconds, "") for stage, seconds in result.timings.items()]
        validation = {}
        for engine in ENGINES:
            seconds, report = timed(validate_trig, out / "sensekg.trig", engine=engine)
            validation[engine] = seconds
            rows.append((f"validate ({engine} by partition, as `sensekg validate --full`)", seconds,
                         f"{os.cpu_count()} workers; " + ("conforms" if report.conforms else "VIOLATIONS")))
    everything = sum(result.timings.values()) + validation[DEFAULT_ENGINE]
    rows.append((f"build + validate ({DEFAULT_ENGINE})", everything, f"{len(result.quads)} quads"))
    return rows


def saved_query_rows(runs: int, budget: float) -> list[tuple[str, float, str]]:
    from sensekg.graph.build import build_dataset
    from sensekg.graph.query import bind, with_prefixes
    from sensekg.graph.rdfio import rdflib_graph, store
    from sensekg.graph.runner import bindings_for
    from sensekg.graph.saved import load_saved

    result = build_dataset()
    ox_store, graph = store(result.quads), rdflib_graph(result.quads)
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


IDS = re.compile(rb"<(https://w3id\.org/sensekg/(?:id|evidence)/[^>]*)>")


def write_scaled(base: bytes, size: int, path: Path, union: Path) -> None:
    """Stream ``size`` copies of the real graph to an N-Quads file, one copy in memory at a time,
    as a build writes its ``sensekg.nq`` (sorted lines, no default graph: the store write makes
    the union), and the union of each copy's graphs to ``union`` as N-Triples (``rdfio.union_lines``),
    for pyoxigraph's own parse and load of every quad the store holds.

    Copy 0 is the real graph; copy k renames every entity and evidence IRI with a ``-rk`` suffix
    and keeps the report graphs, so the graph grows as if the reports stated k times as much.
    The ontology graph is written once.
    """
    from sensekg.graph.rdfio import union_lines

    lines = sorted(base.splitlines(keepends=True))
    ontology = [line for line in lines if line.rstrip().endswith(b"/ontology> .")]
    facts = [line for line in lines if not line.rstrip().endswith(b"/ontology> .")]
    with path.open("wb") as out, union.open("wb") as triples:
        out.writelines(ontology)
        triples.writelines(union_lines(ontology))
        for copy in range(size):
            suffix = b"-r%d>" % copy
            renamed = facts if copy == 0 else sorted(IDS.sub(lambda m, s=suffix: b"<" + m.group(1) + s, line)
                                                     for line in facts)
            out.writelines(renamed)
            triples.writelines(union_lines(renamed))


def rudof_validate(path: Path) -> tuple[bool, int]:
    import pyrudof

    from sensekg.loaders.vocab import ontology_text

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(str(path), format=pyrudof.RDFFormat.NQuads)
    rudof.read_shacl(ontology_text("shapes.ttl"))
    report = rudof.validate_shacl()
    return bool(report.conforms), len(report.violations)


def scale_child(size: int, engines: list[str]) -> dict:
    """Run in a fresh process: one size of the scale series, streamed through a temporary file."""
    import pyoxigraph as ox

    from sensekg.graph.build import build_dataset
    from sensekg.graph.query import bind, with_prefixes
    from sensekg.graph.rdfio import fill_from_nquads
    from sensekg.graph.runner import bindings_for
    from sensekg.graph.saved import load_saved

    base = ox.serialize(build_dataset().quads, format=ox.RdfFormat.N_QUADS)
    result: dict = {"size": size}
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
        data, union = Path(folder) / "scaled.nq", Path(folder) / "union.nt"
        result["generate"], _ = timed(write_scaled, base, size, data, union)
        result["file_mb"] = (data.stat().st_size + union.stat().st_size) / 2**20

        def parse() -> int:
            return sum(sum(1 for _ in ox.parse(path=str(file), format=file_format))
                       for file, file_format in ((data, ox.RdfFormat.N_QUADS), (union, ox.RdfFormat.N_TRIPLES)))

        result["parse"], result["lines"] = timed(parse)
        reference = ox.Store(str(Path(folder) / "reference"))

        def bulk_load() -> None:  # pyoxigraph's own, one file after the other (the load before this round)
            reference.bulk_load(path=str(data), format=ox.RdfFormat.N_QUADS)
            reference.bulk_load(path=str(union), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())

        result["bulk_load"], _ = timed(bulk_load)
        reference = None
        shutil.rmtree(Path(folder) / "reference")
        target = ox.Store(str(Path(folder) / "store"))
        result["load"], _ = timed(fill_from_nquads, target, data)  # the build's whole store write
        result["rss_load_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak so far
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        result["quads"] = int(next(iter(target.query(count)))["n"].value)
        result["store_mb"] = sum(f.stat().st_size for f in (Path(folder) / "store").rglob("*") if f.is_file()) / 2**20
        saved = load_saved()
        result["p50"] = []
        for name, params in REPRESENTATIVE:
            text = bind(with_prefixes(saved[name].text), bindings_for(target, saved[name], params))
            result["p50"].append(statistics.median([timed(lambda t=text: list(target.query(t)))[0]
                                                    for _ in range(5)]))
        result["rss_queries_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["validate"] = {}
        for engine in engines:
            if engine == "pyrudof":
                seconds, (conforms, _) = timed(rudof_validate, data)
            else:
                from sensekg.graph.validate import validate_store

                seconds, report = timed(validate_store, target, engine=engine)
                conforms = report.conforms
            result["validate"][engine] = (seconds, conforms)
        target = None  # close the store before its folder is removed
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def scale_rows(sizes: list[int], limits: dict[str, int]) -> list[tuple[str, float, str]]:
    rows = []
    for size in sizes:
        engines = [engine for engine, up_to in limits.items() if size <= up_to]
        command = [sys.executable, __file__, "--child", str(size), "--engines", ",".join(engines)]
        out = subprocess.run(command, capture_output=True, text=True)
        if out.returncode != 0:
            rows.append((f"scale {size}x", float("nan"), "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1]))
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((f"scale {size}x: generate {r['quads']} quads", r["generate"],
                     f"N-Quads and union files {r['file_mb']:.0f} MB, {r['lines']} lines with the default-graph union"))
        rows.append((f"scale {size}x: load into the store", r["load"],
                     f"the build's write; pyoxigraph parse {r['parse']:.2f} s; ratio {r['load'] / r['parse']:.2f}; "
                     f"store {r['store_mb']:.0f} MB on disk"))
        rows.append((f"scale {size}x: pyoxigraph bulk_load, graphs then union", r["bulk_load"],
                     f"ratio to parse {r['bulk_load'] / r['parse']:.2f}; the build's write against it "
                     f"{r['load'] / r['bulk_load']:.2f}"))
        for engine, up_to in limits.items():
            if engine in r["validate"]:
                seconds, conforms = r["validate"][engine]
                rows.append((f"scale {size}x: validate ({engine})", seconds, "conforms" if conforms else "VIOLATIONS"))
            else:
                rows.append((f"scale {size}x: validate ({engine})", float("nan"), f"not run above {up_to}x"))
        rows.append((f"scale {size}x: p50 of 3 saved queries", statistics.median(r["p50"]),
                     ", ".join(f"{name} {p * 1000:.1f} ms" for (name, _), p in zip(REPRESENTATIVE, r["p50"],
                                                                                    strict=True))))
        rows.append((f"scale {size}x: peak RSS (MB)", r["rss_mb"],
                     f"whole child process; peak {r['rss_load_mb']:.0f} MB by the end of the load, "
                     f"{r['rss_queries_mb']:.0f} MB by the end of the queries, the rest is validation"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--query-runs", type=int, default=20)
    parser.add_argument("--rdflib-budget", type=float, default=5.0, help="seconds per query on rdflib")
    parser.add_argument("--pyshacl-up-to", type=int, default=1,
                        help="largest size validated with pySHACL by partition (`sensekg validate --engine pyshacl`)")
    parser.add_argument("--pyrudof-up-to", type=int, default=0,
                        help="largest size validated with pyrudof (not a dependency: pip install pyrudof)")
    parser.add_argument("--shacl-engine-up-to", type=int, default=100,
                        help="largest size validated as `sensekg validate` does (SHACL_Engine by partition)")
    parser.add_argument("--shifty-up-to", type=int, default=10,
                        help="largest size validated with shifty by partition (`sensekg validate --engine shifty`)")
    parser.add_argument("--scale-only", action="store_true", help="only the scale series")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--engines", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(scale_child(args.child, [e for e in args.engines.split(",") if e])))
        return
    rows = [] if args.scale_only else (build_stages() + saved_query_rows(args.query_runs, args.rdflib_budget)
                                       + [process_row(5)])
    rows += scale_rows([int(s) for s in args.sizes.split(",")],
                       {"shacl-engine": args.shacl_engine_up_to, "shifty": args.shifty_up_to,
                        "pyshacl": args.pyshacl_up_to,
                        "pyrudof": args.pyrudof_up_to})
    print(f"sensekg benchmarks on {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"| {'what':58s} | {'seconds':>9s} | notes |")
    print(f"|{'-' * 60}|{'-' * 11}|-------|")
    for what, seconds, note in rows:
        print(f"| {what:58s} | {seconds:9.3f} | {note} |")


if __name__ == "__main__":
    main()
