"""The generic table reader: every table of figures in any report, read by rule.

A table is a run of TAB-separated lines (or an HTML ``<table>``, which
:mod:`~sensekg.loaders.reports` turns into the same rows). The reader works out, with no
per-table record:

- which leading rows are headers, which column holds the labels, which hold figures, and which
  are notes references, text or a "Unit" column;
- each figure column's period, from the header words ("Year ended 31 December", "Six months
  ended June 30", "As at", bare years, a phrase split over two cells), from the lines just
  above the table, from period rows inside it ("At 1 January 2024", "<b>2018</b>") and, for
  "the Reporting Period", from the report's own period in ``reports.toml``;
- each figure's unit, from the column head, the table's caption, a "Unit" column, the row's own
  marker ("(RMB)" on a per-share row, "(RMB'000)", "(%)") and a "%" printed in the cell;
- each row's measure, from its label: wrapped labels joined, footnote marks and dot leaders
  dropped, bullets and repeated labels qualified by their section, unlabelled subtotals named
  after their section, a bare "Total" named after the heading the table stands under, segment
  rows resolved to the report's segments, and the result mapped through ``measures.toml``.

It never guesses: a table with no period or no unit is skipped whole, a row it cannot read
(a garbled label, two figures in one cell) is skipped, and each skip names its ``report:line``
and the reason. Tables whose headers lie keep an override in ``tables.toml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from ..facts import Citation
from ..figures import NotANumber, Period, parse_value, period
from ..measures import change_measure, measure_for
from ..observations import Reading
from ..registry import Registry
from ..reportdata import report_segments
from ..reports import Document, Row, Table, clean_text
from .tablerules import (
    NIL,
    Skipped,
    anchor_in,
    clean_label,
    column_unit,
    is_header_cell,
    kind_of,
    month_day,
    month_days,
    row_period,
    row_unit_marker,
    years_in,
)

# a column whose head names the figure's relation to a row: its measure is a template over the row
_TEMPLATES = (
    (re.compile(r"year[- ]over[- ]year|change", re.I), "{row}, year-over-year change"),
    (re.compile(r"as a percentage of (\w+)", re.I), "{row} as a percentage of {0}"),
)
_CONNECTIVE = re.compile(r"(?:\b(?:and|of|the|for|in|to|from|with|on|at|by|or|using|through|development)|[,–-])$")
_BULLET = re.compile(r"^(?:[–\-—•·]\s+|[–—•·])")
# a notes reference: "5", "3(a), 4(b)", "12(a), (b) 12(c)"; only short cells are tried
_MARK = r"(?:\s?\(\s?[a-z]{1,3}\s?\))"
_NOTE_REF = re.compile(rf"^(?:notes?\s?)?\d{{1,2}}{_MARK}*(?:\s?[,&]?\s?\d{{0,2}}{_MARK}+|\s?[,&]\s?\d{{1,2}})*$", re.I)
_GLUE = re.compile(r"\b(?!(?:of|the|to|for|in|on|by|with|and|from|at|our|its|as)\s)[a-z)]+ ([A-Z][a-z])")
_GARBLED = re.compile(r"\b(?!(?:19|20)\d\d\b)\d{3,}\b|\([A-Z]{4,}\)")
_SEVERAL = re.compile(r"\d\s+\(?\d")
_OPEN_SPACE = re.compile(r"\(\s+")
_SPACE_CLOSE = re.compile(r"\s+\)")
_CELL_MARK = re.compile(r"\s*(?:\^\{?\*\}?|\*+|\(\s*[a-z]\s*\))$")  # "1,234*", "^{*}", "(a)"
_TOTAL = re.compile(r"^(?:total|sub-?total)$", re.I)
# what a column head says besides the name of a dimension: its unit, a footnote mark, "(Unaudited)"
_UNIT_WORDS = r"\s*\b[RK]MB\s*'?\s*000\b|\(\s*[a-z]\s*\)|\((?:RMB|HK\\?\$|US\$)[^)]*\)|\(%\)|%|\(unaudited\)"
_NOT_A_DIMENSION = r"^\s*(?:number of \w+|%\s*of total)\s*$|\s+\d$"

ORIGIN = "read_generic"  # the origin of every reading made here: this module's entry point


@dataclass
class Col:
    cell: int
    header: str = ""
    year: int | None = None
    year_line: int | None = None
    year_anchor: str = ""
    kind: str | None = None  # "FY", "H1", "instant", "reporting-period", "reporting-instant"
    md: tuple[int, int] | None = None
    unit: str | None = None
    template: str = "{row}"
    baseline: Period | None = None
    restated: bool = False
    share: bool = False  # a "%" column beside an amount column: each row's share of the total
    dim: str = ""  # the column is a dimension (an asset class, an equity component), not a period
    from_context: bool = False  # the year was read from the lines above the table, not its head


@dataclass
class Layout:
    header_rows: list[Row]
    body: list[Row]
    label_cells: tuple[int, ...]
    unit_cell: int | None
    columns: list[Col] = field(default_factory=list)


def _values(row: Row, cells) -> list[str]:
    return [row.cells[c] for c in cells if c < len(row.cells)]


_DOTTED = re.compile(r"\(?\d{1,3}(?:\.\d{3}){2,}\)?")


def figure_value(text: str) -> tuple[Decimal | None, bool]:
    """The figure a tidied cell prints, and whether it was repaired: OCR prints some thousands
    with dots, "(1.452.102)", which is read as (1,452,102). Raises NotANumber otherwise."""
    try:
        return parse_value(text), False
    except NotANumber:
        if _DOTTED.fullmatch(text):
            return parse_value(text.replace(".", ",")), True
        raise


@lru_cache(maxsize=16384)
def is_figure(cell: str) -> bool:
    """A cell that prints one figure (not a nil mark, not two figures, not words)."""
    text = cell.strip()
    if not text or text in NIL or len(text) > 40:
        return False
    try:
        return figure_value(tidy(text))[0] is not None
    except NotANumber:
        return False


def _ghost_of(layout: Layout, row: Row, cell: int, value: Decimal) -> int | None:
    """The line of a clean figure, on the row above or below in the same column, that a dotted
    figure only misprints (within 1%): the dotted row is an OCR ghost of that one."""
    lines = [r.line for r in layout.body]
    at = lines.index(row.line) if row.line in lines else -1
    for other in (layout.body[i] for i in (at - 1, at + 1) if 0 <= i < len(layout.body) and at >= 0):
        text = tidy(other.cells[cell]) if cell < len(other.cells) else ""
        try:
            found = parse_value(text)
        except NotANumber:
            continue
        if found and value and abs(abs(found) - abs(value)) <= abs(found) / 100:
            return other.line
    return None


@lru_cache(maxsize=16384)
def tidy(cell: str) -> str:
    """A figure cell as printed, without what the PDF conversion put around it."""
    text = _OPEN_SPACE.sub("(", _SPACE_CLOSE.sub(")", cell.strip()))
    text = _CELL_MARK.sub("", text)
    return text


def _label_text(row: Row, cells: tuple[int, ...]) -> str:
    return " ".join(row.cells[c] for c in cells if c < len(row.cells) and row.cells[c].strip())


def is_year_row(row: Row) -> bool:
    """A header row of years: "2024 | 2023", "Indicators | Unit | 2024 | 2023 | 2022"."""
    cells = [c for c in row.cells[1:] if c.strip()]
    return bool(cells) and all(is_header_cell(c) for c in cells)


def split_block(table: Table) -> list[Table]:
    """One TAB block may hold several tables (interim-results-2025h1:1010-1045 holds three): a
    row of years after rows of figures opens a new table, with the up to three rows of heading
    words right above it."""
    rows, parts, start, seen_data = list(table.rows), [], 0, False
    for index, row in enumerate(rows):
        figures = [c for c in row.cells[1:] if is_figure(c)]
        if figures and is_year_row(row) and seen_data:
            cut = index
            while cut - 1 > start and index - cut < 3 and not any(is_figure(c) for c in rows[cut - 1].cells[1:]):
                cut -= 1
            parts.append(rows[start:cut])
            start, seen_data = cut, False
        elif figures:
            seen_data = True
    parts.append(rows[start:])
    return [Table(part[0].line, tuple(part)) for part in parts if part]


def find_layout(table: Table) -> Layout | None:
    """Split the rows into headers and body and find the label, unit and figure columns."""
    rows = list(table.rows)
    width = max(len(r.cells) for r in rows)
    first_data = None
    for index, row in enumerate(rows):
        label = row.cells[0].strip()
        figures = [c for c in row.cells[1:] if is_figure(c)]
        if figures and not is_year_row(row) and not re.fullmatch(r"(?:target )?years?", label, re.I):
            first_data = index
            break
    if first_data is None:
        return None
    header_rows, body = rows[:first_data], rows[first_data:]
    figure_like = [c for r in rows for c in r.cells[1:] if is_figure(c)]
    if not header_rows and figure_like and all(re.fullmatch(r"\d{1,3}", c.strip()) for c in figure_like):
        return None  # a list of contents: page numbers, not figures
    # a leading label-only row that is a section ("Assets") belongs to the body
    while header_rows and header_rows[-1].cells[0].strip() and not any(c.strip() for c in header_rows[-1].cells[1:]):
        body.insert(0, header_rows.pop())
    heads = {c: " ".join(r.cells[c] for r in header_rows if c < len(r.cells)).strip() for c in range(width)}
    unit_cell = next((c for c, h in heads.items() if c > 0 and re.fullmatch(r"units?", h, re.I)), None)
    figure_cells = sorted({c for r in body for c in range(1, len(r.cells)) if is_figure(r.cells[c])})
    text_cells = [c for c in range(1, width) if c not in figure_cells and c != unit_cell
                  and sum(1 for r in body if c < len(r.cells) and re.search(r"[A-Za-z]{2}", r.cells[c])) >= 2]
    # a second label column: the sub-label of a KPI table ("By gender | Male")
    label_cells = (0, 1) if 1 in text_cells and not heads.get(1) else (0,)
    columns = []
    for c in figure_cells:
        head = heads.get(c, "")
        cells = [r.cells[c] for r in body if c < len(r.cells) and r.cells[c].strip()]
        notes = cells and all(len(x) <= 40 and _NOTE_REF.match(x.strip()) for x in cells)
        if re.search(r"\bnotes?\b", head, re.I) or (notes and c == min(figure_cells) and len(figure_cells) > 2):
            continue
        if re.search(r"\byear of\b|\breason\b", head, re.I):
            continue
        columns.append(Col(c, head))
    return Layout(header_rows, body, label_cells, unit_cell, columns)


def _context_lines(document: Document, table: Table, count: int = 2) -> list[tuple[int, str]]:
    """The nearest non-blank lines above the table (a caption, the period words of A20), up to
    the heading of the table's section: the lines above that heading belong to another section
    (a note on dividends above the note on property, plant and equipment)."""
    found, number = [], table.first_line - 1
    while number >= 1 and len(found) < count and table.first_line - number <= 4 * count:
        text = document.line(number).strip()
        if "\t" in text:  # the table above: its words are not this one's caption
            break
        if text:
            found.append((number, clean_text(text)))
        if document.opens_section(number):
            break
        number -= 1
    return found


def _lower_first(text: str) -> str:
    """ "Current liabilities" -> "current liabilities"; "BORROWINGS" -> "borrowings"."""
    return text.lower() if text.isupper() else text[:1].lower() + text[1:]


def _heading_name(text: str) -> str:
    text = re.sub(r"^(?:\d+(?:\([a-z]\))?\.?\s+|\([a-z]{1,3}\)\s+)", "", text.lstrip("#").strip()).strip()
    return re.sub(r"\s+by\s+\w[\w ]*$", "", text)  # "Revenue by geographical areas": revenue


def heading_of(document: Document, table: Table) -> str:
    """The heading the table stands right under: the nearest short line above it, with no other
    table between, that is not a sentence, not a period ("FOR THE YEAR ENDED …") and not a
    running header printed on every page ("BUSINESS"). Empty when there is none."""
    running = _running_headers(document)
    for number, text in _context_lines(document, table, 8):
        raw = document.line(number).strip()
        text = text.lstrip("#").strip()
        if "\t" in raw:
            break
        words = text.split()
        if 0 < len(words) <= 12 and len(text) <= 100 and not text.endswith((".", ":", ",", ";")) \
                and not (kind_of(text) and years_in(text)) and re.search(r"[A-Za-z]{3}", text) \
                and text.casefold() not in running:
            return _heading_name(text)
    return ""


def section_of(document: Document, table: Table) -> str:
    """The section heading a table falls under, however far above (for telling tables apart)."""
    path = document.section(table.first_line)
    return _heading_name(path[-1]) if path else ""


def clear_caches() -> None:
    """Forget what the reader memoised about printed cells and labels (for timing it cold)."""
    from . import tablerules

    for cached in (is_figure, tidy, tablerules.years_in, tablerules.is_header_cell, tablerules.kind_of,
                   tablerules.month_day, tablerules.column_unit, tablerules.row_unit_marker,
                   tablerules.clean_label, tablerules._row_period):
        cached.cache_clear()


def _memo(document: Document, name: str, make):
    """A per-document index, kept on the document itself: a changed copy of a report (a test's
    damaged one) has its own, and nothing outlives the document or outlasts a reused id."""
    store = vars(document)
    if name not in store:
        store[name] = make()
    return store[name]


def _row_labels(document: Document) -> dict[str, set[str]]:
    """Every row label of two words or more that the report's tables print, casefolded, by its
    first word."""
    def make() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for table in document.tables:
            for row in table.rows:
                label = clean_label(row.cells[0]).casefold() if row.cells else ""
                if len(label.split()) >= 2:
                    found.setdefault(label.split()[0], set()).add(label)
        return found
    return _memo(document, "_sensekg_row_labels", make)


def glued(document: Document, label: str) -> bool:
    """A label the conversion glued from several rows: "Comprehensive loss Loss for the period
    Effects of changes …". Somewhere after its first word a capital letter follows a lower-case
    word and begins another label this report prints on a row of its own."""
    known = _row_labels(document)
    whole = label.casefold()
    for match in _GLUE.finditer(label):
        tail = label[match.start(1):].casefold()
        first = tail.split()[0]
        if any(tail.startswith(other) and other != whole for other in known.get(first, ())):
            return True
    return False


def _running_headers(document: Document) -> set[str]:
    """Headings printed three times or more ("BUSINESS" on every page), casefolded."""
    def make() -> set[str]:
        counts: dict[str, int] = {}
        for heading in document.headings:
            counts[heading.text.casefold()] = counts.get(heading.text.casefold(), 0) + 1
        return {text for text, count in counts.items() if count >= 3}
    return _memo(document, "_sensekg_running", make)


def _cell_unit(rows: list[Row], cell: int) -> str | None:
    """The unit a column's own head states, read cell by cell (the last row that states one)."""
    found = None
    for row in rows:
        if cell < len(row.cells) and (unit := column_unit(row.cells[cell])):
            found = unit
    return found


