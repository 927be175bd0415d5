"""The public namespaces, the lists of classes, and the property kinds read from the ontology.

Nothing else in sensekg spells a namespace out: code that needs an IRI as a string (a SPARQL
text, a prefix test on pyoxigraph terms) takes it from here. The ontology file is the single
source of truth for which ``sk:`` properties exist and whether they link entities or carry
literals; the statement loader asks this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from rdflib import OWL, RDF, RDFS, XSD, Graph, Namespace, URIRef

BASE = "https://w3id.org/sensekg/"
SK = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
REPORT = Namespace(BASE + "report/")
EVIDENCE = Namespace(BASE + "evidence/")
MEASURE = Namespace(BASE + "measure/")
MEASURE_SCHEME = URIRef(BASE + "measure/")
ONTOLOGY_GRAPH = URIRef(BASE + "ontology")
PROV = Namespace("http://www.w3.org/ns/prov#")
ORG = Namespace("http://www.w3.org/ns/org#")
RDF_NS = str(RDF)
RDFS_LABEL = str(RDFS.label)
XSD_STRING = str(XSD.string)

# the prefixes of every output (Turtle, TriG, query results) and of every saved query
QB = Namespace("http://purl.org/linked-data/cube#")  # the W3C RDF Data Cube: a report is the qb:DataSet of its figures

PREFIXES = {
    "sk": str(SK), "id": str(ID), "report": str(REPORT), "ev": str(EVIDENCE), "measure": str(MEASURE),
    "rdf": RDF_NS, "rdfs": str(RDFS), "xsd": str(XSD), "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": str(PROV), "dcterms": "http://purl.org/dc/terms/", "schema": "https://schema.org/",
    "org": str(ORG), "owl": str(OWL), "qb": str(QB),
}

# Classes whose nodes qualify a fact (a certification has a holder, a standard, an issuer and a
# date), drawn as an edge between their two ends and labelled from them.
QUALIFIED_CLASSES = ("Certification", "Membership", "Partnership", "Role", "Award", "StandardUse")

TEMPORAL_DATATYPES = (XSD.date, XSD.gYearMonth, XSD.gYear)


@lru_cache(maxsize=1 << 16)  # a new term per call otherwise; a build asks 35,000 times for a few thousand
def entity_iri(slug: str) -> URIRef:
    return ID[slug]


@lru_cache(maxsize=256)
def report_iri(report_id: str) -> URIRef:
    return REPORT[report_id]


def ontology_text(name: str = "sensekg.ttl") -> str:
    return resources.files("sensekg.ontology").joinpath(name).read_text(encoding="utf-8")


@cache
def ontology_graph() -> Graph:
    graph = Graph()
    graph.parse(data=ontology_text(), format="turtle")
    return graph


@dataclass(frozen=True)
class PropertyKind:
    iri: URIRef
    links_entities: bool
    range: URIRef | None


@cache
def properties() -> dict[str, PropertyKind]:
    """Every ``sk:`` property by local name, with whether it is an object property."""
    graph, found = ontology_graph(), {}
    for kind, links in ((OWL.ObjectProperty, True), (OWL.DatatypeProperty, False)):
        for prop in graph.subjects(RDF.type, kind):
            if isinstance(prop, URIRef) and prop.startswith(SK):
                range_ = graph.value(prop, RDFS.range)
                range_ = range_ if isinstance(range_, URIRef) else None
                found[prop[len(SK):]] = PropertyKind(prop, links, range_)
    return found


@cache
def classes() -> dict[str, URIRef]:
    """Every ``sk:`` class by local name."""
    graph = ontology_graph()
    return {
        c[len(SK):]: c
        for c in graph.subjects(RDF.type, OWL.Class)
        if isinstance(c, URIRef) and c.startswith(SK)
    }


@cache
def kinds_of(name: str) -> frozenset[str]:
    """The ``sk:`` class ``name`` and every class below it, by local name."""
    graph, top = ontology_graph(), SK[name]
    return frozenset(local for local, iri in classes().items()
                     if iri == top or top in graph.transitive_objects(iri, RDFS.subClassOf))
