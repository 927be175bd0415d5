"""Grounding: a cited line must state its fact, not merely mention one of its ends.

The anchor check (:mod:`.evidence`) proves that a phrase is on the cited line. Grounding asks
more: that the line names the fact's object (a label, an alias or a code), or prints its value
with its scale and sign, and names the subject too, unless the subject is the report's issuer
written as "we", "our", "the Group" or "the Company", or a node that is named through its own
facts (a certification, membership, role, partnership, award, event or observation).

A record lists the lines it read; each of its facts is cited at the lines that state that fact
and at no others, so a line that only mentions a node cites none of its facts. Where no cited
line states a fact alone, two lines may together: a name that runs on to the next line, or a
list's heading that carries one end (the recipient heading an honours page, the model heading a
list of its benchmark results) with the item that carries the other. Those lines are found by
rule (:func:`heading_lines`), so a record cites the line it read and the build finds the rest.

Two lines that state a fact together are one citation (``Citation.context``, ``sk:contextLine``
in the graph), never two citations each judged alone. After the judging, in order:

- :func:`_with_headings`: a heading cited beside its item becomes the item read with it;
- :func:`_where_described`, :func:`_read_with_items`: a described node's facts are cited where
  its own facts are, a fact cited only at a heading of the node's item moves to the item, and a
  fact at a line where the node's name runs on is read with the rest of the name;
- :func:`_identified`: a described node's fact is cited where the node is identified (its person,
  partner or holder, an award's name), read with the heading that identifies it, or dropped where
  another citation does; an award's "Competition: item" and a role's title that runs on past a
  blank line are read with the line that completes them.

The judge (:func:`judge`) stays lenient about described nodes, which are named by their facts;
these passes are what makes each citation readable on its own lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, XSD, Literal, URIRef

from .errors import InputError
from .evidence import anchor_span, check_cited, locate
from .facts import Citation, Fact, Ref
from .measures import curated_measures
from .printed import date_on, fold, names_on, text_parts, text_parts_on, value_on
from .registry import Registry
from .reports import Corpus, Document
from .vocab import QUALIFIED_CLASSES, SK, classes

# Classes whose nodes are named through their own facts: their subjects need no name on the line.
# A segmentation scheme is the project's grouping of a report's segments, named by what it groups.
DESCRIBED_CLASSES = (*QUALIFIED_CLASSES, "Event", "Observation", "SegmentationScheme")

# Literal properties whose values classify rather than quote: a kind of relation or event, the
# table a figure came from. They ground on the subject alone. A category is the project's class of
# a role ("officer") but the report's words for an organisation ("mobile phone company"): it
# classifies a described node and is text for a named one.
CLASSIFYING = frozenset(SK[name] for name in (
    "relationKind", "controlKind", "eventKind", "useKind", "reportKind", "unit", "normalizedUnit",
    "table", "bound", "restated", "section",
))
STRUCTURAL = frozenset((RDF.type, SKOS.inScheme))
# terms compared with once per fact, made once: a namespace attribute makes a new term each time
_TYPE, _LABEL = RDF.type, RDFS.label
_OBSERVATION, _AWARD, _MEASURE_CLASS, _MEASURE = SK.Observation, SK.Award, SK.Measure, SK.measure
_RESTATED, _AWARDED_TO, _ROLE_NAME = SK.restated, SK.awardedTo, SK.roleName
NAMING = frozenset((RDFS.label, SKOS.altLabel))
PERIOD_BOUNDS = frozenset(SK[name] for name in ("periodStart", "periodEnd", "instant", "periodLabel",
                                                 "baselinePeriod"))
VALUE_TYPES = (XSD.decimal, XSD.gYear, XSD.gYearMonth, XSD.date)

_ISSUER_WORDS = re.compile(r"\b(?:we|our|us|the group|the company)\b")
@dataclass
class Names:
    """What grounding knows of the nodes: the names each is printed under, which nodes are
    described by their facts rather than named, each report's issuer, and the observations of
    measures with a sign convention (an expense stored positive, a loss negative, however printed)."""

    of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # node id or IRI -> folded names
    described: set[str] = field(default_factory=set)
    issuers: dict[str, str] = field(default_factory=dict)  # report id -> the issuing company's id
    unsigned: set[str] = field(default_factory=set)  # observations of measures with a sign convention
    own: set[str] = field(default_factory=set)  # observations and awards: the issuer's unless they say otherwise
    awards: set[str] = field(default_factory=set)
    labels: dict[str, tuple[str, ...]] = field(default_factory=dict)  # described node -> its labels, as written
    printed_as: dict[str, tuple[str, ...]] = field(default_factory=dict)  # described registry node -> its names
    years: dict[str, str] = field(default_factory=dict)  # report id -> the year its period covers, if one

    @staticmethod
    def key(node: object) -> str | None:
        if isinstance(node, Ref):
            return node.id
        if isinstance(node, URIRef):
            return str(node)
        return None

    def add(self, node: str, names: Iterable[str]) -> None:
        folded = tuple(dict.fromkeys(key for name in names if (key := fold(name))))
        self.of[node] = tuple(dict.fromkeys((*self.of.get(node, ()), *folded)))

    @classmethod
    def of_build(cls, facts: Iterable[Fact], entities: Iterable[tuple[str, Iterable[str]]],
                 measures: Iterable[tuple[str, Iterable[str], bool]], issuers: dict[str, str],
                 classes: dict[URIRef, str]) -> Names:
        """Names from the registry's ``(id, names)``, the measures' ``(iri, names, has a sign convention)``, and
        the labels, aliases and classes the facts give the other nodes."""
        names = cls(issuers=dict(issuers))
        registered = set()
        for node, printed in entities:
            names.add(node, printed)
            registered.add(node)
        signed_measures, curated = set(), set()
        for iri, printed, has_sign in measures:
            names.add(iri, printed)
            curated.add(iri)
            if has_sign:
                signed_measures.add(iri)
        for fact in facts:
            key = names.key(fact.subject)
            if key is None or key in registered:
                continue
            if fact.predicate == _TYPE and fact.object in (_OBSERVATION, _AWARD):
                names.own.add(key)
            if fact.predicate == _TYPE and fact.object == _AWARD:
                names.awards.add(key)
            if fact.predicate == _LABEL:
                names.labels[key] = (*names.labels.get(key, ()), str(fact.object))
            # a measure no curated entry names is named after a printed row label and its column
            # or table ("Accumulated depreciation: Buildings and facilities"): described, not named
            if fact.predicate == _TYPE and (classes.get(fact.object) in DESCRIBED_CLASSES
                                            or (fact.object == _MEASURE_CLASS and key not in curated)):
                names.described.add(key)
            elif fact.predicate in NAMING:
                names.add(key, (str(fact.object),))
            elif fact.predicate == _MEASURE and str(fact.object) in signed_measures:
                names.unsigned.add(key)
        return names


def build_names(facts: list[Fact], registry: Registry, corpus: Corpus, data: Path | None = None) -> Names:
    """The names grounding needs for one build: the registry's, the measures', and each report's
    issuer resolved to its entity."""
    issuers = {}
    for document in corpus:
        issuer = registry.resolve(document.spec.issuer)
        if issuer is None:
            raise InputError(f"report {document.id}: issuer {document.spec.issuer!r} is not an entity of the "
                             "registry; add it (with the name as label or alias)")
        issuers[document.id] = issuer.id
    years = {d.id: str(d.spec.period_end.year) for d in corpus
             if d.spec.period_start and d.spec.period_end and d.spec.period_start.year == d.spec.period_end.year}
    measures = {m.id: m for m in curated_measures(data).values()}.values()
    names = Names.of_build(facts, ((e.id, e.names) for e in registry if e.type not in DESCRIBED_CLASSES),
                           ((str(m.iri), (m.label, *m.aliases), m.sign is not None) for m in measures),
                           issuers, {iri: name for name, iri in classes().items()})
    names.years = years
    names.printed_as = {e.id: e.names for e in registry if e.type in DESCRIBED_CLASSES}
    return names


@dataclass(frozen=True)
class Verdict:
    subject: bool
    object: bool

    @property
    def grounded(self) -> bool:
        return self.subject and self.object


def kind_of(fact: Fact, names: Names) -> str:
    """What a fact's object is, for the rates the build reports: entity, value, name or other."""
    if fact.predicate in STRUCTURAL or fact.predicate in CLASSIFYING:
        return "other"
    if fact.predicate in NAMING:
        return "name"
    if fact.predicate in PERIOD_BOUNDS:
        return "period"
    if isinstance(fact.object, Ref):
        return "other" if fact.object.id in names.described else "entity"
    if isinstance(fact.object, Literal) and fact.object.datatype in VALUE_TYPES:
        return "value"
    return "other"



