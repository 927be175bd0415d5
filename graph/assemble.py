"""Turning checked facts into an RDF dataset: the ontology graph, one named graph per report.

A fact goes into the named graph of every report that states it, and each (fact, line)
pair gets one evidence node there; a line read with another (a heading over it, the line a name
runs on to) names that line too, in ``sk:contextLine`` and ``sk:contextQuote``. Evidence IRIs hash
report, line and the triple, so the same reports always give the same graph.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import DCTERMS, RDF, RDFS, XSD, Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.evidence import Evidence
from sensekg.loaders.facts import Citation, Fact, Ref
from sensekg.loaders.measures import measure_scheme
from sensekg.loaders.reports import Corpus
from sensekg.loaders.vocab import (
    EVIDENCE,
    ONTOLOGY_GRAPH,
    PROV,
    QB,
    SK,
    entity_iri,
    ontology_text,
    report_iri,
)

from .rdfio import to_ox


def term(value: Ref | Node) -> Node:
    return entity_iri(value.id) if isinstance(value, Ref) else value


def evidence_iri(report: str, line: int, s: str, p: str, o: str) -> str:
    """The IRI of the evidence that ``report:line`` states the triple with these N3 terms."""
    key = "\x1f".join((report, str(line), s, p, o))
    return str(EVIDENCE) + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


Quad = ox.Quad


def report_quads(corpus: Corpus) -> Iterable[tuple[Node, Node, Node, URIRef]]:
    """Describe each report in its own named graph, from the manifest."""
    for document in corpus:
        spec, iri = document.spec, report_iri(document.id)
        triples = [
            (iri, RDF.type, SK.Report), (iri, RDFS.label, Literal(spec.title)),
            (iri, DCTERMS.title, Literal(spec.title)), (iri, DCTERMS.identifier, Literal(spec.id)),
            (iri, SK.reportKind, Literal(spec.kind)), (iri, SK.sha256, Literal(spec.sha256)),
            (iri, QB.structure, SK.observationStructure),  # a report is the qb:DataSet of its figures
        ]
        for prop, value in ((DCTERMS.issued, spec.published), (SK.periodStart, spec.period_start),
                            (SK.periodEnd, spec.period_end)):
            if value is not None:
                triples.append((iri, prop, Literal(value.isoformat(), datatype=XSD.date)))
        yield from ((s, p, o, iri) for s, p, o in triples)


class _Terms(dict):
    """rdflib terms as pyoxigraph terms, each converted once (most recur thousands of times)."""

    def __missing__(self, key: Node):
        value = self[key] = to_ox(key)
        return value


class _Quads(dict):
    """A set of quads, keyed by their N-Quads lines: each line is made as its quad is (while
    its terms are fresh in memory, three times faster than afterwards), and the lines are what
    the quads are sorted by and what the next build compares with."""

    def add(self, quad: Quad) -> None:
        self.setdefault(str(quad), quad)

    def update(self, quads: Iterable[Quad]) -> None:
        for quad in quads:
            self.setdefault(str(quad), quad)


def assemble(corpus: Corpus, facts: Iterable[Fact],
             evidence: Mapping[tuple[Fact, Citation], Evidence], data: Path | None = None,
             origins: dict[str, set[str]] | None = None,
             cited: set[tuple[str, int, ox.NamedNode, ox.NamedNode, ox.Term]] | None = None,
             ) -> tuple[list[Quad], list[str]]:
    """Every quad of the dataset (ontology, report descriptions, facts and their evidence) as
    pyoxigraph quads, sorted so that the same graph always gives the same bytes, and each quad's
    N-Quads line (without its final `` .``), by which they are sorted: the next build compares
    its lines with these, strings being far quicker to hash and compare than quads.

    ``origins``, when given, is filled with the origin of each evidence node: the records
    (file:line) and rules (function) that made its fact. It stays out of the graph, which says
    what the reports state, not how this project's data is laid out.

    ``cited``, when given, is filled with what the search index needs of each evidence node:
    (report, line, subject, predicate, object), once for its line and once for the line it is
    read with; the index is written from these, not from a second pass over every quad.

    The quads are made as pyoxigraph terms directly: going through rdflib terms first cost more
    than the rest of the build together.
    """
    terms = _Terms()
    ontology = ox.NamedNode(str(ONTOLOGY_GRAPH))
    quads = _Quads()
    quads.update(ox.Quad(t.subject, t.predicate, t.object, ontology)
                 for t in ox.parse(ontology_text(), format=ox.RdfFormat.TURTLE))
    quads.update(ox.Quad(terms[s], terms[p], terms[o], ontology) for s, p, o in measure_scheme(data))
    quads.update(ox.Quad(terms[s], terms[p], terms[o], terms[g]) for s, p, o, g in report_quads(corpus))
    a, subject, predicate, obj = (terms[t] for t in (RDF.type, RDF.subject, RDF.predicate, RDF.object))
    evidence_class, derived, line_of, quote_of, section_of = (
        terms[t] for t in (SK.Evidence, PROV.wasDerivedFrom, SK.line, SK.quote, SK.section))
    context_line_of, context_quote_of = terms[SK.contextLine], terms[SK.contextQuote]
    integer = ox.NamedNode(str(XSD.integer))
    in_data_set = terms[QB.dataSet]
    for fact in facts:
        s, p, o = term(fact.subject), fact.predicate, term(fact.object)
        xs, xp, xo = terms[s], terms[p], terms[o]
        ns, np, no = s.n3(), p.n3(), o.n3()
        # an observation is in the data set of each report that states it (qb:dataSet), cited at
        # the lines that state its type: structure, like the report's own description
        member = p == RDF.type and o == SK.Observation
        for index, citation in enumerate(fact.citations):
            found = evidence[(fact, citation)]
            report = report_iri(found.report)
            graph = terms[report]
            stated = [(xp, xo, np, no)] + ([(in_data_set, graph, QB.dataSet.n3(), report.n3())] if member else [])
            for yp, yo, n_p, n_o in stated:
                iri = evidence_iri(found.report, found.line, ns, n_p, n_o)
                node = ox.NamedNode(iri)
                if origins is not None:
                    origins.setdefault(iri, set()).update(fact.origins_of(index))
                if cited is not None:
                    cited.add((found.report, found.line, xs, yp, yo))
                    if found.context_line is not None:
                        cited.add((found.report, found.context_line, xs, yp, yo))
                quads.update((
                    ox.Quad(xs, yp, yo, graph),
                    ox.Quad(node, a, evidence_class, graph),
                    ox.Quad(node, subject, xs, graph),
                    ox.Quad(node, predicate, yp, graph),
                    ox.Quad(node, obj, yo, graph),
                    ox.Quad(node, derived, graph, graph),
                    ox.Quad(node, line_of, ox.Literal(str(found.line), datatype=integer), graph),
                    ox.Quad(node, quote_of, ox.Literal(found.quote), graph),
                ))
                if found.section:
                    quads.add(ox.Quad(node, section_of, ox.Literal(found.section), graph))
                if found.context_line is not None:  # the line it is read with: the heading, the name's other half
                    quads.update((
                        ox.Quad(node, context_line_of, ox.Literal(str(found.context_line), datatype=integer), graph),
                        ox.Quad(node, context_quote_of, ox.Literal(found.context_quote), graph),
                    ))
    lines = sorted(quads)
    return [quads[line] for line in lines], lines