def assign_periods(document: Document, table: Table, layout: Layout) -> str | None:
    """Give each figure column its period and unit; return why not, when the headers do not say."""
    spec = document.spec
    context = _context_lines(document, table)
    joined = " ".join(" ".join(r.cells) for r in layout.header_rows)
    table_kind = kind_of(joined) or next((k for _, t in context if (k := kind_of(t))), None)
    table_md = month_day(joined) or next((m for _, t in context if (m := month_day(t))), None)
    # a caption's currency and scale hold for the whole table; a "%" belongs to its own column
    table_unit = next((u for u in [column_unit(joined)] + [column_unit(t) for _, t in context] if u), None)
    table_unit = None if table_unit == "%" else table_unit
    year_of: dict[int, tuple[int, int, str]] = {}
    for row in layout.header_rows:
        for c, cell in enumerate(row.cells):
            if c > 0 and (found := years_in(cell)):
                year_of.setdefault(c, (found[-1], row.line, str(found[-1])))
    # a year printed over the notes column heads the figures beside it ("Six months end 2025 | |
    # ded 30 June 2024"), when that column has no year of its own
    value_cells = {col.cell for col in layout.columns}
    for c in sorted(year_of):
        if c not in value_cells and c + 1 in value_cells and c + 1 not in year_of:
            year_of[c + 1] = year_of[c]
    # "As at 30 June As at 31 Dece" over "2025 | 2024": the dates in the head, in column order
    ordered_md = month_days(joined)
    dated_cells = sorted(year_of)
    # in-text years of context lines, for a table whose only period is in the prose above
    context_years = [(y, n) for n, t in context for y in years_in(t)]
    dated = [col for col in layout.columns if col.cell in year_of]
    undated = [col for col in layout.columns if col.cell not in year_of]
    for col in layout.columns:
        col.kind = kind_of(col.header) or table_kind
        col.md = month_day(col.header) or (ordered_md[dated_cells.index(col.cell)]
                                           if col.cell in dated_cells and len(ordered_md) == len(dated_cells) > 1
                                           else None)
        col.unit = _cell_unit(layout.header_rows, col.cell) or table_unit
        col.restated = "restated" in col.header.casefold()
        if col.cell in year_of:
            col.year, col.year_line, col.year_anchor = year_of[col.cell]
        for pattern, template in _TEMPLATES:
            if match := pattern.search(col.header):
                col.template = template.format(*match.groups(), row="{row}")
                if col.template.endswith("change") or "percentage" in col.template:
                    col.unit = "%"
    # a column with no date of its own, beside one whose head has one ("2025 | As at 31 December
    # 2024"), is not at that date: the report's own period end dates its own year's column
    own = {col.cell for col in layout.columns if month_day(col.header)}
    for col in layout.columns:
        if col.md is None:
            if own and spec.period_end and col.year == spec.period_end.year:
                col.md = (spec.period_end.month, spec.period_end.day)
            else:
                col.md = table_md
    # columns without a year: a change column compares the two dated ones; otherwise they take
    # the years of the dated columns in order ("2024 | 2023 | as a % | as a %")
    # columns that are dimensions: no year in any head, and each head names something else
    # ("Share capital RMB'000 | Share premium RMB'000 | …", "Computer equipment | Total")
    names = [re.sub(_NOT_A_DIMENSION, "", re.sub(_UNIT_WORDS, "", c.header, flags=re.I).strip(), flags=re.I)
             for c in layout.columns]
    if len(layout.columns) >= 2 and not year_of and all(names) and len(set(names)) == len(names) \
            and not any(kind_of(n) for n in names):
        for col, dim in zip(layout.columns, names, strict=True):
            col.dim = dim
    # a "%" column with a blank head stands beside the amount of its year ("2024 | | 2023 |")
    figure_cells = [c.cell for c in layout.columns]
    for col in layout.columns:
        left = [c for c in figure_cells if c < col.cell]
        if col.cell not in year_of and left and left[-1] in year_of and any(
                col.cell < len(r.cells) and r.cells[col.cell].strip() in ("%", "(%)") for r in layout.header_rows):
            year_of[col.cell] = year_of[left[-1]]
            col.year, col.year_line, col.year_anchor = year_of[col.cell]
    dated = [col for col in layout.columns if col.year is not None]
    undated = [col for col in layout.columns if col.year is None]
    listed = next((years_in(t) for _, t in context if years_in(t)), [])
    plain = [c for c in layout.columns if not c.template.endswith("change")
             and not (c.unit == "%" and any(o.unit and o.unit != "%" for o in layout.columns))]
    if undated and len(listed) == len(plain) > 1 and len(set(listed)) == len(listed) \
            and all(c.year in (None, y) for c, y in zip(plain, listed, strict=True)):
        # "…for the six months ended June 30, 2025 and 2024:" above a head whose second year was cut
        line = next(n for n, t in context if years_in(t))
        for col, year in zip(plain, listed, strict=True):
            if col.year is None:
                col.year, col.year_line, col.year_anchor = year, line, str(year)
                col.from_context = True
        dated = [col for col in layout.columns if col.year is not None]
        undated = [col for col in layout.columns if col.year is None]
    changes = [c for c in undated if c.template.endswith("change")]
    rest = [c for c in undated if c not in changes]
    if rest and dated and len(rest) % len(dated) == 0 and all(c.header for c in rest):
        for index, col in enumerate(rest):
            source = dated[index % len(dated)]
            col.year, col.year_line, col.year_anchor = source.year, source.year_line, source.year_anchor
    for col in changes:
        if len(dated) == 2:
            col.year, col.year_line, col.year_anchor = dated[0].year, dated[0].year_line, dated[0].year_anchor
            col.baseline = _period_of(col, spec, dated[1].year)
    for col in layout.columns:
        if col.unit == "%" or re.search(r"^%$|\(%\)", col.header):
            col.unit = "%"
            if col.template == "{row}" and any(c.unit and c.unit != "%" for c in layout.columns):
                col.share = True
    if not layout.columns:
        return "no figure column"
    if all(c.year is None for c in layout.columns) and not table_kind and not context_years \
            and not any(row_period(r.cells[0], spec) for r in layout.body):
        return "no period in any header"
    if all(c.year is None for c in layout.columns) and context_years and table_kind in ("instant", "FY", "H1"):
        year, line = context_years[0]
        for col in layout.columns:
            col.year, col.year_line, col.year_anchor = year, line, str(year)
            col.from_context = True
    return None


