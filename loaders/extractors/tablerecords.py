"""The records of a report folder's ``tables.toml``: the exceptions to the generic table reader.

- ``[[table]]`` overrides a table whose header lies or whose layout no rule reads: for each value
  column, its period and unit, citing the line that states that period;
- ``[[figure]]`` is a figure printed once, in prose or on a row the reader cannot read, with the
  measure it names; its value is read from the anchor at build time, never typed;
- ``[[skip]]`` keeps out rows whose printed figures the report itself gets wrong, with why.

A record's ``report`` is its folder's; :mod:`.tables` runs these beside the generic reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..datafiles import TABLES, array_records, read_toml, report_files
from ..errors import InputError
from ..facts import Citation
from ..figures import NotANumber, looks_dotted, looks_numeric, parse_value, period
from ..measures import change_measure, measure_for
from ..observations import Reading
from ..registry import Registry
from ..reports import Corpus, Row
from .tablerules import Skipped

# "(a)", "(Note 12)", "(note 3(a))" at the end of a label. Linear on any label: a match begins
# only where a run of spaces begins, and what follows "note" is capped (a mark is short), so a
# label of many "(note" does not make each of them scan the rest of the label.
_FOOTNOTE = re.compile(r"(?<!\s)\s*+\((?:[a-z]{1,3}|note\s*+[\w()]{1,40})\)\s*+$", re.I)
_DASH = re.compile(r"^[–\-—•·]\s*")


@dataclass(frozen=True)
class Column:
    cell: int
    period: str
    citation: Citation
    unit: str
    measure: str  # a template over {row}
    baseline: str | None = None


@dataclass(frozen=True)
class TableSpec:
    id: str
    report: str
    line: int
    subject: str
    columns: tuple[Column, ...]
    segments: dict[str, str] = field(default_factory=dict)
    rename: dict[str, str] = field(default_factory=dict)
    skip: tuple[str, ...] = ()
    where: str = ""


def tables_files(folder: Path | None) -> list[tuple[str, Path, dict, list[str]]]:
    """Each report folder's ``tables.toml``: its report id, path, parsed data and lines."""
    return [(report, path, *read_toml(path)) for report, path in report_files(TABLES, folder)]


def _records(folder: Path | None, parsed, name: str) -> list[tuple[dict, str]]:
    """The ``[[name]]`` records of every ``tables.toml`` (already parsed, or read from ``folder``),
    each with its folder's ``report``: a ``report`` key, where given, must be that report."""
    found = []
    for report, path, data, lines in parsed if parsed is not None else tables_files(folder):
        for body, where in array_records(path, data, lines, name):
            if isinstance(body, dict):
                stated = body.get("report", report)
                cited = body.get("cite") if name == "figure" else None
                if isinstance(cited, str) and ":" in cited:
                    stated = cited.split(":", 1)[0].strip()
                if stated != report:
                    raise InputError(f"[[{name}]] is about {stated!r} but lives in the folder of {report!r}; "
                                     f"move it to reports/{stated}/", path=where)
                body = {"report": report, **body}
            found.append((body, where))
    return found


def load_specs(folder: Path | None = None, parsed=None) -> list[TableSpec]:
    specs = []
    for body, where in _records(folder, parsed, "table"):
        try:
            unit = body.get("unit", "")
            measure = body.get("measure", "{row}")
            columns = tuple(
                Column(c["cell"], c["period"], Citation.parse(c["cite"]), c.get("unit", unit),
                       c.get("measure", measure), c.get("baseline"))
                for c in body["columns"]
            )
            for column in columns:
                period(column.period)
            specs.append(TableSpec(body["id"], body["report"], body["line"], body.get("subject", "sensetime"),
                                   columns, dict(body.get("segments", {})), dict(body.get("rename", {})),
                                   tuple(body.get("skip", [])), where))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"table specification: {exc}", path=where) from None
        except InputError as exc:
            raise InputError(f"table specification: {exc.message}", path=where) from None
    return specs