def judge(fact: Fact, report: str, line: str, names: Names) -> Verdict:
    """Whether the folded ``line`` of ``report`` names the fact's subject and states its object."""
    return Verdict(_subject_on(fact, report, line, names), _object_on(fact, report, line, names))


def _subject_on(fact: Fact, report: str, line: str, names: Names) -> bool:
    key = names.key(fact.subject)
    if key is None or key in names.described:
        return True
    if key == names.issuers.get(report) and _ISSUER_WORDS.search(line):
        return True
    return _named(line, names.of.get(key))


def _named(line: str, folded: tuple[str, ...] | None) -> bool:
    """Whether one of the folded names stands on the line; a node nobody named passes."""
    return True if folded is None else names_on(line, folded, folded=True)


# terms the judge compares with for every fact, made once (a namespace attribute makes a new term)
_CATEGORY, _VALUE, _ALT_LABEL = SK.category, SK.value, SKOS.altLabel
_DATE_TYPES = (XSD.gYear, XSD.gYearMonth, XSD.date)
_DECIMAL, _BOOLEAN = XSD.decimal, XSD.boolean
_BASELINE = SK.baselinePeriod
_YEAR_ON_YEAR = re.compile(r"\b(?:year-on-year|year-over-year|yoy|period-over-period|period-on-period)\b")


