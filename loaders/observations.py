"""Figures as observations: merging the same figure printed twice into one observation.

An extractor reads a figure into a :class:`Reading` (what, for whom, when, how much, where it
was printed). :func:`observation_facts` groups readings of the same subject, measure, period
and segment; readings that agree to the precision printed are one observation with several
pieces of evidence, and its value is the most precise one. Readings that disagree stay
separate observations, which ``sensekg check`` reports as conflicts. Periods, units and printed
values are :mod:`.figures`; the measures are :mod:`.measures`.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef

from .facts import Citation, Fact, Ref
from .figures import Period, precision, unit_base
from .measures import Measure, slug
from .vocab import MEASURE, MEASURE_SCHEME, SK

# --- readings to facts ------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """One figure as printed: subject and measure, period, value and unit, where it stands."""

    subject: str
    measure: Measure
    period: Period
    value: Decimal
    unit: str
    citations: tuple[Citation, ...]
    origin: str
    segment: str | None = None
    baseline: str | None = None
    table: str | None = None
    label_citation: Citation | None = None  # where the row label (the measure's name) is printed
    period_citations: tuple[Citation, ...] = ()  # the lines that state the period (table headers)
    restated: bool = False  # printed under a "(Restated)" column head
    bound: str | None = None  # "upper" ("within 1.285") or "lower" ("more than 2,400"): not an exact value

    @property
    def key(self) -> tuple:
        return (self.subject, self.measure.id, self.period.label, self.segment, self.baseline)

    @property
    def normalized(self) -> tuple[Decimal, str, Decimal]:
        base, scale = unit_base(self.unit)
        return self.value * scale, base, precision(self.value, scale)


def agrees(a: Reading, b: Reading) -> bool:
    """Two printings of one figure: equal to the coarser printed precision.

    Signs are compared as magnitudes: a statement prints an expense as a deduction,
    "(1,510,855)", where the prose says "RMB1,510.9 million"; that is one figure.
    """
    (va, ua, pa), (vb, ub, pb) = a.normalized, b.normalized
    if ua != ub or a.bound != b.bound:
        return False
    return abs(abs(va) - abs(vb)) <= max(pa, pb) / 2 + min(pa, pb) / 2


def observation_facts(readings: list[Reading], labels: dict[str, str] | None = None) -> list[Fact]:
    """Group agreeing readings into observation nodes and emit their facts; ``labels`` names the
    entities (subjects and segments) in the observations' labels."""
    groups: dict[tuple, list[list[Reading]]] = defaultdict(list)
    for reading in readings:
        clusters = groups[reading.key]
        for cluster in clusters:
            if agrees(cluster[0], reading):
                cluster.append(reading)
                break
        else:
            clusters.append([reading])
    facts: list[Fact] = []
    named_after_labels: dict[str, list[Reading]] = defaultdict(list)
    for key, clusters in groups.items():
        for number, cluster in enumerate(clusters, start=1):
            facts.extend(_facts_of(key, number, cluster, labels or {}))
            if not cluster[0].measure.curated:
                named_after_labels[cluster[0].measure.id].extend(cluster)
    for measure_id, cluster in named_after_labels.items():
        facts.extend(_measure_facts(measure_id, cluster))
    return facts


def _measure_facts(measure_id: str, readings: list[Reading]) -> list[Fact]:
    """A measure no curated entry names: typed and labelled as first printed, cited where printed."""
    iri = MEASURE[measure_id]
    first = readings[0]
    first_per_report: dict[str, Citation] = {}
    for reading in readings:
        cite = reading.label_citation
        if cite and (cite.report not in first_per_report or cite.line < first_per_report[cite.report].line):
            first_per_report[cite.report] = cite
    cites = tuple(first_per_report.values()) or first.citations[:1]
    origin = f"measure named after a printed label by {first.origin}"
    return [
        Fact(iri, RDF.type, SK.Measure, cites, origin),
        Fact(iri, RDFS.label, Literal(first.measure.label), cites, origin),
        Fact(iri, SKOS.inScheme, MEASURE_SCHEME, cites, origin),
    ]


def _node_id(key: tuple, number: int) -> str:
    subject, measure, period_label, segment, baseline = key
    readable = "-".join(slug(str(p)) for p in (subject, measure, period_label, segment) if p)
    digest = hashlib.sha256(repr((key, number)).encode()).hexdigest()[:8]
    return f"obs-{readable[:90]}-{digest}"


