"""Figures as printed: periods (FY2024, H1 2025, an instant), units and their scales, and the
values of cells and phrases ("(1,234.5)" is negative; a nil mark is no value; two figures glued
into one cell are not a number)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from .errors import InputError

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
    "million vehicles": ("vehicles", Decimal(10) ** 6),
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
