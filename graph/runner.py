"""Running saved queries: parameters checked against the graph and bound, results shown with labels.

Each parameter has a declared type (see :mod:`sensekg.graph.saved`). A value is checked against
the graph before the query runs: an entity, report, measure, period, year, relation kind or
category the graph does not know is refused with an InputError that names the closest values it
does know (``difflib`` matches and the known values containing the given text), never answered
with no rows. A name shared by several entities is refused with the candidates listed. A query
that takes a measure with an entity or a report also checks that the measure has observations
of that subject, or in that report, and names the subjects or reports that do.

Values are always bound as RDF terms (see :func:`sensekg.graph.query.bind`), never pasted into
the query text.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.errors import InputError
from sensekg.loaders.vocab import ID, MEASURE, REPORT

from .query import select
from .saved import Param, SavedQuery

FIND = """
SELECT ?e ?label (MAX(?is_label) AS ?by_label) WHERE {
  { ?e rdfs:label ?n BIND(1 AS ?is_label) } UNION { ?e skos:altLabel ?n BIND(0 AS ?is_label) }
  FILTER(LCASE(STR(?n)) = LCASE(STR(?name)))
  FILTER(!STRSTARTS(STR(?e), STR(ev:)))
  ?e rdfs:label ?label .
} GROUP BY ?e ?label ORDER BY ?e"""

TYPES = "SELECT ?t WHERE { ?e a ?t . FILTER(STRSTARTS(STR(?t), STR(sk:))) }"


def resolve_entity(store: ox.Store, value: str, param: str = "entity") -> URIRef:
    if value.startswith(("http://", "https://", "id:")):
        iri = _checked_iri(str(ID) + value[3:] if value.startswith("id:") else value, param)
        if not select(store, "SELECT ?p WHERE { ?x ?p ?o } LIMIT 1", {"x": iri})[1]:
            raise InputError(f"--param {param}: the graph has nothing about {_shown(value)}"
                             + _closest(value.removeprefix("id:").rsplit("/", 1)[-1], _entity_ids(store)))
        return iri
    _, found = select(store, FIND, {"name": Literal(value)})
    by_label = [row for row in found if int(row[2]) == 1]
    if len(by_label) == 1:  # the one entity whose preferred label this is beats its aliases' owners
        found = by_label
    if not found:
        raise InputError(f"--param {param}: no entity is named {_shown(value)}"
                         + _closest(value, _entity_names(store)) + f"; try `sensekg search {_shown(value)}`")
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
    """The query's variables bound to the checked values of the given parameters (and defaults)."""
    known = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise InputError(f"{query.name} takes no parameter {', '.join(unknown)}; it takes "
                         f"{', '.join(known) or 'none'}")
    bound: dict[str, Node] = {}
    for name, param in known.items():
        value = given.get(name, param.default)
        if value is None:
            if not param.optional:
                raise InputError(f"{query.name} needs --param {name}=... ({param.signature()}"
                                 f"{'; ' + param.description if param.description else ''})")
            continue
        bound[param.variable] = check_value(store, param, value)
    _check_together(store, query, bound)
    return bound


def check_value(store: ox.Store, param: Param, value: str) -> Node:
    """``value`` as the RDF term ``param``'s type binds, or an InputError with the closest known values."""
    checker = CHECKS.get(param.type)
    return checker(store, value.strip(), param.name) if checker else Literal(value)


def close_matches(value: str, names: Iterable[str], limit: int = 8) -> list[str]:
    """Known names containing ``value``, shortest first, then those close to it (difflib), ignoring case."""
    folded: dict[str, str] = {}
    for name in names:
        folded.setdefault(str(name).casefold(), str(name))
    key = value.casefold().strip()
    found = sorted((f for f in folded if key and key in f), key=lambda f: (len(f), f))
    if len(key) < 200:  # a long value is no misspelling; difflib would only take time
        cutoff = 0.75 if found else 0.6  # beside names that contain the value, only near misses
        found += [f for f in difflib.get_close_matches(key, list(folded), n=limit, cutoff=cutoff) if f not in found]
    return [folded[f] for f in found[:limit]]


def _closest(value: str, names: Iterable[str], listing: str | None = None) -> str:
    """``; closest: a, b`` (or nothing), then ``; the <listing>: ...`` when a listing is asked for."""
    names = sorted(set(map(str, names)))
    close = close_matches(value, names)
    hint = f"; closest: {', '.join(close)}" if close else ""
    if listing:
        hint += f"; the {listing} in the graph: {', '.join(names)}"
    return hint


def _shown(value: str) -> str:
    return repr(value if len(value) <= 80 else value[:80] + "…")