def _period_of(col: Col, spec, year: int | None = None) -> Period | None:
    """The period of a column, from its kind, its year and the report's own period."""
    year = year or col.year
    kind = col.kind
    if year is not None and kind == "reporting-instant":
        kind = "instant"
    elif year is not None and kind == "reporting-period":
        kind = None
    if kind in ("reporting-period", "reporting-instant") or (year is None and kind is None):
        if spec.period_start is None or spec.period_end is None:
            return None
        if kind == "reporting-instant":
            return period(spec.period_end.isoformat())
        return _span(spec.period_start, spec.period_end)
    if year is None:
        return None
    if kind == "H1":
        return period(f"H1 {year}")
    if kind == "instant":
        month, day = col.md or ((spec.period_end.month, spec.period_end.day) if spec.period_end else (12, 31))
        return period(f"{year:04d}-{month:02d}-{day:02d}")
    if kind == "FY" or kind is None:
        if kind is None and spec.period_start and spec.period_end \
                and (spec.period_end - spec.period_start).days < 300:
            return None  # a bare year in a half-year report says nothing of the span
        return period(f"FY{year}")
    return None


def _span(start: date, end: date) -> Period | None:
    if start.month == 1 and start.day == 1 and end.month == 12 and end.day == 31 and start.year == end.year:
        return period(f"FY{end.year}")
    if start.month == 1 and start.day == 1 and end.month == 6 and end.day == 30 and start.year == end.year:
        return period(f"H1 {end.year}")
    return None


