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

from sensekg.loaders.errors import InputError
from sensekg.loaders.evidence import Evidence, check_facts
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

from . import forked
from .rdfio import to_ox


def term(value: Ref | Node) -> Node:
    return entity_iri(value.id) if isinstance(value, Ref) else value


def evidence_iri(report: str, line: int, s: str, p: str, o: str) -> str:
    """The IRI of the evidence that ``report:line`` states the triple with these N3 terms."""
    key = "\x1f".join((report, str(line), s, p, o))
    return str(EVIDENCE) + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]



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


class Terms(dict):
    """rdflib terms as their N-Triples text and their pyoxigraph term, each made once (most
    recur thousands of times)."""

    def __missing__(self, key: Node) -> tuple[str, ox.Term]:
        term = to_ox(key)
        value = self[key] = (str(term), term)
        return value


def assemble(corpus: Corpus, facts: Iterable[Fact],
             evidence: Mapping[tuple[Fact, Citation], Evidence], data: Path | None = None,
             origins: dict[str, set[str]] | None = None,
             cited: set[tuple[str, int, ox.NamedNode, ox.NamedNode, ox.Term]] | None = None,
             ) -> list[str]:
    """Every quad of the dataset (ontology, report descriptions, facts and their evidence) as
    its N-Quads line (without its final `` .``), sorted, so that the same graph always gives the
    same bytes. The build writes its N-Quads, TriG and store from these lines, and the next build
    compares its lines with them: strings are far quicker to make, hash and compare than quads,
    and a line is made from the text of its terms, each term's made once.

    ``origins``, when given, is filled with the origin of each evidence node: the records
    (file:line) and rules (function) that made its fact. It stays out of the graph, which says
    what the reports state, not how this project's data is laid out.

    ``cited``, when given, is filled with what the search index needs of each evidence node:
    (report, line, subject, predicate, object), once for its line and once for the line it is
    read with; the index is written from these, not from a second pass over every quad.
    """
    terms = Terms()
    lines = base_lines(corpus, data, terms)
    _add_fact_lines(lines, facts, evidence, terms, origins, cited)
    return sorted(lines)


FORK_FROM = 500  # facts on the child's side, at the least, for a child to be forked


def check_and_assemble(corpus: Corpus, facts: Iterable[Fact], data: Path | None = None,
                       origins: dict[str, set[str]] | None = None, cited: set | None = None,
                       base: set[str] | None = None) -> list[str]:
    """:func:`check_facts` then :func:`assemble`: the same lines, origins and index entries, and
    the same error for a bad citation. A forked child checks and assembles the facts of about
    half of the subjects (see :mod:`.forked`; where none can be forked, this process does) while
    this process does the rest: every line and evidence node is made from one fact subject's
    facts (an evidence node's IRI hashes its subject), so the two sides' lines are disjoint, and
    their sorted lists merge into the sorted whole (1.1 s for 1.8 on 387,000 quads). ``base``,
    when given, is :func:`base_lines` made already (it is added to, not copied)."""
    facts = list(facts)
    terms = Terms()
    lines = base_lines(corpus, data, terms) if base is None else base
    mine, theirs = _sides(facts, {line[:line.index(" ")] for line in lines}, terms)
    # a few facts (a rebuild's, most recalled: see memo) are quicker done here than forked for
    child = forked.Share(lambda: _checked_lines(corpus, theirs, terms)) if len(theirs) > FORK_FROM else None
    try:
        _add_fact_lines(lines, mine, check_facts(corpus, mine), terms, origins, cited)
    except BaseException as exc:
        if child is not None:
            child.cancel()
        if isinstance(exc, InputError):
            check_facts(corpus, facts)  # the error a check of every fact in order meets first
        raise
    ordered = sorted(lines)
    shared = child.result() if child is not None else None
    if shared is None:  # no child, or it failed: its share here (a bad citation there is the first in order)
        shared = _checked_lines(corpus, theirs, terms)
    their_lines, their_origins, their_cited = shared
    ordered += their_lines
    ordered.sort()  # two sorted runs: merged in one pass
    if origins is not None:
        origins.update(their_origins)
    if cited is not None:
        cited.update(their_cited)
    return ordered


def _sides(facts: list[Fact], held: set[str], terms: Terms,
           share: float = 0.46) -> tuple[list[Fact], list[Fact]]:
    """The facts split by subject: about ``share`` of the citations to the second side (a
    child, which also pickles its result), each subject whole on one side, and the subjects of
    ``held`` lines on the first. Each side keeps the facts' order."""
    weights: dict[str, int] = {}
    subjects = [terms[term(fact.subject)][0] for fact in facts]
    for subject, fact in zip(subjects, facts, strict=True):
        weights[subject] = weights.get(subject, 0) + len(fact.citations)
    limit, given, second = share * sum(weights.values()), 0, set()
    for subject, weight in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
        if subject not in held and given + weight <= limit:
            second.add(subject)
            given += weight
    mine, theirs = [], []
    for subject, fact in zip(subjects, facts, strict=True):
        (theirs if subject in second else mine).append(fact)
    return mine, theirs


