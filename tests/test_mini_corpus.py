"""Extractor heuristics on the mini corpus (tests/minicorpus.py): each reader, inline and fast,
on real report lines, with the real registry and data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from minicorpus import EXCERPTS

from sensekg.graph.coverage import printed_figures
from sensekg.loaders.extractors.certifications import extract_hnte_status
from sensekg.loaders.extractors.narrative import extract_narrative_readings
from sensekg.loaders.extractors.tablerecords import load_specs, read_table
from sensekg.loaders.mentions import NameFinder, curated_labels, find_mentions, kind_of
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reportdata import dismissals, report_segments

AR = "annual-results-2024"


@pytest.fixture(scope="module")
def registry():
    return load_registry()


def line_with(document, needle: str) -> int:
    return next(n for n, text in document.numbered() if needle in text)


def test_the_excerpts_keep_the_real_line_numbers(mini, reports_dir):
    real = (reports_dir / f"{AR}.txt").read_text(encoding="utf-8").splitlines()
    assert mini[AR].line(198) == real[197] and mini[AR].line(100) == ""
    assert all(mini[AR].line(n) == real[n - 1] for a, b in EXCERPTS[AR] for n in range(a, b + 1))


def test_segment_revenue_in_prose_is_read_against_the_reports_segment_scheme(mini, registry):
    assert report_segments(registry, AR)["Generative AI"] == "segment-2024-generative-ai"
    readings, _ = extract_narrative_readings(mini, registry)
    by = {(r.measure.id, r.period.label, r.segment): r for r in readings if r.citations[0].report == AR}
    genai = by[("revenue", "FY2024", "segment-2024-generative-ai")]
    assert genai.value == Decimal("2404.0") and genai.unit == "RMB million"
    assert genai.citations[0].line == line_with(mini[AR], "Our Generative AI revenue increased")
    assert by[("revenue", "FY2024", None)].value == Decimal("3772.1")
    assert genai.origin.startswith("extract_narrative_readings (")


def test_the_interim_summary_is_read_by_its_override_not_its_header(mini, registry):
    spec = next(s for s in load_specs() if s.id == "ir2025-financial-summary")
    readings, _ = read_table(mini, registry, spec, None)
    revenue = [r for r in readings if r.measure.id == "revenue" and r.unit == "RMB thousand"]
    assert {r.period.label for r in revenue} == {"H1 2025", "H1 2024"}  # never "FY2023"
    assert all(r.origin.startswith("table ir2025-financial-summary (") for r in revenue)


def test_hnte_subsidiaries_are_read_from_the_qualifying_sentence(mini, registry):
    facts = list(extract_hnte_status(mini, registry))
    holders = {f.object.id for f in facts if f.predicate.endswith("holder")}
    assert {"beijing-sensetime", "shanghai-sensetime-intelligent"} <= holders


def test_names_known_candidate_and_dismissed(mini, registry):
    finder = NameFinder(registry, curated_labels())
    mentions = find_mentions(mini[AR], registry, dismissals(), finder)
    by_name = {m.name: m for m in mentions}
    assert by_name["SenseCore"].entity == "sensecore"
    deepseek = [m for m in mentions if m.name == "DeepSeek"]
    assert deepseek and all(m.undecided for m in deepseek)
    assert deepseek[0].line == line_with(mini[AR], "DeepSeek")
    assert by_name["Cayman Islands"].dismissed
    assert not any(m.line == 100 for m in mentions)  # blanked lines have nothing


@pytest.mark.parametrize(("name", "kind"), [
    ("ISO/IEC 27001", "standard"), ("Hong Kong Institute of Certified Public Accountants", "organization"),
    ("Best Inclusive Impact Award", "award"), ("World Artificial Intelligence Conference", "event"),
    ("OpenCompass", "product"), ("Dr. Xu Li", "person"), ("Mainland China", "name"),
])
def test_a_candidate_is_given_a_kind_by_its_words(name, kind):
    assert kind_of(name) == kind


def test_printed_figures_take_prose_amounts_with_a_currency_scale_or_percent(mini):
    found = {(line, printed) for line, printed, _ in printed_figures(mini[AR])}
    line = line_with(mini[AR], "Our revenue increased by 10.8%")
    assert {(line, "10.8%"), (line, "RMB3,772.1 million"), (line, "RMB3,405.8 million")} <= found
    assert not any(printed == "2024" for _, printed in found)  # a year alone is no figure
