"""Curated statements and the registry, on small inline data files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import RDFS, XSD, Literal

from sensekg.loaders.errors import InputError
from sensekg.loaders.facts import Citation, Ref
from sensekg.loaders.registry import AmbiguousName, load_registry
from sensekg.loaders.statements import statement_facts
from sensekg.loaders.vocab import SK

ENTITIES = """
[acme]
type = "Company"
label = "Acme"

[acme-robot]
type = "Product"
label = "Acme Robot"
alt = ["Acme"]

[iso-9001]
type = "Standard"
label = "ISO 9001"
"""


def write(folder: Path, entities: str, statements: str) -> Path:
    (folder / "entities").mkdir(parents=True)
    (folder / "reports" / "r").mkdir(parents=True)
    (folder / "entities" / "e.toml").write_text(entities, encoding="utf-8")
    (folder / "reports" / "r" / "statements.toml").write_text(statements, encoding="utf-8")
    return folder


def facts_of(tmp_path: Path, statements: str):
    folder = write(tmp_path / "data", ENTITIES, statements)
    return statement_facts(load_registry(folder), folder)


def test_a_certification_record_becomes_typed_labelled_facts(tmp_path):
    facts = facts_of(tmp_path, """
[[certification]]
id = "cert-acme-iso-9001"
holder = "acme"
standard = "iso-9001"
date = "2022-12"
validUntil = "2025-08-11"
cite = ["r:3 | ISO 9001", "r:4 | in December 2022"]
""")
    by_predicate = {f.predicate: f for f in facts}
    assert by_predicate[SK.holder].object == Ref("acme")
    assert by_predicate[SK.date].object == Literal("2022-12", datatype=XSD.gYearMonth)
    assert by_predicate[SK.validUntil].object == Literal("2025-08-11", datatype=XSD.date)
    assert by_predicate[RDFS.label].object == Literal("Acme: ISO 9001 (2022-12)")
    assert by_predicate[SK.holder].citations == (Citation("r", 3, "ISO 9001"), Citation("r", 4, "in December 2022"))


CERT = """
[[certification]]
id = "cert-acme-iso-9001"
holder = "acme"
standard = "iso-9001"
{extra}cite = ["{report}:3 | ISO 9001"]
"""


def two_reports(tmp_path: Path, second: str):
    folder = write(tmp_path / "data", ENTITIES, CERT.format(extra="", report="r"))
    (folder / "reports" / "q").mkdir()
    (folder / "reports" / "q" / "statements.toml").write_text(second, encoding="utf-8")
    return statement_facts(load_registry(folder), folder)


def test_two_report_folders_state_one_node_each_with_its_own_citations(tmp_path):
    facts = two_reports(tmp_path, CERT.format(extra="", report="q"))
    holder = {c for f in facts if f.predicate == SK.holder for c in f.citations}
    assert holder == {Citation("r", 3, "ISO 9001"), Citation("q", 3, "ISO 9001")}
    assert all(len(f.citations) == 1 for f in facts)  # nothing of one report is cited to the other
    origins = {f.origin.split("(")[1].split("/reports/")[1] for f in facts}
    assert origins == {"r/statements.toml:2)", "q/statements.toml:2)"}


@pytest.mark.parametrize(("second", "message"), [
    (CERT.format(extra='label = "Acme ISO"\n', report="q"), "labelled 'Acme: ISO 9001' here but 'Acme ISO'"),
    (CERT.format(extra="", report="q").replace("certification", "award").replace("holder", "awardedTo")
     .replace('standard = "iso-9001"\n', 'label = "x"\n'), "is made by a [[certification]] record here but by a [[award]]"),
    (CERT.format(extra="", report="r"), "cites r from the folder of q"),
])
def test_records_of_one_node_in_two_folders_must_agree(tmp_path, second, message):
    with pytest.raises(InputError, match=re.escape(message)):
        two_reports(tmp_path, second)


def test_amounts_are_decimals(tmp_path):
    facts = facts_of(tmp_path, """