@dataclass
class _Line:
    row: Row
    label: str
    printed: str
    repair: str | None = None


def _joined_rows(layout: Layout) -> tuple[list[_Line], list[tuple[int, str]]]:
    """Body rows with wrapped labels joined and figures-only rows given the label below them."""
    figure_cells = [c.cell for c in layout.columns]
    lines: list[_Line] = []
    drops: list[tuple[int, str]] = []
    rows = layout.body
    index = 0

    def has_figures(row: Row) -> bool:
        return any(is_figure(x) for x in _values(row, figure_cells))

    def bare(row: Row) -> bool:
        """A row with a label and nothing in its figure cells (not even an unreadable figure)."""
        return not any(re.search(r"\d", x) for x in _values(row, figure_cells))

    def clean_continuation(row: Row | None) -> str:
        """The label of a row that only continues the label above it: lower-case words and
        nothing else on the row (an OCR ghost such as "involute van (enpenses)/vivali | , |
        (60)201)" has text in its figure cells and is not one)."""
        if row is None or any(x.strip() for x in _values(row, figure_cells)):
            return ""
        printed = _label_text(row, layout.label_cells).strip()
        text = clean_label(printed)
        return text if printed[:1].islower() and len(text) >= 3 else ""

    while index < len(rows):
        row = rows[index]
        printed = _label_text(row, layout.label_cells)
        label = clean_label(printed)
        nxt = rows[index + 1] if index + 1 < len(rows) else None
        nxt_label = clean_label(_label_text(nxt, layout.label_cells)) if nxt else ""
        ends_section = printed.rstrip().endswith(":")
        if label and bare(row) and nxt is not None and not ends_section and nxt_label \
                and (_CONNECTIVE.search(label) or _label_text(nxt, layout.label_cells).strip()[:1].islower()):
            # a label wrapped over lines: join up to the row that holds the figures
            parts, end = [label], index + 1
            while end < len(rows) and bare(rows[end]):
                parts.append(clean_label(_label_text(rows[end], layout.label_cells)))
                end += 1
            if end < len(rows) and has_figures(rows[end]) \
                    and not _label_text(rows[end], layout.label_cells).rstrip().endswith(":"):
                parts.append(clean_label(_label_text(rows[end], layout.label_cells)))
                lines.append(_Line(rows[end], " ".join(p for p in parts if p), printed, "wrapped label joined"))
                index = end + 1
                continue
        if label and has_figures(row) and (tail := clean_continuation(nxt)):
            lines.append(_Line(row, f"{label} {tail}", printed, "wrapped label joined"))
            index += 2
            continue
        if printed.strip()[:1].islower() and has_figures(row) and lines and lines[-1].label \
                and lines[-1].row.line == row.line - 1 and has_figures(lines[-1].row):
            # "Share of losses of … using the | 0 2,7 10 | 201,209" then "equity method | (13,212)":
            # the row above is an OCR ghost of this one, and its label begins this one's
            head = lines.pop()
            drops.append((head.row.line, "OCR ghost: its label begins the row below, its figures are garbled"))
            lines.append(_Line(row, f"{head.label} {label}", head.printed, "wrapped label joined"))
            index += 1
            continue
        after = rows[index + 2] if index + 2 < len(rows) else None
        if not label and has_figures(row) and nxt is not None and nxt_label and not has_figures(nxt) \
                and not _label_text(nxt, layout.label_cells).rstrip().endswith(":") \
                and (after is None or not has_figures(after)) and not row_period(nxt_label, None):
            lines.append(_Line(row, nxt_label, _label_text(nxt, layout.label_cells), "label taken from the line below"))
            index += 2
            continue
        if label and nxt_label and label.endswith(" " + nxt_label) and has_figures(row) and has_figures(nxt):
            # "Equity holders of the Company Non-controlling interests" over the row "Non-controlling
            # interests": the conversion glued the next label onto this one
            label = label[: -len(nxt_label)].strip()
            lines.append(_Line(row, label, printed, "label of the next row removed from this one"))
            index += 1
            continue
        lines.append(_Line(row, label, printed))
        index += 1
    return _without_echoes(lines, drops, layout), drops