# the terms every observation's facts use, made once: an rdflib namespace makes a new URIRef
# each time it is asked, and a literal is checked and converted each time one is made
(_TYPE, _LABEL, _OBSERVATION, _SUBJECT, _MEASURE, _VALUE, _NORMALIZED, _NORMALIZED_UNIT, _PERIOD_LABEL, _INSTANT,
 _START, _END, _SEGMENT, _BOUND, _BASELINE, _TABLE, _UNIT, _RESTATED) = (
    RDF.type, RDFS.label, SK.Observation, SK.observedSubject, SK.measure, SK.value, SK.normalizedValue,
    SK.normalizedUnit, SK.periodLabel, SK.instant, SK.periodStart, SK.periodEnd, SK.segment, SK.bound,
    SK.baselinePeriod, SK.table, SK.unit, SK.restated)


class _Literals(dict):
    """Literals by (type, value, datatype), each made once: periods, dates, units and tables recur."""

    def __missing__(self, key: tuple) -> Literal:
        _, value, datatype = key
        made = self[key] = Literal(value, datatype=datatype)
        return made

    def of(self, value: object, datatype: URIRef | None = None) -> Literal:
        return self[type(value), value, datatype]


_literals = _Literals()


def _facts_of(key: tuple, number: int, cluster: list[Reading], labels: dict[str, str]) -> list[Fact]:
    best = min(cluster, key=lambda r: r.normalized[2])  # the most precise printing
    value, base, _ = best.normalized
    printed = best.value
    if best.measure.sign == "expense":  # one sign, however the report printed it (see measures.toml)
        value, printed = abs(value), abs(printed)
    elif best.measure.sign == "loss":
        value, printed = -abs(value), -abs(printed)
    node = Ref(_node_id(key, number))
    measure, period_ = best.measure, best.period
    label = f"{measure.label}, {period_.label}"
    if best.segment:
        label += f", {labels.get(best.segment, best.segment)}"
    if best.subject != "sensetime":
        label = f"{labels.get(best.subject, best.subject)}: {label}"
    literal = _literals.of
    pairs: list[tuple[URIRef, object]] = [
        (_TYPE, _OBSERVATION),
        (_LABEL, Literal(label)),
        (_SUBJECT, Ref(best.subject)),
        (_MEASURE, measure.iri),
        (_VALUE, Literal(printed, datatype=XSD.decimal)),
        (_NORMALIZED, Literal(value.normalize() if value == value.to_integral() else value, datatype=XSD.decimal)),
        (_NORMALIZED_UNIT, literal(base)),
    ]
    dated: list[tuple[URIRef, object]] = [(_PERIOD_LABEL, literal(period_.label))]
    if period_.is_instant:
        dated.append((_INSTANT, literal(period_.end.isoformat(), XSD.date)))
    else:
        dated.append((_START, literal(period_.start.isoformat(), XSD.date)))
        dated.append((_END, literal(period_.end.isoformat(), XSD.date)))
    if best.segment:
        pairs.append((_SEGMENT, Ref(best.segment)))
    if best.bound:
        pairs.append((_BOUND, literal(best.bound)))
    if best.baseline:
        dated.append((_BASELINE, literal(best.baseline)))
    # each citation keeps the origins of the readings that made it: the rule or record that read
    # the figure there is the one to look at when that citation is wrong
    citations, origins = _cited_by(cluster)
    dated_cited = {citation: dict.fromkeys(found) for citation, found in zip(citations, origins, strict=True)}
    for reading in cluster:
        for citation in reading.period_citations:
            dated_cited.setdefault(citation, {})[reading.origin] = None
    period_citations, period_origins = tuple(dated_cited), tuple(tuple(found) for found in dated_cited.values())
    # facts some readings state and others do not: each table the figure is printed in, cited at
    # the lines read from that table; the unit as printed, where it is printed in that unit ("RMB
    # thousand" is not stated by a table in RMB million that prints the figure rounded)
    partial = [(_TABLE, literal(table), [r for r in cluster if r.table == table])
               for table in sorted({r.table for r in cluster if r.table})]
    partial.append((_UNIT, literal(best.unit), [r for r in cluster if r.unit == best.unit]))
    if any(r.restated for r in cluster):  # where it is printed under a "(Restated)" column head
        partial.append((_RESTATED, literal(True), [r for r in cluster if r.restated]))
    facts = [Fact(node, p, o, citations, best.origin, origins) for p, o in pairs]
    facts += [Fact(node, p, o, period_citations, best.origin, period_origins) for p, o in dated]
    for p, o, readings in partial:
        cites, found = _cited_by(readings)
        facts.append(Fact(node, p, o, cites, best.origin, found))
    return facts


def _cited_by(readings: list[Reading]) -> tuple[tuple[Citation, ...], tuple[tuple[str, ...], ...]]:
    """The citations of some readings, and the origins of each."""
    cited: dict[Citation, dict[str, None]] = {}
    for reading in readings:
        for citation in reading.citations:
            cited.setdefault(citation, {})[reading.origin] = None
    return tuple(cited), tuple(tuple(found) for found in cited.values())
