"""Damaged reports: the reader and every extractor, fed the real report texts with random edits,
deleted lines, broken tables and stray HTML. Nothing may crash (a clear InputError is allowed),
a row that cannot be read is counted as skipped, and every figure that is read is the figure
printed on the line it cites. A line of 60 and 120 kB (a PDF conversion that lost its line
breaks) is read in linear time: see the long-line tests at the end.

CI runs about 1,900 examples in all (350 for each report), new ones each run; a longer run:
    HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensekg.loaders.errors import InputError
from sensekg.loaders.extractors import run_extractors
from sensekg.loaders.extractors.certifications import COMPANY_RULE, extract_hnte_status
from sensekg.loaders.extractors.narrative import CHANGE_RULES, extract_narrative_readings
from sensekg.loaders.extractors.tablereader import figure_value, read_generic, tidy
from sensekg.loaders.extractors.tablerecords import Column, TableSpec, load_specs, read_table
from sensekg.loaders.extractors.tables import continued_tables, unaccounted_figures
from sensekg.loaders.facts import Citation
from sensekg.loaders.figures import NotANumber, looks_numeric, parse_value
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reports import _LI, Corpus, Document, _li_texts, clean_text, read_corpus

settings.register_profile("ci", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "350")), deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CORPUS = read_corpus()
REGISTRY = load_registry()
SPECS = load_specs()

JUNK = st.sampled_from(["", "\t", "\t\t", "<td>", "</tr>", "<table>", "<br/>", "(", ")", "–", "N.A.", "1,2,3",
                        "(1.452.102)", "12.5%", "RMB", "million", "\u00a0", "\ufeff", "∞", "<!-- x -->", "…"])


@st.composite
def damaged(draw, lines: list[str], start: int, end: int) -> list[str]:
    """``lines`` with up to 8 edits between ``start`` and ``end`` (0-based, end exclusive)."""
    out = list(lines)
    for _ in range(draw(st.integers(1, 8))):
        if not out:
            break
        at = draw(st.integers(max(0, min(start, len(out) - 1)), max(0, min(end, len(out)) - 1)))
        kind = draw(st.sampled_from(["delete", "duplicate", "drop-tab", "junk-cell", "html", "split", "truncate",
                                     "insert"]))
        line = out[at]
        if kind == "delete":
            del out[at]
        elif kind == "duplicate":
            out.insert(at, line)
        elif kind == "drop-tab" and "\t" in line:
            cut = draw(st.integers(0, line.count("\t") - 1))
            parts = line.split("\t")
            out[at] = "\t".join(parts[:cut] + [parts[cut] + parts[cut + 1]] + parts[cut + 2:])
        elif kind == "junk-cell":
            cells = line.split("\t")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(JUNK) + draw(st.text(max_size=6))
            out[at] = "\t".join(cells)
        elif kind == "html":
            out[at] = draw(JUNK) + line + draw(JUNK)
        elif kind == "split" and len(line) > 2:
            cut = draw(st.integers(1, len(line) - 1))
            out[at:at + 1] = [line[:cut], line[cut:]]
        elif kind == "truncate":
            out = out[:at]
        elif kind == "insert":
            out.insert(at, draw(st.text(max_size=40)))
    return out


def with_document(document: Document, lines: list[str]) -> Corpus:
    documents = dict(CORPUS.documents)
    documents[document.id] = replace(document, lines=lines)
    return Corpus(CORPUS.folder, documents)


def assert_read_as_printed(corpus: Corpus, readings) -> None:
    """Every figure read is on the line it cites, and is the number printed there."""
    for reading in readings:
        for citation in reading.citations:
            line = corpus[citation.report].line(citation.line)
            assert citation.anchor in line, (citation, line)
        cell = tidy(clean_text(reading.citations[0].anchor))  # "(<u>56,912,551</u>)" as the reader sees it
        if looks_numeric(cell):
            try:  # figure_value reads dotted OCR thousands, "(1.452.102)", as the reader repairs them
                assert figure_value(cell)[0] == reading.value, (cell, reading.value)
            except NotANumber:
                pytest.fail(f"a figure was read from an unreadable cell {cell!r}")


@pytest.mark.parametrize("report", CORPUS.ids)
@given(data=st.data())
def test_the_reader_survives_damage(report, data):
    document = CORPUS[report]
    start = data.draw(st.integers(0, len(document) - 1))
    lines = data.draw(damaged(document.lines, start, start + 200))
    damaged_doc = replace(document, lines=lines)
    for heading in damaged_doc.headings:
        assert 1 <= heading.line <= len(lines)
    for table in damaged_doc.tables:
        for row in table.rows:
            assert 1 <= row.line <= len(lines) and ("\t" in lines[row.line - 1] or "<t" in lines[row.line - 1]), row
    _ = damaged_doc.list_items
    for number in range(max(1, start - 5), min(len(lines), start + 205) + 1):
        damaged_doc.section(number)
        damaged_doc.table_at(number)


@given(data=st.data())
def test_table_extraction_counts_what_it_cannot_read(data):
    spec = data.draw(st.sampled_from(SPECS))
    document = CORPUS[spec.report]
    table = document.table_at(spec.line)
    lines = data.draw(damaged(document.lines, table.rows[0].line - 1, table.last_line))
    corpus = with_document(document, lines)
    try:
        readings, skipped = read_table(corpus, REGISTRY, spec)
    except InputError as error:  # the table is gone or moved: a clear error naming the file and line
        assert error.path is not None
        return
    assert_read_as_printed(corpus, readings)
    read_lines = {c.line for r in readings for c in r.citations} | {s.line for s in skipped}
    new_table = corpus[spec.report].table_at(spec.line)
    skip = {s.casefold() for s in spec.skip}
    for row in new_table.rows:
        figures = [row.cells[c.cell] for c in spec.columns if c.cell < len(row.cells)]
        numeric = [f for f in figures if looks_numeric(f)]
        nil_only = all(parse_value_or_none(f) is None for f in numeric)
        if numeric and not nil_only and row.cells[0].strip().casefold() not in skip:
            # a row with figures is read or counted; a row relabelled by repair may be read under another line
            assert row.line in read_lines or _near(row.line, read_lines), (row, spec.id)


@given(data=st.data())
@settings(max_examples=max(20, settings.default.max_examples // 4))
def test_the_generic_reader_reads_or_skips_every_figure_of_a_damaged_table(data):
    """Damage a stretch of a report's tables: every figure the reader gives is printed on the line
    it cites, and every figure left in the damaged tables is read or skipped with a reason."""
    document = data.draw(st.sampled_from(list(CORPUS)))
    table = data.draw(st.sampled_from(continued_tables(document)))
    lines = data.draw(damaged(document.lines, table.rows[0].line - 1, table.last_line))
    corpus = with_document(document, lines)
    damaged_doc = corpus[document.id]
    near = [part for part in continued_tables(damaged_doc)  # the damaged stretch, give or take
            if part.first_line <= table.last_line + 50 and part.last_line >= table.first_line - 50]
    readings, skipped = [], []
    for part in near:
        result = read_generic(damaged_doc, part, REGISTRY, "sensetime")
        readings += result.readings
        skipped += result.skipped
    assert_read_as_printed(corpus, readings)
    single = Corpus(CORPUS.folder, {document.id: replace(damaged_doc, lines=damaged_doc.lines)})
    missed = unaccounted_figures(single, readings, skipped)
    spans = [(part.first_line, part.last_line) for part in near]
    assert [m for m in missed if any(a <= m[1] <= b for a, b in spans)] == []


def parse_value_or_none(cell: str):
    try:
        return parse_value(cell)
    except NotANumber:
        return "unreadable"


def _near(line: int, lines: set[int]) -> bool:
    return any(abs(line - other) <= 2 for other in lines)


@given(data=st.data())
@settings(max_examples=max(20, settings.default.max_examples // 10))
def test_prose_extractors_read_only_what_is_printed(data):
    document = data.draw(st.sampled_from([d for d in CORPUS if any("RMB" in line for line in d.lines)]))
    rmb = [n for n, line in enumerate(document.lines) if "RMB" in line]
    start = data.draw(st.sampled_from(rmb))
    corpus = with_document(document, data.draw(damaged(document.lines, start, start + 3)))
    readings, _ = extract_narrative_readings(corpus, REGISTRY)
    for reading in readings:
        for citation in reading.citations:
            assert citation.anchor in corpus[citation.report].line(citation.line)
    for fact in extract_hnte_status(corpus, REGISTRY):
        for citation in fact.citations:
            assert citation.anchor in corpus[citation.report].line(citation.line)


# --- one very long line -------------------------------------------------------------------
# A PDF conversion that lost its line breaks leaves a whole section on one line. Every rule must
# read it in linear time: a rule that backtracks over the line (each try scanning the rest of a
# run of words, digits or markup) took minutes for one such line. No time is asserted here
# (bench/long_line.py measures it); the lines are long enough that a quadratic rule would make
# these tests run for many minutes instead of about a second.

from longlines import long_line  # noqa: E402 - shared with bench/long_line.py

LONG_REPORT = "annual-results-2024"


@pytest.mark.parametrize("size", [60_000, 120_000])
@pytest.mark.parametrize("kind", ["words", "prose", "nospace", "digits"])
def test_a_long_line_goes_through_the_reader_and_every_extractor(kind, size):
    line = long_line(kind, size)
    assert len(line) == size
    figures, digits = re.sub(r"[^\d,]", "", line), re.sub(r"\D", "", line)  # the line's figures as one cell
    # the line as prose, as a table row (label and figure cells), as a heading and as list items
    lines = ["Revenue\t2024\t2023", f"{line}\t{figures}\t{digits})x", line, "", "# " + line, "",
             "- " + line, f"<ul><li>{line}</ul>", f"<li>{line}</li>"]
    corpus = with_document(CORPUS[LONG_REPORT], lines)
    document = corpus[LONG_REPORT]
    assert [h.line for h in document.headings] == [5]
    assert [t.first_line for t in document.tables] == [1]
    assert [i.line for i in document.list_items] == [7, 9]
    assert document.section(3) == () and document.table_at(2) is not None
    readings, _ = extract_narrative_readings(corpus, REGISTRY)
    assert_read_as_printed(corpus, readings)
    assert list(extract_hnte_status(corpus, REGISTRY)) == []  # no company name is complete
    cite = Citation(LONG_REPORT, 1, "2024")
    spec = TableSpec("long-line", LONG_REPORT, 1, "sensetime", (Column(1, "FY2024", cite, "RMB million", "{row}"),
                                                                 Column(2, "FY2023", cite, "RMB million", "{row}")))
    readings, skipped = read_table(corpus, REGISTRY, spec)
    assert_read_as_printed(corpus, readings)
    assert {r.citations[0].line for r in readings} | {s.line for s in skipped} <= {1, 2}
    for table in continued_tables(document):  # the generic reader, on the same rows
        result = read_generic(document, table, REGISTRY, "sensetime")
        assert_read_as_printed(corpus, result.readings)
    for cell in (figures, digits + ")x"):  # a long cell of digits is one number or none
        parse_value_or_none(cell)


@pytest.mark.parametrize("kind", ["words", "prose", "nospace", "digits", "tags"])
def test_a_long_line_is_split_into_passages(kind):
    """The passage splitter cuts every cited line into sentences; it ran quadratic on stray "<"."""
    from sensekg.loaders.evidence import sentence_spans

    line = long_line(kind, 120_000)
    spans = sentence_spans(line)
    assert spans and all(0 <= a < b <= len(line) for a, b in spans)


def test_a_report_file_with_long_lines_is_read_and_extracted(tmp_path):
    """The real reports with a 120 kB line of each kind appended to one report: read_corpus
    (checksums, lines) and run_extractors over everything."""
    reports = tmp_path / "reports"
    shutil.copytree(CORPUS.folder, reports)
    path = reports / CORPUS[LONG_REPORT].spec.file
    text = path.read_text(encoding="utf-8")
    added = [long_line(kind, 120_000) for kind in ("words", "prose", "nospace", "digits")]
    path.write_text(text + ("" if text.endswith("\n") else "\n") + "\n".join(added) + "\n", encoding="utf-8")
    manifest = reports / "reports.toml"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(CORPUS[LONG_REPORT].spec.sha256, digest),
                        encoding="utf-8")
    corpus = read_corpus(reports)
    assert corpus[LONG_REPORT].lines[-4:] == added
    extraction = run_extractors(corpus, REGISTRY)
    first_added = len(corpus[LONG_REPORT]) - 3
    assert_read_as_printed(corpus, [r for r in extraction.readings
                                    if r.citations[0].report == LONG_REPORT and r.citations[0].line >= first_added])
    assert extraction.facts


# The linear search of narrative.CHANGE_RULES and certifications.COMPANY_RULE tries one place
# per run of words; it must find exactly what finditer finds trying every place.
RULE_PIECES = st.sampled_from([
    "Our ", "our ", "revenue ", "costs ", "& ", " ", "A", "x", "1", ",", ".", "(", "Beijing ", "Hong Kong ",
    "Co. ", "SenseTime ", "increased ", "decreased ", "Co., Ltd.", "Co.,Ltd.",
    "increased by 10.8% to RMB3,772.1 million in 2024, compared to RMB3,405.8 million in 2023",
    "decreased by 3.2% from RMB1,234.5 million in the six months ended June 30, 2024 to RMB1,111 billion in 2025",
])


@given(pieces=st.lists(RULE_PIECES, max_size=14), cut=st.integers(0, 400))
@settings(max_examples=max(30, settings.default.max_examples // 10))
def test_linear_rules_find_what_finditer_finds(pieces, cut):
    text = "".join(pieces)
    text = text[:cut] + text[cut + 1:]  # a dropped character now and then
    for rule in (*CHANGE_RULES, COMPANY_RULE):
        expected = [(m.span(), m.groupdict()) for m in rule.pattern.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in rule.finditer(text)] == expected, (rule.pattern.pattern, text)


@given(text=st.lists(st.sampled_from(["<li>", "<li", "<li class=x>", "</li>", ">", "<", "a", " ", "\n"]),
                     max_size=12).map("".join))
@settings(max_examples=max(30, settings.default.max_examples // 10))
def test_list_items_are_found_as_findall_finds_them(text):
    assert _li_texts(text) == _LI.findall(text)
