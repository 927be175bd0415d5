"""SHACL validation with a report a person can act on: grouped by entity, with report lines.

pyshacl is handed plain rdflib graphs, which is much faster than a store-backed one. A whole
graph is validated in partitions by subject (``validate_store``): each partition holds the full
description of its subjects, the ``rdf:type`` of the nodes they point to through a property a
shape checks with ``sh:class``, and the ontology (so
class targets follow ``rdfs:subClassOf``). Every shape here is a SHACL Core constraint on a
single predicate path, so a node's description and its values' types are all a constraint can
read: the partitions together report exactly what one whole-graph run reports, while memory
stays bounded and the work spreads over the cores. (Partitioning by named graph does not: a
report graph may point to a measure typed in another report's graph.)
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from sensekg.loaders.vocab import ONTOLOGY_GRAPH, PROV, SK, ontology_text


@dataclass
class Violation:
    focus: Node
    path: Node | None
    value: Node | None
    message: str
    severity: str


@dataclass
class ValidationReport:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    return Graph().parse(data=ontology_text("shapes.ttl"), format="turtle")


def validate_graph(data: Graph, focus_nodes: list | None = None) -> ValidationReport:
    # ``data`` already holds the ontology graph (class targets follow its rdfs:subClassOf);
    # passing it again as ont_graph would make pyshacl copy the whole data graph.
    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes_graph(), inference="none", allow_warnings=True, advanced=True,
        inplace=True, focus_nodes=focus_nodes,
    )
    violations = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        violations.append(Violation(
            focus=results.value(result, SH.focusNode),
            path=results.value(result, SH.resultPath),
            value=results.value(result, SH.value),
            message=str(results.value(result, SH.resultMessage) or "constraint violated"),
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
        ))
    violations.sort(key=lambda v: (str(v.focus), str(v.path), str(v.value)))
    return ValidationReport(bool(conforms), violations)


PARTITION_TRIPLES = 40_000


@lru_cache(maxsize=1)
def class_checked_predicates() -> frozenset:
    """The predicates whose values a shape checks with ``sh:class`` (directly or inside sh:or)."""
    rows = shapes_graph().query("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT DISTINCT ?path WHERE { ?shape sh:path ?path ; (sh:or|sh:and|rdf:first|rdf:rest)*/sh:class ?c }""")
    return frozenset(row[0] for row in rows)


def partitions(store, size: int = PARTITION_TRIPLES) -> Iterator[tuple[bytes, bytes]]:
    """The store's default graph (the union) as N-Triples partitions of about ``size`` triples.

    A partition holds every triple of its subjects; it is completed with the types of the nodes
    its ``sh:class``-checked values name and with the ontology graph.
    """
    import pyoxigraph as ox

    rdf_type = ox.NamedNode(str(RDF.type))
    checked = {ox.NamedNode(str(p)) for p in class_checked_predicates()}
    default = ox.DefaultGraph()
    ontology = [ox.Triple(q.subject, q.predicate, q.object)
                for q in store.quads_for_pattern(None, None, None, ox.NamedNode(str(ONTOLOGY_GRAPH)))]

    def finish(triples: list) -> tuple[bytes, bytes]:
        subjects = {t.subject for t in triples}
        pointed = {t.object for t in triples if t.predicate in checked and isinstance(t.object, ox.NamedNode)
                   and t.object not in subjects}
        types = [ox.Triple(q.subject, q.predicate, q.object) for node in pointed
                 for q in store.quads_for_pattern(node, rdf_type, None, default)]
        return (ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES),
                ox.serialize(types + ontology, format=ox.RdfFormat.N_TRIPLES))

    chunk: list = []
    for row in store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o }"):
        if len(chunk) >= size:
            yield finish(chunk)
            chunk = []
        chunk.extend(ox.Triple(q.subject, q.predicate, q.object)
                     for q in store.quads_for_pattern(row["s"], None, None, default))
    if chunk:
        yield finish(chunk)


