"""The analyst's commands on the real build: output that is never cut, `why --depth`, search in the
quotes, `--normalize`."""

from __future__ import annotations

import csv
import io

from rdflib import Literal, URIRef

from sensekg.graph.cli import main
from sensekg.graph.query import column_widths, render

LONG_ID = "id:obs-sensetime-gross-carrying-amount-trade-receivables-up-to-6-months-2023-12-31-ddc007ba"


def test_a_table_is_never_cut_when_it_is_not_on_a_terminal():
    rows = [(URIRef("https://w3id.org/sensekg/id/" + LONG_ID[3:]), Literal("x " * 80))]
    text = render(["id", "text"], rows)
    assert LONG_ID in text and ("x " * 79).strip() in text and "…" not in text


def test_on_a_terminal_long_text_wraps_and_ids_stay_whole():
    quote = "We were the first AI company to receive all three ISO/IEC certifications for Privacy " * 3
    rows = [(URIRef("https://w3id.org/sensekg/id/" + LONG_ID[3:]), Literal(quote))]
    text = render(["id", "quote"], rows, width=140)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 140
    assert LONG_ID in text, "an id is never broken"
    words = " ".join(line[len(LONG_ID):].strip() for line in lines[2:-1] if line.strip())
    assert " ".join(quote.split()) in " ".join(words.split()), "the wrapped text is all there, in order"


def test_column_widths_give_way_only_in_text_columns():
    cells = [["a-very-long-identifier-without-spaces-" * 2, "some words " * 20]]
    widths = column_widths(["id", "text"], cells, 80)
    assert widths[0] == len(cells[0][0]) and widths[1] < len(cells[0][1])


def test_query_run_output_is_whole_and_ids_paste_back(runner, built):
    graph = ["--graph", str(built[1])]
    found = runner.invoke(main, ["search", "trade receivables", "--format", "table", *graph])
    assert found.exit_code == 0, found.output
    assert "…" not in found.output
    listed = runner.invoke(main, ["query", "run", "search", "--param", "text=SenseAuto", "--iris", *graph])
    assert "id:senseauto" in listed.output
    again = runner.invoke(main, ["query", "run", "certifications", "--param", "entity=id:senseauto", *graph])
    assert again.exit_code == 0 and "21434" in again.output


def test_why_shows_each_line_once_with_its_facts_and_follows_events(runner, built):
    graph = ["--graph", str(built[1])]
    near = runner.invoke(main, ["why", "Human-Centered AI Development and Governance Initiative", *graph])
    far = runner.invoke(main, ["why", "Human-Centered AI Development and Governance Initiative", "--depth", "2",
                               *graph])
    assert near.exit_code == 0 and far.exit_code == 0, far.output
    # sustainability-report-2024:790 names the initiative's launchers, reached through the launch event
    assert "actor  Lenovo Group" in far.output and "actor  Lenovo Group" not in near.output
    quoted = [line for line in far.output.splitlines() if line.startswith("sustainability-report-2024:790 ")]
    assert len(quoted) == 1, "the line is quoted once"
    assert far.output.count("    [2] ") > 5


def test_why_cites_two_lines_that_state_a_fact_together_as_one_and_quotes_both(runner, built):
    done = runner.invoke(main, ["why", "Zero-Carbon Research Institute of the Beijing News", "--graph", str(built[1])])
    assert done.exit_code == 0, done.output
    (line,) = [text for text in done.output.splitlines() if text.startswith("sustainability-report-2024:271 with :272")]
    assert "Zero-Carbon Research Institute" in line and "read with :272 of the Beijing News" in line
    assert "label  Zero-Carbon Research Institute of the Beijing News" in done.output


def test_why_as_csv_has_one_row_per_fact_with_depth_and_origin(runner, built):
    done = runner.invoke(main, ["why", "Xinzhou Tower", "--format", "csv", "--origin", "--graph", str(built[1])])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.output)))
    assert rows and set(rows[0]) == {"depth", "subject", "predicate", "object", "source", "origin"}
    assert all(r["origin"] and r["origin"] != "(none recorded)" for r in rows)


def test_search_quotes_from_the_command_line(runner, built):
    done = runner.invoke(main, ["search", "--quotes", "OpenDILab", "--limit", "3", "--format", "csv",
                                "--graph", str(built[1])])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.output)))
    # prospectus-2021-business:1187: "In 2021, we released OpenDILab ... jointly with Shanghai Artificial
    # Intelligence Innovation Center"
    assert rows[0]["source"] == "prospectus-2021-business:1187"
    assert "Shanghai Artificial Intelligence Innovation Center" in rows[0]["facts"]
    assert 1 <= len(rows) <= 3


def test_normalize_puts_one_unit_in_a_column(runner, built):
    args = ["query", "run", "measure-series", "--param", "measure=research-and-development-expenses",
            "--format", "csv", "--graph", str(built[1])]
    plain = list(csv.DictReader(io.StringIO(runner.invoke(main, args).output)))
    assert {r["unit"] for r in plain} == {"RMB thousand", "RMB million"}  # the reports print both
    done = runner.invoke(main, [*args, "--normalize"])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.output)))
    assert {r["normalized_unit"] for r in rows} == {"RMB million"}
    by_period = {r["period"]: r["normalized_value"] for r in rows}
    # annual-results-2024 prints R&D expenses for 2024 as 4,131,884 (RMB thousand); the prospectus
    # prints 2019's as RMB1,916.0 million (prospectus-2021-business)
    assert by_period["FY2024"] == "4131.884" and by_period["FY2019"] == "1916"


def test_normalize_refuses_a_query_without_figures(runner, built):
    done = runner.invoke(main, ["query", "run", "certifications", "--param", "entity=SenseAuto", "--normalize",
                                "--graph", str(built[1])])
    assert done.exit_code == 2 and "--normalize needs a query that lists figures" in done.output
