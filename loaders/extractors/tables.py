"""Figures from report tables: the generic reader for every table, overrides where it cannot.

Every table of every report is read by :mod:`.tablereader`, by rule. A report folder's ``tables.toml``
holds the exceptions, each with a comment saying why:

- ``[[table]]`` overrides a table whose header lies (the interim Financial Summary heads its
  H1 2025 column "2023") or whose layout no rule reads; it says, for each value column, its
  period and unit and cites the line that states that period, and the reader leaves that
  table to it;
- ``[[figure]]`` is a figure printed once, in prose or on a table row, with the measure it
  names. On a table row it also names the row's measure: the reader's own reading of that
  cell gives way to it.

Rows that cannot be read (merged labels, OCR ghosts, several figures in one cell) are skipped
and counted, never turned into numbers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from ..errors import InputError
from ..measures import measure_for
from ..observations import Reading, agrees
from ..registry import Registry
from ..reportdata import report_segments
from ..reports import Corpus, Document, Table
from .tablereader import ORIGIN, is_figure, is_year_row, read_generic, split_block
from .tablerecords import load_figures, load_skips, load_specs, read_figure, read_table, tables_files
from .tablerules import Skipped

GENERIC = f"{ORIGIN} ("  # how the origin of a reading made by the generic reader begins


def issuer_id(document: Document, registry: Registry) -> str | None:
    """The registry id of the company that issued the report, the subject of its figures."""
    found = [e for e in registry.candidates(document.spec.issuer) if e.type in ("Company", "Organization")]
    return found[0].id if len(found) == 1 else None


def continued_tables(document: Document) -> list[Table]:
    """The report's tables, with a table that a page break cut in two joined again: the second
    part repeats the first part's header row a few lines further on."""
    tables: list[Table] = []
    for table in document.tables:
        previous = tables[-1] if tables else None
        if previous is not None and table.first_line - previous.last_line <= 3 \
                and table.rows[0].cells == previous.rows[0].cells and len(table.rows) > 1 \
                and not is_year_row(table.rows[1]) and any(is_figure(c) for c in table.rows[1].cells[1:]):
            tables[-1] = Table(previous.first_line, previous.rows + table.rows[1:])
            continue
        tables.append(table)
    return [part for table in tables for part in split_block(table)]


def extract_table_readings(corpus: Corpus, registry: Registry,
                           data: Path | None = None) -> tuple[list[Reading], list[Skipped]]:
    """Every table of every report, read by rule except where ``tables.toml`` overrides it."""
    parsed = tables_files(data)
    specs = load_specs(data, parsed)
    figures = load_figures(data, parsed)
    readings, skipped = [], []
    overridden: set[tuple[str, int]] = set()
    for spec in specs:
        found, missed = read_table(corpus, registry, spec, data)
        readings += found
        skipped += missed
        table = corpus[spec.report].table_at(spec.line)
        overridden.add((spec.report, table.first_line))
    figure_readings = [read_figure(corpus, registry, spec, data) for spec in figures]
    refused = {}
    for record in load_skips(data, parsed):
        if record.report not in corpus:
            raise InputError(f"skip record: unknown report id {record.report!r}", path=record.where)
        for line in record.lines:
            corpus[record.report].line(line)  # an out-of-range line is an input error
            refused[(record.report, line)] = record.reason
            skipped.append(Skipped(f"skip record ({record.where})", record.report, line,
                                   f"override: {record.reason}"))
    named = {(c.report, c.line, abs(r.normalized[0])) for r in figure_readings for c in r.citations[:1]}
    records_on = Counter((r.citations[0].report, r.citations[0].line) for r in figure_readings)
    generic: list[Reading] = []
    headings: dict[str, str] = {}
    for document in corpus:
        subject = issuer_id(document, registry)
        if subject is None:
            skipped.append(Skipped(document.id, document.id, 1,
                                   f"tables not read: the issuer {document.spec.issuer!r} is not in the registry"))
            continue
        # every line of a table an override reads, so that a part of it is not read again
        covered = {row.line for table in document.tables if (document.id, table.first_line) in overridden
                   for row in table.rows}
        segments = report_segments(registry, document.id, data)
        for table in continued_tables(document):
            if table.first_line in covered:
                continue
            result = read_generic(document, table, registry, subject, data, segments=segments)
            headings[f"{document.id}:{table.first_line}"] = result.heading
            for reading in result.readings:
                where = (reading.citations[0].report, reading.citations[0].line)
                if (*where, abs(reading.normalized[0])) in named:
                    continue
                if where in refused:
                    continue
                generic.append(reading)
            # a row [[figure]] records read whole is read, whatever the reader made of it; one they
            # read in part keeps its reason for the rest
            seen = set()
            for entry in result.skipped:
                where = (entry.report, entry.line)
                if where in refused or (entry.line, entry.reason) in seen:
                    continue
                if records_on[where]:
                    if records_on[where] >= _figure_cells(table, entry.line):
                        continue
                    entry = replace(entry, reason=f"{entry.reason} (read in part by [[figure]] records)")
                seen.add((entry.line, entry.reason))
                skipped.append(entry)
    readings += figure_readings
    order = {report: index for index, report in enumerate(corpus.ids)}
    return readings + separate_homonyms(generic, readings, headings, data, order), skipped


