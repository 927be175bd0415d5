"""Fast RDF input and output through pyoxigraph, and conversion to rdflib where its API helps.

rdflib parses and serialises 10 to 40 times slower than pyoxigraph, so files are read and
written with pyoxigraph; rdflib graphs are built only for pySHACL. Quads are written sorted,
so the same graph always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.errors import InputError
from sensekg.loaders.vocab import PREFIXES, XSD_STRING  # noqa: F401  (re-exported: the prefixes of every output)

FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
}

def to_ox(term: Node):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def from_ox(term) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"cannot convert {term!r}")


def write(quads: list[ox.Quad], path: Path | None, fmt: str) -> bytes | None:
    """Serialise; triple formats (ttl, nt) merge the named graphs into one graph."""
    rdf_format = FORMATS[fmt]
    if rdf_format.supports_datasets:
        items: Iterable = quads
    else:
        items = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    return ox.serialize(items, str(path) if path else None, rdf_format, prefixes=prefixes)


def read(path: Path) -> list[ox.Quad]:
    try:
        return list(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"the built graph is corrupt ({exc}); rebuild it with `sensekg build`",
                         path=path) from None


def rdflib_graph(quads: Iterable[ox.Quad]) -> Graph:
    """The union of all graphs as one rdflib graph (for pySHACL and rdflib SPARQL)."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.addN((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), graph) for q in quads)
    return graph


def fill(target: ox.Store, quads: list[ox.Quad]) -> ox.Store:
    """Add the named graphs and their deduplicated union as the default graph.

    The store is a set of quads, so a triple several graphs hold lands once in the default graph;
    letting it deduplicate is 20 % faster than building the union in Python first.
    """
    target.bulk_extend(quads)
    target.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
    return target


def union_lines(nquads: Iterable[bytes]) -> Iterator[bytes]:
    """The union of the graphs as N-Triples lines, from the N-Quads lines of a build's
    ``sensekg.nq`` (``S P O G .``, sorted, every quad in a named graph): each line with its graph
    cut off, no term parsed, and a triple several graphs hold once (its lines are adjacent)."""
    previous = None
    for line in nquads:
        triple = line.rsplit(b" ", 2)[0]
        if triple != previous:
            yield triple + b" .\n"
            previous = triple


def fill_from_nquads(target: ox.Store, nquads: Path) -> ox.Store:
    """:func:`fill` from a build's N-Quads file: the graphs bulk-loaded from it, and the union
    from :func:`union_lines`. RocksDB's bulk loader parses both without holding Python's lock."""
    target.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    with nquads.open("rb") as stream:
        union = b"".join(union_lines(stream))
    if union:
        target.bulk_load(union, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
    return target


def update(target: ox.Store, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> None:
    """Turn a store :func:`fill` wrote from one list of quads into the store it writes from
    another, given the named-graph quads the second list dropped and gained.

    The union default graph gains the triple of every added quad (adding a triple it holds is a
    no-op) and loses the triple of a removed quad only when no named graph holds it any longer.
    The store compares literals by value, so a removed ``"60.0"^^xsd:decimal`` takes ``"60"`` with
    it; removing first and adding after keeps a literal that only changed its lexical form.
    """
    removed, added = list(removed), list(added)
    default = ox.DefaultGraph()
    for quad in removed:
        target.remove(quad)
    target.extend(added)
    target.extend(ox.Quad(q.subject, q.predicate, q.object, default) for q in added)
    for quad in removed:
        if not any(not isinstance(held.graph_name, ox.DefaultGraph)
                   for held in target.quads_for_pattern(quad.subject, quad.predicate, quad.object)):
            target.remove(ox.Quad(quad.subject, quad.predicate, quad.object, default))


def store(quads: Iterable[ox.Quad]) -> ox.Store:
    """An in-memory Oxigraph store for SPARQL: the named graphs, and their union, without
    duplicates, as the default graph.

    Oxigraph's own union default graph keeps a triple once per graph that holds it, so a fact
    stated by three reports would answer three times; a deduplicated default graph does not.
    """
    return fill(ox.Store(), list(quads))