def _object_on(fact: Fact, report: str, line: str, names: Names) -> bool:
    obj, predicate = fact.object, fact.predicate
    if predicate in STRUCTURAL or predicate in CLASSIFYING:
        return True
    if predicate == _CATEGORY and names.key(fact.subject) in names.described:
        return True
    if predicate in NAMING and names.key(fact.subject) in names.described:
        return True  # a described node's label is made from its facts, which are grounded one by one
    if predicate == _ALT_LABEL:  # a short name is printed as one, not inside the full name
        return names_on(_without_longer(line, fold(str(obj)), names.of.get(names.key(fact.subject)) or ()),
                        (str(obj),))
    if predicate in NAMING:  # a label may add a qualifier to the printed name: "SenseAuto (ecosystem company)"
        return names_on(line, (_QUALIFIER.sub("", str(obj)),))
    if isinstance(obj, Ref | URIRef):
        key = names.key(obj)
        if key in names.described:
            return True
        if key == names.issuers.get(report) and (names.key(fact.subject) in names.own
                                                 or _ISSUER_WORDS.search(line)):
            return True  # a figure or an honour in the issuer's own report is the issuer's unless it says otherwise
        return _named(line, names.of.get(key))
    if not isinstance(obj, Literal):
        return True
    if predicate == _BASELINE and _YEAR_ON_YEAR.search(line):
        return True  # "up 19.0% YoY": the change is from the same period a year before
    if predicate in PERIOD_BOUNDS:  # a period is printed by its year: "2024", "June 30, 2025", "FY2024"
        year = re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", str(obj))
        return year is None or _date_stated(line, year.group(0), report, names)
    if obj.datatype in _DATE_TYPES:
        return _date_stated(line, str(obj), report, names)
    if obj.datatype == _DECIMAL:
        signed = names.key(fact.subject) not in names.unsigned
        return value_on(line, Decimal(str(obj)), signed, exact=predicate == _VALUE)
    if obj.datatype == _BOOLEAN:
        return True
    return len(text_parts_on(line, str(obj))) == len(text_parts(str(obj)))


def _without_longer(line: str, name: str, names: Iterable[str]) -> str:
    """The folded ``line`` with the node's longer names that hold ``name`` blanked out: "360" is
    not printed as a name of 360 Group where the line says "360 Group", nor "Lingang AIDC" in
    "Shanghai Lingang AIDC"."""
    for longer in sorted((n for n in names if len(n) > len(name) and name in n), key=len, reverse=True):
        line = line.replace(longer, " " * len(longer))
    return line


def _date_stated(line: str, value: str, report: str, names: Names) -> bool:
    """A date printed at its precision, or a report's own year as "during the Reporting Period"."""
    if value == names.years.get(report) and _REPORTING_PERIOD.search(line):
        return True
    return date_on(line, value)


@dataclass
class Grounding:
    """The facts cut to the lines that state them, and what could not be grounded."""

    facts: list[Fact] | None  # None when a build recalled some subjects' grounding (see graph.memo)
    counts: dict[str, list[int]]  # kind -> [citations that state their fact, citations], as built
    unstated: list[Fact]  # facts of rules that no cited line states, kept as read
    # aliases no line prints as a name, only inside a longer one ("Chinese University of Hong Kong" in
    # "The Chinese University of Hong Kong"): left out of the graph, kept in the registry for matching
    variants: list[Fact] = field(default_factory=list)

    def rate(self, kind: str) -> float:
        stated, judged = self.counts.get(kind, [0, 0])
        return stated / judged if judged else 1.0


def heading_lines(document: Document, number: int) -> tuple[int, ...]:
    """The lines that head line ``number``, nearest first: a table row's header rows and the
    title above the table; a list item's lead-in and the short sub-headings between them; then
    the section headings the line sits under. One of them may carry an end of a fact that the
    line itself leaves out (the recipient heading an honours list, the period heading a column).
    Worked out once per line and document: every grounding pass asks."""
    key = ("heading_lines", number)
    if key not in document.memo:
        document.memo[key] = tuple(_heading_lines(document, number))
    return document.memo[key]


def _heading_lines(document: Document, number: int) -> list[int]:
    found: list[int] = []
    table = document.table_at(number)
    if table:
        found += [row.line for row in reversed(table.rows) if row.line < number][:40]
        start = table.first_line
    else:
        start = number
    own = document.lines[number - 1]
    marker, indent = _marker(own.strip()), _indent(own)
    group = True  # still in the line's own run of items (no blank line passed)
    for back in range(start - 1, max(start - 40, 0), -1):
        raw = document.lines[back - 1]
        text = raw.strip()
        if not text:
            group = False
            continue
        if not table and _marker(text) and not (marker == "bullet" and _marker(text) == "numbered"):
            if marker and _indent(raw) < indent:  # the item this one is nested under: "- KITTI …" over "  - Champion …"
                found.append(back)
                indent = _indent(raw)
            elif marker and not group and _heads_group(document, back):
                found.append(back)  # "- Microsoft COCO", then a blank line, then its "- Champion …" items
                group = True
            continue  # another item; but "2. SenseNova V6.5" heads the "- ..." items under it
        found.append(back)
        if len(text) > 120 or document.opens_section(back):  # a lead-in paragraph, or the section's heading: above
            break  # it, the lines belong to something else (the note on dividends above the one on PP&E)
    found += reversed(document.section_lines(number))
    return list(dict.fromkeys(line for line in found if line != number))


def _indent(line: str) -> int:
    """How far a line is indented: a nested list item's depth."""
    return len(line) - len(line.lstrip())


def _heads_group(document: Document, number: int) -> bool:
    """Whether list item ``number`` stands alone above a blank line and a run of two or more items:
    the title of the group ("- Microsoft Common Objects in Context (COCO)" over its champions)."""
    lines = document.lines
    if number >= len(lines) - 2 or lines[number].strip():  # lines[number] is the line after
        return False
    if number >= 2 and _marker(lines[number - 2].strip()):  # the line before is an item: one of a run
        return False
    following = lines[number + 1:number + 3]
    return len(following) == 2 and all(_marker(text.strip()) for text in following)


_REPORTING_PERIOD = re.compile(r"\breporting period\b")
_QUALIFIER = re.compile(r"\s*\([^()]*\)$")
_BULLET = re.compile(r"^(?:[-*•·]|<li)")
_NUMBERED = re.compile(r"^\d+\.\s")