_NUMBER = re.compile(r"\d[\d,.]*")


def _without_echoes(lines: list[_Line], drops: list[tuple[int, str]], layout: Layout) -> list[_Line]:
    """The rows less those the conversion printed twice: a row whose label a row just above it
    (within three lines, in the body or taken for the header) prints too, with every figure of
    this row among that one's ("6 months to 1 year | 382,770 38,519 12,341" under "6 months to
    1 year | 382,770 38,519 272,711 12,341"), is an echo of that row, and its figures sit in no
    column anyone can tell."""
    above = [(row.line, clean_label(_label_text(row, layout.label_cells)), row) for row in layout.header_rows]
    kept: list[_Line] = []
    for ln in lines:
        figures = set(_NUMBER.findall(" ".join(ln.row.cells)))
        earlier = above + [(k.row.line, k.label, k.row) for k in kept]
        echoed = next((line for line, label, row in earlier if ln.label and label == ln.label
                       and 0 < ln.row.line - line <= 3 and figures
                       and figures <= set(_NUMBER.findall(" ".join(row.cells)))), None)
        if echoed is not None:
            drops.append((ln.row.line, f"OCR echo of the row at line {echoed}: the same label, and its figures "
                                       "all printed there"))
            continue
        kept.append(ln)
    return kept


