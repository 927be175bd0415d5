"""The defects an outside review of the evidence found, each checked on the real build: a fact is
cited only where a line states it, one real thing is one node, dates keep their event, labels are
the reports' names, and evidence carries the section that really holds its line."""

from __future__ import annotations

import re

from conftest import rows

SR, AR, IR, PR = "sustainability-report-2024", "annual-results-2024", "interim-results-2025h1", "prospectus-2021-business"

CITED = """
    SELECT ?object ?report ?line WHERE {
      ?e rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?object ;
         prov:wasDerivedFrom ?graph ; sk:line ?line .
      BIND(STRAFTER(STR(?graph), "/report/") AS ?report)
    }"""


def cited(store, subject: str, predicate: str) -> set[tuple[str, str, int]]:
    """(object, report, line) of every evidence node of ``subject predicate ?``: the line it
    cites, not the line it may be read with (see ``read_with``)."""
    from rdflib import URIRef

    found = rows(store, CITED, subject=URIRef(f"https://w3id.org/sensekg/id/{subject}"),
                 predicate=URIRef(f"https://w3id.org/sensekg/ontology#{predicate}"))
    return {(obj.rsplit("/", 1)[-1], report, int(line)) for obj, report, line in found}


def test_an_award_issuer_is_cited_where_the_issuer_is_printed(store):
    # the DEI award's issuer is printed at line 283 only, not at 1194 or 1202 which name the award
    assert cited(store, "award-sensetime-dei-employer-2024", "awardedBy") == {
        ("employer-branding-institute", SR, 283)}


def test_the_issuers_dropped_for_wrapped_names_are_restored_and_cited_at_both_lines(store):
    # one citation of both lines: "United Nations AI for" read with "Good Global Summit"
    assert {(p, line, w) for p, line, w in read_with(store, "award-sensetime-best-inclusivity-impact", SR)
            if p == "awardedBy"} == {("awardedBy", 288, 289)}
    assert {obj for obj, _, _ in cited(store, "award-sensetime-outstanding-general-large-model", "awardedBy")} == {
        "large-model-benchmark-evaluation-expert-committee"}


def test_placing_agents_are_not_cited_at_the_net_proceeds_lines(store):
    lines = {(report, line) for event in ("event-placing-december-2024", "event-placing-june-2024")
             for _, report, line in cited(store, event, "actor")}
    assert lines and (IR, 439) not in lines and (AR, 420) not in lines


def test_each_report_keeps_its_own_words_for_a_partnership_scope(store):
    scopes = cited(store, "p-hidream-ai-sensecore", "scope")
    assert {(report, line) for _, report, line in scopes} == {(AR, 55), (IR, 77)}
    assert not any("video" in obj for obj, report, _ in scopes if report == AR)


def test_a_figure_printed_as_a_deduction_is_not_cited_for_its_positive_value(store):
    found = rows(store, """
        SELECT ?line WHERE {
          ?o sk:measure ?m ; sk:value ?v ; sk:periodLabel "FY2023" .
          FILTER(?v = 195316)
          ?e rdf:subject ?o ; rdf:predicate sk:value ; sk:line ?line ;
             prov:wasDerivedFrom <https://w3id.org/sensekg/report/annual-results-2024> .
        }""")
    assert found and "287" not in {line for (line,) in found}


def test_xu_li_holds_one_ceo_role_and_one_chairman_role_each_report_in_its_words(store):
    names = rows(store, "SELECT ?role ?name WHERE { ?role a sk:Role ; sk:person id:xu-li ; sk:roleName ?name }")
    by_role: dict[str, set[str]] = {}
    for role, name in names:
        by_role.setdefault(role.rsplit("/", 1)[-1], set()).add(name)
    assert by_role["role-xu-li-chief-executive-officer"] == {"CEO", "chief executive officer"}
    assert {"Chairman", "executive Chairman of the Board"} <= by_role["role-xu-li-chairman"]
    assert "role-xu-li-ceo" not in by_role and "role-xu-li-executive-chairman" not in by_role
    wording = cited(store, "role-xu-li-chief-executive-officer", "roleName")
    assert {report for name, report, _ in wording if name == "CEO"} <= {PR, SR}
    assert {report for name, report, _ in wording if name == "chief executive officer"} <= {AR, IR}


def test_the_audit_committee_chair_is_one_role(store):
    roles = rows(store, """SELECT DISTINCT ?role WHERE { ?role a sk:Role ; sk:person id:lyn-frank-yee-chon ;
                                                             sk:roleName ?n FILTER(CONTAINS(LCASE(?n), "audit")) }""")
    assert len(roles) == 1