def _marker(text: str) -> str | None:
    """The kind of list item a line is: "bullet", "numbered", or ``None`` for no item."""
    return "bullet" if _BULLET.match(text) else "numbered" if _NUMBERED.match(text) else None


def ground(facts: Iterable[Fact], corpus: Corpus, names: Names) -> Grounding:
    """Cut each fact's citations to the lines that state it.

    Where no cited line states a fact, two of a record's lines in one section may, one naming
    each end; or a cited line read with the line before or after it (a name broken across two
    lines): both are cited. Failing that, the lines heading a cited line may (see
    :func:`heading_lines`): the nearest that does is cited. A curated record's fact
    (``Fact.record``) that none states is an error naming the record and the lines; a rule's is
    kept as it is and listed, since a rule is code and its misses are for review, not for
    stopping a build.
    """
    folded: dict[str, dict[int, str]] = {document.id: {} for document in corpus}

    def line_of(report: str, number: int) -> str:
        cache = folded[report]
        if number not in cache:
            cache[number] = fold(corpus[report].lines[number - 1])
        return cache[number]

    kept, unstated, failures, variants = [], [], [], []
    for fact in facts:
        for citation in fact.citations:  # a record's anchor first: a misplaced line is the likeliest slip
            if fact.record:
                locate(corpus, citation, fact.origin)
            else:
                check_cited(corpus, citation, fact.origin)
        verdicts = [judge(fact, c.report, line_of(c.report, c.line), names) for c in fact.citations]
        stating = [i for i, v in enumerate(verdicts) if v.grounded]
        if len(stating) < len(verdicts):
            if stating:
                fact = _each_report(fact, stating, verdicts, corpus, names, line_of)
            else:
                headed = (_paired(fact, verdicts, corpus) or _across_lines(fact, corpus, names, line_of)
                          or _headed(fact, corpus, names, line_of))
                if headed:
                    fact = headed
                elif fact.predicate == SKOS.altLabel and all(
                        names_on(line_of(c.report, c.line), (str(fact.object),)) for c in fact.citations):
                    variants.append(fact)  # printed only inside a longer name: a spelling to match, not a name
                    continue
                elif fact.record:
                    failures.append((fact, verdicts))
                    continue
                else:
                    unstated.append(fact)
        kept.append(_restated_under(_with_headings(fact, corpus, names, line_of), corpus, line_of))
    if failures:
        raise _failure(failures)
    kept = _read_with_items(_where_described(kept, names, corpus, line_of), names, corpus, line_of)
    kept = _identified(kept, names, corpus, line_of)
    return Grounding(kept, tally(kept, unstated, names), unstated, variants)


def tally(kept: Iterable[Fact], unstated: Iterable[Fact], names: Names) -> dict[str, list[int]]:
    """Kind of fact -> [citations that state their fact, citations], of the facts ``kept`` by
    :func:`ground`, given those it kept though no cited line states them (``unstated``)."""
    missed = {(fact.subject, fact.predicate, fact.object) for fact in unstated}
    counts: dict[str, list[int]] = {}
    for fact in kept:
        found = counts.setdefault(kind_of(fact, names), [0, 0])
        found[1] += len(fact.citations)
        if (fact.subject, fact.predicate, fact.object) not in missed:
            found[0] += len(fact.citations)
    return counts


_ABOUT_THE_NODE = STRUCTURAL | CLASSIFYING | NAMING


def _each_report(fact: Fact, stating: list[int], verdicts: list[Verdict], corpus: Corpus, names: Names,
                 line_of: Callable[[str, int], str]) -> Fact:
    """The fact cited at the lines that state it; and in a report none of whose cited lines states
    it alone, at the lines that do together (a row read with the period row over its block), so
    that one report's stating line does not take the fact out of another report's graph."""
    parts = [_worded(_keep(fact, stating), fact, corpus, line_of)]
    stated = {fact.citations[i].report for i in stating}
    for report in dict.fromkeys(c.report for c in fact.citations):
        if report in stated:
            continue
        indexes = [i for i, c in enumerate(fact.citations) if c.report == report]
        part = _keep(fact, indexes)
        found = (_paired(part, [verdicts[i] for i in indexes], corpus) or _across_lines(part, corpus, names, line_of)
                 or _headed(part, corpus, names, line_of))
        if found:
            parts.append(found)
    if len(parts) == 1:
        return parts[0]
    citations = [c for part in parts for c in part.citations]
    origins = [part.origins_of(i) for part in parts for i in range(len(part.citations))]
    return replace(fact, citations=tuple(citations), origins=tuple(origins))


def _worded(fact: Fact, read: Fact, corpus: Corpus, line_of: Callable[[str, int], str]) -> Fact:
    """A record's classification ("consolidated affiliated entity") cited at a line that names
    the subject but not the words, read with the record's line in the same section that prints
    them ("Our Consolidated Affiliated Entities:" over the list that goes on to name it)."""
    if not (fact.record and fact.predicate in CLASSIFYING and isinstance(fact.object, Literal)):
        return fact
    printed = fold(str(fact.object)).split()
    if not printed:
        return fact
    # the words as printed, singular or plural: "Our Consolidated Affiliated Entities"
    pattern = re.compile(r"\b" + r"\s+".join(re.escape(w[:-1]) + "(?:y|ies)" if w.endswith("y") else re.escape(w) + "s?"
                                            for w in printed) + r"\b")

    def words(citation: Citation) -> bool:
        return bool(pattern.search(line_of(citation.report, citation.line)))

    citations = []
    for citation in fact.citations:
        if not words(citation):
            section = corpus[citation.report].section(citation.line)[:1]
            found = [other for other in read.citations if other.report == citation.report and other.line
                     != citation.line and words(other) and corpus[other.report].section(other.line)[:1] == section]
            if found:
                citation = citation.with_context(found[0])
        citations.append(citation)
    return replace(fact, citations=tuple(citations))