def validate_partition(part: tuple[bytes, bytes]) -> ValidationReport:
    """Validate the subjects of ``part`` (their triples, then the context they point to)."""
    import pyoxigraph as ox

    from .rdfio import from_ox, rdflib_graph

    own = list(ox.parse(part[0], format=ox.RdfFormat.N_TRIPLES))
    report = validate_graph(rdflib_graph(own + list(ox.parse(part[1], format=ox.RdfFormat.N_TRIPLES))))
    # the nodes typed for context are validated too, without their descriptions: their own
    # partition reports on them, so only the partition's subjects are reported here
    subjects = {from_ox(t.subject) for t in own}
    kept = [v for v in report.violations if v.focus in subjects]
    return ValidationReport(not kept, kept)


def validate_store(store, jobs: int | None = None, size: int = PARTITION_TRIPLES,
                   progress: Callable[[int, int], None] | None = None) -> ValidationReport:
    """Validate the union of a store's graphs partition by partition, on ``jobs`` processes."""
    jobs = jobs or os.cpu_count() or 1
    violations: list[Violation] = []
    conforms = True
    done = triples = 0

    def merge(report: ValidationReport) -> None:
        nonlocal conforms, done
        conforms = conforms and report.conforms
        violations.extend(report.violations)
        done += 1
        if progress:
            progress(done, triples)

    if jobs == 1:
        for data in partitions(store, size):
            triples += data[0].count(b"\n")
            merge(validate_partition(data))
    else:
        with ProcessPoolExecutor(jobs) as pool:
            pending = []
            for data in partitions(store, size):
                triples += data[0].count(b"\n")
                pending.append(pool.submit(validate_partition, data))
                while len(pending) > jobs:  # bound memory: at most jobs + 1 partitions in flight
                    merge(pending.pop(0).result())
            for future in pending:
                merge(future.result())
    unique = {(str(v.focus), str(v.path), str(v.value), v.message): v for v in violations}
    ordered = sorted(unique.values(), key=lambda v: (str(v.focus), str(v.path), str(v.value)))
    return ValidationReport(conforms, ordered)


def label_of(store, node: Node) -> str:
    import pyoxigraph as ox

    if not isinstance(node, URIRef):
        return str(node)
    labels = store.quads_for_pattern(ox.NamedNode(str(node)), ox.NamedNode(str(RDFS.label)), None, ox.DefaultGraph())
    return next((q.object.value for q in labels), str(node))


def lines_about(store, node: Node) -> list[str]:
    """``report-id:line`` of every evidence node whose subject is ``node``."""
    if not isinstance(node, URIRef):
        return []
    rows = store.query(f"""SELECT DISTINCT ?report ?line WHERE {{
        ?evidence <{RDF.subject}> <{node}> ; <{PROV.wasDerivedFrom}> ?report ; <{SK.line}> ?line }}""")
    found = {(row["report"].value.rsplit("/", 1)[-1], int(row["line"].value)) for row in rows}
    return [f"{report}:{line}" for report, line in sorted(found)]


def format_report(report: ValidationReport, store) -> str:
    """The violations grouped by entity, each with its label and the report lines that state it."""
    from .query import show

    if report.conforms and not report.violations:
        return "The graph conforms to the shapes."
    grouped: dict[Node, list[Violation]] = defaultdict(list)
    for violation in report.violations:
        grouped[violation.focus].append(violation)
    entities = "entity" if len(grouped) == 1 else "entities"
    out = [f"{len(report.violations)} problem(s) in {len(grouped)} {entities}:"]
    for focus, violations in grouped.items():
        lines = lines_about(store, focus)
        out.append(f"\n{label_of(store, focus)} ({show(focus)})")
        if lines:
            out.append(f"  stated at: {', '.join(lines[:6])}{' …' if len(lines) > 6 else ''}")
        for v in violations:
            path = show(v.path) if isinstance(v.path, URIRef) else "-"
            value = f" (value: {v.value})" if v.value is not None else ""
            out.append(f"  [{v.severity}] {path}: {v.message}{value}")
    return "\n".join(out)
