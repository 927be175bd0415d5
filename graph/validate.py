"""SHACL validation with a report a person can act on: grouped by entity, with report lines.

pyshacl is handed a plain rdflib graph (the union of the named graphs plus the ontology,
so that class targets follow ``rdfs:subClassOf``), which is much faster than a store-backed one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from pyshacl import validate as shacl_validate
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from sensekg.loaders.vocab import PROV, SK, ontology_text


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


def shapes_graph() -> Graph:
    return Graph().parse(data=ontology_text("shapes.ttl"), format="turtle")


def validate_graph(data: Graph) -> ValidationReport:
    # ``data`` already holds the ontology graph (class targets follow its rdfs:subClassOf);
    # passing it again as ont_graph would make pyshacl copy the whole data graph.
    conforms, results, _ = shacl_validate(
        data, shacl_graph=shapes_graph(), inference="none", allow_warnings=True, advanced=True,
        inplace=True,
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


def label_of(graph: Graph, node: Node) -> str:
    label = graph.value(node, RDFS.label) if isinstance(node, URIRef) else None
    return str(label) if label is not None else str(node)


def lines_about(graph: Graph, node: Node) -> list[str]:
    """``report-id:line`` of every evidence node whose subject is ``node``."""
    found = set()
    for evidence in graph.subjects(RDF.subject, node):
        report, line = graph.value(evidence, PROV.wasDerivedFrom), graph.value(evidence, SK.line)
        if report is not None and line is not None:
            found.add((str(report).rsplit("/", 1)[-1], int(line)))
    return [f"{report}:{line}" for report, line in sorted(found)]


def format_report(report: ValidationReport, graph: Graph) -> str:
    if report.conforms and not report.violations:
        return "The graph conforms to the shapes."
    grouped: dict[Node, list[Violation]] = defaultdict(list)
    for violation in report.violations:
        grouped[violation.focus].append(violation)
    entities = "entity" if len(grouped) == 1 else "entities"
    out = [f"{len(report.violations)} problem(s) in {len(grouped)} {entities}:"]
    for focus, violations in grouped.items():
        name = graph.namespace_manager.normalizeUri(focus) if isinstance(focus, URIRef) else str(focus)
        lines = lines_about(graph, focus)
        out.append(f"\n{label_of(graph, focus)} ({name})")
        if lines:
            out.append(f"  stated at: {', '.join(lines[:6])}{' …' if len(lines) > 6 else ''}")
        for v in violations:
            path = graph.namespace_manager.normalizeUri(v.path) if isinstance(v.path, URIRef) else "-"
            value = f" (value: {v.value})" if v.value is not None else ""
            out.append(f"  [{v.severity}] {path}: {v.message}{value}")
    return "\n".join(out)
