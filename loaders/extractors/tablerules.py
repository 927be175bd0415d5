"""The small rules the table reader is made of: periods, units, labels and anchors as printed.

Each rule reads one kind of text the reports print (a header cell, a unit caption, a row
label) and says what it means, or ``None`` when it does not know. They are kept apart from
the reader so that each can be tested on the printed forms listed in its docstring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ..figures import Period, period

NIL = {"", "-", "–", "—", "_", "/", "N.A.", "N/A", "n/a", "nil", "Nil"}

# "(a)", "(Note 12)", "( Note 12 )", "(note 3(a))", "( i )" at the end of a label. A match begins
# only where a run of spaces begins, and what follows "note" is capped, so it is linear.
FOOTNOTE = re.compile(r"(?<!\s)\s*+\(\s*(?:[a-z]{1,4}|note\s*+[\w()]{1,40}?)\s*\)\s*+$", re.I)
_TRAILING = re.compile(r"(?<!\s)\s*+\b(?:Add|Less)\s*+:?\s*+$")
_LEADING = re.compile(r"^(?:\((?:[ivx]{1,4}|[a-h])\)\s*|[–\-—•·]\s*|\(unaudited\)\s*|(?:add|less)\s*:\s*)+", re.I)
_SUP = re.compile(r"\s+\d$")
_SUP_AFTER_WORD = re.compile(r"[a-z]\s+\d$")
_LETTER = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_YEAR = re.compile(r"(?<!\d)(?<!\d[,.])(?:19|20)\d\d(?!\d|[,.]\d)")
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), start=1)}
_MONTH = "(" + "|".join(_MONTHS) + ")"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})\s+{_MONTH}\b|\b{_MONTH}\s+(\d{{1,2}})\b", re.I)


@dataclass(frozen=True)
class Skipped:
    """A row or table the reader could not read, with why."""

    table: str
    report: str
    line: int
    reason: str


@lru_cache(maxsize=16384)
def years_in(text: str) -> tuple[int, ...]:
    """The years a header cell prints: "2024", "<b>2023</b>", "2025 RMB'000 (Unaudited)", "2024/2023"."""
    return tuple(int(y) for y in _YEAR.findall(text))



@lru_cache(maxsize=16384)
def is_header_cell(cell: str) -> bool:
    """A cell that heads a column: years, units and words, and no figure besides the years."""
    rest = _YEAR.sub("", cell)
    rest = re.sub(r"[RK]MB\s*'?\s*000", "", rest)
    return not re.search(r"\d", rest)


def _squeezed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


@lru_cache(maxsize=16384)
def kind_of(text: str) -> str | None:
    """The kind of period a header states, read on its letters alone, so that a phrase split
    over cells ("Six months en | ded 30 June") still reads: H1, FY, instant, or the report's own."""
    squeezed = _squeezed(text)
    if "sixmonths" in squeezed:
        return "H1"
    if "yearended" in squeezed or "fortheyear" in squeezed:
        return "FY"
    if re.search(r"endof(?:the)?reportingperiod|asoftheend", squeezed):
        return "reporting-instant"
    if "reportingperiod" in squeezed:
        return "reporting-period"
    if re.search(r"\bas\s+(?:at|of)\b|^\s*at\s+\d", text, re.I) or re.search(r"asat|asof", squeezed):
        return "instant"
    return None


@lru_cache(maxsize=16384)
def month_day(text: str) -> tuple[int, int] | None:
    """The day of the year a header names: "31 December", "June 30" (the last one printed)."""
    found = None
    for match in _DAY_MONTH.finditer(text):
        day = match.group(1) or match.group(4)
        month = match.group(2) or match.group(3)
        found = (_MONTHS[month.casefold()], int(day))
    return found


_MONTH_PREFIX = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})|\b([A-Za-z]{3,9})\s+(\d{1,2})\b")


def month_days(text: str) -> list[tuple[int, int]]:
    """Every day of the year a header names, in order, a month cut short by the conversion
    included: "As at 30 June As at 31 Dece" gives (6, 30), (12, 31)."""
    found = []
    for match in _MONTH_PREFIX.finditer(text):
        day, word = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        months = [number for name, number in _MONTHS.items() if name.startswith(word.casefold())]
        if len(months) == 1 and 1 <= int(day) <= 31:
            found.append((months[0], int(day)))
    return found


_UNITS = (
    (re.compile(r"[RK]MB\s*'?\s*0{3}\b|RMB\s+in\s+thousands|RMB\s*thousand", re.I), "RMB thousand"),
    (re.compile(r"RMB\s*(?:in\s+)?millions?\b", re.I), "RMB million"),
    (re.compile(r"RMB\s*(?:in\s+)?billions?\b", re.I), "RMB billion"),
    (re.compile(r"RMB\s*10,000"), "RMB 10,000"),
    (re.compile(r"HK\\?\$\s*(?:in\s+)?millions?|HKD\s*millions?", re.I), "HK$ million"),
    (re.compile(r"US\\?\$\s*(?:in\s+)?millions?|USD\s*millions?", re.I), "US$ million"),
    (re.compile(r"^\s*\(?%\)?\s*$|\(%\)|percentage|%\s+of\b", re.I), "%"),
)
_COUNT = re.compile(r"^\s*number of (?!newly\b|new\b|the\b)(\w+)\b|^\s*quantity\s*\((\w+)\)\s*$", re.I)
# the unit column of a KPI table: singular counts become plural, chemistry loses its spacing
_PLURAL = {"person": "persons", "day": "days", "hour": "hours", "supplier": "suppliers", "case": "cases",
           "employee": "employees", "tonne": "tonnes"}


