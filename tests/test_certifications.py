"""Certifications on the graph built from the real reports: exact answers, with evidence."""

from __future__ import annotations

from conftest import select
from rdflib import XSD, Literal

from sensekg.loaders.vocab import ID

CERTS_OF = """
SELECT ?standard ?level ?date WHERE {
  ?cert a sk:Certification ; sk:holder ?holder ; sk:standard ?s .
  ?s rdfs:label ?standard .
  OPTIONAL { ?cert sk:level ?level }
  OPTIONAL { ?cert sk:date ?date }
}"""


def certs_of(graph, entity: str) -> set[tuple]:
    return {tuple(None if v is None else str(v) for v in row)
            for row in select(graph, CERTS_OF, holder=ID[entity])}


def test_sensecore_holds_the_public_cloud_standards(graph):
    standards = {standard for standard, _, _ in certs_of(graph, "sensecore")}
    assert {"ISO/IEC 27017", "ISO/IEC 27018", "ISO/IEC 27001:2022", "ISO/IEC 27701"} <= standards


def test_senseauto_holds_tisax_al3_from_2023(graph):
    assert ("TISAX", "AL3", "2023") in certs_of(graph, "senseauto")


def test_xinzhou_tower_leed_gold_issued_by_usgbc_in_2020(graph):
    rows = select(graph, """
        SELECT ?issuer ?date ?level WHERE {
          ?cert sk:holder id:xinzhou-tower ; sk:standard id:leed ; sk:issuer ?i ; sk:date ?date ; sk:level ?level .
          ?i rdfs:label ?issuer .
        }""")
    assert rows == [(Literal("U.S. Green Building Council"), Literal("2020", datatype=XSD.gYear), Literal("Gold"))]


def test_the_prospectus_all_three_certificates_carry_year_coded_standards(graph):
    # line 284 says "all three ISO/IEC certifications"; line 1438 names each edition, so it cites them
    rows = select(graph, """
        SELECT ?code ?base WHERE {
          ?e a sk:Evidence ; rdf:subject ?cert ; rdf:predicate sk:standard ;
             prov:wasDerivedFrom <https://w3id.org/sensekg/report/prospectus-2021-business> ; sk:line 1438 .
          ?cert sk:standard ?edition .
          ?edition sk:code ?code ; sk:versionOf/rdfs:label ?base .
        }""")
    assert sorted((str(c), str(b)) for c, b in rows) == [
        ("ISO/IEC 27001:2013", "ISO/IEC 27001"),
        ("ISO/IEC 27701:2019", "ISO/IEC 27701"),
        ("ISO/IEC 29151:2017", "ISO/IEC 29151"),
    ]


def test_disagreeing_dates_of_senseauto_21434_are_both_kept(graph):
    rows = select(graph, """
        SELECT ?date ?line WHERE {
          ?cert sk:holder id:senseauto ; sk:standard id:iso-sae-21434 ; sk:date ?date .
          ?e rdf:subject ?cert ; rdf:predicate sk:date ; rdf:object ?date ; sk:line ?line .
        }""")
    assert {(str(d), int(line)) for d, line in rows} == {("2022-12", 811), ("2023", 811), ("2023", 203)}


def test_standards_name_their_publishing_bodies(graph):
    rows = select(graph, """
        SELECT ?standard ?body WHERE {
          ?s sk:publishedBy/rdfs:label ?body ; rdfs:label ?standard .
        }""")
    published = {(str(s), str(b)) for s, b in rows}
    assert ("ISO/SAE 21434", "SAE") in published  # the reports print no longer name for SAE
    assert ("TISAX", "ENX") in published
    assert ("WELL", "International WELL Building Institute") in published


def test_seven_hnte_subsidiaries_come_from_the_annual_results(graph):
    rows = select(graph, """
        SELECT DISTINCT ?name WHERE {
          ?cert sk:standard id:hnte ; sk:holder/rdfs:label ?name .
        }""")
    assert sorted(str(n) for (n,) in rows) == [
        "Beijing SenseTime Technology Development Co., Ltd.",
        "Shanghai Lingang SenseAuto Intelligent Technology Co., Ltd.",
        "Shanghai SenseTime Intelligent Technology Co., Ltd.",
        "Shanghai SenseTime Shancui Medical Technology Co., Ltd.",
        "Shanghai SenseTime Technology Development Co., Ltd.",
        "Shenzhen SenseTime Technology Co., Ltd.",
        "Shenzhen Tetras.AI Technology Co., Ltd.",
    ]


def test_caict_ratings_of_senseavatar_and_the_lingang_aidc(graph):
    assert ("Trusted Virtual Life Generation Content Management System", "L3 Excellent", None) in \
        certs_of(graph, "senseavatar")
    rows = select(graph, """
        SELECT ?level ?date ?issuer WHERE {
          ?c sk:holder id:lingang-aidc ; sk:level ?level ; sk:date ?date ; sk:issuer ?issuer .
        }""")
    assert [tuple(map(str, r)) for r in rows] == [("5A", "2024", str(ID["caict"]))]


def test_telecom_licences_keep_scope_and_expiry(graph):
    rows = select(graph, """
        SELECT ?holder ?until WHERE {
          ?c sk:standard id:telecom-operating-license ; sk:validUntil ?until ; sk:holder/rdfs:label ?holder .
        }""")
    assert sorted((str(h), str(u)) for h, u in rows) == [
        ("Shanghai SenseTime Qianshi", "2026-08-10"),
        ("Shanghai SenseTime Technology Development Co., Ltd.", "2025-08-11"),
    ]