def _restated_under(fact: Fact, corpus: Corpus, line_of: Callable[[str, int], str]) -> Fact:
    """A figure's "restated" cited at its row read with the column head that says "(Restated)"."""
    if fact.predicate != _RESTATED:
        return fact
    citations = []
    for citation in fact.citations:
        if citation.context is None and "restated" not in line_of(citation.report, citation.line):
            document = corpus[citation.report]
            head = next((n for n in heading_lines(document, citation.line) if n < citation.line
                         and "restated" in line_of(citation.report, n)), None)
            if head is not None:
                text = document.lines[head - 1]
                start = text.casefold().find("restated")
                citation = citation.with_context(Citation(citation.report, head, text[start:start + 8]))
        citations.append(citation)
    return replace(fact, citations=tuple(citations))


def _keep(fact: Fact, indexes: list[int]) -> Fact:
    """The fact cited at the citations with these indexes only, each with its origins."""
    return replace(fact, citations=tuple(fact.citations[i] for i in indexes),
                   origins=tuple(fact.origins[i] for i in indexes) if fact.origins else ())


def _where_described(facts: list[Fact], names: Names, corpus: Corpus,
                     line_of: Callable[[str, int], str]) -> list[Fact]:
    """A described node's type, label and classifications cited where its own facts are stated:
    a partnership is a customer relation on the lines that name the customer, not on every line
    its record read. An award, whose label is the name the report prints, is cited for these, and
    for its recipient when the report leaves it implicit, at the lines that print its name; and a
    fact whose object is a described node the report names somewhere (a segmentation scheme, by
    its list of segments) at the lines that print that name, where some do."""
    lines: dict[str, set[tuple[str, int]]] = {}
    named: dict[str, set[tuple[str, int]]] = {}
    for fact in facts:
        key = names.key(fact.subject)
        if key in names.described and fact.predicate not in _ABOUT_THE_NODE:
            lines.setdefault(key, set()).update((c.report, c.line) for c in fact.citations)
        if key in names.awards:
            for citation in fact.citations:
                if any(_prints(name, citation, corpus, line_of) for name in _award_names(names, key)):
                    named.setdefault(key, set()).add((citation.report, citation.line))
    cut = []
    for fact in facts:
        key = names.key(fact.subject)
        printed = names.printed_as.get(names.key(fact.object) or "")
        if printed:  # a described object the report does name somewhere: cite where it does
            at = [i for i, c in enumerate(fact.citations)
                  if any(_prints(n, c, corpus, line_of, exact=True) for n in printed)]
            if at and len(at) < len(fact.citations):
                fact = _keep(fact, at)
        implicit = fact.predicate == _AWARDED_TO and names.key(fact.object) in names.issuers.values()
        stated = named.get(key) if (key in named and (fact.predicate in _ABOUT_THE_NODE or implicit)) else \
            lines.get(key) if fact.predicate in _ABOUT_THE_NODE else None
        if stated:
            keep = [i for i, citation in enumerate(fact.citations) if (citation.report, citation.line) in stated]
            if keep and len(keep) < len(fact.citations):
                fact = _keep(fact, keep)
        if fact.predicate in _KINDS:  # "customer" where a line says so: "the customer's data processing center"
            worded = [i for i, c in enumerate(fact.citations)
                      if len(text_parts_on(line_of(c.report, c.line), str(fact.object))) == 1]
            if worded and len(worded) < len(fact.citations):
                fact = _keep(fact, worded)
        cut.append(fact)
    return cut


_KINDS = frozenset((SK.relationKind, SK.eventKind))


def _prints(text: str, citation: Citation, corpus: Corpus, line_of: Callable[[str, int], str],
            exact: bool = False) -> bool:
    """Whether the cited line prints ``text`` (as written when ``exact``, else as a descriptive
    value is judged), alone or run on from the line before or to the next (an award's name over
    two lines of an honours page)."""
    def states(line: str) -> bool:
        if exact:
            return names_on(line, (text,))
        return len(text_parts_on(line, text)) == len(text_parts(text))

    report, number = citation.report, citation.line
    if states(line_of(report, number)):
        return True
    return any(states(f"{line_of(report, a)} {line_of(report, a + 1)}")
               for a in (number - 1, number) if a >= 1 and a + 1 <= len(corpus[report]))


def _paired(fact: Fact, verdicts: list[Verdict], corpus: Corpus) -> Fact | None:
    """A record's fact cited at two of its own lines in one section, one naming the subject and
    the other the object: a fact that needs two lines cites both ("Generative AI: …" heading the
    segment's part of a report, "Large Models and Agents: SenseNova …" further down it)."""
    if not fact.record:
        return None
    for i, (first, one) in enumerate(zip(fact.citations, verdicts, strict=True)):
        for j, (second, other) in enumerate(zip(fact.citations, verdicts, strict=True)):
            if (i != j and first.report == second.report and one.subject and not one.object
                    and other.object and not other.subject):
                document = corpus[first.report]
                if document.section(first.line)[:1] == document.section(second.line)[:1]:
                    # cited at the later line, the item, read with the earlier, which heads it
                    (a, early), (b, late) = sorted(((i, first), (j, second)), key=lambda pair: pair[1].line)
                    return replace(fact, citations=(late.with_context(early),),
                                   origins=(_joined(fact.origins_of(b), fact.origins_of(a)),))
    return None


