"""Comparing two builds: canonical N-Quads, the facts added and removed with their evidence,
and the same change as an RDF Patch (https://afs.github.io/rdf-delta/rdf-patch.html).

The evidence model makes the readable form possible: every fact ``s p o`` in a report graph has
``sk:Evidence`` nodes with ``rdf:subject s; rdf:predicate p; rdf:object o``, a report and a
line, so a removed fact is shown with the lines the old build cited and an added one with the
lines the new build cites.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox

from sensekg.loaders.vocab import EVIDENCE, PROV, RDF_NS, RDFS_LABEL, SK


def skolemised(quads: list[ox.Quad]) -> list[ox.Quad]:
    """Blank nodes replaced by IRIs from rdflib's canonical labelling of each graph, so that two
    isomorphic builds give the same quads. (sensekg mints no blank nodes; this keeps the
    comparison honest if a future loader does.)"""
    blank = ox.BlankNode
    if not any(isinstance(q.subject, blank) or isinstance(q.object, blank) for q in quads):
        return quads
    from rdflib import BNode, Graph
    from rdflib.compare import to_canonical_graph

    from .rdfio import from_ox, to_ox

    by_graph: dict = defaultdict(list)
    for q in quads:
        by_graph[q.graph_name].append(q)
    out = []
    for name, members in by_graph.items():
        graph = Graph()
        for q in members:
            graph.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))
        for s, p, o in to_canonical_graph(graph):
            s, o = (ox.NamedNode(f"urn:skolem:{t}") if isinstance(t, BNode) else to_ox(t) for t in (s, o))
            out.append(ox.Quad(s, to_ox(p), o, name))
    return out


def canonical_nquads(quads: list[ox.Quad]) -> bytes:
    """Sorted N-Quads with blank nodes skolemised: equal bytes mean equal builds."""
    lines = ox.serialize(skolemised(quads), format=ox.RdfFormat.N_QUADS).splitlines(keepends=True)
    return b"".join(sorted(set(lines)))


@dataclass
class Change:
    triple: ox.Triple
    graphs: list[str]
    citations: list[tuple[str, int, str, int]] = field(default_factory=list)  # report, line, quote, context line or 0


@dataclass
class BuildDiff:
    removed: list[ox.Quad]
    added: list[ox.Quad]
    removed_facts: list[Change]
    added_facts: list[Change]
    old_labels: dict
    new_labels: dict
    # citations gained or lost by facts both builds hold
    removed_citations: list[Change] = field(default_factory=list)
    added_citations: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.removed and not self.added


_EVIDENCE = str(EVIDENCE)
_SUBJECT, _PREDICATE, _OBJECT = RDF_NS + "subject", RDF_NS + "predicate", RDF_NS + "object"
_REPORT, _LINE, _QUOTE, _CONTEXT = str(PROV.wasDerivedFrom), str(SK.line), str(SK.quote), str(SK.contextLine)
_WANTED = frozenset({_SUBJECT, _PREDICATE, _OBJECT, _REPORT, _LINE, _QUOTE, _CONTEXT})


def _is_evidence(term) -> bool:
    return isinstance(term, ox.NamedNode) and term.value.startswith(_EVIDENCE)


def _citations(quads: list[ox.Quad]) -> dict[ox.Triple, list[tuple[str, int, str, int]]]:
    """For each fact triple, the (report, line, quote, context line or 0) of the evidence that states it."""
    evidence: dict = defaultdict(dict)
    for q in quads:
        predicate = q.predicate.value
        if predicate in _WANTED and _is_evidence(q.subject):
            evidence[q.subject][predicate] = q.object
    cited: dict = defaultdict(set)
    empty = ox.Literal("")
    for props in evidence.values():
        try:
            triple = ox.Triple(props[_SUBJECT], props[_PREDICATE], props[_OBJECT])
            report = props[_REPORT].value.rsplit("/", 1)[-1]
            context = int(props[_CONTEXT].value) if _CONTEXT in props else 0
            cited[triple].add((report, int(props[_LINE].value), props.get(_QUOTE, empty).value, context))
        except (KeyError, ValueError):
            continue
    return {triple: sorted(found) for triple, found in cited.items()}


def _facts(quads: list[ox.Quad], citations: dict) -> list[Change]:
    grouped: dict = defaultdict(set)
    for q in quads:
        if not _is_evidence(q.subject):
            grouped[ox.Triple(q.subject, q.predicate, q.object)].add(q.graph_name.value.rsplit("/", 1)[-1])
    return [Change(t, sorted(g), citations.get(t, [])) for t, g in sorted(grouped.items(), key=lambda kv: str(kv[0]))]


def _labels(quads: list[ox.Quad]) -> dict:
    return {q.subject: q.object.value for q in quads if q.predicate.value == RDFS_LABEL}


def _cited_only(changed: list[ox.Quad], build: list[ox.Quad], facts: list[Change]) -> list[Change]:
    """Citations of changed evidence nodes whose fact is not itself among ``facts``."""
    nodes = {q.subject for q in changed if _is_evidence(q.subject)}
    cited = _citations([q for q in build if q.subject in nodes])
    listed = {fact.triple for fact in facts}
    return [Change(t, [], c) for t, c in sorted(cited.items(), key=lambda kv: str(kv[0])) if t not in listed]


def diff_builds(old: list[ox.Quad], new: list[ox.Quad]) -> BuildDiff:
    old, new = skolemised(old), skolemised(new)
    old_set, new_set = set(old), set(new)
    removed = sorted(old_set - new_set, key=str)
    added = sorted(new_set - old_set, key=str)
    if not removed and not added:
        return BuildDiff([], [], [], [], {}, {})
    removed_facts, added_facts = _facts(removed, _citations(old)), _facts(added, _citations(new))
    return BuildDiff(removed, added, removed_facts, added_facts, _labels(old), _labels(new),
                     _cited_only(removed, old, removed_facts), _cited_only(added, new, added_facts))


class Labels(Protocol):
    """Labels by term: a dict of them, or ``build.LineLabels``, which looks them up when asked."""

    def get(self, term: object, default: str | None = None, /) -> str | None: ...


def _show(term, labels: Labels) -> str:
    from .query import show
    from .rdfio import from_ox

    if isinstance(term, ox.Literal):
        return f'"{term.value}"'
    name = show(from_ox(term))
    label = labels.get(term)
    return f"{label} ({name})" if label and label != name else name


def readable(change: BuildDiff, quote_chars: int = 90) -> str:
    if change.empty:
        return "The two builds hold the same quads."
    evidence_removed = sum(1 for q in change.removed if _is_evidence(q.subject))
    evidence_added = sum(1 for q in change.added if _is_evidence(q.subject))
    out = [f"{len(change.removed_facts)} fact(s) removed, {len(change.added_facts)} added; "
           f"{len(change.removed_citations)} citation(s) of unchanged facts removed, "
           f"{len(change.added_citations)} added ({len(change.removed)} quads removed, {len(change.added)} added, "
           f"of which evidence -{evidence_removed} +{evidence_added})."]
    for sign, facts, labels in (("-", change.removed_facts, change.old_labels),
                                ("+", change.added_facts, change.new_labels)):
        for fact in facts:
            t = fact.triple
            out.append(f"{sign} {_show(t.subject, labels)}  {_show(t.predicate, labels)}  {_show(t.object, labels)}"
                       f"  [{', '.join(fact.graphs)}]")
            for report, line, quote, context in fact.citations[:3]:
                short = quote if len(quote) <= quote_chars else quote[:quote_chars - 1] + "…"
                out.append(f"    {_line(report, line, context)}  {short}")
            if len(fact.citations) > 3:
                out.append(f"    … and {len(fact.citations) - 3} more line(s)")
    for sign, facts, labels, verb in (("-", change.removed_citations, change.old_labels, "no longer cited at"),
                                      ("+", change.added_citations, change.new_labels, "now also cited at")):
        for fact in facts:
            t = fact.triple
            lines = ", ".join(_line(report, line, context) for report, line, _, context in fact.citations)
            out.append(f"{sign} {_show(t.subject, labels)}  {_show(t.predicate, labels)}  {_show(t.object, labels)}"
                       f"  {verb} {lines}")
    return "\n".join(out)


def _line(report: str, line: int, context: int) -> str:
    """``report:line``, and the line it is read with: ``report:289 with :288``."""
    return f"{report}:{line}" + (f" with :{context}" if context else "")


def rdf_patch(change: BuildDiff) -> str:
    """The change as one RDF Patch transaction: deletions, then additions, in sorted order."""
    lines = ["TX ."]
    lines += [f"D {q.subject} {q.predicate} {q.object} {q.graph_name} ." for q in change.removed]
    lines += [f"A {q.subject} {q.predicate} {q.object} {q.graph_name} ." for q in change.added]
    lines.append("TC .")
    return "\n".join(lines) + "\n"


def fact_changes(old: list[ox.Quad], new: list[ox.Quad], limit: int = 20,
                 changed: tuple[Iterable[ox.Quad], Iterable[ox.Quad]] | None = None,
                 labels: Callable[[], Labels] | None = None) -> list[str]:
    """A short account of the facts one build adds and removes against another: what a curator
    sees after a rebuild. Only facts count (evidence follows them); the first ``limit`` of each
    are shown with labels and their graph's report. Empty when the facts are the same.
    ``changed``, the quads removed and added when the caller has them, spares working them out:
    the facts added are the added quads that are facts, and so on; ``labels``, when given, gives
    the labels of both builds' subjects (asked only when some fact changed) instead of ``old``
    and ``new``."""
    def facts(quads: Iterable[ox.Quad]) -> set[ox.Quad]:
        return {q for q in quads if isinstance(q.graph_name, ox.NamedNode) and not _is_evidence(q.subject)
                and "/report/" in q.graph_name.value}

    if changed is None:
        before, after = facts(old), facts(new)
        gone, came = before - after, after - before
    else:
        gone, came = facts(changed[0]), facts(changed[1])
    added, removed = sorted(came, key=str), sorted(gone, key=str)
    if not added and not removed:
        return []
    labels = labels() if labels is not None else {**_labels(old), **_labels(new)}
    lines = [f"{len(added)} fact(s) added, {len(removed)} removed since the last build:"]
    for sign, changed in (("+", added), ("-", removed)):
        for quad in changed[:limit]:
            report = quad.graph_name.value.rsplit("/", 1)[-1]
            lines.append(f"  {sign} {_show(quad.subject, labels)}  {_show(quad.predicate, labels)}  "
                         f"{_show(quad.object, labels)}  [{report}]")
        if len(changed) > limit:
            lines.append(f"  {sign} … and {len(changed) - limit} more")
    return lines