def _checked_lines(corpus: Corpus, facts: list[Fact], terms: Terms) -> tuple[list[str], dict, set]:
    """The sorted lines, origins and index entries of ``facts`` alone, their citations checked."""
    lines: set[str] = set()
    origins: dict[str, set[str]] = {}
    cited: set = set()
    _add_fact_lines(lines, facts, check_facts(corpus, facts), terms, origins, cited)
    return sorted(lines), origins, cited


def base_lines(corpus: Corpus, data: Path | None, terms: Terms | None = None) -> set[str]:
    """The lines not made from facts: the ontology, the measure scheme, the reports' descriptions."""
    terms = Terms() if terms is None else terms
    ontology = f"<{ONTOLOGY_GRAPH}>"
    lines: set[str] = {f"{t.subject} {t.predicate} {t.object} {ontology}"
                       for t in ox.parse(ontology_text(), format=ox.RdfFormat.TURTLE)}
    lines.update(f"{terms[s][0]} {terms[p][0]} {terms[o][0]} {ontology}" for s, p, o in measure_scheme(data))
    lines.update(f"{terms[s][0]} {terms[p][0]} {terms[o][0]} {terms[g][0]}" for s, p, o, g in report_quads(corpus))
    return lines


def _add_fact_lines(lines: set[str], facts: Iterable[Fact], evidence: Mapping[tuple[Fact, Citation], Evidence],
                    terms: Terms, origins: dict[str, set[str]] | None, cited: set | None) -> None:
    """Add to ``lines`` each fact's line in the graph of each report that states it, and its
    evidence nodes' (see :func:`assemble`)."""
    a, subject, predicate, obj = (terms[t][0] for t in (RDF.type, RDF.subject, RDF.predicate, RDF.object))
    evidence_class, derived, line_of, quote_of, section_of = (
        terms[t][0] for t in (SK.Evidence, PROV.wasDerivedFrom, SK.line, SK.quote, SK.section))
    context_line_of, context_quote_of = terms[SK.contextLine][0], terms[SK.contextQuote][0]
    integer = f"^^<{XSD.integer}>"
    in_data_set = terms[QB.dataSet]
    add = lines.add
    for fact in facts:
        s, p, o = term(fact.subject), fact.predicate, term(fact.object)
        (ts, xs), fact_predicate, fact_object = terms[s], terms[p], terms[o]
        ns, np, no = s.n3(), p.n3(), o.n3()
        # an observation is in the data set of each report that states it (qb:dataSet), cited at
        # the lines that state its type: structure, like the report's own description
        member = p == RDF.type and o == SK.Observation
        for index, citation in enumerate(fact.citations):
            found = evidence[(fact, citation)]
            report = report_iri(found.report)
            graph = terms[report]
            g = graph[0]
            stated = [(fact_predicate, fact_object, np, no)] + (
                [(in_data_set, graph, QB.dataSet.n3(), report.n3())] if member else [])
            for (tp, xp), (to, xo), n_p, n_o in stated:
                iri = evidence_iri(found.report, found.line, ns, n_p, n_o)
                node = f"<{iri}>"
                if origins is not None:
                    origins.setdefault(iri, set()).update(fact.origins_of(index))
                if cited is not None:
                    cited.add((found.report, found.line, xs, xp, xo))
                    if found.context_line is not None:
                        cited.add((found.report, found.context_line, xs, xp, xo))
                add(f"{ts} {tp} {to} {g}")
                add(f"{node} {a} {evidence_class} {g}")
                add(f"{node} {subject} {ts} {g}")
                add(f"{node} {predicate} {tp} {g}")
                add(f"{node} {obj} {to} {g}")
                add(f"{node} {derived} {g} {g}")
                add(f'{node} {line_of} "{found.line}"{integer} {g}')
                add(f"{node} {quote_of} {ox.Literal(found.quote)} {g}")
                if found.section:
                    add(f"{node} {section_of} {ox.Literal(found.section)} {g}")
                if found.context_line is not None:  # the line it is read with: the heading, the name's other half
                    add(f'{node} {context_line_of} "{found.context_line}"{integer} {g}')
                    add(f"{node} {context_quote_of} {ox.Literal(found.context_quote)} {g}")
