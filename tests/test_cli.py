"""The command line on the real reports: build, validate, export, stats, and bad input."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from sensekg.graph.cli import main
from sensekg.loaders.vocab import ID, SK


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_validate_conforms_on_the_real_build(runner, built):
    result = runner.invoke(main, ["validate", "--graph", str(built[1])])
    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


def test_validate_names_the_entity_whose_certification_lost_its_holder(runner, built, tmp_path):
    holder = ox.NamedNode(str(SK.holder))
    cert = ox.NamedNode(str(ID["cert-senseauto-tisax-al3"]))
    quads = [q for q in ox.parse(path=str(built[1] / "sensekg.trig"), format=ox.RdfFormat.TRIG)
             if not (q.subject == cert and q.predicate == holder)]
    broken = tmp_path / "broken"
    broken.mkdir()
    ox.serialize(quads, str(broken / "sensekg.trig"), ox.RdfFormat.TRIG)
    result = runner.invoke(main, ["validate", "--graph", str(broken)])
    assert result.exit_code == 1
    assert "SenseAuto: TISAX AL3 (2023)" in result.output
    assert "id:cert-senseauto-tisax-al3" in result.output
    assert "sustainability-report-2024:811" in result.output
    assert "A certification has a holder" in result.output


def test_build_validate_is_the_build_then_its_validation(runner, built, tmp_path):
    """The curator's loop as one command: the build, then what `validate` does, whose kept
    results the next `validate` finds."""
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    result = runner.invoke(main, ["build", "-q", "--force", "--validate", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.index("Built ") < result.output.index("The graph conforms to the shapes.")
    assert re.search(r"validated \d+ of \d+ subjects with shacl-engine", result.output)
    again = runner.invoke(main, ["validate", "--graph", str(out)])
    assert again.exit_code == 0 and re.search(r"validated 0 of (\d+) subjects .*\(\1 unchanged", again.output)


@pytest.mark.parametrize(("fmt", "parser"), [
    ("ttl", ox.RdfFormat.TURTLE), ("nt", ox.RdfFormat.N_TRIPLES), ("trig", ox.RdfFormat.TRIG),
    ("nq", ox.RdfFormat.N_QUADS), ("jsonld", ox.RdfFormat.JSON_LD),
])
def test_export_round_trips(runner, built, tmp_path, fmt, parser):
    target = tmp_path / f"out.{fmt}"
    result = runner.invoke(main, ["export", "--graph", str(built[1]), "--format", fmt, "-o", str(target)])
    assert result.exit_code == 0, result.output
    loaded = list(ox.parse(path=str(target), format=parser))
    if parser.supports_datasets:
        assert set(loaded) == set(built[0].quads)
    else:
        triples = {ox.Triple(q.subject, q.predicate, q.object) for q in built[0].quads}
        assert {ox.Triple(q.subject, q.predicate, q.object) for q in loaded} == triples


def test_a_bad_export_target_is_named_before_the_build_is_read(runner, built, tmp_path, monkeypatch):
    from sensekg.graph import cli

    read = []
    monkeypatch.setattr(cli, "load_quads", lambda folder: read.append(folder) or [])
    result = runner.invoke(main, ["export", "--graph", str(built[1]), "--format", "nt", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "is a folder" in result.output and read == []


def test_stats_counts_graphs_and_entities(runner, built):
    result = runner.invoke(main, ["stats", "--graph", str(built[1])])
    assert result.exit_code == 0, result.output
    assert "named graphs" in result.output and "Certification" in result.output


# --- bad input: one clear line, exit 2, no traceback, and the previous build untouched ---

def _previous_build(tmp_path: Path, built) -> Path:
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    return out


def _assert_refused(result, out: Path, before: dict, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    message = result.output.strip().splitlines()[-1]
    assert message.startswith("sensekg: error:"), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in message, message
    assert digest(out) == before


def test_missing_reports_folder(runner, tmp_path, built):
    out = _previous_build(tmp_path, built)
    before = digest(out)
    result = runner.invoke(main, ["build", "-q", "--out", str(out), "--reports", str(tmp_path / "absent")])
    _assert_refused(result, out, before, "absent", "reports.toml")


def test_report_whose_checksum_differs(runner, tmp_path, built, reports_copy):
    out = _previous_build(tmp_path, built)
    before = digest(out)
    report = reports_copy / "interim-results-2025h1.txt"
    report.write_text(report.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    result = runner.invoke(main, ["build", "-q", "--out", str(out), "--reports", str(reports_copy)])
    _assert_refused(result, out, before, "interim-results-2025h1.txt", "checksum differs")


@pytest.mark.parametrize("pattern", ["entities/*.toml", "reports/*/statements-*.toml", "reports/*/tables.toml",
                                     "reports/*/report.toml"])
def test_data_file_with_a_syntax_error(runner, tmp_path, built, data_copy, pattern):
    out = _previous_build(tmp_path, built)
    before = digest(out)
    target = sorted(data_copy.glob(pattern))[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n[broken\nlabel = 1\n", encoding="utf-8")
    result = runner.invoke(main, ["build", "-q", "--out", str(out), "--data", str(data_copy)])
    _assert_refused(result, out, before, target.name, "TOML syntax error")


def _edit_statement(data_copy: Path, old: str, new: str) -> Path:
    path = data_copy / "reports/sustainability-report-2024/statements-certifications.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_unknown_report_id(runner, tmp_path, built, data_copy):
    out = _previous_build(tmp_path, built)
    before = digest(out)
    _edit_statement(data_copy, '"sustainability-report-2024:1725 | The tower was awarded the LEED',
                    '"sustainability-report-2042:1725 | The tower was awarded the LEED')
    result = runner.invoke(main, ["build", "-q", "--out", str(out), "--data", str(data_copy)])
    _assert_refused(result, out, before, "cert-xinzhou-tower-leed-gold", "cites sustainability-report-2042",
                    "sustainability-report-2042")


def test_out_of_range_line(runner, tmp_path, built, data_copy):
    out = _previous_build(tmp_path, built)
    before = digest(out)
    _edit_statement(data_copy, '"sustainability-report-2024:1725 | The tower was awarded the LEED',
                    '"sustainability-report-2024:99999 | The tower was awarded the LEED')
    result = runner.invoke(main, ["build", "-q", "--out", str(out), "--data", str(data_copy)])
    _assert_refused(result, out, before, "cert-xinzhou-tower-leed-gold", "line 99999 is out of range",
                    "sustainability-report-2024.txt:99999")


def test_anchor_not_on_its_line_names_the_statement(runner, tmp_path, built, data_copy):
    out = _previous_build(tmp_path, built)
    before = digest(out)
    path = _edit_statement(data_copy, '"sustainability-report-2024:1725 | The tower was awarded the LEED',
                           '"sustainability-report-2024:1724 | The tower was awarded the LEED')
    result = runner.invoke(main, ["build", "-q", "--out", str(out), "--data", str(data_copy)])
    _assert_refused(result, out, before, "statement cert-xinzhou-tower-leed-gold", f"{path}:",
                    "is not on the cited line", "sustainability-report-2024.txt:1724")


def test_alias_that_no_report_uses_is_refused(runner, tmp_path, built, data_copy):
    out = _previous_build(tmp_path, built)
    before = digest(out)
    path = data_copy / "entities" / "facilities.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'alt = ["Xinzhou Tower"]', 'alt = ["Xinzhou Tower", "Xinzhou Skyscraper"]'), encoding="utf-8")
    result = runner.invoke(main, ["build", "-q", "--out", str(out), "--data", str(data_copy)])
    _assert_refused(result, out, before, "xinzhou-tower", "'Xinzhou Skyscraper' occurs in no report")


def test_reading_a_missing_build_says_to_build_first(runner, tmp_path):
    result = runner.invoke(main, ["validate", "--graph", str(tmp_path / "nothing")])
    assert result.exit_code == 2
    assert "run `sensekg build` first" in result.output


def test_reading_a_corrupt_build_says_so(runner, tmp_path):
    (tmp_path / "sensekg.trig").write_text("@prefix broken", encoding="utf-8")
    result = runner.invoke(main, ["stats", "--graph", str(tmp_path)])
    assert result.exit_code == 2
    assert "corrupt" in result.output and "Traceback" not in result.output


def test_the_store_holds_the_same_quads_as_the_trig(built):
    named, default = set(), set()
    for quad in ox.Store.read_only(str(built[1] / "store")):  # one pass: reading the store takes seconds
        if isinstance(quad.graph_name, ox.DefaultGraph):
            default.add(quad.triple)
        else:
            named.add(quad)
    from_trig = ox.Store()  # literals compared as Oxigraph stores them (0.50 and 0.5 are one decimal)
    from_trig.bulk_extend(ox.parse(path=str(built[1] / "sensekg.trig"), format=ox.RdfFormat.TRIG))
    assert named == set(from_trig)
    assert default == {q.triple for q in named}  # the default graph is the deduplicated union of the report graphs


def test_build_is_a_no_op_when_nothing_changed_unless_forced(runner, tmp_path, built):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    from sensekg.graph.build import inputs_digest

    info = json.loads((out / "build-info.json").read_text())
    assert info["inputs"] == inputs_digest()
    before = digest(out)
    again = runner.invoke(main, ["build", "--out", str(out), "-q"])
    assert again.exit_code == 0 and "up to date" in again.output
    assert digest(out) == before
    forced = runner.invoke(main, ["build", "--out", str(out), "-q", "--force"])
    assert forced.exit_code == 0 and "Built" in forced.output


def test_every_command_is_reachable_as_a_module():
    """`main()` used to run above the `diff` command, so `python -m sensekg.graph.cli diff` said
    "No such command" (issue 17)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "sensekg.graph.cli", "diff", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and "OLD NEW" in done.stdout, done.stderr