_TRAILING = re.compile(r"(?<!\s)\s*+\b(?:Add|Less)\s*+:?\s*+$")
_CONNECTIVE = re.compile(r"(?:\b(?:and|of|the|for|in|to|from|with|on|at|by|development)|[,–-])$")


def label_of(cells: tuple[str, ...]) -> str:
    """A row label without footnote marks ("(a)", "(Note 12)") or a trailing "Add:"."""
    label = cells[0] if cells else ""
    label = _TRAILING.sub("", _FOOTNOTE.sub("", label)).strip().rstrip(":").strip()
    return label if re.search(r"[A-Za-z\u4e00-\u9fff]", label) else ""


def _has_values(row: Row, columns: Iterable[Column]) -> bool:
    return any(c.cell < len(row.cells) and row.cells[c.cell].strip() for c in columns)


# a row that states its own currency, e.g. "Basic and diluted loss per share (RMB)" in a table
# whose caption says RMB'000: the per-share figure is in RMB, not thousands of it
_ROW_CURRENCY = re.compile(r"\((RMB|HK\$|US\$)\)\s*$")


def row_unit(printed: str, table_unit: str) -> str:
    """The unit of a row: its own currency marker where its printed label has one, else the table's."""
    marker = _ROW_CURRENCY.search(re.sub(r"<[^<>]*>", "", printed))
    return marker.group(1) if marker and table_unit.startswith(marker.group(1)) else table_unit


def repaired_rows(rows: Iterable[Row], columns: tuple[Column, ...]) -> Iterable[tuple[Row, str, str | None]]:
    """Rows with their label, mending labels the PDF conversion broke.

    Yields (row, label, how), ``how`` naming the repair when one was made:
    - label-only rows whose text ends in a connective ("and", "of the", ",") are joined to
      the label of the rows below, up to the row that holds the figures;
    - a figures-only row right above a label-only row (the EBITDA total of a reconciliation)
      takes that label.
    """
    rows = list(rows)
    index = 0
    while index < len(rows):
        row, label = rows[index], label_of(rows[index].cells)
        if label and not _has_values(row, columns) and _CONNECTIVE.search(label):
            parts, end = [label], index + 1
            while end < len(rows) and not _has_values(rows[end], columns):
                parts.append(label_of(rows[end].cells))
                end += 1
            if end < len(rows):
                parts.append(label_of(rows[end].cells))
                yield rows[end], " ".join(p for p in parts if p), "wrapped label joined"
                index = end + 1
                continue
        nxt = rows[index + 1] if index + 1 < len(rows) else None
        after = rows[index + 2] if index + 2 < len(rows) else None
        # ... but not a section heading ("Current liabilities") that the next rows fall under.
        if nxt is not None and not label and _has_values(row, columns) and label_of(nxt.cells) \
                and not _has_values(nxt, columns) and not nxt.cells[0].rstrip().endswith(":") \
                and (after is None or not _has_values(after, columns)):
            yield row, label_of(nxt.cells), "label taken from the line below"
            index += 2
            continue
        yield row, label, None
        index += 1


def _qualify_repeated_labels(rows: list[tuple[Row, str, str | None]],
                             columns: tuple[Column, ...]) -> dict[int, str]:
    """A label printed twice in one table (Borrowings under non-current and current
    liabilities) is qualified by the heading row above each: "Borrowings (Current liabilities)"."""
    counts: dict[str, int] = {}
    for row, label, _ in rows:
        if label and _has_values(row, columns):
            counts[label] = counts.get(label, 0) + 1
    qualified, heading = {}, ""
    for row, label, _ in rows:
        if label and not _has_values(row, columns):
            heading = label
        elif counts.get(label, 0) > 1 and heading:
            qualified[row.line] = f"{label} ({heading})"
    return qualified