def test_split_nodes_are_merged(store):
    def labelled(text: str) -> set[str]:
        return {node for (node,) in rows(store, "SELECT DISTINCT ?n WHERE { ?n rdfs:label ?l FILTER(CONTAINS(?l, ?t)) }",
                                         t=text_literal(text))}

    assert len(labelled("The Alliance for Asian Technology to Promote")) == 2  # the alliance, and SenseTime's membership
    assert len(labelled("Nanyang Technological University")) == 2  # the university, and its membership node
    assert not rows(store, "SELECT ?n WHERE { ?n rdfs:label 'NTU' }")
    assert len(labelled("AI GPU chip company")) == 2  # the party, and the event of its deconsolidation
    events = rows(store, """SELECT DISTINCT ?n WHERE { ?n a sk:Event . ?e rdf:subject ?n ; sk:line 1124 ;
                            prov:wasDerivedFrom <https://w3id.org/sensekg/report/sustainability-report-2024> }""")
    assert len(events) == 1
    # one certificate of ISO/IEC 27701 in the prospectus, stated at 1438 (the 2019 edition) and 1738
    certs = rows(store, """SELECT DISTINCT ?c WHERE { ?c a sk:Certification ; sk:holder id:sensetime ;
                              sk:standard/sk:versionOf* id:iso-iec-27701 .
                           ?e rdf:subject ?c ; prov:wasDerivedFrom <https://w3id.org/sensekg/report/prospectus-2021-business> }""")
    assert len(certs) == 1
    bs = rows(store, "SELECT DISTINCT ?c WHERE { ?c a sk:Certification ; sk:standard id:bs-10012 }")
    assert len(bs) == 2  # 2022, and the smart-auto scope of 2024 (lines 811 and 964 are one)


def text_literal(text: str):
    from rdflib import Literal

    return Literal(text)


def test_a_report_that_contradicts_itself_keeps_both_dates_and_marks_the_conflict(store):
    found = rows(store, """SELECT ?date ?line WHERE {
        ?c sk:conflictOn sk:date ; sk:holder id:senseauto ; sk:date ?date .
        ?e rdf:subject ?c ; rdf:predicate sk:date ; rdf:object ?date ; sk:line ?line }""")
    assert set(found) == {("2022-12", "811"), ("2023", "203")}


def test_the_founding_date_is_one_value_at_its_most_precise_with_every_source(store):
    assert cited(store, "sensetime", "foundingDate") == {("2014-10", PR, 27), ("2014-10", SR, 153)}
    incorporated = rows(store, """SELECT ?date WHERE { ?e sk:eventKind "incorporation" ; sk:affected id:sensetime ;
                                                       sk:date ?date }""")
    assert incorporated == [("2014-10-15",)]


def test_labels_are_the_reports_names(store):
    label = rows(store, "SELECT ?l WHERE { id:zero-carbon-research-institute rdfs:label ?l }")
    assert label == [("Zero-Carbon Research Institute of the Beijing News",)]
    slugged = rows(store, """SELECT ?l WHERE { ?o a sk:Observation ; rdfs:label ?l
                              FILTER(REGEX(?l, "segment-20|[a-z]+-[a-z]+-?[a-z]*:")) }""")
    assert slugged == []
    assert rows(store, "SELECT ?l WHERE { ?o a sk:Observation ; sk:observedSubject id:lingang-aidc ; rdfs:label ?l }"
                " LIMIT 1")[0][0].startswith("Shanghai Lingang AIDC: ")


def test_evidence_carries_the_section_that_holds_its_line(store):
    sections = rows(store, """SELECT ?section (COUNT(*) AS ?n) WHERE {
        ?e prov:wasDerivedFrom ?r ; sk:section ?section } GROUP BY ?section""")
    counts = {section: int(n) for section, n in sections}
    assert counts.get("Future Plans for Material Investments and Capital Assets", 0) < 50
    assert counts.get("Green Operation > Empowered by AI Technology", 0) == 0
    assert not any(re.match(r"(FOR THE SIX MONTHS|AS AT)", s) for s in counts)


def test_the_registry_has_no_unreviewed_suspected_duplicates(built):
    assert built[0].duplicates == []


def test_every_curated_citation_states_its_fact_and_the_rates_are_reported(built):
    grounding = built[0].grounding
    assert grounding.rate("entity") >= 0.98 and grounding.rate("value") >= 0.98
    assert not any(fact.record for fact in grounding.unstated)


def test_a_segments_scheme_is_cited_where_the_report_lists_the_scheme(store):
    lines = rows(store, """SELECT DISTINCT ?line WHERE { ?e rdf:predicate sk:inScheme ; rdf:object id:segmentation-2025 ;
                           sk:line ?line }""")
    assert lines == [("49",)]  # "realigned into Generative AI, Computer Vision, and X Businesses"


