"""Every bad shape in the TOML files a user edits (reports.toml, the data folder) is one
InputError naming the file, the line where there is one, and what was expected: never a
traceback, never silently accepted.

Each row damages small copies of the reports folder and the data folder and returns the
words the message must hold. Every row runs twice: through the Python API, which must raise
InputError (not a ValueError, KeyError or OSError), and through the CLI, which must exit 2
with one line starting ``sensekg: error:``.
"""

from __future__ import annotations

import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from sensekg.graph.build import build_dataset
from sensekg.graph.cli import main
from sensekg.loaders.errors import InputError


class Inputs:
    """Writable copies of the reports and data folders, and edits to them."""

    def __init__(self, reports: Path, data: Path):
        for path in (reports, *reports.iterdir()):
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
        self.reports, self.data = reports, data
        self.manifest = reports / "reports.toml"

    def edit(self, path: Path, old: str, new: str) -> Path:
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path

    def statements(self, text: str) -> Path:
        """A new statements file holding ``text``; records cite a real line, so only their
        shape (or what they say) can be wrong."""
        path = self.data / "reports" / "prospectus-2021-business" / "statements-zz-test.toml"
        path.write_text(text, encoding="utf-8")
        return path


def at(path: Path, text: str) -> str:
    """``name:line`` of the header of the record holding ``text`` (or of ``text`` at top level)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(n for n, t in enumerate(lines, start=1) if text in t)
    header = next((n for n in range(line, 0, -1) if lines[n - 1].lstrip().startswith("[")), line)
    return f"{path.name}:{header}"


CITE = 'cite = ["prospectus-2021-business:25 | smart auto"]'


def about(subject: str, **values: str) -> str:
    keys = "".join(f"{key} = {value}\n" for key, value in values.items())
    return f'\n[[about]]\nsubject = "{subject}"\n{keys}{CITE}\n'


# --- reports.toml ------------------------------------------------------------------------

def published_not_a_date(c: Inputs) -> list[str]:
    c.edit(c.manifest, 'published = "2025-03-26"', 'published = "2025-13-45"')
    return [at(c.manifest, "2025-13-45"), "published", '"2025-13-45"', "YYYY-MM-DD", "month must be in 1..12"]


def published_not_a_string(c: Inputs) -> list[str]:
    c.edit(c.manifest, 'published = "2025-03-26"', "published = 2025")
    return [at(c.manifest, "published = 2025"), "published = 2025", "expected a date YYYY-MM-DD"]


def reports_not_tables(c: Inputs) -> list[str]:
    c.manifest.write_text("report = [1, 2]\n", encoding="utf-8")
    return ["reports.toml:1", "report = [1, 2]", "[[report]] tables"]


def misspelt_report_key(c: Inputs) -> list[str]:
    c.edit(c.manifest, 'period_end = "2024-12-31"', 'perod_end = "2024-12-31"')
    return [at(c.manifest, "perod_end"), "unknown key 'perod_end'", "period_end"]


def misspelt_top_level_table(c: Inputs) -> list[str]:
    c.manifest.write_text(c.manifest.read_text(encoding="utf-8") + '\n[[reprot]]\nid = "x"\n', encoding="utf-8")
    return [at(c.manifest, "[[reprot]]"), "unknown key 'reprot'"]


def file_climbs_out(c: Inputs) -> list[str]:
    c.edit(c.manifest, 'file = "annual-results-2024.txt"', 'file = "../annual-results-2024.txt"')
    return [at(c.manifest, "../annual"), "file", "leaves the reports folder"]


def file_is_absolute(c: Inputs) -> list[str]:
    c.edit(c.manifest, 'file = "annual-results-2024.txt"', 'file = "/etc/passwd"')
    return [at(c.manifest, "/etc/passwd"), "/etc/passwd", "leaves the reports folder"]


def symlink_escapes(c: Inputs) -> list[str]:
    (c.reports / "elsewhere.txt").symlink_to("/etc/passwd")
    c.edit(c.manifest, 'file = "annual-results-2024.txt"', 'file = "elsewhere.txt"')
    return [at(c.manifest, "elsewhere.txt"), "elsewhere.txt", "outside the reports folder"]


def period_ends_before_it_starts(c: Inputs) -> list[str]:
    c.edit(c.manifest, 'period_end = "2025-06-30"', 'period_end = "2024-06-30"')
    return [at(c.manifest, 'period_end = "2024-06-30"'), "period_end 2024-06-30 is before period_start 2025-01-01"]


# --- the data folder ---------------------------------------------------------------------

def products(c: Inputs) -> Path:
    return c.data / "entities" / "products.toml"


def distinct_not_a_list(c: Inputs) -> list[str]:
    c.edit(products(c), 'label = "SenseAuto"\n', 'label = "SenseAuto"\ndistinct = 5\n')
    return [at(products(c), 'label = "SenseAuto"'), "entity 'senseauto'", "distinct = 5", "a list of entity ids"]


def alt_not_a_list(c: Inputs) -> list[str]:
    c.edit(products(c), 'label = "SenseAuto"\n', 'label = "SenseAuto"\nalt = "x"\n')
    return [at(products(c), 'label = "SenseAuto"'), 'alt = "x"', "expected a list of names"]


def note_not_text(c: Inputs) -> list[str]:
    c.edit(products(c), 'label = "SenseAuto"\n', 'label = "SenseAuto"\nnote = 5\n')
    return [at(products(c), 'label = "SenseAuto"'), "note = 5", "a non-empty string"]


def distinct_names_nothing(c: Inputs) -> list[str]:
    c.edit(products(c), 'label = "SenseAuto"\n', 'label = "SenseAuto"\ndistinct = ["no-such-entity"]\n')
    return [at(products(c), 'label = "SenseAuto"'), "distinct", "no-such-entity"]


def measure_label_not_text(c: Inputs) -> list[str]:
    path = c.edit(c.data / "measures.toml", 'label = "Revenue"', "label = 5")
    return [at(path, "label = 5"), "measure 'revenue'", "label = 5", "a non-empty string"]


def no_measures_file(c: Inputs) -> list[str]:
    (c.data / "measures.toml").unlink()
    return ["measures.toml", "file not found", "expected a TOML data file"]


def folder_named_toml_in_entities(c: Inputs) -> list[str]:
    (c.data / "entities" / "x.toml").mkdir()
    return ["entities/x.toml", "is a folder", "expected a TOML data file"]


def folder_named_toml_in_statements(c: Inputs) -> list[str]:
    (c.data / "reports" / "annual-results-2024" / "statements-x.toml").mkdir()
    return ["annual-results-2024/statements-x.toml", "is not a data file of a report folder"]


def misspelt_file_in_a_report_folder(c: Inputs) -> list[str]:
    (c.data / "reports" / "annual-results-2024" / "tables.toml").rename(
        c.data / "reports" / "annual-results-2024" / "tabels.toml")
    return ["annual-results-2024/tabels.toml", "is not a data file of a report folder", "tables.toml"]


def report_folder_not_in_the_manifest(c: Inputs) -> list[str]:
    (c.data / "reports" / "annual-results-2042").mkdir()
    return ["reports/annual-results-2042", "which the manifest does not list", "sensekg report add"]


def record_in_the_folder_of_another_report(c: Inputs) -> list[str]:
    folder = c.data / "reports" / "annual-results-2024"
    (folder / "statements-zz.toml").write_text(
        '[[about]]\nsubject = "sensetime"\nfoundingDate = "2014"\n'
        'cite = ["prospectus-2021-business:25 | smart auto"]\n', encoding="utf-8")
    return ["statements-zz.toml:1", "cites prospectus-2021-business from the folder of annual-results-2024",
            "reports/prospectus-2021-business/"]


def segment_that_is_not_a_segment(c: Inputs) -> list[str]:
    path = c.data / "reports" / "annual-results-2024" / "report.toml"
    c.edit(path, '"segment-2024-smart-auto"', '"senseauto"')
    return ["annual-results-2024/report.toml", "'senseauto' is not a BusinessSegment"]


def data_file_not_utf8(c: Inputs) -> list[str]:
    path = products(c)
    lines = path.read_bytes().splitlines(keepends=True)
    lines[4] = b"# caf\xe9\n"
    path.write_bytes(b"".join(lines))
    return ["products.toml:5", "not valid UTF-8"]


def no_data_folder(c: Inputs) -> list[str]:
    shutil.rmtree(c.data)
    return [f"{c.data}:", "data folder does not exist"]


def data_folder_without_entities(c: Inputs) -> list[str]:
    shutil.rmtree(c.data / "entities")
    return [f"{c.data}:", "no entities/ folder"]


def data_folder_with_empty_entities(c: Inputs) -> list[str]:
    for path in (c.data / "entities").iterdir():
        path.unlink()
    return [f"{c.data}:", "no entities"]


# --- statement records -------------------------------------------------------------------

def statement_date_not_a_date(c: Inputs) -> list[str]:
    path = c.statements(about("senseauto", launchDate='"2021-13-45"'))
    return [at(path, "2021-13-45"), "launchDate", "2021-13-45", "not a calendar date"]


def statement_year_month_not_a_month(c: Inputs) -> list[str]:
    path = c.statements(about("senseauto", launchDate='"2021-13"'))
    return [at(path, "2021-13"), "launchDate", "month must be in 1..12"]


def statement_boolean_value(c: Inputs) -> list[str]:
    path = c.statements(about("senseauto", code="true"))
    return [at(path, "code = true"), "code = true", "expected text, a number or a date"]


def statement_about_with_a_label(c: Inputs) -> list[str]:
    path = c.statements(about("senseauto", label='"SenseAuto"'))
    return [at(path, "label ="), "unknown properties ['label']"]


# --- cycles in part, version, subsidiary and dependency chains ---------------------------

def built_on_itself(c: Inputs) -> list[str]:
    path = c.statements(about("sensecore", builtOn='"sensecore"'))
    return [at(path, "builtOn"), "builtOn", "sensecore -> sensecore"]


def built_on_each_other(c: Inputs) -> list[str]:
    path = c.statements(about("sensecare", builtOn='"senseavatar"') + about("senseavatar", builtOn='"sensecare"'))
    return [at(path, 'builtOn = "senseavatar"'), at(path, 'builtOn = "sensecare"'), "builtOn loops back",
            "senseavatar -> sensecare -> senseavatar"]


def powered_by_what_it_powers(c: Inputs) -> list[str]:
    """poweredBy is a sub-property of builtOn: mixing the two still closes the loop."""
    path = c.statements(about("sensecare", poweredBy='"senseavatar"') + about("senseavatar", builtOn='"sensecare"'))
    return [at(path, "poweredBy"), at(path, 'builtOn = "sensecare"'), "builtOn loops back",
            "senseavatar -> sensecare -> senseavatar"]


def part_of_itself(c: Inputs) -> list[str]:
    path = c.statements(about("senseauto", partOf='"senseauto"'))
    return [at(path, "partOf"), "partOf loops back", "senseauto -> senseauto"]


def versions_of_each_other(c: Inputs) -> list[str]:
    path = c.statements(about("sensecore", versionOf='"sensenova"') + about("sensenova", versionOf='"sensecore"'))
    return [at(path, 'versionOf = "sensenova"'), "versionOf loops back"]


def subsidiary_of_itself(c: Inputs) -> list[str]:
    path = c.statements(about("sensetime", subsidiaryOf='"sensetime"'))
    return [at(path, "subsidiaryOf"), "subsidiaryOf loops back", "sensetime -> sensetime"]


CASES: list[Callable[[Inputs], list[str]]] = [
    published_not_a_date, published_not_a_string, reports_not_tables, misspelt_report_key,
    misspelt_top_level_table, file_climbs_out, file_is_absolute, symlink_escapes, period_ends_before_it_starts,
    distinct_not_a_list, alt_not_a_list, note_not_text, distinct_names_nothing, measure_label_not_text,
    no_measures_file, folder_named_toml_in_entities, folder_named_toml_in_statements, data_file_not_utf8,
    no_data_folder, data_folder_without_entities, data_folder_with_empty_entities,
    statement_date_not_a_date, statement_year_month_not_a_month, statement_boolean_value,
    statement_about_with_a_label,
    built_on_itself, built_on_each_other, powered_by_what_it_powers, part_of_itself, versions_of_each_other,
    subsidiary_of_itself, misspelt_file_in_a_report_folder, report_folder_not_in_the_manifest,
    record_in_the_folder_of_another_report, segment_that_is_not_a_segment,
]


def holds(message: str, needles: list[str]) -> None:
    for needle in needles:
        found = re.search(needle[3:], message) if needle.startswith("re:") else needle in message
        assert found, f"{needle!r} is not in {message!r}"


@pytest.mark.parametrize("damage", CASES, ids=[case.__name__ for case in CASES])
def test_bad_input_is_an_input_error(reports_copy, data_copy, damage):
    inputs = Inputs(reports_copy, data_copy)
    needles = damage(inputs)
    with pytest.raises(InputError) as caught:
        build_dataset(inputs.reports, data=inputs.data)
    holds(str(caught.value), needles)


# `sensekg build` hashes the data files (graph/build.py inputs_digest) before the loaders
# read them, so a folder named *.toml meets that first: still one line naming it.
CLI_NEEDLES = {folder_named_toml_in_entities: ["entities/x.toml"], folder_named_toml_in_statements: ["annual-results-2024/statements-x.toml"]}


@pytest.mark.parametrize("damage", CASES, ids=[case.__name__ for case in CASES])
def test_bad_input_is_one_line_from_the_cli(runner, tmp_path, reports_copy, data_copy, damage):
    inputs = Inputs(reports_copy, data_copy)
    needles = damage(inputs)
    result = runner.invoke(main, ["build", "-q", "--out", str(tmp_path / "b"), "--reports", str(inputs.reports),
                                  "--data", str(inputs.data)])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sensekg: error:"), result.output
    holds(lines[0], CLI_NEEDLES.get(damage, needles))
    assert not (tmp_path / "b").exists()