@lru_cache(maxsize=16384)
def column_unit(text: str, unit_column: bool = False) -> str | None:
    """The unit a caption or column head states: "RMB'000", "(RMB in thousands…)", "RMB million",
    "(Approximately HK\\$ million)", "(%)". In a "Unit" column the cell is the unit itself."""
    if unit_column:
        unit = " ".join(text.split())
        if not unit:
            return None
        unit = re.sub(r"tCO\s*2\s*e", "tCO2e", unit)
        unit = re.sub(r"/\s*million revenue\s*\(RMB\)", "/RMB million revenue", unit)
        return _PLURAL.get(unit, unit)
    for pattern, unit in _UNITS:
        if pattern.search(text):
            return unit
    if match := _COUNT.search(text):  # "Number of employees", "Quantity (Supplier)"
        noun = (match.group(1) or match.group(2)).casefold()
        return _PLURAL.get(noun, noun)
    return None


_ROW_MARKERS = (
    (re.compile(r"\(\s*RMB\s*'?\s*000\s*\)\s*$", re.I), "RMB thousand"),
    (re.compile(r"\(\s*(?:expressed in\s+)?RMB(?:\s+per share)?\s*\)\s*$", re.I), "RMB"),
    (re.compile(r"\(\s*HK\$\s*\)\s*$"), "HK$"),
    (re.compile(r"\(\s*%\s*\)\s*$"), "%"),
    (re.compile(r"\(\s*thousands?\s*\)\s*$", re.I), "thousand shares"),
)


@lru_cache(maxsize=16384)
def row_unit_marker(printed: str) -> str | None:
    """A row that states its own unit at the end of its label: "Basic and diluted loss per share
    (RMB)" in a table whose caption says RMB'000, "(RMB'000)", "(thousand)" shares, "(%)"."""
    label = printed.strip()
    for pattern, unit in _ROW_MARKERS:
        if pattern.search(label):
            return unit
    return None


_ROW_INSTANT = re.compile(
    rf"^(?:balance\s+)?(?:as\s+)?at\s+(?:(\d{{1,2}})\s+{_MONTH}|{_MONTH}\s+(\d{{1,2}})),?\s+((?:19|20)\d\d)$", re.I)
_ROW_SPAN = re.compile(r"^(?:for the\s+)?(year|six months) ended\s+.*?((?:19|20)\d\d)$", re.I)


def row_period(label: str, spec=None) -> Period | None:
    return _row_period(label)


@lru_cache(maxsize=16384)
def _row_period(label: str) -> Period | None:
    """A row that is a period: "At 1 January 2024", "As at 30 June 2025", "Year ended 31 December
    2024", "Six months ended June 30, 2021", or a bare year "2018"."""
    if len(label) > 120:
        return None
    text = re.sub(r"^\(\s*unaudited\s*\)\s*", "", label.strip(), flags=re.I)
    if match := _ROW_INSTANT.match(text):
        day = int(match.group(1) or match.group(4))
        month = _MONTHS[(match.group(2) or match.group(3)).casefold()]
        try:
            return period(date(int(match.group(5)), month, day).isoformat())
        except ValueError:
            return None
    if match := _ROW_SPAN.match(text):
        kind, year = match.group(1).casefold(), match.group(2)
        return period(f"H1 {year}" if kind == "six months" else f"FY{year}")
    if re.fullmatch(r"(?:19|20)\d\d", text):
        return period(f"FY{text}")
    return None


@lru_cache(maxsize=16384)
def clean_label(text: str) -> str:
    """A row label without what is not its name: footnote marks, dot leaders, list numbers,
    bullets, "Add:"/"Less:", a trailing colon. Empty when no letters are left."""
    if len(text) > 400:  # no row label is this long; a cell of a glued paragraph is not one
        return ""
    label = text.strip()
    bare = label.rstrip(". ")
    if label[len(bare):].count(".") >= 3:  # dot leaders: "Customer A . . . . ."
        label = bare
    label = label.rstrip("*").strip()
    label = _TRAILING.sub("", FOOTNOTE.sub("", label)).strip()
    label = FOOTNOTE.sub("", label).strip()
    label = _LEADING.sub("", label).strip().rstrip(":").strip()
    for pattern, _ in _ROW_MARKERS:
        label = pattern.sub("", label).strip()
    label = _SUP.sub("", label) if _SUP_AFTER_WORD.search(label) else label  # a <sup> mark
    return label if _LETTER.search(label) else ""


def anchor_in(raw: str, *candidates: str) -> str | None:
    """A citation anchor for a cell: the cell as cleaned when the line prints it so, else its
    figure alone (the line may print "(<u>56,912,551</u>)")."""
    for text in candidates:
        if text and text in raw:
            return text
    for text in candidates:
        if not text:
            continue
        core = re.search(r"\d[\d,.]*\d|\d", text)
        if core and core.group(0) in raw:
            return core.group(0)
    return None