def test_a_relation_kind_is_cited_where_a_line_says_it(store):
    # 550 describes the railway; 555 deploys SenseFoundry on "the customer's data processing center"
    assert {line for _, _, line in cited(store, "p-beijing-shanghai-hsr-inspection", "relationKind")} == {555}


READ_WITH = """
    SELECT ?predicate ?line ?with WHERE {
      ?e rdf:subject ?subject ; rdf:predicate ?predicate ; sk:line ?line ; prov:wasDerivedFrom ?graph .
      OPTIONAL { ?e sk:contextLine ?with }
      FILTER(STRAFTER(STR(?graph), "/report/") = ?report)
    }"""


def read_with(store, subject: str, report: str) -> set[tuple[str, int, int | None]]:
    """(predicate, line, context line or None) of every evidence node about ``subject`` in ``report``."""
    from rdflib import Literal, URIRef

    found = rows(store, READ_WITH, subject=URIRef(f"https://w3id.org/sensekg/id/{subject}"), report=Literal(report))
    return {(p.rsplit("#", 1)[-1], int(line), int(w) if w else None) for p, line, w in found}


def test_two_lines_that_state_a_fact_only_together_are_one_citation(store):
    # a name that runs on to the next line: "Zero-Carbon Research Institute" / "of the Beijing News"
    assert ("label", 271, 272) in read_with(store, "zero-carbon-research-institute", SR)
    # a table's header row ("Percentage of our total purchase") read with Supplier C's row: the
    # header row alone is cited for none of the partnership's facts
    supplier = read_with(store, "p-anon-prospectus-supplier-c", PR)
    assert ("organization", 1678, 1674) in supplier
    assert not {line for _, line, _ in supplier} & {1674}
    # the lead-in "we have ... joined more than 90 industry alliances" read with the alliance's line
    membership = read_with(store, "membership-sensetime-china-oss-promotion-union", SR)
    assert ("type", 186, 183) in membership and ("member", 183, 186) in membership
    assert all(w == 186 for _, line, w in membership if line == 183)  # never the lead-in alone
    # a report that contradicts itself: the conflict is cited at one line of each date, together
    conflict = read_with(store, "cert-senseauto-iso-sae-21434-engineering", SR)
    assert {(line, w) for p, line, w in conflict if p == "conflictOn"} == {(811, 203)}
    # the words "Consolidated Affiliated Entities" head the list that goes on to name Qianshi
    assert ("controlKind", 1854, 1848) in read_with(store, "shanghai-sensetime-qianshi", PR)


def test_qianshi_is_a_consolidated_affiliated_entity_not_stated_a_subsidiary(store):
    assert cited(store, "shanghai-sensetime-qianshi", "subsidiaryOf") == set()


def test_an_item_is_read_with_the_list_item_or_the_line_that_heads_it(store):
    # "- Microsoft Common Objects in Context (COCO)", a blank line, then its "- Champion …" items
    assert ("awardedTo", 1321, 1317) in read_with(store, "award-sensetime-coco-detection-and-panoptic-2019", PR)
    # a nested list: "  - The KITTI Vision Benchmark Suite …" over "    - Champion in Pedestrian …"
    kitti = read_with(store, "award-sensetime-kitti-pedestrian-and-vehicle-detection-2016", PR)
    assert any(line == 1336 and w in (1334, 1335) for _, line, w in kitti)
    # "Dr. Wang Xiaogang … executive" / "Director, chief scientist …": the title read with the name
    assert ("roleName", 1172, 1170) in read_with(store, "role-wang-xiaogang-chief-scientist", IR)


def test_a_name_is_not_cited_where_it_only_heads_a_hyphenated_name(store, built):
    corpus = built[0].corpus
    for _, report, line in cited(store, "sensefoundry", "label"):
        text = corpus[report].line(line)
        assert re.search(r"SenseFoundry(?!-\w)", text), (report, line)  # not only "SenseFoundry-VL"


def test_restated_is_cited_under_the_restated_column_head_and_only_there(store):
    payables = read_with(store, "obs-sensetime-long-term-payables-2023-12-31-b6befb2b", AR)
    restated = {(line, w) for p, line, w in payables if p == "restated"}
    assert restated == {(569, 560)}  # the balance sheet's row, read with "(Restated)"; not note 13(b)