def read_table(corpus: Corpus, registry: Registry, spec: TableSpec,
               data: Path | None = None) -> tuple[list[Reading], list[Skipped]]:
    if spec.report not in corpus:
        raise InputError(f"table {spec.id}: unknown report id {spec.report!r}", path=spec.where)
    document = corpus[spec.report]
    table = document.table_at(spec.line)
    if table is None:
        raise InputError(f"table {spec.id}: no TAB-separated table at line {spec.line}",
                         path=document.path, line=spec.line)
    if spec.subject not in registry:
        raise InputError(f"table {spec.id}: subject {spec.subject!r} is not in the registry", path=spec.where)
    readings, skipped = [], []
    skip = {s.casefold() for s in spec.skip}
    rows = list(repaired_rows(table.rows, spec.columns))
    qualified = _qualify_repeated_labels(rows, spec.columns)
    for row, label, repair in rows:
        cells = [row.cells[c.cell] for c in spec.columns if c.cell < len(row.cells)]
        if not any(looks_numeric(cell) for cell in cells):
            continue  # a heading, unit or period row
        if not label:
            skipped.append(Skipped(spec.id, spec.report, row.line, "values without a label"))
            continue
        if label.casefold() in skip:
            continue
        segment = spec.segments.get(label)
        short = [c for c in spec.columns if c.cell >= len(row.cells)]
        if short:  # a lost TAB: the figures left would land in the wrong columns
            skipped.append(Skipped(spec.id, spec.report, row.line,
                                   f"row has {len(row.cells)} cells, the table's columns need {short[0].cell + 1}"))
            continue
        for column in spec.columns:
            cell = row.cells[column.cell]
            try:
                value = parse_value(cell)
            except NotANumber:
                reason = "OCR-damaged figure" if looks_dotted(cell) else "not one figure"
                skipped.append(Skipped(spec.id, spec.report, row.line, f"{reason}: {cell[:40]!r}"))
                break
            if value is None:
                continue
            row_name = "Revenue" if segment else spec.rename.get(label, qualified.get(row.line, label))
            measure = measure_for(column.measure.format(row=row_name), data)
            citations = (Citation(spec.report, row.line, cell),)
            printed = row.cells[0].strip() or label
            label_cite = None if segment else Citation(spec.report, row.line, printed)
            readings.append(Reading(
                subject=spec.subject, measure=measure, period=period(column.period), value=value,
                unit=row_unit(row.cells[0], column.unit), citations=citations, origin=f"table {spec.id} ({spec.where})",
                segment=segment, baseline=column.baseline, table=spec.id,
                period_citations=(column.citation,),
                label_citation=label_cite if label_cite and label_cite.anchor in document.line(row.line)
                else None,
            ))
        if repair:
            skipped.append(Skipped(spec.id, spec.report, row.line, f"repaired: {repair}"))
    return readings, skipped


@dataclass(frozen=True)
class SkipRecord:
    """``[[skip]]``: rows whose printed figures the report itself gets wrong, kept out with why."""

    report: str
    lines: tuple[int, ...]
    reason: str
    where: str


def load_skips(folder: Path | None = None, parsed=None) -> list[SkipRecord]:
    records = []
    for body, where in _records(folder, parsed, "skip"):
        try:
            lines = tuple(int(n) for n in body["lines"])
            if not body["reason"].strip():
                raise ValueError("'reason' is empty")
            records.append(SkipRecord(body["report"], lines, body["reason"].strip(), where))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"skip record: {exc}", path=where) from None
    return records


# --- figures stated once in prose ---------------------------------------------------------

# The first figure in an anchor. A figure without "(" or "-" begins where a run of digits and
# commas begins (the match a search finds first), so a run of commas is scanned once.
_FIGURE = re.compile(r"(?:\(-?|-|(?<![\d,]))[\d,]*\.?\d+\)?%?")
_SCALE = {"thousand": "thousand", "million": "million", "billion": "billion"}


