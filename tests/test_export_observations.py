"""The figures as a tidy table (`sensekg export --observations`), and the observations as a W3C
RDF Data Cube: each a qb:Observation in the qb:DataSet of every report that states it."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import pytest
from conftest import rows
from rdflib import URIRef

from sensekg.graph.cli import main
from sensekg.graph.export import OBSERVATION_COLUMNS

QB = "PREFIX qb: <http://purl.org/linked-data/cube#>\n"
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def table(built, module_tmp) -> tuple[list[str], list[dict[str, str]]]:
    from click.testing import CliRunner

    target = module_tmp("figures") / "figures.csv"
    result = CliRunner().invoke(main, ["export", "--observations", "--graph", str(built[1]), "-o", str(target)])
    assert result.exit_code == 0, result.output
    with target.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        return list(reader.fieldnames or ()), list(reader)


def test_one_row_per_observation(table, store):
    header, found = table
    (count,), = rows(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a sk:Observation }")
    assert len(found) == int(count) > 1000
    assert len({row["observation"] for row in found}) == len(found)
    assert all(row["value"] and row["unit"] and row["period_label"] and row["lines"] for row in found)
    assert all(row["instant"] or (row["period_start"] and row["period_end"]) for row in found)


def test_the_columns_are_the_documented_ones(table):
    header, _ = table
    assert tuple(header) == OBSERVATION_COLUMNS
    section = README.read_text(encoding="utf-8").split("## Figures as a table", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.M)
    assert tuple(documented) == OBSERVATION_COLUMNS


def test_the_2024_revenue_of_the_group_is_the_printed_figure(table):
    _, found = table
    # annual-results-2024:27 (Financial Summary, "RMB in thousands"): "Revenue	3,772,101	3,405,842	100.0 ..."
    # and annual-results-2024:170 (MD&A, RMB'000): "Revenue	<b>3,772,101</b>	3,405,842"
    revenue = [row for row in found if row["subject"] == "id:sensetime" and row["measure"] == "measure:revenue"
               and row["period_label"] == "FY2024" and not row["segment"]]
    assert len(revenue) == 1
    row = revenue[0]
    assert (row["value"], row["unit"], row["normalized_value"], row["normalized_unit"]) == (
        "3772101", "RMB thousand", "3772101000", "RMB")
    assert (row["period_start"], row["period_end"], row["instant"]) == ("2024-01-01", "2024-12-31", "")
    assert row["subject_label"] == "SenseTime Group Inc." and row["measure_label"] == "Revenue"
    assert row["reports"] == "annual-results-2024"
    assert {"annual-results-2024:27", "annual-results-2024:170"} <= set(row["lines"].split(" "))


def test_lines_are_every_line_that_states_the_value(table, store):
    _, found = table
    several = [row for row in found if len(row["reports"].split()) > 1]
    assert several  # figures stated by two reports list both, in report then line order
    row = several[0]
    lines = row["lines"].split(" ")
    assert lines == sorted(lines, key=lambda c: (c.split(":")[0], int(c.split(":")[1])))
    cited = rows(store, """
        SELECT ?report ?line WHERE {
          ?o sk:value ?v . ?e rdf:subject ?o ; rdf:predicate sk:value ; rdf:object ?v ;
                               prov:wasDerivedFrom ?report ; sk:line ?line }""",
                 o=URIRef("https://w3id.org/sensekg/id/" + row["observation"][3:]))
    assert {f"{report.rsplit('/', 1)[-1]}:{line}" for report, line in cited} == set(lines)


def test_standard_output_without_o(runner, built):
    result = runner.invoke(main, ["export", "--observations", "--graph", str(built[1])])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == ",".join(OBSERVATION_COLUMNS)
    assert len(list(csv.reader(io.StringIO(result.stdout)))) > 1000


@pytest.mark.parametrize(("args", "says"), [
    (["--observations", "--format", "ttl"], "--format csv or parquet, not ttl"),
    (["--observations", "--format", "jsonld", "-o", "f.csv"], "--format csv or parquet, not jsonld"),
    (["--format", "csv"], "add --observations"),
    (["--observations", "--format", "parquet"], "give -o FILE"),
])
def test_a_format_that_is_not_a_table_is_refused(runner, built, tmp_path, args, says):
    args = [str(tmp_path / a) if a.endswith(".csv") else a for a in args]
    result = runner.invoke(main, ["export", *args, "--graph", str(built[1])])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sensekg: error:") and says in lines[0], result.output
    assert not list(tmp_path.iterdir())


def test_parquet_without_pyarrow_says_what_to_install(runner, built, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    target = tmp_path / "figures.parquet"
    result = runner.invoke(main, ["export", "--observations", "--graph", str(built[1]), "-o", str(target)])
    assert result.exit_code == 2 and "pip install pyarrow" in result.output, result.output
    assert not target.exists()


def test_parquet(runner, built, tmp_path, table):
    import pyarrow  # noqa: F401 - in the test extra, so this runs in CI
    import pyarrow.parquet as pq

    target = tmp_path / "figures.parquet"
    result = runner.invoke(main, ["export", "--observations", "--graph", str(built[1]), "-o", str(target)])
    assert result.exit_code == 0, result.output
    parquet = pq.read_table(target)
    assert tuple(parquet.column_names) == OBSERVATION_COLUMNS and parquet.num_rows == len(table[1])
    assert str(parquet.schema.field("value").type) == "double"
    assert str(parquet.schema.field("period_end").type) == "date32[day]"
    found = parquet.to_pylist()
    revenue = [r for r in found if r["observation"] == next(
        row["observation"] for row in table[1] if row["subject"] == "id:sensetime"
        and row["measure"] == "measure:revenue" and row["period_label"] == "FY2024" and not row["segment"])]
    assert revenue[0]["value"] == 3772101 and revenue[0]["segment"] is None


def test_the_table_is_written_atomically(runner, built, tmp_path):
    target = tmp_path / "figures.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    assert runner.invoke(main, ["export", "--observations", "--graph", str(built[1]), "-o", str(target)]).exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("observation,") and target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["figures.csv"]  # no temporary file left
    folder = tmp_path / "folder"
    folder.mkdir()
    result = runner.invoke(main, ["export", "--observations", "--graph", str(built[1]), "-o", str(folder)])
    assert result.exit_code == 2 and "folder" in result.output


# --- the W3C RDF Data Cube ---

def test_every_observation_is_a_qb_observation_in_the_data_set_of_each_report_that_states_it(store):
    (total,), = rows(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a sk:Observation }")
    (typed,), = rows(store, QB + """SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {
        ?o a sk:Observation ; a ?class . ?class rdfs:subClassOf* qb:Observation }""")
    assert int(typed) == int(total) > 1000
    assert not rows(store, QB + "SELECT ?o WHERE { ?o a sk:Observation FILTER NOT EXISTS { ?o qb:dataSet ?d } }")
    # the data sets are exactly the reports that state the observation, each in its own graph
    # (MINUS, not FILTER NOT EXISTS: the same rows here, as every variable is bound on both
    # sides, and Oxigraph evaluates it as one anti-join: 0.1 s against 90)
    assert not rows(store, QB + """SELECT ?o ?r WHERE {
        ?o a sk:Observation .
        { ?e rdf:subject ?o ; rdf:predicate rdf:type ; prov:wasDerivedFrom ?r MINUS { ?o qb:dataSet ?r } }
        UNION
        { ?o qb:dataSet ?r MINUS { GRAPH ?r { ?o qb:dataSet ?r } } } }""")
    # each data set is a report, which the ontology makes a qb:DataSet, with the structure
    assert not rows(store, QB + """SELECT ?d WHERE { ?o qb:dataSet ?d
        FILTER NOT EXISTS { ?d a ?class ; qb:structure sk:observationStructure .
                            ?class rdfs:subClassOf* qb:DataSet } }""")
    (reports,), = rows(store, QB + "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?o qb:dataSet ?d }")
    assert int(reports) == 4


def test_every_data_set_membership_has_evidence(store):
    (memberships,), = rows(store, QB + "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?d { ?o qb:dataSet ?d } }")
    assert int(memberships) > 1000
    assert not rows(store, QB + """SELECT ?o ?d WHERE { GRAPH ?d { ?o qb:dataSet ?d }
        MINUS { GRAPH ?d { ?e rdf:subject ?o ; rdf:predicate qb:dataSet ; rdf:object ?d ; sk:line ?l } } }""")


def test_the_structure_lists_its_components(store):
    found = rows(store, QB + """SELECT ?kind ?property ?order ?required WHERE {
        sk:observationStructure a qb:DataStructureDefinition ; qb:component ?c .
        ?c a qb:ComponentSpecification ; ?kind ?property .
        VALUES ?kind { qb:dimension qb:measure qb:attribute }
        OPTIONAL { ?c qb:order ?order } OPTIONAL { ?c qb:componentRequired ?required } }""")
    by_kind: dict[str, set[str]] = {}
    for kind, prop, _, _ in found:
        by_kind.setdefault(kind.rsplit("#", 1)[-1], set()).add(prop.rsplit("#", 1)[-1])
    assert by_kind["dimension"] == {"observedSubject", "measure", "periodLabel", "segment"}
    assert by_kind["measure"] == {"value", "normalizedValue"}
    assert {"unit", "normalizedUnit", "periodStart", "periodEnd", "instant", "bound"} <= by_kind["attribute"]
    assert sorted(int(order) for kind, _, order, _ in found if order is not None) == [1, 2, 3, 4]
    assert {prop.rsplit("#", 1)[-1] for _, prop, _, required in found if required == "true"} == {
        "unit", "normalizedUnit"}
    # the component properties are declared as such
    for kind, properties in (("DimensionProperty", by_kind["dimension"]), ("MeasureProperty", by_kind["measure"]),
                             ("AttributeProperty", by_kind["attribute"])):
        declared = {p.rsplit("#", 1)[-1] for (p,) in rows(store, QB + f"SELECT ?p WHERE {{ ?p a qb:{kind} }}")}
        assert properties <= declared, kind