def _across_lines(fact: Fact, corpus: Corpus, names: Names, line_of: Callable[[str, int], str]) -> Fact | None:
    """The fact cited at two adjacent lines that state it together, where a name or a sentence
    runs from one line onto the next ("Zero-Carbon Research Institute" / "of the Beijing News").
    Only for names and words: a figure or a date on the next line is another row's."""
    if isinstance(fact.object, Literal) and (fact.object.datatype in VALUE_TYPES or fact.predicate in PERIOD_BOUNDS):
        return None
    for index, citation in enumerate(fact.citations):
        document = corpus[citation.report]
        for first in (citation.line - 1, citation.line):
            if first < 1 or first + 1 > len(document):
                continue
            joined = f"{line_of(citation.report, first)} {line_of(citation.report, first + 1)}"
            if judge(fact, citation.report, joined, names).grounded:
                cited = citation.line
                own = citation if anchor_span(document.lines[cited - 1], citation.anchor) else \
                    Citation(citation.report, cited, _anchor(document.lines[cited - 1]))
                other = first + 1 if first == cited else first  # the line the name runs on to, or from
                text = document.lines[other - 1]
                context = Citation(citation.report, other, _anchor(text, last=other < cited))
                return replace(fact, citations=(own.with_context(context),), origins=(fact.origins_of(index),))
    return None


def _headed(fact: Fact, corpus: Corpus, names: Names, line_of: Callable[[str, int], str]) -> Fact | None:
    """The fact cited where the lines heading one of its citations state it: the nearest heading
    that states it alone, or else the nearest that names the end the cited line leaves out (the
    model heading a list of comparisons), cited together with that line."""
    citations: dict[Citation, tuple[str, ...]] = {}
    for index, citation in enumerate(fact.citations):
        document, origin = corpus[citation.report], fact.origins_of(index)
        item = judge(fact, citation.report, line_of(citation.report, citation.line), names)
        for number in heading_lines(document, citation.line):
            heading = judge(fact, citation.report, line_of(citation.report, number), names)
            if heading.grounded or (item.object and heading.subject) or (item.subject and heading.object):
                over = Citation(citation.report, number, _anchor(document.lines[number - 1]))
                cited = over if heading.grounded else citation.with_context(over)
                citations[cited] = _joined(citations.get(cited, ()), origin)
                break
    if not citations:
        return None
    return replace(fact, citations=tuple(citations), origins=tuple(citations.values()))


def _with_headings(fact: Fact, corpus: Corpus, names: Names, line_of: Callable[[str, int], str]) -> Fact:
    """A fact cited at an item and at a line heading it (a list's lead-in, a table's header row,
    the sub-heading over an entry, the first line of an honours entry) cited once: at the item,
    read with that heading, or at the heading, read with the item, where only the heading prints
    the fact's object (an award's name over its issuer's line). The heading alone rarely states
    the fact ("Industry Alliance" over the alliances joined, "Supplier" over the supplier rows), and
    the item often leaves an end to it. Figures keep their lines: a table row is never the heading
    of another."""
    if len(fact.citations) < 2 or _figure(fact):
        return fact
    at = {(c.report, c.line): i for i, c in enumerate(fact.citations) if c.context is None}
    read_with: dict[int, int] = {}
    for i, item in enumerate(fact.citations):
        if item.context is not None:
            continue
        document = corpus[item.report]
        for number in heading_lines(document, item.line):
            j = at.get((item.report, number))
            if j is not None and number < item.line and not _data_row(document, number):
                read_with[i] = j
                break
    if not read_with:
        return fact
    headings = set(read_with.values()) - set(read_with)
    citations, origins = [], []
    for i, citation in enumerate(fact.citations):
        if i in headings:
            continue
        if i in read_with:
            j = read_with[i]
            heading = fact.citations[j]
            if (_printed_ends(fact, line_of(heading.report, heading.line), names)
                    > _printed_ends(fact, line_of(citation.report, citation.line), names)):
                citation = heading.with_context(citation)
            else:
                citation = citation.with_context(heading)
            origins.append(_joined(fact.origins_of(i), fact.origins_of(j)))
        else:
            origins.append(fact.origins_of(i))
        citations.append(citation)
    return replace(fact, citations=tuple(citations), origins=tuple(origins))