def _figure_cells(table: Table, line: int) -> int:
    """How many figures the table's row at ``line`` prints, its label aside."""
    return next((sum(1 for cell in row.cells[1:] if is_figure(cell)) for row in table.rows if row.line == line), 0)


def result_name(document: Document, table: Table) -> str:
    return f"{document.id}:{table.first_line}"


def separate_homonyms(generic: list[Reading], curated: list[Reading], headings: dict[str, str],
                      data: Path | None, order: dict[str, int]) -> list[Reading]:
    """Tell apart rows of different tables that print one label for different things.

    "Trade receivables" is a net balance in the balance sheet and a gross amount in the ageing
    note; "Staff costs" is a total in one note and a part of cost of sales in another. When two
    tables give one measure, subject and period different values, the first
    printing keeps the name (a curated reading first, then the earliest table) and each other
    table's reading is qualified by the heading that table stands under, or failing that by
    its line.
    """
    groups: dict[tuple, list[Reading]] = defaultdict(list)
    for reading in curated + generic:
        if reading.bound is None:  # a bound ("more than 2,400") is not a value to disagree with
            groups[reading.key].append(reading)
    renamed: dict[int, str] = {}
    for group in groups.values():
        if len(group) < 2:
            continue
        ordered = sorted(group, key=lambda r: (r.table is not None and r.origin.startswith(GENERIC),
                                               order.get(r.citations[0].report, 0), r.citations[0].line))
        first = ordered[0]
        for reading in ordered[1:]:
            if reading.table is None or reading.table == first.table or not reading.origin.startswith(GENERIC) \
                    or agrees(first, reading):
                continue
            heading = headings.get(reading.table, "")
            qualifier = heading if heading and heading.casefold() != reading.measure.label.casefold() \
                else f"table at {reading.table}"
            renamed[id(reading)] = f"{reading.measure.label} ({qualifier})"
    return [replace(r, measure=measure_for(renamed[id(r)], data)) if id(r) in renamed else r for r in generic]


def unaccounted_figures(corpus: Corpus, readings: list[Reading], skipped: list[Skipped]) -> list[tuple[str, int, str]]:
    """The figures printed in the reports' tables that are neither read nor skipped with a
    reason, as (report, line, cell): what the table reader silently leaves out. Empty is the goal."""
    from collections import Counter

    from .tablereader import figure_value, find_layout, is_figure, tidy

    read = Counter((r.citations[0].report, r.citations[0].line, abs(r.value)) for r in readings)
    skipped_rows = {(s.report, s.line) for s in skipped if not s.reason.startswith("repaired")}
    found = []
    for document in corpus:
        for table in continued_tables(document):
            layout = find_layout(table)
            if layout is None or (document.id, table.first_line) in skipped_rows:
                continue
            for row in layout.body:
                for column in layout.columns:
                    cell = row.cells[column.cell] if column.cell < len(row.cells) else ""
                    if not is_figure(cell) or (document.id, row.line) in skipped_rows:
                        continue
                    key = (document.id, row.line, abs(figure_value(tidy(cell))[0]))
                    if read[key]:
                        read[key] -= 1
                    else:
                        found.append((document.id, row.line, cell))
    return found