@dataclass(frozen=True)
class FigureSpec:
    citation: Citation
    measure: str
    period: str
    period_citation: Citation | None
    unit: str
    subject: str
    segment: str | None
    where: str
    baseline: str | None = None  # the figure is the measure's change (%) from this period


def load_figures(folder: Path | None = None, parsed=None) -> list[FigureSpec]:
    """``[[figure]]`` entries: a figure in prose, cited by an anchor that holds the number.

    The value is parsed from the anchor text at build time, never typed into the data file.
    """
    figures = []
    for body, where in _records(folder, parsed, "figure"):
        try:
            period(body["period"])
            baseline = body.get("baseline")
            if baseline is not None:
                period(baseline)
                if body["unit"] != "%":
                    raise ValueError(f"a figure with a baseline is a change in percent: unit {body['unit']!r} "
                                     "should be '%'")
            figures.append(FigureSpec(
                Citation.parse(body["cite"]), body["measure"], body["period"],
                Citation.parse(body["period_cite"]) if body.get("period_cite") else None,
                body["unit"], body.get("subject", "sensetime"), body.get("segment"), where, baseline))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"figure specification: {exc}", path=where) from None
        except InputError as exc:
            raise InputError(f"figure specification: {exc.message}", path=where) from None
    return figures


def read_figure(corpus: Corpus, registry: Registry, spec: FigureSpec, data: Path | None) -> Reading:
    """The one number in the anchor, with a scale word after it ("RMB3,772.1 million") if any."""
    match = _FIGURE.search(spec.citation.anchor)
    if match is None:
        raise InputError(f"figure {spec.citation}: the anchor holds no number", path=spec.where)
    value = parse_value(match.group(0))
    if value is None:
        raise InputError(f"figure {spec.citation}: the anchor's number is a nil mark", path=spec.where)
    for name in (spec.subject, spec.segment):
        if name and name not in registry:
            raise InputError(f"figure {spec.citation}: {name!r} is not in the registry", path=spec.where)
    line = corpus[spec.citation.report].line(spec.citation.line) if spec.citation.report in corpus else ""
    at = line.find(spec.citation.anchor)
    before = (line[max(0, at - 30):at] if at >= 0 else "") + spec.citation.anchor[:match.start()]
    measure = measure_for(spec.measure, data)
    if spec.baseline:  # "increased by 10.8%", "narrowing by 33.7%": the measure's change from the baseline
        measure = change_measure(measure, data)
        if _DECLINE.search(before):
            value = -abs(value)
    return Reading(
        subject=spec.subject, measure=measure, period=period(spec.period),
        value=value, unit=spec.unit, citations=(spec.citation,), origin=f"figure ({spec.where})",
        segment=spec.segment, period_citations=(spec.period_citation,) if spec.period_citation else (),
        bound=bound_of(before), baseline=spec.baseline,
    )


# a change printed after a word of decline, with no other figure between: "decreased by 9.1%"
_DECLINE = re.compile(r"\b(?:decrease[ds]?|decreasing|down|declined?|declining|fell|fall(?:ing|s)?|"
                      r"narrow(?:ed|ing|s)?|reduc(?:ed|ing|tion)|drop(?:ped|s)?|lower)\b[^\d%]*$", re.I)


_UPPER = re.compile(r"\b(?:within|up to|at most|no more than|less than|fewer than|below|under|not exceeding)\s*"
                    r"(?:RMB|HK\$|US\$)?\s*$", re.I)
_LOWER = re.compile(r"\b(?:more than|over|exceeded|exceeding|exceeds|surpassed|surpassing|surpasses|above|at least"
                    r"|no less than|in excess of)\s*(?:RMB|HK\$|US\$)?\s*$", re.I)


def bound_of(before: str) -> str | None:
    """ "within 1.285" is an upper bound, "more than 2,400" and "exceeded 23,000" lower ones: the
    words printed right before a figure say whether it is a value or a bound."""
    if _UPPER.search(before):
        return "upper"
    if _LOWER.search(before):
        return "lower"
    return None