def _read_with_items(facts: list[Fact], names: Names, corpus: Corpus,
                     line_of: Callable[[str, int], str]) -> list[Fact]:
    """A described node's fact cited at a line heading one of the node's items, and not at the
    item, cited at the item read with that heading: the partnership's "our" in a table's header row
    is read with Supplier C's row, the lead-in "we have joined" with the alliance's line."""
    items: dict[str, dict[tuple[str, int], Citation]] = {}
    runs_on: dict[tuple[str, str, int], Citation] = {}  # a line where the node's name runs on, and where to
    for fact in facts:
        key = names.key(fact.subject)
        if key in names.described and not _figure(fact):
            for c in fact.citations:
                items.setdefault(key, {}).setdefault((c.report, c.line), Citation(c.report, c.line, c.anchor))
                if fact.predicate in NAMING and c.context is not None and abs(c.context.line - c.line) <= 2:
                    runs_on.setdefault((key, c.report, c.line), c.context)  # and the other way round
                    runs_on.setdefault((key, c.report, c.context.line), Citation(c.report, c.line, c.anchor))
    def heads(report: str, line: int) -> tuple[int, ...]:
        return heading_lines(corpus[report], line)

    moved = []
    for fact in facts:
        key = names.key(fact.subject)
        lines = items.get(key or "") if key in names.described and not _figure(fact) else None
        if not lines:
            moved.append(fact)
            continue
        cited = {(c.report, c.line) for c in fact.citations}
        citations = []
        for citation in fact.citations:
            name_rest = runs_on.get((key, citation.report, citation.line))
            if citation.context is None and name_rest is not None and fact.predicate not in NAMING:
                # "2024 Best Digital Intelligence" / "Employer in China": read with the rest of the name
                citations.append(citation.with_context(name_rest))
                continue
            below = sorted(line for (report, line) in lines if report == citation.report and line > citation.line
                           and not _heads_another(report, line, lines, heads)
                           and (report, line) not in cited and citation.line in heads(report, line)
                           and not _data_row(corpus[report], citation.line))
            if citation.context is None and below:
                item = lines[citation.report, below[0]]
                if (_printed_ends(fact, line_of(citation.report, citation.line), names)
                        > _printed_ends(fact, line_of(item.report, item.line), names)):
                    citation = citation.with_context(item)
                else:
                    citation = item.with_context(citation)
            elif citation.context is None:  # an item read with the node's line heading it: the person
                above = [line for line in heads(citation.report, citation.line)  # over the title that
                         if (citation.report, line) in lines                    # runs on below the name
                         and not _data_row(corpus[citation.report], line)]
                if above and above[0] < citation.line:
                    citation = citation.with_context(lines[citation.report, above[0]])
            citations.append(citation)
        if citations != list(fact.citations):
            fact = replace(fact, citations=tuple(citations))
        moved.append(fact)
    return moved


# The facts that say which thing a described node is: a role is its person's, a partnership its
# partner's, a membership its organisation's, a certification its holder's.
IDENTIFYING = frozenset(SK[name] for name in ("person", "partner", "holder"))
_MEMBERSHIP_OF = SK.organization


def _identified(facts: list[Fact], names: Names, corpus: Corpus,
                line_of: Callable[[str, int], str]) -> list[Fact]:
    """A described node's facts cited where the node is identified: where its line, or the line it
    is read with, names the node's person, partner or holder (or prints an award's name). A line
    that names none of them ("… executive Director, chief executive officer …" below the line
    that names Dr. Xu Li) is read with the line heading it that does, or else dropped, where
    another citation of the fact identifies the node. The judge lets a described node's facts
    stand on any line: this is what a reader needs to tell which node the line is about."""
    ends: dict[str, set[str]] = {}
    for fact in facts:
        key = names.key(fact.subject)
        if key in names.described and isinstance(fact.object, Ref) and (
                fact.predicate in IDENTIFYING or (fact.predicate == _MEMBERSHIP_OF and key.startswith("membership-"))):
            ends.setdefault(key, set()).add(fact.object.id)

    def names_end(key: str, report: str, number: int) -> bool:
        line = line_of(report, number)
        if key in names.awards:
            cited = Citation(report, number, "")
            return any(_prints(name, cited, corpus, line_of) for name in _award_names(names, key))
        for end in ends.get(key, ()):
            if end == names.issuers.get(report) and _ISSUER_WORDS.search(line):
                return True
            if _named(line, names.of.get(end)) and names.of.get(end):
                return True
        return False

    def identifies(key: str, citation: Citation) -> bool:
        return any(names_end(key, citation.report, n) for n in citation.lines)

    out = []
    for fact in facts:
        key = names.key(fact.subject)
        if (key not in ends and key not in names.awards) or fact.predicate in IDENTIFYING \
                or (fact.predicate in NAMING and key in names.awards) or _figure(fact):
            out.append(fact)
            continue
        verdicts = [identifies(key, c) for c in fact.citations]
        if all(verdicts):
            out.append(fact)
            continue
        read: list[tuple[int, Citation, bool]] = []
        for index, (citation, ok) in enumerate(zip(fact.citations, verdicts, strict=True)):
            if not ok and citation.context is None:
                over = next((n for n in heading_lines(corpus[citation.report], citation.line) if n < citation.line
                             and names_end(key, citation.report, n)), None)
                if over is not None:
                    document = corpus[citation.report]
                    citation = citation.with_context(Citation(citation.report, over, _anchor(document.lines[over - 1])))
                    ok = True
            read.append((index, citation, ok))
        if not any(ok for _, _, ok in read):  # no line identifies it: left as the judge found it
            out.append(fact)
            continue
        kept_ = [(index, citation) for index, citation, ok in read if ok]
        out.append(replace(fact, citations=tuple(c for _, c in kept_),
                           origins=tuple(fact.origins_of(i) for i, _ in kept_)))
    titles: dict[str, set[str]] = {}
    for fact in out:
        if fact.predicate == _ROLE_NAME and isinstance(fact.object, Literal):
            titles.setdefault(names.key(fact.subject) or "", set()).add(str(fact.object))
    return [_with_title(_under_competition(fact, names, corpus, line_of), titles, names, corpus, line_of)
            for fact in out]


