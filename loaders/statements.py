"""Curated statements: facts read by a person from report prose, stored as data.

Statement files live in the folder of the report they read, ``reports/<id>/statements*.toml``,
and cite that report only. A statement file holds records. ``[[certification]]``, ``[[membership]]`` and any other
table named after an ontology class create a qualified-fact node with an ``id``; an
``[[about]]`` record adds facts to an existing entity named by ``subject``. Every other
key is an ``sk:`` property. ``cite`` lists ``"report-id:line | anchor phrase"``; the
evidence check later proves each anchor is on its line and reads the quote from there.

    [[certification]]
    id = "cert-senseauto-tisax-al3"
    holder = "senseauto"
    standard = "tisax"
    level = "AL3"
    date = "2023"
    cite = ["sustainability-report-2024:811 | TISAX AL3 Certification in 2023"]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Literal, URIRef

from .datafiles import STATEMENTS, read_toml, record_lines, report_files
from .errors import InputError
from .facts import Citation, Fact, Ref
from .registry import Registry
from .schema import check_record, key_line, statement_shape, temporal_kind
from .vocab import TEMPORAL_DATATYPES, classes, ontology_graph, properties

RESERVED = {"id", "subject", "cite", "label", "note"}


def _join(*parts: tuple[str, str | None]) -> str:
    """Join (prefix, value) pairs, leaving out the missing values with their prefixes."""
    return "".join(prefix + value for prefix, value in parts if value)


# How a qualified-fact node is labelled, from the labels of what it links (an [[award]] names itself).
LABEL_TEMPLATES = {
    "Certification": lambda v: _join(("", v("holder")), (": ", v("standard")), (" ", v("level")),
                                     (" (", v("date") and v("date") + ")")),
    "Membership": lambda v: _join(("", v("member")), (" in ", v("organization")), (" as ", v("roleName"))),
    "Role": lambda v: _join(("", v("person")), (", ", v("roleName")), (", ", v("organization"))),
    "Partnership": lambda v: _join(("", v("partner")), (": ", v("relationKind")), (" of ", v("organization")),
                                   (" for ", v("product"))),
    "StandardUse": lambda v: _join(("", v("organization")), (" ", v("useKind")), (" ", v("standard")),
                                   (" (from ", v("since") and v("since") + ")")),
}


@dataclass
class Record:
    kind: str  # "about" or an ontology class name
    node: str
    fields: dict
    citations: tuple[Citation, ...]
    where: str
    label: str | None = None


_TEMPORAL = {"date": XSD.date, "gYearMonth": XSD.gYearMonth, "gYear": XSD.gYear}


def literal_for(value: object, range_: URIRef | None, where: str, key: str) -> Literal:
    """A typed literal: decimals for amounts, the date type that fits the value's precision.

    Values come checked by :func:`schema.statement_shape`; the errors here guard direct callers.
    """
    if range_ == XSD.decimal:
        try:
            return Literal(Decimal(str(value)), datatype=XSD.decimal)
        except InvalidOperation:
            raise InputError(f"{key} = {value!r} is not a decimal number", path=where) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return Literal(value.isoformat(), datatype=XSD.date)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Literal(Decimal(str(value)), datatype=XSD.decimal)
    if not isinstance(value, str):
        raise InputError(f"{key} = {value!r}: expected a string, number or date", path=where)
    if range_ in (None, RDFS.Literal, *TEMPORAL_DATATYPES):
        try:
            kind = temporal_kind(value)
        except ValueError as exc:
            raise InputError(f"{key} = {value!r}: {exc}", path=where) from None
        if kind:
            return Literal(value, datatype=_TEMPORAL[kind])
        if range_ in TEMPORAL_DATATYPES:
            raise InputError(f"{key} = {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD", path=where)
    return Literal(value)


def read_records(folder: Path | None = None) -> list[Record]:
    """Every record of every report folder's ``statements*.toml``, each checked against
    :func:`schema.statement_shape` and citing only the report whose folder holds it."""
    class_names = {name.lower(): name for name in classes()}
    records = []
    for report, path in report_files(STATEMENTS, folder):
        data, lines = read_toml(path)
        for table, entries in data.items():
            header = key_line(lines, None, table)
            if table != "about" and table.lower() not in class_names:
                raise InputError(f"[[{table}]] is neither [[about]] nor an ontology class", path=path, line=header)
            if not isinstance(entries, list):
                raise InputError(f"{table} must be an array of tables [[{table}]]", path=path, line=header)
            kind = class_names.get(table.lower(), "about")
            for body, start in zip(entries, record_lines(lines, table, len(entries)), strict=True):
                record = _record(table, kind, body, path, lines, start)
                strangers = sorted({c.report for c in record.citations} - {report})
                if strangers:
                    raise InputError(f"[[{table}]] {record.node}: cites {', '.join(strangers)} from the folder of "
                                     f"{report}; a record cites its own report only (put the rest in "
                                     f"reports/{strangers[0]}/)", path=path, line=start)
                records.append(record)
    return records


def _record(table: str, kind: str, body: object, path: Path, lines: list[str], start: int | None) -> Record:
    where = f"{path}:{start or '?'}"
    node = body.get("subject" if kind == "about" else "id") if isinstance(body, dict) else None
    what = f"[[{table}]] {node}" if isinstance(node, str) else f"[[{table}]]"
    if isinstance(body, dict):  # any sk: property may be a key: point to the ontology, not a list of 70
        unknown = sorted(set(body) - set(statement_shape(kind)))
        if unknown:
            raise InputError(f"{what}: unknown properties {unknown}; see ontology/sensekg.ttl",
                             path=path, line=start)
    values = check_record(body, statement_shape(kind), what, path, lines, start)
    node = values["subject" if kind == "about" else "id"]
    fields = {k: v for k, v in values.items() if k not in RESERVED}
    return Record(kind, node, fields, values["cite"], where, values.get("label"))


def statement_facts(registry: Registry, folder: Path | None = None) -> list[Fact]:
    """Every curated record as facts; object ids must name a registry entity or a record node.

    Several reports may state one node: each report's record of it gives facts cited to that
    report, and the records must agree on what the node is (its class and its label).
    """
    records = read_records(folder)
    nodes: dict[str, Record] = {}
    for record in records:
        if record.kind == "about":
            continue
        if record.node in registry:
            raise InputError(f"id {record.node!r} is an entity of the registry too ({registry[record.node].source})",
                             path=record.where)
        first = nodes.setdefault(record.node, record)
        if first.kind != record.kind:
            raise InputError(f"{record.node!r} is made by a [[{record.kind.lower()}]] record here but by a "
                             f"[[{first.kind.lower()}]] at {first.where}",
                             path=record.where)
    facts: list[Fact] = []
    labels: dict[str, tuple[str, str]] = {}
    for record in records:
        origin = f"statement {record.node} ({record.where})"
        if record.kind == "about" and record.node not in registry and record.node not in nodes:
            raise InputError(f"[[about]] subject {record.node!r} is not a known entity", path=record.where)
        subject = Ref(record.node)
        values: dict[str, list] = {}
        for key, raw in record.fields.items():
            prop = properties()[key]
            for value in raw:
                if prop.links_entities:
                    if not isinstance(value, str) or (value not in registry and value not in nodes):
                        raise InputError(f"{record.node}: {key} = {value!r} is not a known entity id",
                                         path=record.where)
                    obj = Ref(value)
                else:
                    obj = literal_for(value, prop.range, record.where, key)
                values.setdefault(key, []).append(obj)
                facts.append(Fact(subject, prop.iri, obj, record.citations, origin, record=True))
        if record.kind != "about":
            facts.append(Fact(subject, RDF.type, classes()[record.kind], record.citations, origin, record=True))
            label = record.label or _label(record.kind, record.node, values, registry, nodes)
            named = labels.setdefault(record.node, (label, record.where))
            if named[0] != label:
                raise InputError(f"{record.node!r} is labelled {label!r} here but {named[0]!r} at {named[1]}; "
                                 "records of one node must agree on its label", path=record.where)
            facts.append(Fact(subject, RDFS.label, Literal(label), record.citations, origin, record=True))
    return facts


def _label(kind: str, node: str, values: dict, registry: Registry, nodes: dict[str, Record]) -> str:
    template = LABEL_TEMPLATES.get(kind)
    if not template:
        raise InputError(f"{node}: a [[{kind.lower()}]] record needs a label", path=nodes[node].where)

    def text(key: str) -> str | None:
        found = values.get(key)
        if not found:
            return None
        first = found[0]
        if isinstance(first, Ref):
            return registry[first.id].label if first.id in registry else nodes[first.id].label or first.id
        return str(first)

    return template(text)


# Properties that order things: a part within a whole, a version within its product, a
# subsidiary within its parent, a product on what it depends on. Their sk: sub-properties
# (poweredBy under builtOn) join the order of their parent.
ORDERINGS = ("partOf", "versionOf", "subsidiaryOf", "builtOn")


def _ordering_of() -> dict[URIRef, str]:
    """Each ordering property, and each of its ``sk:`` sub-properties, by the ordering it joins."""
    graph, iris = ontology_graph(), {properties()[name].iri: name for name in ORDERINGS}
    found = {}
    for prop in properties().values():
        for ancestor in graph.transitive_objects(prop.iri, RDFS.subPropertyOf):  # starts with prop
            if ancestor in iris:
                found[prop.iri] = iris[ancestor]
                break
    return found


def check_acyclic(facts: Iterable[Fact]) -> None:
    """Refuse a part, version, subsidiary or dependency chain that loops back on itself.

    A product built on itself, or two products each built on the other, is a slip in a record
    that SHACL cannot see (it checks one node at a time) and that sends every transitive query
    (``sk:builtOn+``) round in circles. The error names the cycle and every record in it.
    """
    ordering_of = _ordering_of()
    edges: dict[str, dict[str, dict[str, Fact]]] = {}
    for fact in facts:
        ordering = ordering_of.get(fact.predicate)
        if ordering and isinstance(fact.subject, Ref) and isinstance(fact.object, Ref):
            edges.setdefault(ordering, {}).setdefault(fact.subject.id, {}).setdefault(fact.object.id, fact)
    for ordering in ORDERINGS:
        cycle = _find_cycle(edges.get(ordering, {}))
        if cycle:
            members = " -> ".join([cycle[0].subject.id, *(f.object.id for f in cycle)])
            records = "; ".join(dict.fromkeys(f.origin for f in cycle))
            raise InputError(f"{ordering} loops back on itself: {members} (stated by {records})")


def _find_cycle(edges: dict[str, dict[str, Fact]]) -> list[Fact] | None:
    """The facts of one cycle in ``edges`` (subject -> object -> fact), or ``None``."""
    done: set[str] = set()
    for root in sorted(edges):
        if root in done:
            continue
        path, facts = [root], []  # the nodes of the walk, and the facts between them
        branches = [iter(sorted(edges[root].items()))]
        while branches:
            step = next(branches[-1], None)
            if step is None:
                done.add(path.pop())
                branches.pop()
                if facts:
                    facts.pop()
                continue
            target, fact = step
            if target in path:
                return [*facts[path.index(target):], fact]
            if target not in done:
                path.append(target)
                facts.append(fact)
                branches.append(iter(sorted(edges.get(target, {}).items())))
    return None
