"""Figures as observations: periods, units, values, and merging the same figure printed twice.

An extractor reads a figure into a :class:`Reading` (what, for whom, when, how much, where it
was printed). :func:`observation_facts` groups readings of the same subject, measure, period
and segment; readings that agree to the precision printed are one observation with several
pieces of evidence, and its value is the most precise one. Readings that disagree stay
separate observations, which ``sensekg check`` reports as conflicts.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef

from .datafiles import data_dir, read_toml
from .errors import InputError
from .facts import Citation, Fact, Ref
from .vocab import MEASURE, MEASURE_SCHEME, SK

# --- periods --------------------------------------------------------------------------

_FY = re.compile(r"^FY(\d{4})$")
_H1 = re.compile(r"^H1 (\d{4})$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Period:
    label: str  # FY2024, H1 2025, or an instant 2024-12-31
    start: date | None
    end: date

    @property
    def is_instant(self) -> bool:
        return self.start is None


def period(label: str) -> Period:
    """``FY2024``, ``H1 2025`` or an instant ``2024-12-31``; anything else is an input error."""
    if match := _FY.match(label):
        year = int(match.group(1))
        return Period(label, date(year, 1, 1), date(year, 12, 31))
    if match := _H1.match(label):
        year = int(match.group(1))
        return Period(label, date(year, 1, 1), date(year, 6, 30))
    if _INSTANT.match(label):
        return Period(label, None, date.fromisoformat(label))
    raise InputError(f"period {label!r} is not FY<year>, H1 <year> or YYYY-MM-DD")


# --- units and values -----------------------------------------------------------------

# unit as reported -> (base unit, scale)
UNITS: dict[str, tuple[str, Decimal]] = {
    "RMB thousand": ("RMB", Decimal(1000)),
    "RMB million": ("RMB", Decimal(10) ** 6),
    "RMB billion": ("RMB", Decimal(10) ** 9),
    "RMB": ("RMB", Decimal(1)),
    "HK$ million": ("HKD", Decimal(10) ** 6),
    "US$ million": ("USD", Decimal(10) ** 6),
    "%": ("percent", Decimal(1)),
    "thousand shares": ("shares", Decimal(1000)),
    "RMB per share": ("RMB per share", Decimal(1)),
}


def unit_base(unit: str) -> tuple[str, Decimal]:
    """The base unit and scale of a reported unit; units without a scale are their own base."""
    return UNITS.get(unit, (unit, Decimal(1)))


_NIL = {"", "-", "–", "—", "_", "/", "N.A.", "N/A", "n/a", "nil", "Nil"}
_DOTTED_THOUSANDS = re.compile(r"^\(?\d{1,3}(?:\.\d{3}){2,}\)?$")
# [\d,]*\.?\d+ without two quantifiers over the digits (quadratic on a long cell of digits):
# digits and commas, then a point and digits, or ending in a digit.
_NUMBER = re.compile(r"^\(?-?\+?(?:[\d,]*+\.\d++|[\d,]*\d)\)?%?$")


class NotANumber(ValueError):
    pass


def parse_value(cell: str) -> Decimal | None:
    """A printed figure as a signed decimal: ``(1,234.5)`` and ``(12.3)%`` are negative.

    Nil marks (``–``, ``-``, ``N.A.``) give ``None``; anything else that is not one number
    raises :class:`NotANumber`, so that merged or damaged cells are never read as figures.
    """
    text = cell.strip().replace("\u2212", "-")
    text = text.rstrip("*")
    if text in _NIL:
        return None
    if not _NUMBER.match(text):
        raise NotANumber(cell)
    negative = (text.startswith("(") and text.rstrip("%").endswith(")")) or text.startswith("-")
    digits = text.strip("()%+-").replace(",", "")
    try:
        value = Decimal(digits)
    except InvalidOperation:
        raise NotANumber(cell) from None
    return -value if negative else value


def looks_dotted(cell: str) -> bool:
    """``(1.452.102)``: thousands printed with dots. In these reports such cells are OCR ghosts
    of rows printed again nearby, with garbled labels, so the row is skipped, not repaired."""
    return bool(_DOTTED_THOUSANDS.match(cell.strip()))


def looks_numeric(cell: str) -> bool:
    return bool(re.search(r"\d", cell)) and not re.search(r"[A-Za-z]{3,}", cell)


def precision(value: Decimal, scale: Decimal) -> Decimal:
    """The rounding step of a printed value in base units (3,772.1 million: 100,000)."""
    exponent = value.as_tuple().exponent
    return scale * (Decimal(10) ** exponent) if isinstance(exponent, int) else scale


# --- measures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    definition: str | None
    aliases: tuple[str, ...]
    curated: bool = False
    sign: str | None = None  # "expense": values are amounts of expense, stored positive

    @property
    def iri(self) -> URIRef:
        return MEASURE[self.id]


def label_key(label: str) -> str:
    return re.sub(r"[^a-z0-9%]+", " ", label.casefold().replace("’", "'")).strip()


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-")[:80]


@cache
def curated_measures(folder: Path | None = None) -> dict[str, Measure]:
    """The measures scheme of ``data/measures.toml``, by the key of each label and alias."""
    path = (folder or data_dir()) / "measures.toml"
    data, _ = read_toml(path)
    by_key: dict[str, Measure] = {}
    for measure_id, body in data.items():
        measure = Measure(measure_id, body["label"], body.get("definition"), tuple(body.get("alt", [])),
                          curated=True, sign=body.get("sign"))
        for name in (measure.label, *measure.aliases):
            key = label_key(name)
            if key in by_key and by_key[key].id != measure_id:
                raise InputError(f"measure name {name!r} is used by {by_key[key].id} and {measure_id}",
                                 path=path)
            by_key[key] = measure
    return by_key


def measure_for(label: str, folder: Path | None = None) -> Measure:
    """The curated measure a printed label names, else a measure named after the label."""
    found = curated_measures(folder).get(label_key(label))
    return found or Measure(slug(label), label, None, ())


def change_measure(base: Measure, folder: Path | None = None) -> Measure:
    """The year-over-year change of a measure: ``<id>-year-over-year-change``, so that a change
    printed beside "Finance income – net" and one in prose of "net finance income" are one."""
    label = f"{base.label}, year-over-year change"
    found = curated_measures(folder).get(label_key(label))
    return found or Measure(f"{base.id}-year-over-year-change"[:80], label, None, ())


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


def observation_facts(readings: list[Reading]) -> list[Fact]:
    """Group agreeing readings into observation nodes and emit their facts."""
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
            facts.extend(_facts_of(key, number, cluster))
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


def measure_scheme(folder: Path | None = None) -> list[tuple]:
    """The curated measures as SKOS triples, for the ontology graph."""
    triples = [(MEASURE_SCHEME, RDF.type, SKOS.ConceptScheme),
               (MEASURE_SCHEME, RDFS.label, Literal("sensekg measures"))]
    for measure in {m.id: m for m in curated_measures(folder).values()}.values():
        triples += [
            (measure.iri, RDF.type, SK.Measure),
            (measure.iri, RDF.type, SKOS.Concept),
            (measure.iri, SKOS.inScheme, MEASURE_SCHEME),
            (measure.iri, RDFS.label, Literal(measure.label)),
            (measure.iri, SKOS.prefLabel, Literal(measure.label)),
        ]
        if measure.definition:
            triples.append((measure.iri, SKOS.definition, Literal(measure.definition)))
        triples += [(measure.iri, SKOS.altLabel, Literal(alias)) for alias in measure.aliases]
    return triples


def _node_id(key: tuple, number: int) -> str:
    subject, measure, period_label, segment, baseline = key
    readable = "-".join(slug(str(p)) for p in (subject, measure, period_label, segment) if p)
    digest = hashlib.sha256(repr((key, number)).encode()).hexdigest()[:8]
    return f"obs-{readable[:90]}-{digest}"


def _facts_of(key: tuple, number: int, cluster: list[Reading]) -> list[Fact]:
    best = min(cluster, key=lambda r: r.normalized[2])  # the most precise printing
    value, base, _ = best.normalized
    printed = best.value
    if best.measure.sign == "expense":  # one sign, however the report printed it (see measures.toml)
        value, printed = abs(value), abs(printed)
    node = Ref(_node_id(key, number))
    measure, period_ = best.measure, best.period
    label = f"{measure.label}, {period_.label}" + (f", {best.segment}" if best.segment else "")
    if best.subject != "sensetime":
        label = f"{best.subject}: {label}"
    pairs: list[tuple[URIRef, object]] = [
        (RDF.type, SK.Observation),
        (RDFS.label, Literal(label)),
        (SK.observedSubject, Ref(best.subject)),
        (SK.measure, measure.iri),
        (SK.value, Literal(printed, datatype=XSD.decimal)),
        (SK.unit, Literal(best.unit)),
        (SK.normalizedValue, Literal(value.normalize() if value == value.to_integral() else value,
                                     datatype=XSD.decimal)),
        (SK.normalizedUnit, Literal(base)),
    ]
    dated: list[tuple[URIRef, object]] = [(SK.periodLabel, Literal(period_.label))]
    if period_.is_instant:
        dated.append((SK.instant, Literal(period_.end.isoformat(), datatype=XSD.date)))
    else:
        dated.append((SK.periodStart, Literal(period_.start.isoformat(), datatype=XSD.date)))
        dated.append((SK.periodEnd, Literal(period_.end.isoformat(), datatype=XSD.date)))
    if best.segment:
        pairs.append((SK.segment, Ref(best.segment)))
    if any(r.restated for r in cluster):
        pairs.append((SK.restated, Literal(True)))
    if best.bound:
        pairs.append((SK.bound, Literal(best.bound)))
    if best.baseline:
        dated.append((SK.baselinePeriod, Literal(best.baseline)))
    for table in sorted({r.table for r in cluster if r.table}):
        pairs.append((SK.table, Literal(table)))
    # each reading's own citations, with its own origin: the rule or record that read the figure
    # there is the one to look at when that citation is wrong
    facts = []
    for reading in cluster:
        period_citations = reading.citations + tuple(c for c in reading.period_citations
                                                     if c not in reading.citations)
        facts += [Fact(node, p, o, reading.citations, reading.origin) for p, o in pairs]
        facts += [Fact(node, p, o, period_citations, reading.origin) for p, o in dated]
    return facts
