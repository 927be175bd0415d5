"""Running saved queries: parameters resolved from names, results shown with labels.

A parameter naming an entity accepts an IRI, a label or an alias (case-insensitive); a name
shared by several entities is refused with the candidates listed. Values are always bound as
RDF terms (see :func:`sensekg.graph.query.bind`), never pasted into the query text.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.errors import InputError
from sensekg.loaders.vocab import ID, REPORT

from .query import select
from .saved import SavedQuery

FIND = """
SELECT ?e ?label (MAX(?is_label) AS ?by_label) WHERE {
  { ?e rdfs:label ?n BIND(1 AS ?is_label) } UNION { ?e skos:altLabel ?n BIND(0 AS ?is_label) }
  FILTER(LCASE(STR(?n)) = LCASE(STR(?name)))
  FILTER(!STRSTARTS(STR(?e), STR(ev:)))
  ?e rdfs:label ?label .
} GROUP BY ?e ?label ORDER BY ?e"""

TYPES = "SELECT ?t WHERE { ?e a ?t . FILTER(STRSTARTS(STR(?t), STR(sk:))) }"


def resolve_entity(store: ox.Store, value: str, param: str = "entity") -> URIRef:
    if value.startswith(("http://", "https://")):
        return _checked_iri(value, param)
    if value.startswith("id:"):
        return _checked_iri(str(ID) + value[3:], param)
    _, found = select(store, FIND, {"name": Literal(value)})
    by_label = [row for row in found if int(row[2]) == 1]
    if len(by_label) == 1:  # the one entity whose preferred label this is beats its aliases' owners
        found = by_label
    if not found:
        raise InputError(f"--param {param}: no entity is named {value!r}; try `sensekg search {value}`")
    if len(found) > 1:
        listed = "; ".join(f"{_short(e)} ({label}, {_type(store, e)})" for e, label, _ in found)
        raise InputError(f"--param {param}: {value!r} names {len(found)} entities: {listed}. "
                         "Pass one of their ids, e.g. id:xyz")
    return URIRef(str(found[0][0]))


def _type(store: ox.Store, entity: Node) -> str:
    _, types = select(store, TYPES, {"e": entity})
    return ", ".join(sorted(str(t).rsplit("#", 1)[-1] for (t,) in types)) or "untyped"


def _short(iri: Node) -> str:
    text = str(iri)
    return "id:" + text.rsplit("/", 1)[-1] if text.startswith(str(ID)) else text


def bindings_for(store: ox.Store, query: SavedQuery, given: Mapping[str, str]) -> dict[str, Node]:
    known = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InputError(f"{query.name} takes no parameter {', '.join(unknown)}; it takes "
                         f"{', '.join(known) or 'none'}")
    bound: dict[str, Node] = {}
    for name, param in known.items():
        if name not in given:
            if not param.optional:
                raise InputError(f"{query.name} needs --param {name}=... ({param.description})")
            continue
        value = given[name]
        if param.kind == "entity":
            bound[name] = resolve_entity(store, value, name)
        elif param.kind == "report":
            report = value if value.startswith("http") else str(REPORT) + value.removeprefix("report:")
            bound[name] = _checked_iri(report, name)
        else:
            bound[name] = Literal(value)
    return bound


def _checked_iri(iri: str, param: str) -> URIRef:
    """An IRI Oxigraph accepts, or a one-line error naming the parameter."""
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise InputError(f"--param {param}: {iri!r} is not a valid IRI ({exc})") from None
    return URIRef(iri)


def run_saved(store: ox.Store, query: SavedQuery, given: Mapping[str, str]) -> tuple[list[str], list[tuple]]:
    return select(store, query.text, bindings_for(store, query, given))


LABELS = """
SELECT ?x ?label WHERE { ?x rdfs:label ?label }"""


def with_labels(store: ox.Store, rows: list[tuple]) -> list[tuple]:
    """IRIs replaced by their labels where they have one."""
    iris = {v for row in rows for v in row if isinstance(v, URIRef)}
    if not iris:
        return rows
    labels: dict[Node, Node] = {}
    values = " ".join(f"<{iri}>" for iri in iris if ">" not in iri)
    _, found = select(store, f"SELECT ?x ?label WHERE {{ VALUES ?x {{ {values} }} ?x rdfs:label ?label }}")
    for iri, label in found:
        labels.setdefault(iri, label)
    return [tuple(labels.get(v, v) if isinstance(v, URIRef) else v for v in row) for row in rows]
