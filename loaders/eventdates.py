"""One date per event: the same date printed at two precisions is one value, and two dates that
contradict each other are both kept and marked (``sk:conflictOn``)."""

from __future__ import annotations

from dataclasses import replace

from rdflib import XSD, Literal

from .facts import Fact
from .vocab import SK

# Properties that hold the date of one event: a node has one value, however precisely each
# report prints it.
DATED = frozenset(SK[name] for name in ("foundingDate", "date", "since", "until", "launchDate", "validUntil"))
_TEMPORAL = (XSD.gYear, XSD.gYearMonth, XSD.date)


def merge_precisions(facts: list[Fact]) -> list[Fact]:
    """One value per event date: "2014" and "2014-10" for one founding are one fact, valued at
    the most precise printing and cited at every line that states either.

    Only values that refine one another merge; "2022-12" and "2023" for one certificate are a
    contradiction, kept as two facts for :func:`conflicts` to report. Run after :func:`ground`,
    so that each line was judged on the value it prints.
    """
    groups: dict[tuple, list[Fact]] = {}
    for fact in facts:
        if fact.predicate in DATED and isinstance(fact.object, Literal) and fact.object.datatype in _TEMPORAL:
            groups.setdefault((fact.subject, fact.predicate), []).append(fact)
    replaced: dict[int, Fact | None] = {}
    for group in groups.values():
        values = {str(f.object) for f in group}
        if len(values) < 2:
            continue
        finest = max(values, key=len)
        if not all(finest.startswith(value) for value in values):
            continue
        target = next(f for f in group if str(f.object) == finest)
        citations, origins = {}, {}
        for fact in group:
            for index, citation in enumerate(fact.citations):
                citations.setdefault(citation, None)
                origins.setdefault(citation, fact.origins_of(index))
        merged = replace(target, citations=tuple(citations), origins=tuple(origins[c] for c in citations),
                         record=any(f.record for f in group))
        for fact in group:
            replaced[id(fact)] = None
        replaced[id(target)] = merged
    kept = []
    for fact in facts:
        new = replaced.get(id(fact), fact)
        if new is not None:
            kept.append(new)
    return kept


def conflicts(facts: list[Fact]) -> list[Fact]:
    """For each node with two event dates that contradict each other, an ``sk:conflictOn`` fact
    naming the property, cited at the lines of every value (run after :func:`merge_precisions`)."""
    groups: dict[tuple, list[Fact]] = {}
    for fact in facts:
        if fact.predicate in DATED and isinstance(fact.object, Literal) and fact.object.datatype in _TEMPORAL:
            groups.setdefault((fact.subject, fact.predicate), []).append(fact)
    found = []
    for (subject, predicate), group in groups.items():
        if len({str(f.object) for f in group}) < 2:
            continue
        citations = _sides(group)
        values = " and ".join(sorted(str(f.object) for f in group))
        found.append(Fact(subject, SK.conflictOn, predicate, citations,
                          f"conflicting values ({values}) of {predicate.split('#')[-1]}: {group[0].origin}"))
    return found


def _sides(group: list[Fact]) -> tuple:
    """The citations of a conflict: where one report prints two of the values, one citation of
    a line with each (the line of one value read with the line of another), so that the citation
    shows the contradiction; every other line as it is."""
    by_report: dict[str, dict[str, list]] = {}
    for fact in group:
        for citation in fact.citations:
            by_report.setdefault(citation.report, {}).setdefault(str(fact.object), []).append(citation)
    citations: dict = {}
    for values in by_report.values():
        if len(values) > 1:
            first, second = (values[v][0] for v in sorted(values)[:2])
            citations.setdefault(first.with_context(second), None)
        else:
            citations.update(dict.fromkeys(c for found in values.values() for c in found))
    return tuple(citations)