@dataclass
class TableRead:
    readings: list[Reading]
    skipped: list[Skipped]
    heading: str = ""


def read_generic(document: Document, table: Table, registry: Registry, subject: str,
                 data: Path | None = None, table_id: str | None = None,
                 segments: dict[str, str] | None = None) -> TableRead:
    """The figures of one table, read by rule. ``segments`` is the report's segment scheme by name
    (:func:`report_segments`), read from its folder when not given; a caller reading every table
    of a report reads it once."""
    name = table_id or f"{document.id}:{table.first_line}"
    layout = find_layout(table)
    if layout is None:
        return TableRead([], [])
    why = assign_periods(document, table, layout)
    if why:
        return TableRead([], [Skipped(name, document.id, table.first_line, f"table skipped: {why}")])
    heading = heading_of(document, table)
    if segments is None:
        segments = report_segments(registry, document.id, data)
    lines, drops = _joined_rows(layout)
    figure_cells = [c.cell for c in layout.columns]

    def has_figures(ln: _Line) -> bool:
        return any(is_figure(x) for x in _values(ln.row, figure_cells))

    # a label printed twice under one period is two things ("Borrowings" under non-current and
    # current liabilities); printed once under each of several period rows it is one thing
    keys, current = [], None
    for ln in lines:
        when = row_period(clean_text(ln.printed), document.spec) if ln.printed else None
        if when and not has_figures(ln):
            current = when
        elif ln.label and has_figures(ln):
            keys.append((ln.label, current))
    repeated = {label for label, when in keys if keys.count((label, when)) > 1}
    valued = [ln for ln in lines if has_figures(ln)]
    # a breakdown: a "Total" row, or a last row of figures with no label and no section open
    has_total = any(_TOTAL.match(ln.label) for ln in lines) or bool(
        valued and not valued[-1].label and not any(not has_figures(ln) and ln.label for ln in lines))
    # in a movement table the rows between "As at 1 January 2024" and "As at 31 December 2024"
    # (or "30 June 2024") are the movements of that year (or half-year)
    dated = [(ln.row.line, p) for ln in lines if ln.printed and (p := row_period(clean_text(ln.printed)))
             and p.is_instant]
    dims = any(c.dim for c in layout.columns)

    def movement_period(line: int) -> Period | None:
        before = [p for n, p in dated if n < line]
        after = [p for n, p in dated if n > line]
        if not before or not after:
            return None
        start, end = before[-1].end, after[0].end
        if (start.month, start.day) == (1, 1) and end.year == start.year:
            return _span(start, end)
        return None

    readings: list[Reading] = []
    skipped = [Skipped(name, document.id, line, reason) for line, reason in drops]
    section, section_rows, row_when, parent = "", 0, None, ""
    row_when_line: int | None = None  # the line of the period row that dates the rows under it
    kpi = layout.label_cells == (0, 1)
    kpi_parent, kpi_group = "", ""
    statement = bool(re.search(r"statement|balance sheet", heading, re.I))
    previous_subtotal = False

    def section_total(section: str) -> str:
        """An unlabelled subtotal under "Current liabilities" is "Total current liabilities"; in a
        note ("Financial assets at fair value …"), or under a one-word section ("Current"), the
        heading says of what."""
        words = section.rstrip(":")
        name = f"Total {_lower_first(words)}"
        side = re.fullmatch(r"(?:non-?\s?)?current", words, re.I)  # "Current", "Non-current": of what?
        if heading and not statement and (side or (heading.casefold() not in words.casefold()
                                                   and words.casefold() not in heading.casefold())):
            name += f" {_lower_first(heading)}" if side else f" ({heading})"
        return name
    for ln in lines:
        row, label = ln.row, ln.label
        sub_label = ""
        if kpi and not ln.repair:
            # "Number of employees | | person | …", then "By gender | Male | …", " | Female | …":
            # a sub-row is its parent measure broken down by the group its first cell names
            first = clean_label(row.cells[0])
            sub_label = clean_label(row.cells[1]) if len(row.cells) > 1 else ""
            if sub_label:
                kpi_group = first or kpi_group
                group = kpi_group[:1].lower() + kpi_group[1:]
                label = f"{kpi_parent}, {group}: {sub_label}" if kpi_parent and group else \
                    f"{kpi_group}: {sub_label}" if kpi_group else sub_label
            else:
                label, kpi_group = first, ""
                kpi_parent = first if any(is_figure(x) for x in _values(row, figure_cells)) else ""
        figures = [x for x in _values(row, figure_cells) if x.strip()]
        when = row_period(clean_text(ln.printed), document.spec) if ln.printed else None
        if when and not label and any(is_figure(x) for x in figures) \
                and any(c.year and not c.from_context for c in layout.columns):
            # a bare year on a row of figures under dated columns is a category (losses that
            # expire in 2025), not the row's period
            when, label = None, clean_text(ln.printed)
        unreadable = [x for x in figures if x.strip() not in NIL and re.search(r"\d", x)
                      and not re.search(r"[A-Za-z]{3}", x) and not is_figure(x)]  # words head, not figure
        if when and unreadable:  # "At 31 December 2024 | 1.7.4.004 | ##0.0#0 | 1.461.210 …": a period
            row_when, row_when_line = when, row.line  # row whose cells hold OCR ghosts, a dotted one among them
            skipped.append(Skipped(name, document.id, row.line,
                                   f"OCR ghosts on a period row: {unreadable[0][:40]!r}"))
            continue
        if not any(is_figure(x) for x in figures):
            if unreadable:
                skipped.append(Skipped(name, document.id, row.line, f"not one figure: {unreadable[0][:40]!r}"))
                continue
            if when:
                row_when, row_when_line = when, row.line
            elif label:
                section, section_rows = label if not ln.printed.rstrip().endswith(":") else label + ":", 0
                parent = label
            continue
        if ln.printed.rstrip().endswith(":") and label:  # "Loss is attributable to: | (1.477.040)"
            section, section_rows, parent = label + ":", 0, label
        if _GARBLED.search(re.sub(r"[RK]MB\s*'?\s*000", "", ln.printed)) and not when \
                and not re.search(r"[A-Z]{2,}\s?\d{3,}", ln.printed):
            skipped.append(Skipped(name, document.id, row.line, f"garbled label: {ln.printed[:50]!r}"))
            continue
        if label and not when and glued(document, label):
            skipped.append(Skipped(name, document.id, row.line,
                                   f"labels of several rows glued together: {label[:50]!r}"))
            continue
        if ln.printed.strip()[:1].islower() and not when and not ln.repair:
            skipped.append(Skipped(name, document.id, row.line, f"label is the tail of a merged label: {label[:40]!r}"))
            continue
        measure_name, segment = label, None
        bullet = bool(_BULLET.match(ln.printed))
        curated = bool(label) and measure_for(label, data).curated
        if when:
            # a row that names its own date ("As at 1 January 2024"): a balance of the section,
            # or in a table of components, of each component
            measure_name = section.rstrip(":") if section and not dims else ""
        elif not label:
            if section.endswith(":"):
                skipped.append(Skipped(name, document.id, row.line,
                                       "unlabelled total of the rows under a heading ending in ':'"))
                continue
            if section and section_rows and not previous_subtotal:
                measure_name = section_total(section)
            elif heading and ln is valued[-1]:
                measure_name = heading  # the table's total: the last row, after any subtotal
            else:
                skipped.append(Skipped(name, document.id, row.line, "figures without a label"))
                continue
        elif _TOTAL.match(label):
            measure_name = section_total(section) if section and section_rows and not previous_subtotal \
                else (heading or label)
        elif label in segments:
            segment, measure_name = segments[label], heading or "Revenue"
        elif sub_label:
            pass
        elif bullet and parent:
            measure_name = f"{parent.rstrip(':')}: {label}"
        elif label in repeated and (section or parent):
            measure_name = f"{label} ({(section or parent).rstrip(':')})"
        elif section.endswith(":") and not curated:
            measure_name = f"{section} {label}"
        elif has_total and heading and not row_when and not section:
            measure_name = f"{heading}: {label}"
        if not bullet and label and not when:
            parent = label
        if not measure_name and not any(c.dim for c in layout.columns):
            skipped.append(Skipped(name, document.id, row.line, "figures without a label"))
            continue
        section_rows += 1
        previous_subtotal = not label
        share_name = (heading or "total") if (measure_name == heading or segment) \
            else f"{heading or 'total'}: {label or measure_name}"
        readings += _row_readings(document, layout, ln, measure_name, segment, subject, name, data,
                                  when or row_when or movement_period(row.line), skipped, share_name,
                                  row_when_line if not when and row_when else None)
        if ln.repair:
            skipped.append(Skipped(name, document.id, row.line, f"repaired: {ln.repair}"))
    return TableRead(readings, skipped, heading or section_of(document, table))


