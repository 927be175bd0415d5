"""Turning checked facts into an RDF dataset: the ontology graph, one named graph per report.

A fact goes into the named graph of every report that states it, and each (fact, line)
pair gets one evidence node there. Evidence IRIs hash report, line and the triple, so the
same reports always give the same graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from rdflib import DCTERMS, RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.evidence import Evidence
from sensekg.loaders.facts import Citation, Fact, Ref
from sensekg.loaders.observations import measure_scheme
from sensekg.loaders.reports import Corpus
from sensekg.loaders.vocab import (
    EVIDENCE,
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


Quad = tuple[Node, Node, Node, URIRef]


def report_quads(corpus: Corpus) -> Iterable[Quad]:
    """Describe each report in its own named graph, from the manifest."""
    for document in corpus:
        spec, iri = document.spec, report_iri(document.id)
        triples = [
            (iri, RDF.type, SK.Report), (iri, RDFS.label, Literal(spec.title)),
            (iri, DCTERMS.title, Literal(spec.title)), (iri, DCTERMS.identifier, Literal(spec.id)),
            (iri, SK.reportKind, Literal(spec.kind)), (iri, SK.sha256, Literal(spec.sha256)),
        ]
        for prop, value in ((DCTERMS.issued, spec.published), (SK.periodStart, spec.period_start),
                            (SK.periodEnd, spec.period_end)):
            if value is not None:
                triples.append((iri, prop, Literal(value.isoformat(), datatype=XSD.date)))
        yield from ((s, p, o, iri) for s, p, o in triples)


def assemble(corpus: Corpus, facts: Iterable[Fact],
             evidence: Mapping[tuple[Fact, Citation], Evidence], data: Path | None = None) -> set[Quad]:
    """Every quad of the dataset: ontology, report descriptions, facts and their evidence."""
    ontology = Graph().parse(data=ontology_text(), format="turtle")
    quads: set[Quad] = {(s, p, o, ONTOLOGY_GRAPH) for s, p, o in ontology}
    quads.update((s, p, o, ONTOLOGY_GRAPH) for s, p, o in measure_scheme(data))
    quads.update(report_quads(corpus))
    for fact in facts:
        s, p, o = term(fact.subject), fact.predicate, term(fact.object)
        for citation in fact.citations:
            found = evidence[(fact, citation)]
            graph = report_iri(found.report)
            node = evidence_iri(found.report, found.line, s, p, o)
            quads.update((
                (s, p, o, graph),
                (node, RDF.type, SK.Evidence, graph),
                (node, RDF.subject, s, graph),
                (node, RDF.predicate, p, graph),
                (node, RDF.object, o, graph),
                (node, PROV.wasDerivedFrom, graph, graph),
                (node, SK.line, Literal(found.line), graph),
                (node, SK.quote, Literal(found.quote), graph),
            ))
            if found.section:
                quads.add((node, SK.section, Literal(found.section), graph))
    return quads
