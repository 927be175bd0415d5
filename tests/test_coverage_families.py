"""Issue 16: one example of each family of facts the reports state that the graph once lacked,
asserted on the real build, and the saved queries that reach them."""

from __future__ import annotations

from decimal import Decimal

from conftest import rows
from rdflib import Literal
from test_queries import run

PREFIXES = """PREFIX sk: <https://w3id.org/sensekg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX id: <https://w3id.org/sensekg/id/>
PREFIX measure: <https://w3id.org/sensekg/measure/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""


def observed(store, subject: str, measure_label: str) -> set[tuple[str, Decimal]]:
    """(period, value) of every observation of ``subject`` under the measure so labelled."""
    found = rows(store, PREFIXES + f"""SELECT ?period ?value WHERE {{
        ?o sk:observedSubject id:{subject} ; sk:measure ?m ; sk:periodLabel ?period ; sk:value ?value .
        ?m rdfs:label ?label FILTER(STR(?label) = ?wanted) }}""", wanted=Literal(measure_label))
    return {(period, Decimal(value)) for period, value in found}


def cited_at(store, subject: str, predicate: str, obj: str) -> set[str]:
    """The report:line citations of one fact."""
    found = rows(store, PREFIXES + f"""SELECT ?r ?line WHERE {{
        ?e rdf:subject id:{subject} ; rdf:predicate {predicate} ; rdf:object {obj} ;
           prov:wasDerivedFrom ?r ; sk:line ?line }}""")
    return {f"{r.rsplit('/', 1)[1]}:{line}" for r, line in found}


def test_prospectus_technology_the_stpu_chips_mass_produced(store):
    assert observed(store, "stpu", "Chips mass-produced") == {("2021-06-30", Decimal(11000))}


def test_research_competitions_are_awards_at_their_competition_by_year(store):
    found = run(store, "competition-awards", year="2016")
    by_competition = {row[1]: row[2] for row in found}
    assert by_competition["Cityscapes"] == "Cityscapes: Champion in the Pixel-level Semantic Labeling Task"
    assert "ImageNet Large Scale Visual Recognition Challenge" in by_competition
    assert {row[0] for row in found} == {"2016"}
    kitti = [row for row in run(store, "competition-awards", year="2019") if row[1].startswith("KITTI")]
    assert kitti and "Karlsruhe Institute of Technology" in kitti[0][4]


def test_sustainability_products_and_employer_awards(store):
    # AI Bingbing is a digital human, a product, not a person
    assert rows(store, PREFIXES + "SELECT ?t WHERE { id:ai-bingbing a ?t }") == [
        ("https://w3id.org/sensekg/ontology#Product",)]
    awards = {(row[1], row[3]) for row in run(store, "awards", year="2024")}
    assert ("2024 Maimai Most Desirable Employer", "Maimai") in awards


def test_facilities_the_shenzhen_office(store):
    found = {row[0]: row for row in run(store, "facilities")}
    assert found["Shenzhen Office"][1:3] == ("Shenzhen", "SenseTime Group Inc.")
    assert cited_at(store, "shenzhen-office", "sk:operatedBy", "id:sensetime") == {"sustainability-report-2024:1791"}


def test_laws_and_policies_govern_conduct_beside_the_accounting_standards(store):
    found = run(store, "governing-standards", report="sustainability-report-2024")
    labour = [row for row in found if row[3] == "Labour Law of the People's Republic of China"]
    assert labour and labour[0][1:3] == ("SenseTime Group Inc.", "complies with")
    declaration = [row for row in found if row[3] == "Shanghai Declaration on Global AI Governance"]
    assert declaration and declaration[0][2] == "supports"
    assert rows(store, PREFIXES + "SELECT ?t WHERE { id:prc-labour-law a ?t }") == [
        ("https://w3id.org/sensekg/ontology#Policy",)]


def test_partners_named_in_passing_waymo_runs_the_competition_kaiwu_won(store):
    found = rows(store, PREFIXES + """SELECT ?event WHERE {
        id:award-kaiwu-waymo-sim-agents-first-place sk:atEvent ?e . ?e sk:actor id:waymo ; rdfs:label ?event }""")
    assert len(found) == 1


def test_people_dr_wang_is_the_fourth_co_founder(store):
    assert "prospectus-2021-business:259" in cited_at(store, "sensetime", "sk:foundedBy", "id:wang-xiaogang")


def test_the_x_businesses_v2x_is_in_both_segment_schemes(store):
    segments = {row[0] for row in rows(store, PREFIXES + "SELECT ?s WHERE { id:v2x-business sk:segment ?s }")}
    assert segments == {"https://w3id.org/sensekg/id/segment-2024-smart-auto",
                        "https://w3id.org/sensekg/id/segment-2025-x-businesses"}


def test_counts_are_observations_not_quotes(store):
    assert observed(store, "sensetime", "AI ethics-related standards formulated: Chinese") == {
        ("2024-12-31", Decimal(21))}
    assert observed(store, "sensetime", "Subsidiaries with ISO 14001 certification") == {("2024-12-31", Decimal(11))}
    assert observed(store, "senseauto", "Smart cars cumulatively delivered") == {("2024-12-31", Decimal("3.5"))}
    assert observed(store, "sensetime", "June 2024 Placing shares") == {("2024-06-27", Decimal(1673446000))}


def test_top_customer_shares_over_time(store):
    found = run(store, "top-customers")
    h1 = [row for row in found if row[0] == "H1 2021"]
    assert h1[0][1] == "Five largest customers together" and Decimal(h1[0][4]) == Decimal("59.3")
    assert (h1[1][1], Decimal(h1[1][2]), Decimal(h1[1][4])) == ("Customer L", Decimal(378300000), Decimal("22.9"))
    assert [row[0] for row in found][:6] == ["FY2018"] * 6  # periods in order, five customers and their total


def test_the_prospectus_net_losses_are_losses(store):
    losses = {row[0]: Decimal(row[2]) for row in run(store, "losses-over-time") if row[1] == "Loss for the period"}
    assert losses["FY2020"] == Decimal(-12158300000) and losses["FY2024"] == Decimal(-4306584000)


def test_a_change_in_prose_joins_the_change_the_statements_give(store):
    """A [[figure]] with a baseline is its measure's change: the overview's "net loss ... narrowing
    by 33.7%" (annual-results-2024:45) is the same observation as the loss change of line 29, and
    "decreased by 9.1%" is a change of -9.1."""
    found = rows(store, PREFIXES + """SELECT ?value ?baseline ?line WHERE {
        ?o sk:measure measure:loss-for-the-period-year-over-year-change ; sk:periodLabel "FY2024" ;
           sk:value ?value ; sk:baselinePeriod ?baseline .
        ?e rdf:subject ?o ; rdf:predicate sk:value ; sk:line ?line }""")
    assert {(Decimal(v), b) for v, b, _ in found} == {(Decimal("-33.7"), "FY2023")}
    assert {"29", "45"} <= {line for _, _, line in found}
    assert observed(store, "sensetime", "Administrative and selling expenses, year-over-year change") == {
        ("FY2024", Decimal("-9.1"))}