[[event]]
id = "ev"
label = "A placing"
eventKind = "placing"
amount = "-1234.50"
cite = ["r:1 | placing"]
""")
    amount = next(f.object for f in facts if f.predicate == SK.amount)
    assert amount.datatype == XSD.decimal and str(amount) == "-1234.50"


@pytest.mark.parametrize(("record", "message"), [
    ('[[certification]]\nid = "c"\nholder = "nobody"\ncite = ["r:1 | x"]', "'nobody' is not a known entity id"),
    ('[[certification]]\nid = "c"\nflavour = "x"\ncite = ["r:1 | x"]', "unknown properties ['flavour']"),
    ('[[certification]]\nid = "c"\nholder = "acme"\ncite = ["r-1 x"]', "not of the form"),
    ('[[certification]]\nid = "c"\nholder = "acme"', "cite must list"),
    ('[[gadget]]\nid = "c"\ncite = ["r:1 | x"]', "neither [[about]] nor an ontology class"),
    ('[[about]]\nsubject = "ghost"\ncode = "x"\ncite = ["r:1 | x"]', "'ghost' is not a known entity"),
    ('[[event]]\nid = "e"\neventKind = "x"\ncite = ["r:1 | x"]', "needs a label"),
    ('[[about]]\nsubject = "acme"\nsince = "June 2020"\ncite = ["r:1 | x"]', None),
])
def test_bad_records_are_refused_with_file_and_line(tmp_path, record, message):
    if message is None:  # free text on a date-like property stays a plain literal
        assert facts_of(tmp_path, record)
        return
    with pytest.raises(InputError) as caught:
        facts_of(tmp_path, "# header\n" + record)
    assert message in str(caught.value)
    assert "s.toml:2" in str(caught.value)


def test_names_resolve_case_insensitively_and_ambiguity_lists_candidates(tmp_path):
    registry = load_registry(write(tmp_path / "data", ENTITIES, ""))
    assert registry.resolve("acme robot").id == "acme-robot"
    assert registry.resolve("iso  9001").id == "iso-9001"
    with pytest.raises(AmbiguousName, match=r"acme \(Acme, Company\); acme-robot \(Acme Robot, Product\)"):
        registry.resolve("ACME")


@pytest.mark.parametrize(("entities", "message"), [
    ('[x]\ntype = "Gizmo"\nlabel = "X"', "unknown type 'Gizmo'"),
    ('[x]\ntype = "Company"', "needs a non-empty label"),
    ('[X_1]\ntype = "Company"\nlabel = "X"', "must be lower-case"),
    ('[x]\ntype = "Company"\nlabel = "X"\n[x]\ntype = "Company"\nlabel = "Y"', "TOML syntax error"),
])
def test_bad_registry_entries(tmp_path, entities, message):
    with pytest.raises(InputError, match=message):
        load_registry(write(tmp_path / "data", entities, ""))


def test_two_anchors_of_one_fact_on_one_line_give_one_covering_quote(reports_dir):
    from rdflib import Literal as L

    from sensekg.loaders.evidence import check_facts
    from sensekg.loaders.facts import Fact
    from sensekg.loaders.reports import read_corpus

    corpus = read_corpus(reports_dir)
    citations = (Citation("sustainability-report-2024", 1725, "LEED Gold certification"),
                 Citation("sustainability-report-2024", 1725, "the WELL Gold certification"))
    fact = Fact(Ref("xinzhou-tower"), RDFS.comment, L("x"), citations, "test")
    quotes = {e.quote for e in check_facts(corpus, [fact]).values()}
    assert len(quotes) == 1
    (quote,) = quotes
    assert quote.startswith("The tower was awarded the LEED Gold") and "WELL Gold certification" in quote


def test_suspected_duplicates_differ_only_in_case_punctuation_or_legal_suffix(tmp_path):
    from sensekg.loaders.registry import suspected_duplicates

    entities = ENTITIES + """
[acme-ltd]
type = "Company"
label = "ACME Co., Ltd."

[acme-robot-2]
type = "Product"
label = "Acme-Robot"
distinct = ["acme-robot"]
"""
    registry = load_registry(write(tmp_path / "data", entities, ""))
    assert {(a.id, b.id) for a, b in suspected_duplicates(registry)} == {("acme", "acme-ltd")}


def test_the_real_registry_has_no_unexplained_suspected_duplicates():
    from sensekg.loaders.registry import suspected_duplicates

    assert suspected_duplicates(load_registry()) == []
