"""Entity families on the real reports (issue 3): exact answers, identity, evidence."""

from __future__ import annotations

from conftest import rows

from sensekg.loaders.vocab import ID, REPORT

ID_ = str(ID)


def test_senseauto_platform_has_five_products_in_the_prospectus(store):
    found = rows(store, """
        SELECT DISTINCT ?label WHERE {
          ?p sk:partOf id:senseauto ; rdfs:label ?label .
          ?e rdf:subject ?p ; rdf:predicate sk:partOf ; rdf:object id:senseauto ; sk:line 995 ;
             prov:wasDerivedFrom report:prospectus-2021-business .
        } ORDER BY ?label""")
    assert [r[0] for r in found] == ["SenseAuto Cabin", "SenseAuto Connect", "SenseAuto Empower",
                                     "SenseAuto Pilot", "SenseAuto Robobus"]


def test_raccoon_is_powered_by_sensenova_v6_5_released_2025_07_27(store):
    found = rows(store, """
        SELECT ?model ?date WHERE { id:raccoon-series sk:poweredBy ?m . ?m rdfs:label ?model ; sk:launchDate ?date }""")
    assert found == [("SenseNova V6.5", "2025-07-27")]


def test_dependency_chain_from_sensefoundry_vl_reaches_sensecore(store):
    found = rows(store, "SELECT ?x WHERE { id:sensefoundry-vl (sk:builtOn|sk:poweredBy|sk:versionOf)+ ?x }")
    assert {ID_ + "sensenova-5-5", ID_ + "sensecore"} <= {r[0] for r in found}


def test_position_in_the_ai_cloud_computing_working_group(store):
    found = rows(store, """
        SELECT ?role WHERE {
          ?m a sk:Membership ; sk:member id:sensetime ; sk:roleName ?role ; sk:organization ?org .
          ?org rdfs:label ?name . FILTER(CONTAINS(?name, "AI Cloud Computing"))
        }""")
    assert [r[0].casefold() for r in found] == ["deputy group leader unit"]


BOARD = """
SELECT ?name ?category WHERE {
  ?r a sk:Role ; sk:organization id:sensetime ; sk:person/rdfs:label ?name ; sk:category ?category .
  FILTER(CONTAINS(?category, "director"))
  FILTER NOT EXISTS { ?r sk:until ?until }
  ?e rdf:subject ?r ; rdf:predicate sk:category ; prov:wasDerivedFrom ?report .
}"""


def test_h1_2025_board_has_nine_directors_five_executive(store):
    board = set(rows(store, BOARD, report=REPORT["interim-results-2025h1"]))
    assert len({name for name, _ in board}) == 9
    assert sorted(name for name, category in board if category == "executive director") == [
        "Lin Dahua", "Wang Xiaogang", "Wang Zheng", "Xu Li", "Yang Fan"]


def test_beijing_sensetime_entity_list_designation(store):
    found = rows(store, """
        SELECT ?agency ?date WHERE {
          ?e a sk:Event ; sk:affected id:beijing-sensetime ; sk:eventKind "Entity List addition" ;
             sk:date ?date ; sk:actor ?a . ?a rdfs:label ?agency ; skos:altLabel "BIS" .
        }""")
    assert found == [("Bureau of Industry and Security", "2019-10-09")]


def test_xu_li_is_one_node_with_all_three_names(store):
    names = rows(store, "SELECT ?n WHERE { { id:xu-li rdfs:label ?n } UNION { id:xu-li skos:altLabel ?n } }")
    assert {n for (n,) in names} == {"Xu Li", "Li Xu", "徐立"}
    others = rows(store, """SELECT ?x WHERE { ?x a sk:Person ; rdfs:label|skos:altLabel ?n .
                            FILTER(?n IN ("Xu Li", "Li Xu", "徐立") && ?x != id:xu-li) }""")
    assert others == []


def test_senserobot_the_company_and_the_product_stay_apart(store):
    found = dict(rows(store, """SELECT ?x ?t WHERE { VALUES ?x { id:senserobot-company id:senserobot-product }
                                ?x a ?t . FILTER(STRSTARTS(STR(?t), STR(sk:))) }"""))
    assert found == {ID_ + "senserobot-company": "https://w3id.org/sensekg/ontology#Company",
                     ID_ + "senserobot-product": "https://w3id.org/sensekg/ontology#Product"}


def test_anonymised_parties_are_never_merged_across_reports(store):
    found = rows(store, """
        SELECT ?x (COUNT(DISTINCT ?report) AS ?n) WHERE {
          ?x a sk:AnonymousParty . ?e rdf:subject ?x ; rdf:predicate rdfs:label ; prov:wasDerivedFrom ?report .
        } GROUP BY ?x HAVING (COUNT(DISTINCT ?report) > 1)""")
    assert found == []
    assert len(rows(store, "SELECT ?x WHERE { ?x a sk:AnonymousParty }")) >= 20


def test_segment_reclassification_2025(store):
    found = dict(rows(store, """
        SELECT ?x ?s WHERE { VALUES ?x { id:senseauto id:sensecare id:sensemart id:senserobot-product id:smart-cabin }
                             ?x sk:segment ?s . FILTER(STRSTARTS(STR(?s), STR(id:segment-2025-))) }"""))
    assert found == {ID_ + "senseauto": ID_ + "segment-2025-x-businesses",
                     ID_ + "sensecare": ID_ + "segment-2025-x-businesses",
                     ID_ + "sensemart": ID_ + "segment-2025-x-businesses",
                     ID_ + "senserobot-product": ID_ + "segment-2025-x-businesses",
                     ID_ + "smart-cabin": ID_ + "segment-2025-computer-vision"}


def test_every_family_is_present(built):
    from sensekg.graph.build import summarize

    types = summarize(built[0].quads)["entities by type"]
    for family, at_least in {"Product": 80, "ExternalProduct": 10, "Subsidiary": 8, "Partner": 90,
                             "StandardsBody": 20, "Standard": 20, "Membership": 30, "Person": 10, "Role": 20,
                             "Award": 80, "Facility": 8, "Event": 50, "Partnership": 150, "AnonymousParty": 20}.items():
        assert types[family] >= at_least, (family, types[family])