def _row_readings(document, layout, ln: _Line, measure_name, segment, subject, name, data, when,
                  skipped, share_name, when_line: int | None = None) -> list[Reading]:
    """The readings of one row; ``when_line`` is the period row over its block ("2020" over the
    suppliers of 2020), which dates it and is cited for its period, read with the column's."""
    row = ln.row
    raw = document.line(row.line)
    marker_unit = row_unit_marker(_label_text(row, layout.label_cells)) or row_unit_marker(ln.printed)
    row_unit = None
    if layout.unit_cell is not None and layout.unit_cell < len(row.cells):
        row_unit = column_unit(row.cells[layout.unit_cell], unit_column=True)
    out = []
    for col in layout.columns:
        if col.cell >= len(row.cells):
            skipped.append(Skipped(name, document.id, row.line,
                                   f"row has {len(row.cells)} cells, the table's columns need {col.cell + 1}"))
            return []
        cell = row.cells[col.cell]
        text = tidy(cell)
        if not text or text in NIL:
            continue
        if _SEVERAL.search(text) and not re.fullmatch(r"[\d,.()\-%]+", text.replace(" ", "")):
            skipped.append(Skipped(name, document.id, row.line, f"several figures in one cell: {cell[:40]!r}"))
            return []
        try:
            value, repaired = figure_value(text)
        except NotANumber:
            skipped.append(Skipped(name, document.id, row.line, f"not one figure: {cell[:40]!r}"))
            return []
        if value is None:
            continue
        if repaired:
            ghost = _ghost_of(layout, row, col.cell, value)
            if ghost:
                skipped.append(Skipped(name, document.id, row.line,
                                       f"OCR ghost: {cell[:20]!r} misprints the figure on line {ghost}"))
                return []
            skipped.append(Skipped(name, document.id, row.line, f"repaired: dotted OCR thousands {cell[:20]!r}"))
        # a period row ("At 1 January 2024", "<b>2018</b>") dates the rows under it, unless the
        # column's own head prints a year
        period_ = when if when and (col.year is None or col.from_context) else _period_of(col, document.spec)
        if period_ is None:  # never guessed: a bare year in a half-year report, no year at all
            skipped.append(Skipped(name, document.id, row.line, f"no period for the column of {cell[:40]!r}"))
            continue
        unit = marker_unit or row_unit or col.unit
        if text.endswith("%"):
            unit = "%"
        if unit is None:
            skipped.append(Skipped(name, document.id, row.line, "no unit in the header, caption or row"))
            return []
        if unit == "RMB" and col.unit and not col.unit.startswith("RMB"):
            unit = col.unit
        template = col.template
        if col.share:
            template = "Share of " + share_name.replace("{", "(").replace("}", ")")
        if col.dim:
            # a row of a dimension table is the row's measure for that column; the "Total" column
            # is the row's measure itself; a dated row with no label ("As at 1 January 2024") is
            # each column's balance
            if not measure_name:
                template = col.dim
            else:
                template = "{row}" if re.fullmatch(r"total", col.dim, re.I) else "{row}: " + col.dim
        elif not measure_name:
            skipped.append(Skipped(name, document.id, row.line, f"figures without a label: {cell[:40]!r}"))
            continue
        measure_label = template.replace("{row}", measure_name)
        if measure_label != measure_name:
            measure_label = measure_label[0].upper() + measure_label[1:]
        raw_cells = raw.split("\t")
        raw_cell = raw_cells[col.cell].strip() if col.cell < len(raw_cells) and "\t" in raw else ""
        anchor = anchor_in(raw, cell, text, raw_cell)  # "(<u>56,912,551</u>)": the cell as printed
        if anchor is None:
            skipped.append(Skipped(name, document.id, row.line, f"figure not found on its line: {cell[:40]!r}"))
            continue
        period_cites = ()
        if col.year_line and col.year_anchor and col.year_anchor in document.line(col.year_line):
            period_cites = (Citation(document.id, col.year_line, col.year_anchor),)
        block = clean_text(document.line(when_line)).strip() if when_line else ""
        if block and block in document.line(when_line):
            dated = Citation(document.id, when_line, block)
            period_cites = tuple(dated.with_context(c) if c.line != when_line else dated
                                 for c in period_cites) or (dated,)
        label_anchor = anchor_in(raw, ln.printed.split(" ")[0], ln.printed.split(" ")[0]) if ln.printed else None
        measure = change_measure(measure_for(measure_name, data), data) if template == "{row}, year-over-year change" \
            else measure_for(measure_label, data)
        out.append(Reading(
            subject=subject, measure=measure, period=period_, value=value, unit=unit,
            citations=(Citation(document.id, row.line, anchor),), origin=f"{ORIGIN} ({document.id}:{row.line})",
            segment=segment, baseline=col.baseline.label if col.baseline else None, table=name,
            period_citations=period_cites,
            label_citation=Citation(document.id, row.line, ln.printed) if ln.printed and ln.printed in raw else (
                Citation(document.id, row.line, label_anchor) if label_anchor else None),
            restated=col.restated,
        ))
    return out