def _column(store: ox.Store, text: str, bindings: dict[str, Node] | None = None) -> list[Node]:
    return [row[0] for row in select(store, text, bindings)[1] if row[0] is not None]


# the entities a name may be close to: not observations (their labels are "Revenue, FY2024" ...)
ENTITY = 'FILTER(STRSTARTS(STR(?e), STR(id:)) && !STRSTARTS(STR(?e), CONCAT(STR(id:), "obs-")))'


def _entity_names(store: ox.Store) -> list[str]:
    return list(map(str, _column(store, f"SELECT DISTINCT ?n WHERE {{ ?e rdfs:label|skos:altLabel ?n . {ENTITY} }}")))


def _entity_ids(store: ox.Store) -> list[str]:
    found = _column(store, f"SELECT DISTINCT ?e WHERE {{ ?e rdfs:label ?n . {ENTITY} }}")
    return ["id:" + str(e)[len(str(ID)):] for e in found]


def _check_entity(store: ox.Store, value: str, param: str) -> Node:
    return resolve_entity(store, value, param)


def _check_report(store: ox.Store, value: str, param: str) -> Node:
    found = select(store, "SELECT ?r ?id WHERE { ?r a sk:Report ; dcterms:identifier ?id }")[1]
    reports = {str(r): str(i) for r, i in found}
    wanted = value if value.startswith(("http://", "https://")) else str(REPORT) + value.removeprefix("report:")
    _checked_iri(wanted, param)
    if wanted not in reports:
        raise InputError(f"--param {param}: no report has the id {_shown(value)}"
                         + _closest(value.removeprefix("report:"), reports.values(), "reports"))
    return URIRef(wanted)


def _measures(store: ox.Store) -> dict[str, set[str]]:
    """Every measure IRI with the names it is known by: its id, label and aliases."""
    names: dict[str, set[str]] = {}
    for measure, name in select(store, """SELECT ?m ?n WHERE { ?m a sk:Measure .
                                            OPTIONAL { ?m rdfs:label|skos:altLabel ?n } }""")[1]:
        names.setdefault(str(measure), {str(measure)[len(str(MEASURE)):]}).update([str(name)] if name else [])
    return names


def _find_measure(measures: dict[str, set[str]], value: str, param: str) -> str | None:
    key = value.removeprefix("measure:").casefold()
    by_id = [m for m in measures if m[len(str(MEASURE)):].casefold() == key or m == value]
    found = by_id or [m for m, names in measures.items() if key in {n.casefold() for n in names}]
    if len(found) > 1:
        raise InputError(f"--param {param}: {_shown(value)} names {len(found)} measures: "
                         f"{', '.join(sorted(m[len(str(MEASURE)):] for m in found))}; pass one of their ids")
    return found[0] if found else None


def _measure_names(measures: dict[str, set[str]]) -> set[str]:
    return {name for names in measures.values() for name in names}


def _check_measure(store: ox.Store, value: str, param: str) -> Node:
    measures = _measures(store)
    found = _find_measure(measures, value, param)
    if found is None:
        raise InputError(f"--param {param}: no measure has the id, label or alias {_shown(value)}"
                         + _closest(value.removeprefix("measure:"), _measure_names(measures))
                         + "; see `sensekg query run measures`")
    return URIRef(found)


# a change measure's base: the id without "-year-over-year-change", or the label without ", year-over-year
# change" (the build names change measures so, loaders/measures.py change_measure); queries/changes.rq
# aligns them by the same rule
CHANGES = """SELECT DISTINCT ?base ?change WHERE {
  ?o sk:baselinePeriod ?b ; sk:measure ?change .
  ?change rdfs:label ?cl . ?base a sk:Measure ; rdfs:label ?bl . FILTER(?base != ?change)
  FILTER(STR(?change) = CONCAT(STR(?base), "-year-over-year-change")
         || LCASE(STR(?cl)) = CONCAT(LCASE(STR(?bl)), ", year-over-year change"))
}"""


def change_measures(store: ox.Store) -> dict[str, set[str]]:
    """Each base measure with year-over-year change figures, with its change measures."""
    found: dict[str, set[str]] = {}
    for base, change in select(store, CHANGES)[1]:
        found.setdefault(str(base), set()).add(str(change))
    return found


def _check_changed_measure(store: ox.Store, value: str, param: str) -> Node:
    measures, changed = _measures(store), change_measures(store)
    found = _find_measure(measures, value, param)
    base = next((b for b, changes in changed.items() if found in changes), found)
    if base in changed:
        return URIRef(base)
    with_changes = {name for m in changed for name in measures.get(m, ())}
    what = f"the measure {_shown(value)} has no year-over-year change figures" if found else \
        f"no measure has the id, label or alias {_shown(value)}"
    raise InputError(f"--param {param}: {what}" + _closest(value.removeprefix("measure:"), with_changes)
                     + "; the measures with changes: "
                     + ", ".join(sorted(m[len(str(MEASURE)):] for m in changed)))