def test_a_described_nodes_fact_is_cited_where_the_node_is_identified(store):
    # "… executive Director, chief executive officer …" under the line that names Dr. Xu Li
    ceo = read_with(store, "role-xu-li-chief-executive-officer", IR)
    assert ("roleName", 1176, 1174) in ceo and not any(line == 1176 and w is None for _, line, w in ceo)
    # the lead-in "We also won the COCO challenge …" does not say which championship, or when
    coco = read_with(store, "award-sensetime-coco-image-classification-2017", PR)
    assert ("date", 1319, 1317) in coco and not any(line == 1310 for _, line, _ in coco)
    # "two CE marks for five SenseCare modules" does not say which modules hold them
    assert not any(line == 126 for _, line, _ in read_with(store, "cert-sensecare-lung-pro-ce", PR))


def test_a_name_inside_another_organisations_name_is_not_a_mention(store):
    # the prospectus prints "Toyota" only in "Toyota Technological Institute at Chicago"
    assert not read_with(store, "toyota", PR)
    assert read_with(store, "toyota-technological-institute-at-chicago", PR)


def test_the_five_largest_tables_totals_are_named_for_what_they_total(store):
    found = rows(store, """SELECT ?value WHERE { ?o sk:measure measure:five-largest-suppliers-purchases ;
                                                   sk:periodLabel "FY2020" ; sk:value ?value }""")
    assert found == [("574.9",)]
    assert not rows(store, "SELECT ?m WHERE { ?m rdfs:label ?l FILTER(STRSTARTS(?l, 'SUPPLIERS:')) }")


def test_an_awards_fact_is_read_with_the_rest_of_its_wrapped_name(store):
    # "2024 Best Digital Intelligence" / "Employer in China" / "Forbes China": the date is read with
    # the rest of the name, not with the issuer's line
    award = read_with(store, "award-sensetime-best-digital-intelligence-employer-2024", SR)
    assert ("date", 276, 277) in award and ("label", 277, 276) in award


def test_a_rows_period_is_cited_at_its_blocks_period_row_read_with_the_paragraph(store):
    # Supplier J's 2020 share: dated by the "2020" row over its block, with the paragraph above the
    # table that says these are the years ended December 31
    dated = {(p, line, w) for p, line, w in read_with(
        store, "obs-sensetime-supplier-j-percentage-of-our-total-purchase-fy2020-2a3ba38c", PR)
        if p in ("periodStart", "periodEnd", "periodLabel")}
    assert {(p, 1689, 1672) for p in ("periodStart", "periodEnd", "periodLabel")} <= dated
    assert not any(line == 1672 for _, line, _ in dated)  # not the paragraph alone


def test_a_report_whose_lines_state_a_fact_only_with_a_heading_keeps_it(store):
    # the interim report's row prints no date; the period row over it does (with OCR ghosts)
    found = rows(store, """SELECT ?line WHERE { GRAPH report:interim-results-2025h1 {
        ?e rdf:subject id:obs-sensetime-accumulated-depreciation-2024-12-31-70766aab ;
           rdf:predicate sk:instant ; sk:line ?line } }""")
    assert found


def test_a_roles_person_is_read_with_the_line_its_title_runs_on_to(store):
    # "… the Company's co-founder, executive" / (blank) / "Director, chief scientist …"
    role = read_with(store, "role-wang-xiaogang-executive-director", IR)
    assert ("person", 1170, 1172) in role


def test_a_footnote_mark_glued_to_a_name_does_not_hide_it(store):
    # interim-results-2025h1:91 prints "Frost & Sullivan¹": the ranking's issuers are both named there
    found = rows(store, """SELECT ?by WHERE { id:award-sensecore-idc-frost-sullivan-top3-2025 sk:awardedBy ?by ;
                                              sk:awardedTo id:sensecore }""")
    assert {by.rsplit("/", 1)[-1] for (by,) in found} == {"idc", "frost-sullivan"}
    assert not rows(store, """SELECT ?alt WHERE { id:frost-sullivan skos:altLabel ?alt FILTER(CONTAINS(?alt, "¹")) }""")


def test_the_domestic_chip_makers_are_suppliers_cited_where_the_report_names_them(store):
    for maker in ("hygon", "metax", "biren", "cambricon-technologies"):
        partnership = {p: line for p, line, _ in read_with(store, f"p-{maker.split('-')[0]}-domestic-chips", AR)}
        assert partnership.get("partner") == 63 and partnership.get("relationKind") == 63, maker


def test_the_prospectus_names_the_competitions_and_events_sensetime_took_part_in(store):
    found = rows(store, """SELECT ?kind ?org WHERE { id:ev-coco-challenge sk:eventKind ?kind ; sk:actor ?org ;
                                                      sk:involves id:sensetime }""")
    assert {org.rsplit("/", 1)[-1] for _, org in found} >= {"microsoft", "google"}
    assert read_with(store, "ev-asian-games-2022", PR) and not cited(store, "ev-asian-games-2022", "date")
