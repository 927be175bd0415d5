"""A random sample of the graph's evidence nodes, with what a reviewer needs to judge each.

    python bench/sample_evidence.py build --count 100 --seed 15 --kind facts > facts.md
    python bench/sample_evidence.py build --count 50 --seed 15 --kind figures > figures.md
    python bench/sample_evidence.py build --since old-build --count 80 --seed 16 --kind all > added.md

Each evidence node says that one report line states one fact. For each sampled node it prints
the fact with labels (subject, property, object or value), the cited report:line, the line as
printed and the two lines on either side, and the head of its table if it is in one; for a
figure, the observation's other facts too. A
reviewer says RIGHT (the line, or the heading it is, states the fact), PARTLY or WRONG against
the report alone. ``facts`` samples every fact that is not a figure's (not of an observation or
a measure); ``figures`` samples the facts of observations; ``all`` both. ``--since`` keeps the
evidence an older build lacks (evidence IRIs hash report, line and triple, so what is new is what
a change added), leaving out the labels and types that come with every new node. The README's
grounding precision came from the first two commands, and the precision of issue 16's additions
from the third, judged line by line.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pyoxigraph as ox

from sensekg.loaders.reports import read_corpus

QUERY = """
PREFIX sk: <https://w3id.org/sensekg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
SELECT ?e ?s ?p ?o ?report ?line ?with WHERE {
  ?e a sk:Evidence ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?report ; sk:line ?line .
  OPTIONAL { ?e sk:contextLine ?with }
  FILTER(?p != rdf:type)
}"""


def label(store: ox.Store, term: ox.NamedNode | ox.Literal) -> str:
    if isinstance(term, ox.Literal):
        return repr(term.value)
    found = [q.object.value for q in store.quads_for_pattern(term, ox.NamedNode(
        "http://www.w3.org/2000/01/rdf-schema#label"), None)]
    short = term.value.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return f"{found[0]} [{short}]" if found else short


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path, help="a build folder (holding sensekg.trig)")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--kind", choices=("facts", "figures", "all"), default="facts")
    parser.add_argument("--since", type=Path, help="an older build folder: sample only evidence it lacks")
    args = parser.parse_args()
    store = ox.Store()
    store.bulk_load(path=str(args.build / "sensekg.trig"), format=ox.RdfFormat.TRIG)
    corpus = read_corpus()
    figures = ("/id/obs-", "/measure/")
    pool = [row for row in store.query(QUERY, use_default_graph_as_union=True)
            if args.kind == "all" or (args.kind == "figures") == any(part in row["s"].value for part in figures)]
    if args.since is not None:
        old = ox.Store()
        old.bulk_load(path=str(args.since / "sensekg.trig"), format=ox.RdfFormat.TRIG)
        known = {row["e"] for row in old.query(QUERY, use_default_graph_as_union=True)}
        naming = ("http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/linked-data/cube#dataSet")
        pool = [row for row in pool if row["e"] not in known and row["p"].value not in naming]
    random.seed(args.seed)
    for number, row in enumerate(random.sample(pool, min(args.count, len(pool))), start=1):
        report, line = row["report"].value.rsplit("/", 1)[-1], int(row["line"].value)
        document = corpus[report]
        print(f"### {number}. {report}:{line}")
        print(f"FACT: {label(store, row['s'])} --{label(store, row['p'])}--> {label(store, row['o'])}")
        if args.kind == "figures":
            for quad in store.quads_for_pattern(row["s"], None, None):
                if quad.predicate != row["p"] and "label" not in quad.predicate.value:
                    print(f"  (the observation's {label(store, quad.predicate)}: {label(store, quad.object)})")
        table = document.table_at(line)
        if table is not None and table.first_line < line - 2:  # the head that dates and names its columns
            print("  THE TABLE'S FIRST LINES:")
            for near in range(max(1, table.first_line - 2), min(table.first_line + 3, line - 2)):
                print(f"   {near}: {document.line(near)[:300]}")
        with_line = int(row["with"].value) if row["with"] is not None else None
        if with_line is not None:  # the evidence cites two lines, read together
            print(f"  CITED TOGETHER WITH LINE {with_line} (marked +>)")
            if abs(with_line - line) > 2:
                print(f"+> {with_line}: {document.line(with_line)[:400]}")
        for near in range(max(1, line - 2), min(len(document), line + 2) + 1):
            mark = ">>" if near == line else "+>" if near == with_line else "  "
            print(f"{mark} {near}: {document.line(near)[:400]}")
        print()


if __name__ == "__main__":
    main()
