"""Saved-query parameters: declared types in the headers, every value checked against the real
graph (unknown values refused with the closest known ones), the report column and filter, and
the queries the users found wanting (changes, dependency depth, certifications, undated events,
anonymous parties, the financial summary). Expected facts are checked against the report text:
each is cited as report:line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sensekg.graph.cli import main
from sensekg.graph.query import select
from sensekg.graph.runner import run_saved, with_labels
from sensekg.graph.saved import TYPES, catalogue, load_saved, parse_header
from sensekg.loaders.errors import InputError

SAVED = load_saved()


def run(store, name: str, **params) -> list[tuple]:
    _, found = run_saved(store, SAVED[name], params)
    return [tuple(None if v is None else str(v) for v in row) for row in with_labels(store, found)]


def columns(name: str, store, **params) -> list[str]:
    return run_saved(store, SAVED[name], params)[0]


def refused(store, name: str, **params) -> str:
    with pytest.raises(InputError) as caught:
        run_saved(store, SAVED[name], params)
    return caught.value.one_line()


# --- the header: declared types ---

HEADER = """#+ summary: A test query
#+ params:
{param}
#+ tags: [test]
SELECT ?x WHERE {{ ?x ?p ?entity }}
"""


def write(tmp_path: Path, param: str) -> Path:
    path = tmp_path / "probe.rq"
    path.write_text(HEADER.format(param=param), encoding="utf-8")
    return path


def test_a_parameter_without_a_type_is_refused_naming_the_file_and_line(tmp_path):
    path = write(tmp_path, "#+   - name: entity  (bound to ?entity; an IRI, a label or an alias)")
    with pytest.raises(InputError) as caught:
        parse_header(path)
    assert f"{path}:3:" in str(caught.value) and "declares no type" in str(caught.value)


def test_an_unknown_type_or_an_unused_variable_is_refused_naming_the_line(tmp_path):
    with pytest.raises(InputError, match=r"probe\.rq:3: .*unknown type 'company'"):
        parse_header(write(tmp_path, "#+   - name: entity  (type: company; bound to ?entity)"))
    with pytest.raises(InputError, match=r"probe\.rq:3: .*bound to \?nothere, which the query does not use"):
        parse_header(write(tmp_path, "#+   - name: entity  (type: entity; bound to ?nothere)"))


def test_a_typed_parameter_is_read_with_optional_default_and_variable(tmp_path):
    param = parse_header(write(tmp_path, "#+   - name: who  (type: entity; default: SenseTime Group Inc.; "
                                         "bound to ?entity) the subject")).params[0]
    assert (param.name, param.type, param.optional, param.default, param.variable, param.description) == \
        ("who", "entity", True, "SenseTime Group Inc.", "entity", "the subject")


def test_every_saved_parameter_has_a_known_type_and_the_catalogue_shows_it():
    params = [(q.name, p) for q in SAVED.values() for p in q.params]
    assert params and all(p.type in TYPES for _, p in params)
    text = catalogue(SAVED)
    assert "- `measure` (measure): the measure, by id, label or alias" in text
    assert "- `entity` (entity, optional, default SenseTime Group Inc.): the subject" in text


def test_every_query_listing_facts_takes_an_optional_report_and_shows_a_report_column(store):
    not_facts = {"measures", "search", "report-diff", "report-top-entities", "evidence"}
    for name, query in SAVED.items():
        if name in not_facts:
            continue
        report = [p for p in query.params if p.name == "report"]
        assert report and report[0].type == "report" and report[0].optional, name
        required = {p.name: query.example[p.name] for p in query.params if not p.optional}
        cols = columns(name, store, **required)
        assert any("report" in c for c in cols), (name, cols)


# --- values checked against the graph ---

def test_an_unknown_period_names_the_periods_that_exist(store):
    message = refused(store, "financial-summary", period="2024")
    assert "--param period: no period is labelled '2024'; closest: FY2024, H1 2024" in message
    assert "the periods in the graph:" in message and "H1 2025" in message


def test_a_measure_is_accepted_by_label_as_by_id(store):
    by_id = run(store, "measure-series", measure="revenue")
    assert by_id and run(store, "measure-series", measure="Revenue") == by_id
    assert run(store, "measure-series", measure="total revenue") == by_id  # its alias in measures.toml
    assert run(store, "changes", measure="Loss for the period") == run(store, "changes", measure="loss-for-the-period")


def test_a_measure_without_observations_of_the_subject_names_the_subjects_that_have_it(store):
    message = refused(store, "measure-series", measure="computing-power", entity="SenseCore")
    assert "--param entity: Computing power (computing-power) has no observations of SenseCore" in message
    assert "the subjects that have it: SenseTime Group Inc." in message


@pytest.mark.parametrize(("name", "params", "expected"), [
    ("measure-series", {"measure": "revnue"}, "no measure has the id, label or alias 'revnue'; closest: Revenue"),
    ("people", {"report": "annual-2024"}, "no report has the id 'annual-2024'; closest: annual-results-2024"),
    ("awards", {"year": "1999"}, "no date in the graph falls in 1999; the years: "),
    ("awards", {"year": "24"}, "a year is four digits, not '24'"),
    ("certifications", {"entity": "SensAuto"}, "no entity is named 'SensAuto'; closest: SenseAuto"),
    ("certifications", {"entity": "id:senseautoo"}, "the graph has nothing about 'id:senseautoo'; closest: id:senseauto"),
    ("partners-by-kind", {"kind": "investors"}, "no relation kind is 'investors'; closest: investor"),
    ("partners-by-category", {"category": "universty"}, "no category is 'universty'; closest: university"),
    ("changes", {"measure": "employees"}, "the measure 'employees' has no year-over-year change figures; "),
    ("financial-summary", {"period": "H1 2025", "report": "annual-results-2024"},
     "annual-results-2024 states no figure for the period H1 2025; the reports that do: interim-results-2025h1"),
    ("measure-series", {"measure": "revenue", "report": "sustainability-report-2024"},
     "sustainability-report-2024 states no figure of Revenue (revenue); the reports that do: annual-results-2024, "),
])
def test_each_unknown_value_is_refused_with_the_closest_known_ones(store, name, params, expected):
    assert expected in refused(store, name, **params)


def test_the_cli_exits_2_with_the_closest_periods(runner, built):
    result = runner.invoke(main, ["query", "run", "financial-summary", "--param", "period=2024",
                                  "--graph", str(built[1])])
    assert result.exit_code == 2, result.output
    assert "no period is labelled '2024'; closest: FY2024, H1 2024" in result.output
    assert "Traceback" not in result.output


def test_a_period_is_matched_ignoring_case_and_bound_as_stored(store):
    assert run(store, "financial-summary", period="h1 2025") == run(store, "financial-summary", period="H1 2025")


# --- the report column and filter ---

def test_people_of_the_prospectus_leave_out_the_2025_audit_committee(store):
    # prospectus-2021-business:1914: the Audit Committee is LYN Frank Yee Chon (chair), FAN Yuanyuan, LI Wei;
    # interim-results-2025h1:1140: Lyn Frank Yee Chon (chair), Chiu Duncan, Fan Yuanyuan
    audit = {row[0] for row in run(store, "people", report="prospectus-2021-business") if "Audit Committee" in row[1]}
    assert audit == {"Lyn Frank Yee Chon", "Fan Yuanyuan", "Li Wei"}
    audit_2025 = {row[0] for row in run(store, "people", report="interim-results-2025h1")
                  if "Audit Committee" in row[1]}
    assert audit_2025 == {"Lyn Frank Yee Chon", "Fan Yuanyuan", "Chiu Duncan"}
    everyone = run(store, "people")
    chiu = [row for row in everyone if row[0] == "Chiu Duncan" and "Audit Committee" in row[1]]
    assert [row[4] for row in chiu] == ["interim-results-2025h1"]


def test_a_row_stated_alike_by_several_reports_joins_their_ids(store):
    # Fan Yuanyuan on the Audit Committee: prospectus-2021-business:1914, annual-results-2024:1450,
    # interim-results-2025h1:1140
    fan = [row for row in run(store, "people") if row[0] == "Fan Yuanyuan" and row[1].startswith("Audit Committee")]
    assert len(fan) == 1 and set(fan[0][4].split(", ")) == {
        "prospectus-2021-business", "annual-results-2024", "interim-results-2025h1"}


def test_the_product_family_of_the_prospectus_is_its_five_senseauto_products(store):
    # prospectus-2021-business:995: SenseAuto "comprises five products, namely, SenseAuto Pilot, SenseAuto
    # Cabin, SenseAuto Empower, SenseAuto Robobus and SenseAuto Connect"; Kaiwu: interim-results-2025h1:54
    def children(**params):
        return {row[2] for row in run(store, "product-family-tree", **params)
                if row[0] == "SenseAuto" and row[1] == "part of"}
    assert children(report="prospectus-2021-business") == {
        "SenseAuto Pilot", "SenseAuto Cabin", "SenseAuto Empower", "SenseAuto Robobus", "SenseAuto Connect"}
    assert "Kaiwu" in children() and "Kaiwu" in children(report="interim-results-2025h1")


# --- what the saved queries left out ---

def test_changes_align_the_loss_with_its_change_and_baseline(store):
    # annual-results-2024:29 "Loss for the year (4,306,584) (6,494,670) ... -33.7%";
    # interim-results-2025h1:29 "Loss for the period (1,489,270) ... (2,477,212) ... -39.9%"
    cols = columns("changes", store)
    rows = {row[2]: dict(zip(cols, row, strict=True)) for row in run(store, "changes", measure="loss-for-the-period")}
    fy = rows["FY2024"]
    # the statement line and the overview's "narrowing by 33.7%" (a [[figure]] with a baseline)
    assert (fy["measure"], fy["baseline"], fy["report"], set(fy["lines"].split())) == \
        ("Loss for the period", "FY2023", "annual-results-2024", {"annual-results-2024:29", "annual-results-2024:45"})
    assert (Decimal(fy["value"]), Decimal(fy["baseline_value"]), Decimal(fy["change"]), fy["change_unit"]) == \
        (Decimal("-4306584"), Decimal("-6494670"), Decimal("-33.7"), "%")
    h1 = rows["H1 2025"]
    assert (h1["baseline"], Decimal(h1["value"]), Decimal(h1["baseline_value"]), Decimal(h1["change"])) == \
        ("H1 2024", Decimal("-1489270"), Decimal("-2477212"), Decimal("-39.9"))


def test_changes_of_a_segment_are_aligned_with_that_segments_revenue(store):
    # annual-results-2024:208 "Our Generative AI revenue increased by 103.1% to RMB2,404.0 million in 2024,
    # compared to RMB1,183.7 million in 2023"
    found = [row for row in run(store, "changes", measure="revenue", report="annual-results-2024")
             if row[1] == "Generative AI (2024 segments)"]
    assert [(Decimal(r[4]), Decimal(r[6]), Decimal(r[8]), set(r[11].split())) for r in found] == \
        [(Decimal("2404.0"), Decimal("1183.7"), Decimal("103.1"), {"annual-results-2024:208", "annual-results-2024:45"})]


def test_product_dependencies_give_depth_via_and_path(store):
    # SenseFoundry-VL built on SenseNova 5.5 (sustainability-report-2024:506), a version of SenseNova
    # (annual-results-2024:70), built on SenseCore (sustainability-report-2024:166), built on the
    # Lingang AIDC (prospectus-2021-business:142)
    found = {row[1]: row for row in run(store, "product-dependencies", entity="SenseFoundry-VL")}
    assert {name: row[0] for name, row in found.items()} == {
        "SenseFoundry": "1", "SenseNova 5.5": "1", "SenseNova": "2", "SenseCore": "3", "Shanghai Lingang AIDC": "4"}
    aidc = found["Shanghai Lingang AIDC"]
    assert (aidc[3], aidc[4], aidc[6]) == ("built on", "SenseCore", "prospectus-2021-business")
    assert aidc[5] == "SenseFoundry-VL > SenseNova 5.5 > SenseNova > SenseCore > Shanghai Lingang AIDC"
    assert "SenseFoundry-VL" in {row[1] for row in run(store, "dependents", entity="SenseCore")}


def test_the_dependency_hops_cover_the_longest_chain_in_the_graph(store):
    """product-dependencies and dependents follow at most 5 hops: the graph has a chain of 5 and none of 6."""
    hop = "(sk:builtOn|sk:poweredBy|sk:versionOf)"
    assert select(store, f"SELECT ?x WHERE {{ ?x {'/'.join([hop] * 5)} ?y }} LIMIT 1")[1]
    assert not select(store, f"SELECT ?x WHERE {{ ?x {'/'.join([hop] * 6)} ?y }} LIMIT 1")[1]
    deepest = run(store, "product-dependencies", entity="Education Version (Raccoon)")
    assert max(int(row[0]) for row in deepest) == 5


def test_certifications_show_valid_until_and_every_cited_line(store):
    # prospectus-2021-business:1854: the licence of Shanghai SenseTime Technology Development expires
    # "August 11, 2025"; ISO 27001 of SenseTime: sustainability-report-2024:203, :811 and :815
    cols = columns("certifications", store)
    assert "valid_until" in cols and "sources" in cols
    licence = [dict(zip(cols, row, strict=True)) for row in
               run(store, "certifications", entity="Shanghai SenseTime Technology Development Co., Ltd.")
               if row[1].startswith("Value-added telecommunication")]
    assert [row["valid_until"] for row in licence] == ["2025-08-11"]
    iso = [dict(zip(cols, row, strict=True)) for row in run(store, "certifications", entity="SenseTime Group Inc.")
           if row[1] == "ISO/IEC 27001"]
    assert len(iso) == 1 and set(iso[0]["sources"].split()) == {
        "sustainability-report-2024:203", "sustainability-report-2024:811", "sustainability-report-2024:815"}


def test_hnte_subsidiaries_show_every_report_that_names_them(store):
    # annual-results-2024:915 says the seven "were qualified as HNTEs"; interim-results-2025h1:799 names them
    # as "qualified as HNTEs ... or ... registered in applicable special zones"
    found = run(store, "hnte-subsidiaries")
    tetras = {(row[1], row[2], row[3]) for row in found if row[0] == "Shenzhen Tetras.AI Technology Co., Ltd."}
    assert tetras == {("qualified as HNTE", "annual-results-2024", "915"),
                      ("named with HNTE", "interim-results-2025h1", "799")}
    assert len({row[0] for row in found if row[1] == "qualified as HNTE"}) == 7


def test_financial_summary_has_margin_cash_and_change(store):
    # interim-results-2025h1:28 "Gross Profit 907,800 38.5 766,760 44.1 18.4%"
    cols = columns("financial-summary", store, period="H1 2025")
    rows = {row[0]: dict(zip(cols, row, strict=True)) for row in run(store, "financial-summary", period="H1 2025")}
    assert Decimal(rows["Gross margin"]["value"]) == Decimal("38.5")
    assert (Decimal(rows["Gross profit"]["change_percent"]), rows["Gross profit"]["baseline"]) == \
        (Decimal("18.4"), "H1 2024")
    assert Decimal(rows["Cash and cash equivalents"]["value"]) == Decimal("11168.4")  # as at 2025-06-30
    early = {row[0]: row for row in run(store, "financial-summary", period="FY2018")}
    assert len(early) == 10 and early["Gross profit"][1] is None  # the prospectus prints no gross profit
    assert Decimal(early["Gross margin"][1]) == Decimal("56.5")   # prospectus-2021-business:158


def test_events_timeline_lists_undated_events_last(store):
    # interim-results-2025h1:200: SenseTime signed a framework "with the Indonesian government", no date
    found = run(store, "events-timeline")
    undated = [row for row in found if row[0] is None]
    assert any("Indonesian government" in row[2] for row in undated)
    dated = [row[0] for row in found if row[0] is not None]
    assert found[:len(dated)] == [row for row in found if row[0] is not None]  # the undated come last


def test_anonymous_parties_say_what_each_is(store):
    # prospectus-2021-business:578 "Company K is China's largest power grid company"; interim-results-2025h1:55
    # "the edge chip company will be deconsolidated in the second half"
    found = {(row[0], row[4]): row for row in run(store, "anonymous-parties")}
    company_k = found[("Company K", "prospectus-2021-business")]
    assert (company_k[1], company_k[2]) == ("customer", "power grid company")
    assert found[("Supplier A", "prospectus-2021-business")][1] == "supplier"
    assert found[("edge chip company", "interim-results-2025h1")][1] == "affected by deconsolidation"


def test_a_parameter_reaches_each_sub_select_that_projects_it():
    """A sub-SELECT is evaluated before the outer VALUES joins it; the parameter is bound inside
    the ones that project it (so the time follows the answer, not the graph), not elsewhere."""
    from rdflib import URIRef

    from sensekg.graph.query import bind

    text = ("SELECT ?x WHERE { { SELECT ?entity ?x WHERE { ?entity ?p ?x } } "
            "{ SELECT ?y (COUNT(?entity) AS ?n) WHERE { ?entity ?q ?y } } }")
    bound = bind(text, {"entity": URIRef("https://w3id.org/sensekg/id/senseauto")})
    values = "VALUES (?entity) { (<https://w3id.org/sensekg/id/senseauto>) }"
    assert bound.count(values) == 2
    assert bound.index(values) < bound.index("{ SELECT ?entity ?x WHERE {") < bound.rindex(values) \
        < bound.index("?entity ?p ?x") < bound.index("{ SELECT ?y")
    # a sub-SELECT written without WHERE is left alone, not matched up to a later one's WHERE
    text = "SELECT ?x WHERE { { SELECT ?x { ?entity ?p ?x } } { SELECT ?entity ?y WHERE { ?entity ?q ?y } } }"
    bound = bind(text, {"entity": URIRef("https://w3id.org/sensekg/id/senseauto")})
    assert bound.count(values) == 2 and bound.index("{ SELECT ?x {") < bound.rindex(values) < bound.index("?entity ?q")
