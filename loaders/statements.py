"""Curated statements: facts read by a person from report prose, stored as data.

A statement file holds records. ``[[certification]]``, ``[[membership]]`` and any other
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
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import RDF, RDFS, XSD, Literal, URIRef

from .datafiles import data_files, read_toml, table_lines
from .errors import InputError
from .facts import Citation, Fact, Ref
from .registry import SLUG, Registry
from .vocab import TEMPORAL_DATATYPES, classes, properties

RESERVED = {"id", "subject", "cite", "label", "note"}
_DATE_FORMATS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), XSD.date),
    (re.compile(r"^\d{4}-\d{2}$"), XSD.gYearMonth),
    (re.compile(r"^\d{4}$"), XSD.gYear),
)



def _join(*parts: tuple[str, str | None]) -> str:
    """Join (prefix, value) pairs, leaving out the missing values with their prefixes."""
    return "".join(prefix + value for prefix, value in parts if value)


# How a qualified-fact node is labelled, from the labels of what it links.
LABEL_TEMPLATES = {
    "Certification": lambda v: _join(("", v("holder")), (": ", v("standard")), (" ", v("level")),
                                     (" (", v("date") and v("date") + ")")),
    "Membership": lambda v: _join(("", v("member")), (" in ", v("organization")), (" as ", v("roleName"))),
    "Role": lambda v: _join(("", v("person")), (", ", v("roleName")), (", ", v("organization"))),
    "Partnership": lambda v: _join(("", v("partner")), (": ", v("relationKind")), (" of ", v("organization")),
                                   (" for ", v("product"))),
}


@dataclass
class Record:
    kind: str  # "about" or an ontology class name
    node: str
    fields: dict
    citations: tuple[Citation, ...]
    where: str
    label: str | None = None


def literal_for(value: object, range_: URIRef | None, where: str, key: str) -> Literal:
    """A typed literal: decimals for amounts, the date type that fits the value's precision."""
    if range_ == XSD.decimal:
        try:
            return Literal(Decimal(str(value)), datatype=XSD.decimal)
        except InvalidOperation:
            raise InputError(f"{key} = {value!r} is not a decimal number", path=where) from None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return Literal(value.isoformat(), datatype=XSD.date)
    if isinstance(value, bool | int | float):
        return Literal(Decimal(str(value)), datatype=XSD.decimal)
    if not isinstance(value, str):
        raise InputError(f"{key} = {value!r}: expected a string, number or date", path=where)
    if range_ in (None, RDFS.Literal, *TEMPORAL_DATATYPES):
        for pattern, datatype in _DATE_FORMATS:
            if pattern.match(value):
                return Literal(value, datatype=datatype)
        if range_ in TEMPORAL_DATATYPES:
            raise InputError(f"{key} = {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD", path=where)
    return Literal(value)


def read_records(folder: Path | None = None) -> list[Record]:
    class_names = {name.lower(): name for name in classes()}
    records = []
    for path in data_files("statements", folder):
        data, lines = read_toml(path)
        for table, entries in data.items():
            if table != "about" and table.lower() not in class_names:
                raise InputError(f"[[{table}]] is neither [[about]] nor an ontology class",
                                 path=path, line=(table_lines(lines, table) or [None])[0])
            if not isinstance(entries, list):
                raise InputError(f"{table} must be an array of tables [[{table}]]", path=path)
            starts = table_lines(lines, table)
            for index, body in enumerate(entries):
                where = f"{path}:{starts[index] if index < len(starts) else '?'}"
                records.append(_record(table, class_names.get(table.lower(), "about"), body, where))
    return records


def _record(table: str, kind: str, body: dict, where: str) -> Record:
    node = body.get("subject") if kind == "about" else body.get("id")
    need = "subject" if kind == "about" else "id"
    if not isinstance(node, str) or not SLUG.match(node):
        raise InputError(f"[[{table}]] needs {need} = \"a-slug\"", path=where)
    cites = body.get("cite")
    if isinstance(cites, str):
        cites = [cites]
    if not cites or not isinstance(cites, list):
        raise InputError(f"{node}: cite must list one or more 'report-id:line | anchor'", path=where)
    try:
        citations = tuple(Citation.parse(c) for c in cites)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{node}: {exc}", path=where) from None
    fields = {k: v for k, v in body.items() if k not in RESERVED}
    unknown = sorted(set(fields) - set(properties()))
    if unknown:
        raise InputError(f"{node}: unknown properties {unknown}; see ontology/sensekg.ttl", path=where)
    return Record(kind, node, fields, citations, where, body.get("label"))


def statement_facts(registry: Registry, folder: Path | None = None) -> list[Fact]:
    """Every curated record as facts; object ids must name a registry entity or a record node."""
    records = read_records(folder)
    nodes: dict[str, Record] = {}
    for record in records:
        if record.kind == "about":
            continue
        if record.node in nodes or record.node in registry:
            raise InputError(f"duplicate id {record.node!r} (also at "
                             f"{nodes[record.node].where if record.node in nodes else 'the registry'})",
                             path=record.where)
        nodes[record.node] = record
    facts: list[Fact] = []
    for record in records:
        origin = f"statement {record.node} ({record.where})"
        if record.kind == "about" and record.node not in registry and record.node not in nodes:
            raise InputError(f"[[about]] subject {record.node!r} is not a known entity", path=record.where)
        subject = Ref(record.node)
        values: dict[str, list] = {}
        for key, raw in record.fields.items():
            prop = properties()[key]
            for value in raw if isinstance(raw, list) else [raw]:
                if prop.links_entities:
                    if not isinstance(value, str) or (value not in registry and value not in nodes):
                        raise InputError(f"{record.node}: {key} = {value!r} is not a known entity id",
                                         path=record.where)
                    obj = Ref(value)
                else:
                    obj = literal_for(value, prop.range, record.where, key)
                values.setdefault(key, []).append(obj)
                facts.append(Fact(subject, prop.iri, obj, record.citations, origin))
        if record.kind != "about":
            facts.append(Fact(subject, RDF.type, classes()[record.kind], record.citations, origin))
            label = record.label or _label(record.kind, record.node, values, registry, nodes)
            facts.append(Fact(subject, RDFS.label, Literal(label), record.citations, origin))
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
