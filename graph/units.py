"""Figures in one unit per measure: ``query run --normalize`` and the API's figures.

Every observation carries its value as printed (``sk:value``, ``sk:unit``: 1,892,226 RMB
thousand here, 2,453.9 RMB million there) and normalised (``sk:normalizedValue`` in
``sk:normalizedUnit``: RMB, persons, percent …), with the measure's sign convention applied
at build time (an expense is positive however the statement printed it; see measures.toml).
A saved query that lists figures returns both, as the columns ``value``, ``unit``,
``normalized`` and ``base``. Normalising keeps the normalised pair, and shows money in millions
(RMB million, HKD million), the unit the reports' prose uses, so that a column holds one unit
per measure and numbers a reader can take in.
"""

from __future__ import annotations

from decimal import Decimal

from rdflib import Literal
from rdflib.term import Node

from sensekg.loaders.errors import InputError

FIGURE_COLUMNS = ("value", "unit", "normalized", "base")
MILLIONS = {"RMB", "HKD", "USD"}
VALUE, UNIT = "normalized_value", "normalized_unit"


def display(value: Decimal, base: str) -> tuple[Decimal, str]:
    """A normalised value in the unit it is shown in: money in millions, the rest as it is."""
    if base in MILLIONS:
        return _plain(value / Decimal(1_000_000)), f"{base} million"
    return _plain(value), base


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (1E+3 is 1000)."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def normalized(store, columns: list[str], rows: list[tuple]) -> tuple[list[str], list[tuple]]:
    """The rows with ``value``/``unit`` replaced by the normalised value and unit (columns
    ``normalized_value`` and ``normalized_unit``, so the header says so), and ``normalized`` and
    ``base`` dropped. A query that shows no normalised figures is refused."""
    missing = [c for c in FIGURE_COLUMNS if c not in columns]
    if missing:
        raise InputError("--normalize needs a query that lists figures with the columns value, unit, normalized "
                         f"and base; this one has {', '.join(columns)}")
    at = {c: columns.index(c) for c in FIGURE_COLUMNS}
    keep = [i for i, c in enumerate(columns) if c not in ("normalized", "base")]
    out_columns = [VALUE if c == "value" else UNIT if c == "unit" else c for c in (columns[i] for i in keep)]
    out = []
    for row in rows:
        cells: list[Node | None] = list(row)
        number, base = row[at["normalized"]], row[at["base"]]
        if number is not None and base is not None:
            value, unit = display(Decimal(str(number)), str(base))
            cells[at["value"]], cells[at["unit"]] = Literal(value), Literal(unit)
        out.append(tuple(cells[i] for i in keep))
    return out_columns, out