def _check_literal(unknown: str, plural: str, text: str):
    """A checker for a literal the graph holds: matched ignoring case, bound as the graph holds it.
    ``unknown`` words the refusal, with ``{}`` for the value."""
    def check(store: ox.Store, value: str, param: str) -> Node:
        known = {str(v).casefold(): str(v) for v in _column(store, text)}
        if value.casefold() not in known:
            raise InputError(f"--param {param}: " + unknown.format(_shown(value))
                             + _closest(value, known.values(), plural if len(known) <= 40 else None))
        return Literal(known[value.casefold()])
    return check


DATES = """SELECT DISTINCT ?d WHERE {
  ?x sk:date|sk:instant|sk:periodStart|sk:periodEnd|sk:since|sk:until|sk:launchDate|sk:foundingDate|sk:validUntil ?d
}"""


def _check_year(store: ox.Store, value: str, param: str) -> Node:
    if not re.fullmatch(r"\d{4}", value):
        raise InputError(f"--param {param}: a year is four digits, not {_shown(value)}")
    years = {str(d)[:4] for d in _column(store, DATES) if re.match(r"\d{4}", str(d))}
    if value not in years:
        raise InputError(f"--param {param}: no date in the graph falls in {value}; the years: "
                         + ", ".join(sorted(years)))
    return Literal(value)


CHECKS = {
    "entity": _check_entity,
    "report": _check_report,
    "measure": _check_measure,
    "changed-measure": _check_changed_measure,
    "period": _check_literal("no period is labelled {}", "periods",
                             "SELECT DISTINCT ?p WHERE { ?o sk:periodLabel ?p }"),
    "year": _check_year,
    "relation-kind": _check_literal("no relation kind is {}", "relation kinds",
                                    "SELECT DISTINCT ?k WHERE { ?x sk:relationKind ?k }"),
    "category": _check_literal("no category is {}", "categories",
                               "SELECT DISTINCT ?c WHERE { ?x sk:category ?c FILTER NOT EXISTS { ?x a sk:Role } }"),
}


def _check_together(store: ox.Store, query: SavedQuery, bound: dict[str, Node]) -> None:
    """A measure given with an entity or a report: the measure must have observations of that
    subject, or in that report; a period given with a report: the report must have figures for
    that period (else the answer would be empty for a reason the user can fix)."""
    given = [p for p in query.params if p.variable in bound]
    for period in (p for p in given if p.type == "period"):
        for report in (p for p in given if p.type == "report"):
            reports = _column(store, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?o sk:periodLabel ?period } }",
                              {"period": bound[period.variable]})
            if bound[report.variable] not in reports:
                raise InputError(f"--param {report.name}: {_report_id(bound[report.variable])} states no figure "
                                 f"for the period {bound[period.variable]}; the reports that do: "
                                 + ", ".join(sorted(map(_report_id, reports))))
    for measure in (p for p in given if p.type in ("measure", "changed-measure")):
        measures = {str(bound[measure.variable])}
        if measure.type == "changed-measure":
            measures = change_measures(store)[str(bound[measure.variable])]
        values = " ".join(f"<{m}>" for m in sorted(measures))
        name = _label(store, bound[measure.variable])
        # an entity or report given with the measure must have figures of it: (type, where the
        # figures are, what a miss says, how a candidate is shown)
        checks = (("entity", "?o sk:measure ?m ; sk:observedSubject ?x",
                   "{measure} has no observations of {value}; the subjects that have it: ", _label),
                  ("report", "GRAPH ?x { ?o sk:measure ?m }",
                   "{value} states no figure of {measure}; the reports that do: ",
                   lambda _, iri: _report_id(iri)))
        for kind, pattern, missing, shown in checks:
            for param in (p for p in given if p.type == kind):
                found = _column(store, f"SELECT DISTINCT ?x WHERE {{ VALUES ?m {{ {values} }} {pattern} }}")
                if bound[param.variable] not in found:
                    raise InputError(f"--param {param.name}: "
                                     + missing.format(measure=name, value=shown(store, bound[param.variable]))
                                     + (", ".join(sorted(shown(store, x) for x in found)) or "none"))


def _label(store: ox.Store, iri: Node) -> str:
    labels = _column(store, "SELECT ?l WHERE { ?x rdfs:label ?l }", {"x": iri})
    short = str(iri)[len(str(MEASURE)):] if str(iri).startswith(str(MEASURE)) else _short(iri)
    return f"{labels[0]} ({short})" if labels else short


def _report_id(iri: Node) -> str:
    return str(iri)[len(str(REPORT)):]


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
