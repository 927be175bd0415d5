"""Section paths (``sk:section``): the heading path that really contains a cited line.

The real reports mark headings in several ways (markdown "#", bold-only lines, upper-case lines
standing alone, numbered notes, plain lines where the conversion lost the markup, a table of
contents). Every path asserted here was checked against the report text; the small made-up
reports at the end pin each rule on its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sensekg.loaders.reports import Document, ReportSpec, read_corpus

ANNUAL_NOTES = "NOTES TO THE CONSOLIDATED FINANCIAL STATEMENTS"
INTERIM_NOTES = "NOTES TO THE INTERIM CONDENSED CONSOLIDATED FINANCIAL INFORMATION"
GREEN = "Green Operation Empowered by AI Technology"


@pytest.fixture(scope="module")
def corpus(reports_dir):
    return read_corpus(reports_dir)


def _paths_from(document: Document, first: int, last: int) -> set[tuple[str, ...]]:
    return {document.section(n) for n in range(first, last + 1)}


# --- annual results: the statements and notes are no longer under the last MD&A heading ------

def test_annual_statements_are_not_under_future_plans(corpus):
    annual = corpus["annual-results-2024"]
    future = "Future Plans for Material Investments and Capital Assets"
    # the small section itself: one sentence
    assert annual.section(464) == ("LIQUIDITY AND FINANCIAL RESOURCES", future)
    # "**CONSOLIDATED INCOME STATEMENT**" over "**FOR THE YEAR ENDED DECEMBER 31, 2024**": one heading
    assert annual.section(474) == ("CONSOLIDATED INCOME STATEMENT",)  # Revenue 3,772,101
    assert annual.section(508) == ("CONSOLIDATED STATEMENT OF COMPREHENSIVE LOSS",)
    assert annual.section(527) == ("CONSOLIDATED BALANCE SHEET",)  # Property, plant and equipment
    assert annual.section(563) == ("CONSOLIDATED BALANCE SHEET",)  # non-current Borrowings
    assert annual.section(593) == ("CONSOLIDATED STATEMENT OF CHANGES IN EQUITY",)
    # "**Year ended 31 December**" (l.652) is a column head, not a heading
    assert annual.section(657) == ("CONSOLIDATED STATEMENT OF CASH FLOWS",)  # Proceeds from borrowings
    assert not any(future in annual.section(n) for n in range(468, len(annual) + 1))


def test_annual_notes_nest_by_their_numbers(corpus):
    annual = corpus["annual-results-2024"]
    assert annual.section(685) == (ANNUAL_NOTES, "1. GENERAL INFORMATION")
    assert annual.section(709) == (ANNUAL_NOTES, "2. BASIS OF PREPARATION AND CHANGES IN ACCOUNTING POLICY AND DISCLOSURES",
                                   "2.2 Changes in accounting policy and disclosures",
                                   "(a) Amendments to standards adopted by the Group")
    # "### 3 SEGMENT INFORMATION" is a note like "## 2.", whatever its "#"s
    assert annual.section(732) == (ANNUAL_NOTES, "3 SEGMENT INFORMATION")
    assert annual.section(811) == (ANNUAL_NOTES, "4 REVENUE", "(e) Contract liabilities")  # "(e) **Contract …**"
    assert annual.section(987) == (ANNUAL_NOTES, "8 LOSS PER SHARE", "Basic")  # "**8 LOSS PER SHARE**", "**Basic**"
    assert annual.section(1009) == (ANNUAL_NOTES, "10 PROPERTY, PLANT AND EQUIPMENT")
    receivables = (ANNUAL_NOTES, "11 TRADE, OTHER RECEIVABLES AND PREPAYMENTS")
    assert annual.section(1124) == (*receivables, "(a) Notes receivables")
    assert annual.section(1152) == (*receivables, "Impairment and risk exposure")
    # "(c)" continues "(b)" across the "### Impairment and risk exposure" between them
    assert annual.section(1182) == (*receivables, "(c) Other receivables", "(i) Refundable deposits")
    assert annual.section(1406) == (ANNUAL_NOTES, "15 EVENTS AFTER THE BALANCE SHEET DATE")


def test_annual_sections_after_the_notes_close_them(corpus):
    annual = corpus["annual-results-2024"]
    assert annual.section(1410) == ("PURCHASE, SALE OR REDEMPTION OF THE COMPANY'S LISTED SECURITIES",)
    assert annual.section(1426) == ("FINAL DIVIDEND",)
    assert annual.section(1458) == ("DEFINITIONS",)


def test_annual_front_sections(corpus):
    annual = corpus["annual-results-2024"]
    assert annual.section(27) == ("KEY HIGHLIGHTS", "Financial Summary")  # "**KEY HIGHLIGHTS**", "**Financial Summary**"
    assert annual.section(39) == ("BUSINESS REVIEW AND OUTLOOK", "OVERALL PERFORMANCE")
    # "## 2. *Interactive Tools*" continues "#### ***1. Productivity Tools***"
    assert annual.section(94) == ("BUSINESS SEGMENT PERFORMANCE", "SenseNova Multimodal Continues to Rank Top",
                                  "“One Foundation, Two Wings” – Applications of SenseNova", "2. Interactive Tools")
    assert annual.section(103) == ("BUSINESS SEGMENT PERFORMANCE", "Computer Vision")
    # a mixed-case "## Revenue" is a part of the upper-case "## MANAGEMENT DISCUSSION AND ANALYSIS"
    assert annual.section(198) == ("MANAGEMENT DISCUSSION AND ANALYSIS", "Revenue")
    assert annual.section(380) == ("LIQUIDITY AND FINANCIAL RESOURCES", "Borrowings")


# --- sustainability report: the contents page gives the chapters, the KPI appendix is its own ---

def test_sustainability_kpi_appendix_has_its_own_section(corpus):
    report = corpus["sustainability-report-2024"]
    kpi = ("Appendix", "Key Performance Index")
    assert report.section(1830) == kpi  # "By age | Under 30 years old | person | 1,121 …"
    assert _paths_from(report, 1806, 1874) == {kpi}
    assert report.section(1877) == ("Appendix", "Index of GRI Standards")
    assert report.section(1994) == ("Appendix", "Index of HKEX ESG Reporting Guide")
    assert not any(report.section(n)[0].startswith("Green Operation") for n in range(1803, len(report) + 1))


def test_sustainability_chapters_and_numbered_sections(corpus):
    report = corpus["sustainability-report-2024"]
    # "# Green Operation" and "## Empowered by AI Technology" print one title of the contents
    assert report.section(1535) == (GREEN,)
    assert report.section(1553) == (GREEN, "5.1 Responding to Climate Change", "Governance")
    assert report.section(1725) == (GREEN, "5.3 Practicing Low-Carbon Operations",
                                    "Conducting Energy-Saving Renovation for Buildings")
    assert report.section(1748) == (GREEN, "5.4 Optimizing Resource Use", "Managing Water Resource")
    # "# 1.5 Information Security …" is the fifth section of chapter 01, not a chapter
    assert report.section(811) == ("Steady Responsible Governance Built on AI",
                                   "1.5 Information Security and Privacy Protection",
                                   "Information Security Management System")
    assert report.section(1240)[:2] == ("Talent-Oriented to Create Value Together", "3.1 Diversity, Equity and Inclusion")
    # front matter: plain lines the contents lists, and "## Message …" is not inside "About This Report"
    assert report.section(93) == ("About This Report", "Reporting Scope")
    assert report.section(135) == ("Message from the Chairman of the Group",)
    assert report.section(209) == ("Sensetime Sustainability Performance", "Response to UN SDGs")
    # the contents page itself
    assert report.section(40) == ("Contents",)


def test_sustainability_chapter_labels_open_no_section(corpus):
    report = corpus["sustainability-report-2024"]
    # "Contribution to the UN SDGs" opens every chapter; "# 04" is a bare chapter number
    assert report.section(1425) == ("Intelligent Welfare to Benefit the Community",)
    assert not any("Contribution to the UN SDGs" in report.section(n) for n in range(1, len(report) + 1))


# --- interim results: no markup at all --------------------------------------------------------

def test_interim_statements_and_notes(corpus):
    interim = corpus["interim-results-2025h1"]
    assert interim.section(25) == ("KEY HIGHLIGHTS", "Financial Summary")
    # "FOR THE SIX MONTHS ENDED 30 JUNE 2025" and "AS AT 30 JUNE 2025" are not headings
    assert interim.section(500) == ("INTERIM CONDENSED CONSOLIDATED INCOME STATEMENT",)  # Operating loss
    assert interim.section(548) == ("INTERIM CONDENSED CONSOLIDATED BALANCE SHEET",)
    assert interim.section(575) == ("INTERIM CONDENSED CONSOLIDATED STATEMENT OF CHANGES IN EQUITY",)
    assert interim.section(611) == ("INTERIM CONDENSED CONSOLIDATED STATEMENT OF CASH FLOWS",)
    assert interim.section(647) == (INTERIM_NOTES, "1 GENERAL INFORMATION")
    assert interim.section(769) == (INTERIM_NOTES, "7 INCOME TAX (EXPENSES)/CREDIT", "(i) Cayman Islands")
    assert interim.section(819) == (INTERIM_NOTES, "8 LOSS PER SHARE", "Basic")
    assert interim.section(1069) == (INTERIM_NOTES, "15 BORROWINGS", "Secured bank borrowings")
    for n in range(1, len(interim) + 1):
        assert not any(h.startswith(("FOR THE SIX MONTHS", "AS AT")) for h in interim.section(n)), n


def test_interim_plain_subheadings(corpus):
    interim = corpus["interim-results-2025h1"]
    assert interim.section(39) == ("BUSINESS REVIEW AND OUTLOOK", "Overall Performance")
    assert interim.section(246) == ("MANAGEMENT DISCUSSION AND ANALYSIS", "Revenue")
    assert interim.section(403) == ("LIQUIDITY AND FINANCIAL RESOURCES", "Net Cash Used in Operating Activities")
    assert interim.section(1118) == ("OTHER INFORMATION", "Purchase, Sale or Redemption of the Company's Listed Securities")
    # definitions and their broken-off second lines ("Director, chief scientist and …") are not headings
    assert _paths_from(interim, 1148, 1222) == {("DEFINITIONS",)}


# --- prospectus: the running page header -------------------------------------------------------

def test_prospectus_running_header_opens_no_section(corpus):
    prospectus = corpus["prospectus-2021-business"]
    assert prospectus.section(1854) == ("LICENSES, APPROVALS AND PERMITS",)
    assert prospectus.section(1738) == ("SALES AND MARKETING", "QUALITY CONTROL")
    assert prospectus.section(1808) == ("COMPETITION", "U.S. EXPORT CONTROL LAWS AND REGULATIONS",
                                        "Internal Control Measures")
    # "## BUSINESS" on every page: the title of the first section, then nothing
    assert [h.level for h in prospectus.headings if h.text == "BUSINESS"][:3] == [1, 0, 0]
    assert not any(prospectus.section(n)[:1] == ("BUSINESS",) for n in range(162, len(prospectus) + 1))


# --- every report: the outline is consistent --------------------------------------------------

def test_headings_are_neither_table_rows_nor_list_items(corpus):
    for document in corpus:
        for heading in document.headings:
            raw = document.line(heading.line)
            assert "\t" not in raw, (document.id, heading)
            assert not raw.lstrip().startswith(("- ", "• ", "* ")), (document.id, heading)


def test_heading_levels_match_the_paths(corpus):
    for document in corpus:
        previous = 0
        for heading in document.headings:
            if heading.level == 0:
                continue
            assert 1 <= heading.level <= previous + 1, (document.id, heading)
            path = document.section(heading.line)
            assert len(path) == heading.level and path[-1] == heading.text, (document.id, heading, path)
            previous = heading.level


# --- the rules on small made-up reports ---------------------------------------------------------

def _document(lines: list[str]) -> Document:
    return Document(ReportSpec("r", "r.txt", "t", "k", "i", sha256="0" * 64), Path("r.txt"), lines)


def _where(document: Document, text: str) -> tuple[str, ...]:
    return document.section(document.lines.index(text) + 1)


def test_bold_statements_and_numbered_notes():
    document = _document([
        "## BUSINESS REVIEW", "", "### Outlook", "", "We grew.", "",
        "**CONSOLIDATED BALANCE SHEET**  ", "**AS AT 31 DECEMBER 2024**", "", "Assets\t1\t2", "",
        "# NOTES TO THE FINANCIAL STATEMENTS", "", "## 1. GENERAL INFORMATION", "", "We are a company.", "",
        "**2 BORROWINGS**", "", "**(a) Secured**", "", "Secured loans.", "", "### Risk exposure", "", "Risks.", "",
        "(b) **Guaranteed**", "", "Guaranteed loans.", "", "## OTHER INFORMATION", "", "Nothing else.",
    ])
    assert _where(document, "Assets\t1\t2") == ("CONSOLIDATED BALANCE SHEET",)
    notes = "NOTES TO THE FINANCIAL STATEMENTS"
    assert _where(document, "We are a company.") == (notes, "1. GENERAL INFORMATION")
    assert _where(document, "Secured loans.") == (notes, "2 BORROWINGS", "(a) Secured")
    assert _where(document, "Risks.") == (notes, "2 BORROWINGS", "Risk exposure")
    assert _where(document, "Guaranteed loans.") == (notes, "2 BORROWINGS", "(b) Guaranteed")
    assert _where(document, "Nothing else.") == ("OTHER INFORMATION",)


def test_plain_text_report():
    document = _document([
        "MANAGEMENT DISCUSSION AND ANALYSIS", "", "Six months ended June 30, 2025 compared to 2024", "",
        "Revenue", "", "Our revenue rose by a tenth.", "", "1. Breakthroughs in products", "",
        "Revenue\t100\t90", "", "FOR THE SIX MONTHS ENDED 30 JUNE 2025", "", "Costs fell.", "",
        "NOTES TO THE FINANCIAL INFORMATION", "", "1 GENERAL INFORMATION", "", "We are a company.", "",
        "2 TAXATION", "", "(a) Hong Kong", "", "Taxed at 16.5%.", "", "DEFINITIONS", "",
        "\"Board\" the board of directors of the", "", "Company, as the context so requires",
    ])
    assert _where(document, "Costs fell.") == ("MANAGEMENT DISCUSSION AND ANALYSIS", "Revenue")
    assert _where(document, "Taxed at 16.5%.") == ("NOTES TO THE FINANCIAL INFORMATION", "2 TAXATION", "(a) Hong Kong")
    assert _where(document, "Company, as the context so requires") == ("DEFINITIONS",)
    assert [h.text for h in document.headings] == [
        "MANAGEMENT DISCUSSION AND ANALYSIS", "Revenue", "NOTES TO THE FINANCIAL INFORMATION",
        "1 GENERAL INFORMATION", "2 TAXATION", "(a) Hong Kong", "DEFINITIONS"]


def test_contents_page_gives_chapters_and_appendix():
    document = _document([
        "# Contents", "", "About This Report\t2", "Governance\t4", "Environment\t9", "Appendix\t20",
        "Key Performance Index\t20", "Index of GRI Standards\t25", "",
        "About This Report", "", "This report covers the year 2024 and all of our operations in detail.", "",
        "# Governance", "", "1.1 Board", "", "Our board meets four times a year to oversee the strategy.", "",
        "# Environment", "", "Contribution to the goals", "", "3.1 Energy", "",
        "We used less energy in 2024 than in any previous year of our operations.", "",
        "Contribution to the goals", "", "Contribution to the goals", "",
        "Appendix", "", "Key Performance Index", "", "Energy use\tMWh\t100", "",
        "Index of GRI Standards", "", "GRI 2-1\tOrganizational details\t3",
    ])
    assert _where(document, "Governance\t4") == ("Contents",)
    assert _where(document, "This report covers the year 2024 and all of our operations in detail.") == (
        "About This Report",)
    assert _where(document, "Our board meets four times a year to oversee the strategy.") == ("Governance", "1.1 Board")
    assert _where(document, "We used less energy in 2024 than in any previous year of our operations.") == (
        "Environment", "3.1 Energy")
    assert _where(document, "Energy use\tMWh\t100") == ("Appendix", "Key Performance Index")
    assert _where(document, "GRI 2-1\tOrganizational details\t3") == ("Appendix", "Index of GRI Standards")


def test_running_header_and_split_heading_levels():
    document = _document([
        "## BUSINESS", "", "### OVERVIEW", "", "Text one.", "", "## BUSINESS", "", "---", "", "Text two.", "",
        "## SALES", "", "Text.", "", "## BUSINESS", "", "### CUSTOMERS", "", "Text three.", "", "## BUSINESS", "",
        "Text four.",
    ])
    assert _where(document, "Text two.") == ("BUSINESS", "OVERVIEW")
    assert _where(document, "Text three.") == ("SALES", "CUSTOMERS")
    assert _where(document, "Text four.") == ("SALES", "CUSTOMERS")
