"""The public Python API (``import sensekg``), the surface notebooks use, on the real build.

Answers are checked against the report lines that state them (cited in the comments)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

import sensekg
from sensekg import InputError, Results


@pytest.fixture(scope="module")
def kg(built):
    return sensekg.open(built[1])


def test_the_package_exports_a_small_typed_surface():
    assert set(sensekg.__all__) == {"Graph", "Results", "BuildOutcome", "SensekgError", "InputError", "open",
                                    "build", "validate", "update"}
    for name in ("open", "build", "validate", "update"):
        function = getattr(sensekg, name)
        assert function.__doc__ and function.__annotations__, name
    for method in ("query", "sparql", "why", "search", "observations", "stats", "up_to_date"):
        assert getattr(sensekg.Graph, method).__doc__, method


def test_a_saved_query_returns_rows_of_python_values(kg):
    found = kg.query("certifications", entity="SenseAuto")
    assert isinstance(found, Results) and len(found) > 0
    row = found[0]
    assert row._fields == tuple(found.columns)
    standards = {r.standard for r in found}
    # sustainability-report-2024:811 states SenseAuto's ISO/SAE 21434 certificate
    assert any("21434" in s for s in standards), standards


def test_labels_false_gives_ids_that_a_parameter_takes_back(kg):
    found = kg.query("search", text="SenseAuto", labels=False)
    ids = [v for row in found for v in row if isinstance(v, str) and v.startswith("id:")]
    assert "id:senseauto" in ids
    assert len(kg.query("certifications", entity="id:senseauto")) == len(kg.query("certifications",
                                                                                  entity="SenseAuto"))


def test_sparql_returns_typed_values_and_refuses_updates(kg):
    found = kg.sparql("SELECT ?v ?d WHERE { ?o sk:measure measure:revenue ; sk:observedSubject id:sensetime ; "
                      "sk:periodLabel 'FY2024' ; sk:value ?v ; sk:periodEnd ?d . FILTER NOT EXISTS { ?o sk:segment ?s } }")
    # annual-results-2024:27 prints revenue for 2024 as 3,772,101 (RMB thousand)
    assert {(row.v, row.d) for row in found} == {(Decimal("3772101"), date(2024, 12, 31))}
    with pytest.raises(InputError, match="read-only"):
        kg.sparql("DELETE WHERE { ?s ?p ?o }")


def test_why_follows_events_at_depth_two(kg):
    initiative = "Human-Centered AI Development and Governance Initiative"
    near = kg.why(initiative)
    far = kg.why(initiative, depth=2)
    # sustainability-report-2024:790: the initiative "is jointly launched by ... Lenovo Group ..."
    assert "Lenovo Group" not in {row.object for row in near}
    actors = {row.object for row in far if row.predicate == "actor"}
    assert {"Lenovo Group", "Tencent Research Institute", "Caixin Insight"} <= actors
    assert {row.depth for row in far} == {1, 2}
    assert all(row.source == "sustainability-report-2024:790" for row in far if row.predicate == "actor")
    facts = [(row.subject, row.predicate, row.object, row.source) for row in far]
    assert len(facts) == len(set(facts)), "each fact and line once"


def test_search_in_quotes_finds_what_only_a_passage_says(kg):
    found = kg.search("first AI company to receive all three", quotes=True)
    # prospectus-2021-business:284: "the first AI company to receive all three ISO/IEC certifications"
    assert found[0].source == "prospectus-2021-business:284"
    assert "27701" in found[0].facts
    stamping = kg.search("FAW stamping", quotes=True)  # prospectus-2021-business:530, beside the quoted sentence
    assert stamping[0].source == "prospectus-2021-business:530" and "stamping" in stamping[0].passage
    client = kg.search("Client A 12.2%", quotes=True)  # annual-results-2024:774
    assert client[0].source == "annual-results-2024:774"


def test_search_by_name_and_bad_search(kg):
    assert "SenseAuto" in {v for row in kg.search("senseauto") for v in row}
    with pytest.raises(InputError):
        kg.search("   ")
    with pytest.raises(InputError):
        kg.search("%%% ***", quotes=True)


def test_search_text_cannot_inject_fts_syntax(kg):
    for hostile in ('passages MATCH', "NEAR(a b)", "quote:*", "a OR", "'; DROP TABLE passages; --", 'x" OR "y'):
        kg.search(hostile, quotes=True)  # no error: each word is searched as text
    for wordless in ('"', "-(", "* *"):
        with pytest.raises(InputError, match="no word"):
            kg.search(wordless, quotes=True)
    assert len(kg.search("OpenDILab", quotes=True)) > 0, "the index is intact"


def test_to_csv_and_to_pandas(kg, tmp_path):
    found = kg.query("certifications", entity="SenseAuto")
    text = found.to_csv(tmp_path / "c.csv")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == found.columns and len(rows) == len(found) + 1
    assert (tmp_path / "c.csv").read_text() == text
    frame = found.to_pandas()
    assert list(frame.columns) == found.columns and len(frame) == len(found)


def test_a_bounded_graph_gives_the_same_answers(built, kg):
    bounded = sensekg.open(built[1], timeout=30, max_memory=4)
    assert bounded.query("certifications", entity="SenseAuto").terms == \
        kg.query("certifications", entity="SenseAuto").terms


def test_open_refuses_a_folder_that_is_not_a_build(tmp_path):
    with pytest.raises(sensekg.SensekgError):
        sensekg.open(tmp_path / "nothing-here")


def test_unknown_query_and_unknown_entity_are_input_errors(kg):
    with pytest.raises(InputError, match="no saved query"):
        kg.query("no-such-query")
    with pytest.raises(InputError, match="no entity"):
        kg.why("Nobody At All")


def test_stats_and_up_to_date(kg):
    stats = kg.stats()
    assert stats["quads"]["quads"] > 100_000
    assert stats["entities by type"]["Certification"] > 20
    assert kg.up_to_date() is True


def test_build_does_nothing_when_up_to_date_and_validate_conforms(built):
    outcome = sensekg.build(out=built[1])
    assert outcome.up_to_date and outcome.result is None
    report = sensekg.validate(built[1], full=True)
    assert report.conforms and not report.violations


def test_build_refuses_a_folder_it_did_not_make(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("mine")
    with pytest.raises(sensekg.SensekgError):
        sensekg.build(out=mine)
    assert (mine / "thesis.tex").read_text() == "mine"


def test_update_changes_the_store_of_a_copy_and_says_how_many_quads(built, tmp_path):
    import shutil

    copy = tmp_path / "build"
    shutil.copytree(built[1], copy)
    before, after = sensekg.update(copy, "INSERT DATA { id:senseauto rdfs:comment 'mine' }")
    assert after == before + 1
    assert sensekg.open(copy).sparql("SELECT ?c WHERE { id:senseauto rdfs:comment ?c }").column("c") == ["mine"]
    with pytest.raises(InputError, match="SPARQL Update"):
        sensekg.update(copy, "INSERT DATA { <urn:a> <urn:b> }")


def test_python_dash_m_runs_the_command_line(built):
    done = subprocess.run([sys.executable, "-m", "sensekg", "query", "run", "certifications", "--param",
                           "entity=SenseAuto", "--graph", str(built[1]), "--format", "csv"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "21434" in done.stdout
    diff = subprocess.run([sys.executable, "-m", "sensekg.graph.cli", "diff", str(built[1]), str(built[1])],
                          capture_output=True, text=True, timeout=300)
    assert diff.returncode == 0 and "No such command" not in diff.stderr, diff.stderr


def test_a_second_build_in_the_same_process_reads_the_measures_as_edited(data_copy):
    """A notebook edits ``measures.toml`` between two builds: the second build's measures are the
    file's new ones (they were kept, by folder, from the first read for the process's life)."""
    from sensekg.loaders.measures import curated_measures, label_key

    data = data_copy
    measures = data / "measures.toml"
    text = measures.read_text(encoding="utf-8")
    wording = "Income from contracts with customers in the period, as reported under IFRS."
    assert wording in text
    assert curated_measures(data)[label_key("Revenue")].definition == wording
    measures.write_text(text.replace(wording, "Reworded."), encoding="utf-8")
    assert curated_measures(data)[label_key("Revenue")].definition == "Reworded."
