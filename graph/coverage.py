"""How much of each report the graph accounts for: the curator's measure of recall.

Three shares per report, each with the items it leaves out, by ``report:line``:

- **figures**: the figures the report prints (table cells that hold one figure; in prose, amounts
  with a currency, a scale word or a percent sign) that some observation cites on that line with
  that value, in any scale (3,772.1 million and 3,772,064 thousand are one figure), or that the
  curator dismissed, with a reason, in a ``[[figure]]`` record of the report's ``dismissed.toml``;
- **names**: the proper-name mentions (:mod:`sensekg.loaders.mentions`) that resolve to a registry
  entity or that the curator dismissed, with a reason, in ``dismissed.toml``;
- **lines**: the lines of text (not blank, not a table's rule or heading row) that at least one
  fact cites.

The figures come from the built graph's evidence, so coverage describes a build; the names come
from the registry and dismissals as they are now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF

from sensekg.loaders.extractors.printedfigures import FigureDismissals, printed_figures
from sensekg.loaders.mentions import Mention, NameFinder, curated_labels, find_mentions
from sensekg.loaders.registry import Registry
from sensekg.loaders.reportdata import Dismissal, FigureDismissal
from sensekg.loaders.reports import Corpus, Document
from sensekg.loaders.vocab import PROV, REPORT, SK


@dataclass
class Share:
    accounted: int = 0  # dismissed ones included
    items: list[tuple[int, str]] = field(default_factory=list)  # (line, what) not accounted for
    dismissed: int = 0  # accounted for by a dismissal with a reason, not by the graph

    @property
    def total(self) -> int:
        return self.accounted + len(self.items)

    @property
    def ratio(self) -> float:
        return self.accounted / self.total if self.total else 1.0


@dataclass
class Coverage:
    report: str
    figures: Share
    names: Share
    lines: Share
    mentions: list[Mention]


def _matches(printed: Decimal, values: set[Decimal]) -> bool:
    """Whether some value, in some power-of-ten scale, rounds to the figure as printed."""
    exponent = printed.as_tuple().exponent
    step = Decimal(1).scaleb(exponent) if isinstance(exponent, int) else Decimal(1)
    for value in values:
        for shift in range(-9, 10):
            scaled = abs(value).scaleb(shift)
            if abs(scaled - printed) <= step / 2:  # 153.25 million is printed 153.3 (or 153.2)
                return True
    return False


def evidence_by_line(store: ox.Store) -> tuple[set[tuple[str, int]], dict[tuple[str, int], set[Decimal]]]:
    """The (report, line) pairs any fact cites, and the observation values cited on each."""
    prefix = str(REPORT)
    cited: set[tuple[str, int]] = set()
    values: dict[tuple[str, int], set[Decimal]] = {}
    query = f"""SELECT ?r ?line ?with ?p ?o WHERE {{
        ?e <{PROV.wasDerivedFrom}> ?r ; <{SK.line}> ?line ;
           <{RDF.predicate}> ?p ; <{RDF.object}> ?o
        OPTIONAL {{ ?e <{SK.contextLine}> ?with }} }}"""
    # a line that prints a figure rounded ("RMB1,835.2 million") states the observation's
    # normalised value, not its value as printed in a table ("1,835,246" thousand)
    value_iris = (str(SK.value), str(SK.normalizedValue))
    for solution in store.query(query):
        key = (solution["r"].value.removeprefix(prefix), int(solution["line"].value))
        cited.add(key)
        if solution["with"] is not None:  # a heading or a name's other half, read with the line
            cited.add((key[0], int(solution["with"].value)))
        if solution["p"].value in value_iris:
            values.setdefault(key, set()).add(Decimal(solution["o"].value))
    return cited, values


def _text_lines(document: Document) -> set[int]:
    """Lines that carry text worth citing: not blank, not rules, not page furniture."""
    found = set()
    for number, text in document.numbered():
        bare = re.sub(r"<[^>]+>|[*#|_\-–—=\s\t]", "", text)
        if len(bare) >= 3 and not bare.isdigit():
            found.add(number)
    return found


def coverage(corpus: Corpus, registry: Registry, store: ox.Store, dismissed: list[Dismissal],
             reports: list[str] | None = None, data: Path | None = None,
             figures_dismissed: list[FigureDismissal] = ()) -> list[Coverage]:
    cited, values = evidence_by_line(store)
    finder = NameFinder(registry, curated_labels(data))
    found = []
    for document in corpus:
        if reports and document.id not in reports:
            continue
        figures = Share()
        reviewed = FigureDismissals(list(figures_dismissed), document.id)
        for line, printed, value in printed_figures(document):
            if _matches(value, values.get((document.id, line), set())):
                figures.accounted += 1
            elif reviewed.find(line, printed):
                figures.accounted += 1
                figures.dismissed += 1
            else:
                figures.items.append((line, printed))
        mentions = find_mentions(document, registry, dismissed, finder)
        names = Share(sum(1 for m in mentions if not m.undecided),
                      [(m.line, f"{m.name} ({m.kind})") for m in mentions if m.undecided],
                      sum(1 for m in mentions if m.dismissed))
        lines = Share()
        for number in sorted(_text_lines(document)):
            if (document.id, number) in cited:
                lines.accounted += 1
            else:
                lines.items.append((number, document.line(number)[:80]))
        found.append(Coverage(document.id, figures, names, lines, mentions))
    return found

