"""Figures as observations on the real reports (issue 4): every table family and every trap."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import rows

from sensekg.loaders.figures import NotANumber, looks_dotted, parse_value

# the lines that print the figure at any precision: each states its normalised value (sk:value
# is cited only where it is printed with all its digits)
FIGURE = """
SELECT ?value ?unit ?normalized (GROUP_CONCAT(DISTINCT ?cite; separator=" ") AS ?cites) WHERE {
  ?o sk:measure ?measure ; sk:observedSubject ?subject ; sk:periodLabel ?period ;
     sk:value ?value ; sk:unit ?unit ; sk:normalizedValue ?normalized .
  OPTIONAL { ?o sk:segment ?seg }
  OPTIONAL { ?o sk:baselinePeriod ?base }
  FILTER(COALESCE(?seg, "none") = ?segment && !BOUND(?base))
  ?e rdf:subject ?o ; rdf:predicate sk:normalizedValue ; prov:wasDerivedFrom ?r ; sk:line ?line .
  BIND(CONCAT(STRAFTER(STR(?r), "/report/"), ":", STR(?line)) AS ?cite)
} GROUP BY ?value ?unit ?normalized"""


def figure(store, measure: str, period: str, segment: str | None = None, subject: str = "sensetime"):
    from rdflib import Literal, URIRef

    found = rows(store, FIGURE, measure=URIRef(f"https://w3id.org/sensekg/measure/{measure}"),
                 subject=URIRef(f"https://w3id.org/sensekg/id/{subject}"), period=Literal(period),
                 segment=URIRef(f"https://w3id.org/sensekg/id/{segment}") if segment else Literal("none"))
    assert len(found) == 1, found
    value, unit, normalized, cites = found[0]
    return Decimal(value), unit, Decimal(normalized), set(cites.split())


def test_interim_summary_column_headed_2023_holds_h1_2025(store):
    value, unit, normalized, cites = figure(store, "revenue", "H1 2025")
    assert (value, unit, normalized) == (Decimal("2358198"), "RMB thousand", Decimal("2358198000"))
    assert "interim-results-2025h1:27" in cites  # the Financial Summary row under the "2023" header
    period_evidence = rows(store, """
        SELECT ?line WHERE { ?o sk:measure measure:revenue ; sk:periodLabel "H1 2025" ; sk:value ?v .
          FILTER(?v = 2358198)
          ?e rdf:subject ?o ; rdf:predicate sk:periodLabel ; sk:line ?line ;
             prov:wasDerivedFrom report:interim-results-2025h1 }""")
    assert ("21",) in period_evidence  # "Six months ended June 30, 2025" dates the column


def test_same_figure_at_several_precisions_is_one_observation(store):
    value, unit, normalized, cites = figure(store, "revenue", "FY2024")
    assert (value, unit) == (Decimal("3772101"), "RMB thousand")
    # Financial Summary, MD&A table, segment total (RMB million), income statement, prose
    assert {"annual-results-2024:27", "annual-results-2024:170", "annual-results-2024:206",
            "annual-results-2024:474", "annual-results-2024:198"} <= cites


def test_segment_revenue_in_rmb_million(store):
    assert figure(store, "revenue", "FY2024", "segment-2024-generative-ai")[:2] == (Decimal("2404.0"), "RMB million")
    assert figure(store, "revenue", "H1 2025", "segment-2025-generative-ai")[:2] == (Decimal("1815.5"), "RMB million")
    assert figure(store, "revenue", "H1 2025", "segment-2025-x-businesses")[0] == Decimal("106.7")


def test_parentheses_are_negative_percentages_included(store):
    assert figure(store, "loss-for-the-period", "H1 2025")[0] == Decimal("-1489270")
    assert figure(store, "loss-for-the-period-as-a-percentage-of-revenue", "H1 2025")[:2] == (Decimal("-63.2"), "%")


def test_units_are_normalised_to_the_base_unit(store):
    _, unit, normalized, _ = figure(store, "revenue", "FY2018")
    assert (unit, normalized) == ("RMB million", Decimal("1853400000"))
    value, unit, normalized, _ = figure(store, "june-2024-placing-proceeds-planned-use-all-purposes", "FY2024")
    assert (value, unit, normalized) == (Decimal("1995.1"), "HK$ million", Decimal("1995100000"))


def test_cash_and_cash_equivalents_are_not_cash_reserves(store):
    assert figure(store, "cash-and-cash-equivalents", "2025-06-30")[:2] == (Decimal("11168.4"), "RMB million")
    assert figure(store, "cash-reserves", "2025-06-30")[:2] == (Decimal("13158.4"), "RMB million")


def test_ebitda_total_row_takes_its_label_from_the_line_below(store):
    value, _, _, cites = figure(store, "ebitda", "FY2024")
    assert value == Decimal("-3143053") and "annual-results-2024:289" in cites


def test_cost_of_sales_by_nature_and_geography(store):
    assert figure(store, "cost-of-sales-aidc-operation-costs", "FY2024")[0] == Decimal("124.7")
    assert figure(store, "revenue-mainland-china", "H1 2025")[0] == Decimal("2176347")


def test_balance_sheet_labels_printed_twice_are_qualified_by_section(store):
    assert figure(store, "borrowings-non-current-liabilities", "2024-12-31")[0] == Decimal("4681464")
    assert figure(store, "borrowings-current-liabilities", "2024-12-31")[0] == Decimal("1240334")


def test_adjusted_net_loss_reconciliation(store):
    value, _, _, cites = figure(store, "adjusted-net-loss", "FY2024")
    assert value == Decimal("-4252720") and "annual-results-2024:310" in cites


def test_cash_flow_summary_and_statement(store):
    assert figure(store, "net-cash-used-in-operating-activities", "H1 2025")[0] == Decimal("-639485")


def test_sustainability_appendix_columns_run_backwards_and_agree_with_the_body(store):
    value, unit, _, cites = figure(store, "scope-2-emissions", "FY2024")
    assert (value, unit) == (Decimal("83660.4"), "tCO2e")
    assert len({c for c in cites if c.startswith("sustainability-report-2024:")}) >= 2
    assert figure(store, "scope-1-emissions", "FY2022")[0] == Decimal("169.6")


def test_prospectus_cities_and_customers(store):
    assert figure(store, "cities-served", "2021-06-30")[0] == Decimal("119")
    assert figure(store, "customers", "2021-06-30")[0] == Decimal("2400")


def test_merged_and_ghost_rows_are_counted_never_read(built, store):
    skipped = {(s.report, s.line): s.reason for s in built[0].skipped}
    # the interim balance sheet prints several labels and figures in one row
    assert skipped[("interim-results-2025h1", 549)].startswith("not one figure")
    # an OCR ghost: a garbled label ("On water law") with dotted figures, printed beside the real row
    assert skipped[("interim-results-2025h1", 224)].startswith("OCR ghost: '(1.452.102)' misprints")
    assert rows(store, 'SELECT ?m WHERE { ?m a sk:Measure ; rdfs:label "On water law" }') == []
    # a label the PDF wrapped over two lines is joined, and counted
    assert skipped[("interim-results-2025h1", 272)] == "repaired: wrapped label joined"
    assert figure(store, "cost-of-sales-hardware-costs-and-subcontracting-service-fees", "H1 2025")[0] == \
        Decimal("1244.8")


def test_the_reports_agree_with_themselves(store):
    from sensekg.graph.check import check

    report = check(store)
    assert report.findings == []
    assert report.compared["segment sums"] >= 4 and report.compared["year-over-year changes"] >= 20


@pytest.mark.parametrize(("cell", "value"), [
    ("(1,234.5)", Decimal("-1234.5")), ("(63.2)", Decimal("-63.2")), ("-33.7%", Decimal("-33.7")),
    ("3,772,101", Decimal("3772101")), ("–", None), ("N.A.", None), ("_", None),
])
def test_parse_value(cell, value):
    assert parse_value(cell) == value


@pytest.mark.parametrize("cell", ["51,417 16,372,739", "(-,,, -, -, -", "RMB'000", "(60)201)"])
def test_merged_or_damaged_cells_are_not_numbers(cell):
    with pytest.raises(NotANumber):
        parse_value(cell)


def test_dotted_thousands_are_recognised_as_ocr_damage():
    assert looks_dotted("(1.452.102)") and not looks_dotted("1.45")


def test_hnte_subsidiaries_pay_the_15_percent_rate(store):
    for subsidiary in ("beijing-sensetime", "shenzhen-tetras-ai"):
        assert figure(store, "preferential-income-tax-rate", "FY2024", subject=subsidiary)[:2] == (Decimal("15"), "%")
        assert figure(store, "preferential-income-tax-rate", "H1 2025", subject=subsidiary)[0] == Decimal("15")


def test_loss_per_share_is_in_rmb_not_thousands(store):
    """The income statement's caption says RMB'000, but its per-share row says "(RMB)" (issue 13)."""
    value, unit, normalized, cites = figure(store, "basic-and-diluted-loss-per-share", "FY2024")
    assert (value, unit, normalized) == (Decimal("-0.13"), "RMB", Decimal("-0.13"))
    assert "annual-results-2024:497" in cites


def test_counts_stated_only_in_prose_are_figures(built):
    """Analysts could answer "how many AI-ethics standards had SenseTime helped formulate by the
    end of 2024, and how do they split?" only from a quote; now it is three figures."""
    import sensekg

    kg = sensekg.open(built[1])
    ethics = {row.measure: row.normalized_value for row in kg.observations(entity="SenseTime")
              if row.measure.startswith("AI ethics-related standards formulated")}
    # sustainability-report-2024:762: "34 AI ethics-related standards, including 13 international
    # standards and 21 Chinese standards"
    assert ethics == {"AI ethics-related standards formulated": 34,
                      "AI ethics-related standards formulated: international": 13,
                      "AI ethics-related standards formulated: Chinese": 21}
    auto = {row.measure: (row.normalized_value, row.normalized_unit, row.bound)
            for row in kg.observations(entity="SenseAuto")}
    # annual-results-2024:111: "new vehicle deliveries exceeded 1.67 million vehicles ... with 42 new
    # models; cumulative deployments reaching 3.6 million vehicles ... designated supplier for 41 models"
    assert auto["New vehicle deliveries"] == (1670000, "vehicles", "lower")
    assert auto["Cumulative deployments"] == (3600000, "vehicles", None)
    assert auto["New models"][0] == 42 and auto["Designated supplier models"][0] == 41