@pytest.mark.parametrize("code", [0, 3])
def test_the_console_script_exits_with_the_commands_code_and_its_output_when_it_leaves_the_heap(code):
    """`cli.run` ends the process without freeing what a command left to it (`leave_to_exit`):
    the exit code must be the command's and every byte it printed to a pipe must arrive."""
    import os
    import subprocess
    import sys

    probe = ("import sys, click\n"
             "from sensekg.graph import cli\n"
             "@cli.main.command()\n"
             "def probe():\n"
             "    cli.leave_to_exit([[i] for i in range(100_000)])\n"
             "    print('x' * 100, end='')  # print, unlike click.echo, does not flush\n"
             "    click.echo('to stderr', err=True)\n"
             f"    sys.exit({code})\n"
             "cli.run()\n")
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as a user's shell has it
    done = subprocess.run([sys.executable, "-c", probe, "probe"], capture_output=True, text=True, timeout=60,
                          env=buffered)
    assert done.returncode == code
    assert done.stdout == "x" * 100 and done.stderr == "to stderr\n"
    missing = subprocess.run([sys.executable, "-m", "sensekg.graph.cli", "build", "--reports", "/nonexistent/r"],
                             capture_output=True, text=True, timeout=60)  # nothing left: the usual exit
    assert missing.returncode == 2 and missing.stderr.startswith("sensekg: error:"), missing.stderr
