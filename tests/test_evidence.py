"""Evidence: every fact cites a line that really says it, and the graph is reproducible."""

from __future__ import annotations

import pytest
from conftest import select
from rdflib import RDF

from sensekg.graph.build import build_dataset
from sensekg.loaders.evidence import anchor_span, passage
from sensekg.loaders.vocab import EVIDENCE, ONTOLOGY_GRAPH, PROV, REPORT, SK


def test_every_quote_is_on_its_cited_line(built, graph):
    corpus = built[0].corpus
    checked = 0
    for evidence in graph.subjects(RDF.type, SK.Evidence):
        report = str(graph.value(evidence, PROV.wasDerivedFrom))[len(REPORT):]
        line = int(graph.value(evidence, SK.line))
        quote = str(graph.value(evidence, SK.quote))
        assert quote and quote in corpus[report].line(line), (report, line, quote)
        checked += 1
    assert checked > 500


def test_every_context_quote_is_on_its_context_line(built, graph):
    corpus = built[0].corpus
    checked = 0
    for evidence, line in graph.subject_objects(SK.contextLine):
        report = str(graph.value(evidence, PROV.wasDerivedFrom))[len(REPORT):]
        quote = str(graph.value(evidence, SK.contextQuote))
        assert int(line) != int(graph.value(evidence, SK.line))
        assert quote and quote in corpus[report].line(int(line)), (report, line, quote)
        checked += 1
    assert checked > 100


def test_every_fact_outside_the_ontology_has_evidence_in_its_graph(built):
    import pyoxigraph as ox

    # as Oxigraph terms, the build's own (a term in each of 387,000 quads made again as rdflib's took 10 s)
    subject, predicate, object_ = (ox.NamedNode(str(term)) for term in (RDF.subject, RDF.predicate, RDF.object))
    by_graph: dict = {}
    for quad in built[0].quads:
        by_graph.setdefault(quad.graph_name, set()).add(quad.triple)
    checked = 0
    for graph, triples in by_graph.items():
        if graph.value == str(ONTOLOGY_GRAPH):
            continue
        assert graph.value.startswith(str(REPORT))
        stated: dict = {}
        for s, p, o in triples:
            if s.value.startswith(str(EVIDENCE)) and p in (subject, predicate, object_):
                stated.setdefault(s, {})[p] = o
        backed = {ox.Triple(e[subject], e[predicate], e[object_]) for e in stated.values()}
        for triple in triples:
            if triple.subject.value.startswith(str(EVIDENCE)) or triple.subject == graph:
                continue
            assert triple in backed, (graph, triple)
            checked += 1
    assert checked > 5000


def test_a_fact_stated_by_two_reports_has_two_evidence_nodes(graph):
    # The 5A rating of the Lingang AIDC is stated by the annual and the interim results.
    rows = select(graph, """
        SELECT ?report ?line WHERE {
          ?cert sk:holder id:lingang-aidc ; sk:level "5A" .
          ?e rdf:subject ?cert ; rdf:predicate sk:level ; prov:wasDerivedFrom ?report ; sk:line ?line .
        }""")
    assert sorted((str(r)[len(REPORT):], int(n)) for r, n in rows) == [
        ("annual-results-2024", 41), ("annual-results-2024", 57), ("interim-results-2025h1", 184),
    ]


def test_rebuilding_gives_the_same_quads(built):
    """In the same process: nothing a build memoises may leak into the next one. (That two
    processes write byte-identical TriG is test_diff's.)"""
    assert build_dataset().lines == built[0].lines


@pytest.mark.parametrize(("text", "anchor", "quote"), [
    ("One. Two words here. Three.", "words", "Two words here."),
    ("<p>First run</p> <p>Second run here</p>", "Second", "Second run here"),
    ("Co., Ltd. and Shanghai Ltd. were qualified. Next.", "Shanghai", "Co., Ltd. and Shanghai Ltd. were qualified."),
    ("split   across\twhite space.", "across white", "split   across\twhite space."),
])
def test_quotes_are_the_passage_around_the_anchor(text, anchor, quote):
    span = anchor_span(text, anchor)
    assert span is not None
    assert passage(text, span) == quote


def test_the_word_runs_a_report_is_indexed_by_are_runs_of_word_characters():
    """A name is looked for in a report only when each of its runs of word characters is among
    the report's (``MentionIndex.runs``); the runs' pattern must take exactly the characters
    ``word_char`` does, or a name printed beside one of the others would be missed. Every code
    point is tried."""
    from sensekg.loaders.printed import WORD_RUN, word_char

    differ = [hex(point) for point in range(0x110000) if not 0xD800 <= point <= 0xDFFF
              and bool(WORD_RUN.fullmatch(chr(point))) != word_char(chr(point))]
    assert differ == []
