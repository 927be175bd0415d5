"""The figures a report prints, as coverage counts them, and the curator's dismissals of them.

A figure is a table cell that holds one figure, or in prose an amount with a currency, a scale
word or a percent sign. ``coverage`` counts a figure as accounted for when an observation cites
it on its line, or when a ``[[figure]]`` record of the report's ``dismissed.toml`` cites it there
with a reason; ``lint`` reports a dismissal that holds no printed figure.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ..reportdata import FigureDismissal
from ..reports import Document
from .tablereader import find_layout, is_figure, tidy
from .tables import continued_tables

# a figure in prose: an amount with a currency, a scale word or a percent sign (at least one)
PROSE_FIGURE = re.compile(
    r"(?P<currency>(?:RMB|HK\$|US\$|HKD|USD)\s?)?(?<![\d.,])(?P<number>\(?\d[\d,]*(?:\.\d+)?\)?)"
    r"(?P<scale>\s?%|\s(?:million|billion|thousand)\b)?"
)


def printed_value(text: str) -> Decimal | None:
    """The absolute value of a figure as printed ("(1,234.5)", "12.3%")."""
    try:
        return abs(Decimal(text.strip("()%").replace(",", "")))
    except InvalidOperation:
        return None


def printed_figures(document: Document) -> list[tuple[int, str, Decimal]]:
    """Every figure the report prints, as (line, as printed, absolute value)."""
    found = []
    table_lines = set()
    for table in continued_tables(document):
        table_lines.update(row.line for row in table.rows)
        layout = find_layout(table)
        if layout is None:
            continue
        for row in layout.body:
            for column in layout.columns:
                cell = row.cells[column.cell] if column.cell < len(row.cells) else ""
                if is_figure(cell):
                    value = printed_value(tidy(cell))
                    if value is not None:
                        found.append((row.line, cell.strip(), value))
    for number, text in document.numbered():
        if number in table_lines:
            continue
        for match in PROSE_FIGURE.finditer(text):
            if not (match.group("currency") or match.group("scale")):
                continue
            printed = match.group("number")
            value = printed_value(printed)
            if value is not None and not re.fullmatch(r"(?:19|20)\d\d", printed):
                found.append((number, match.group(0), value))
    return found


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def holds(anchor: str, printed: str) -> bool:
    """Whether a dismissal's anchor holds a figure as printed (white space aside)."""
    figure = _squeeze(printed)
    return bool(figure) and figure in _squeeze(anchor)


class FigureDismissals:
    """Which printed figures of a report the curator dismissed: a figure on a cited line whose
    anchor holds it as printed."""

    def __init__(self, dismissals: list[FigureDismissal], report: str):
        self.anchors: dict[int, list[tuple[str, FigureDismissal]]] = {}
        for dismissal in dismissals:
            if dismissal.report != report:
                continue
            for citation in dismissal.citations:
                self.anchors.setdefault(citation.line, []).append((citation.anchor, dismissal))

    def find(self, line: int, printed: str) -> FigureDismissal | None:
        return next((dismissal for anchor, dismissal in self.anchors.get(line, ()) if holds(anchor, printed)), None)
