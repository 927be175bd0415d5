"""Turning checked facts into an RDF dataset: the ontology graph, one named graph per report.

A fact goes into the named graph of every report that states it, and each (fact, line)
pair gets one evidence node there. Evidence IRIs hash report, line and the triple, so the
same reports always give the same graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from rdflib import DCTERMS, RDF, RDFS, XSD, Dataset, Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.evidence import Evidence
from sensekg.loaders.facts import Citation, Fact, Ref
from sensekg.loaders.observations import measure_scheme
from sensekg.loaders.reports import Corpus
from sensekg.loaders.vocab import (
    EVIDENCE,
    MEASURE,
    ONTOLOGY_GRAPH,
    PROV,
    SK,
    entity_iri,
    ontology_text,
    report_iri,
)


def term(value: Ref | Node) -> Node:
    return entity_iri(value.id) if isinstance(value, Ref) else value


def evidence_iri(report: str, line: int, s: Node, p: Node, o: Node) -> URIRef:
    key = "\x1f".join((report, str(line), s.n3(), p.n3(), o.n3()))
    return EVIDENCE[hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]]


def new_dataset() -> Dataset:
    dataset = Dataset()
    for prefix, namespace in (("sk", SK), ("id", entity_iri("")), ("report", report_iri("")),
                              ("ev", EVIDENCE), ("prov", PROV), ("dcterms", DCTERMS)):
        dataset.bind(prefix, namespace)
    dataset.bind("org", "http://www.w3.org/ns/org#")
    dataset.bind("schema", "https://schema.org/")
    dataset.bind("measure", MEASURE)
    return dataset


def add_reports(dataset: Dataset, corpus: Corpus) -> None:
    """Describe each report in its own named graph, from the manifest."""
    for document in corpus:
        spec, iri = document.spec, report_iri(document.id)
        graph = dataset.graph(iri)
        graph.add((iri, RDF.type, SK.Report))
        graph.add((iri, RDFS.label, Literal(spec.title)))
        graph.add((iri, DCTERMS.title, Literal(spec.title)))
        graph.add((iri, DCTERMS.identifier, Literal(spec.id)))
        graph.add((iri, SK.reportKind, Literal(spec.kind)))
        graph.add((iri, SK.sha256, Literal(spec.sha256)))
        for prop, value in ((DCTERMS.issued, spec.published), (SK.periodStart, spec.period_start),
                            (SK.periodEnd, spec.period_end)):
            if value is not None:
                graph.add((iri, prop, Literal(value.isoformat(), datatype=XSD.date)))


def assemble(corpus: Corpus, facts: Iterable[Fact],
             evidence: Mapping[tuple[Fact, Citation], Evidence], data: Path | None = None) -> Dataset:
    """The whole dataset: ontology, report descriptions, facts and their evidence."""
    dataset = new_dataset()
    ontology = dataset.graph(ONTOLOGY_GRAPH)
    ontology.parse(data=ontology_text(), format="turtle")
    for triple in measure_scheme(data):
        ontology.add(triple)
    add_reports(dataset, corpus)
    for fact in facts:
        s, p, o = term(fact.subject), fact.predicate, term(fact.object)
        for citation in fact.citations:
            found = evidence[(fact, citation)]
            graph = dataset.graph(report_iri(found.report))
            graph.add((s, p, o))
            node = evidence_iri(found.report, found.line, s, p, o)
            graph.add((node, RDF.type, SK.Evidence))
            graph.add((node, RDF.subject, s))
            graph.add((node, RDF.predicate, p))
            graph.add((node, RDF.object, o))
            graph.add((node, PROV.wasDerivedFrom, report_iri(found.report)))
            graph.add((node, SK.line, Literal(found.line)))
            graph.add((node, SK.quote, Literal(found.quote)))
            if found.section:
                graph.add((node, SK.section, Literal(found.section)))
    return dataset