def _with_title(fact: Fact, titles: dict[str, set[str]], names: Names, corpus: Corpus,
                line_of: Callable[[str, int], str]) -> Fact:
    """A role's fact cited at a line that names the person but breaks off the title, read with
    the line the title runs on to, past a blank line ("… co-founder, executive" / "Director,
    chief scientist …")."""
    wanted = titles.get(names.key(fact.subject) or "")
    if not wanted or fact.predicate == _ROLE_NAME:
        return fact
    citations = []
    for citation in fact.citations:
        line = line_of(citation.report, citation.line)
        if citation.context is None and not any(len(text_parts_on(line, t)) == len(text_parts(t)) for t in wanted):
            document = corpus[citation.report]
            following = next((n for n in range(citation.line + 1, min(citation.line + 3, len(document)) + 1)
                              if document.lines[n - 1].strip()), None)
            if following is not None and any(
                    len(text_parts_on(f"{line} {line_of(citation.report, following)}", t)) == len(text_parts(t))
                    for t in wanted):
                citation = citation.with_context(Citation(citation.report, following,
                                                          _anchor(document.lines[following - 1])))
        citations.append(citation)
    return replace(fact, citations=tuple(citations))


def _award_names(names: Names, key: str) -> set[str]:
    """An award's names as printed: its label, and for "Competition: item" the item, which a list
    headed by the competition prints alone ("- Champion in Image Classification in 2017")."""
    return {name for label in names.labels.get(key, ()) for name in (label, label.split(": ", 1)[-1])}


def _under_competition(fact: Fact, names: Names, corpus: Corpus, line_of: Callable[[str, int], str]) -> Fact:
    """An award's fact cited at an item that prints only its part after "Competition:", read with
    the nearest line heading it that names the competition ("- Microsoft Common Objects in Context
    (COCO)" over "- Champion in Image Classification in 2017")."""
    key = names.key(fact.subject)
    if key not in names.awards or _figure(fact):
        return fact
    competitions = {label.split(": ", 1)[0] for label in names.labels.get(key, ()) if ": " in label}
    words = {w for c in competitions for w in re.findall(r"[a-z0-9]{3,}", fold(c))}
    if not words:
        return fact
    citations = []
    for citation in fact.citations:
        if citation.context is None and not any(w in line_of(citation.report, citation.line).split() for w in words):
            document = corpus[citation.report]
            over = next((n for n in heading_lines(document, citation.line) if n < citation.line
                         and words & set(re.findall(r"[a-z0-9]{3,}", line_of(citation.report, n)))), None)
            if over is not None:
                citation = citation.with_context(Citation(citation.report, over, _anchor(document.lines[over - 1])))
        citations.append(citation)
    return replace(fact, citations=tuple(citations))


def _heads_another(report: str, line: int, lines: Iterable[tuple[str, int]],
                   heads: Callable[[str, int], tuple[int, ...]]) -> bool:
    """Whether ``line`` heads another of a node's lines: a header row or lead-in, not an item."""
    return any(r == report and other > line and line in heads(r, other) for r, other in lines)


def _figure(fact: Fact) -> bool:
    """Whether the fact is about an observation: a figure keeps the lines it was read at."""
    return isinstance(fact.subject, Ref) and fact.subject.id.startswith("obs-")


def _printed_ends(fact: Fact, line: str, names: Names) -> int:
    """How many of the fact's ends the folded line prints by name or as written: 0, 1 or 2. The
    judge passes a described node or a kind wherever it stands; this counts what a reader sees."""
    def printed(node: object) -> bool:
        if isinstance(node, Literal):
            text = str(node)
            return bool(text_parts(text)) and len(text_parts_on(line, text)) == len(text_parts(text))
        key = names.key(node)
        found = names.of.get(key or "") or tuple(fold(n) for n in names.labels.get(key or "", ()))
        return bool(found) and names_on(line, found, folded=True)
    return printed(fact.subject) + printed(fact.object)


def _data_row(document: Document, number: int) -> bool:
    """Whether line ``number`` is a table row with a figure or a year on it: data, not a header."""
    return document.table_at(number) is not None and bool(re.search(r"\d", document.lines[number - 1]))


def _anchor(text: str, last: bool = False) -> str:
    """An anchor for a heading line: its first words as printed, or its last (a line a name
    runs on from)."""
    words = text.split()
    return (" ".join(words[-6:] if last else words[:6])) if words else text


def _joined(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """Two citations' origins as one, each once, in order."""
    return tuple(dict.fromkeys((*first, *second)))


def _failure(failures: list[tuple[Fact, list[Verdict]]]) -> InputError:
    """One error for every curated fact no line states: the first in the message, the rest as details."""
    shown = []
    for fact, verdicts in failures:
        missing = []
        for citation, verdict in zip(fact.citations, verdicts, strict=True):
            ends = [end for end, ok in (("subject", verdict.subject), ("object", verdict.object)) if not ok]
            missing.append(f"{citation} does not name its {' or '.join(ends)}")
        shown.append(f"{fact.origin}: {_show(fact.subject)} {_show(fact.predicate)} {_show(fact.object)}: "
                     + "; ".join(missing))
    count = f"{len(failures)} curated facts cite" if len(failures) > 1 else "a curated fact cites"
    return InputError(f"{count} no line that states them: a cited line must print the fact's object (a name, "
                      f"code or value) and name its subject, or a line heading it must. {shown[0]}",
                      details=tuple(shown[1:]))


def _show(term: object) -> str:
    if isinstance(term, Ref):
        return term.id
    if isinstance(term, URIRef):
        return term.split("#")[-1].rsplit("/", 1)[-1]
    return repr(str(term))
