"""Damaged reports: the reader and every extractor, fed the real report texts with random edits,
deleted lines, broken tables and stray HTML. Nothing may crash (a clear InputError is allowed),
a row that cannot be read is counted as skipped, and every figure that is read is the figure
printed on the line it cites.

CI runs a few thousand examples in all; a longer run:
    HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
"""

from __future__ import annotations

import os
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sensekg.loaders.errors import InputError
from sensekg.loaders.extractors.certifications import extract_hnte_status
from sensekg.loaders.extractors.narrative import extract_narrative_readings
from sensekg.loaders.extractors.tables import load_specs, read_table
from sensekg.loaders.observations import NotANumber, looks_numeric, parse_value
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reports import Corpus, Document, read_corpus

settings.register_profile("ci", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "700")), deadline=None,
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
        cell = reading.citations[0].anchor
        if looks_numeric(cell):
            try:
                assert parse_value(cell) == reading.value, (cell, reading.value)
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
            assert 1 <= row.line <= len(lines) and "\t" in lines[row.line - 1], row
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
