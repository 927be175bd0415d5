"""Partitioned validation finds exactly the violations planted in the real graph, including
those that need a node's descriptions from several report graphs or a value's type from
another partition."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from sensekg.graph.rdfio import store
from sensekg.graph.validate import validate_store

SK = "https://w3id.org/sensekg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"


def node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@pytest.fixture(scope="module")
def planted(built):
    """The real quads with seven faults, and the (focus, path) each one must be reported at."""
    quads = list(built[0].ox_quads)

    def first(predicate: str, value=None) -> ox.Quad:
        return next(q for q in quads if q.predicate.value == predicate and (value is None or q.object == value))

    subsidiary = first(RDF + "type", node(SK + "Subsidiary")).subject   # targeted through rdfs:subClassOf
    evidence = first(SK + "line").subject
    observation = first(SK + "value").subject
    dated = first(SK + "date", None)
    report = first(SK + "sha256").subject
    membership = first(SK + "member")
    product = first(RDF + "type", node(SK + "Product")).subject          # typed, but not an Organization
    labelled = next(q for q in quads if q.subject == product and q.predicate.value == RDFS + "label")
    other_graph = next(g for g in {q.graph_name for q in quads} if g != labelled.graph_name
                       and not g.value.endswith("/ontology"))

    changed = []
    for q in quads:
        if q.subject == subsidiary and q.predicate.value == RDFS + "label":
            continue
        if q.subject == evidence and q.predicate.value == SK + "line":
            q = ox.Quad(q.subject, q.predicate, ox.Literal("0", datatype=node(XSD + "integer")), q.graph_name)
        elif q.subject == observation and q.predicate.value == SK + "value":
            q = ox.Quad(q.subject, q.predicate, ox.Literal("12"), q.graph_name)
        elif q == dated:
            q = ox.Quad(q.subject, q.predicate, ox.Literal("2020-13"), q.graph_name)
        elif q.subject == report and q.predicate.value == SK + "sha256":
            q = ox.Quad(q.subject, q.predicate, ox.Literal("XYZ"), q.graph_name)
        elif q == membership:
            q = ox.Quad(q.subject, q.predicate, product, q.graph_name)
        changed.append(q)
    # a second, different label stated in another report's graph: only the union breaks maxCount 1
    changed.append(ox.Quad(product, labelled.predicate, ox.Literal("Another name"), other_graph))
    expected = {
        (subsidiary.value, RDFS + "label"), (evidence.value, SK + "line"), (observation.value, SK + "value"),
        (dated.subject.value, SK + "date"), (report.value, SK + "sha256"), (membership.subject.value, SK + "member"),
        (product.value, RDFS + "label"),
    }
    return store(changed), expected


def test_partitions_report_exactly_the_planted_faults(planted):
    target, expected = planted
    # about ten partitions: the product named as a member is typed in another one
    report = validate_store(target, jobs=2, size=20_000)
    assert not report.conforms
    assert {(str(v.focus), str(v.path)) for v in report.violations} == expected
