"""`sensekg lint` (issue 14): the real data is clean, and each kind of finding is found, all at once,
with the file and line to fix."""

from __future__ import annotations

import pytest

from sensekg.graph.cli import main
from sensekg.loaders.lint import lint, read_ceilings
from sensekg.loaders.reports import read_corpus

SR = "reports/sustainability-report-2024"


def test_the_real_data_has_no_findings_and_no_more_undecided_names_than_its_ceilings(reports_dir):
    findings, undecided = lint(read_corpus(reports_dir))
    assert findings == []
    ceilings = read_ceilings()
    assert set(undecided) == set(ceilings)
    assert all(undecided[report] <= ceilings[report] for report in undecided)


def plant(data, relative: str, text: str) -> None:
    path = data / relative
    old = path.read_text(encoding="utf-8") + "\n" if path.exists() else ""
    path.write_text(old + text, encoding="utf-8")


CASES = {
    "undefined id": ('[[about]]\nsubject = "senseauto"\nproductOf = "nobody-at-all"\n'
                     'cite = ["sustainability-report-2024:811 | TISAX"]\n', "productOf = 'nobody-at-all'"),
    "produces nothing": ('[[about]]\nsubject = "senseauto"\ncite = ["sustainability-report-2024:811 | TISAX"]\n',
                         "[[about]] senseauto states no property"),
    "duplicate": ('[[about]]\nsubject = "sensetime"\nfoundingDate = "2014-10"\n'
                  'cite = ["sustainability-report-2024:153 | founded in October 2014"]\n',
                  "foundingDate = '2014-10' from sustainability-report-2024:153 is stated at"),
}


@pytest.mark.parametrize("check", sorted(CASES))
def test_a_planted_record_is_found_with_its_file_and_line(data_copy, reports_dir, check):
    text, message = CASES[check]
    plant(data_copy, f"{SR}/statements-zz.toml", text)
    findings, _ = lint(read_corpus(reports_dir), data_copy)
    found = [f for f in findings if f.check == check]
    assert len(found) == 1 and message in found[0].message, findings
    assert found[0].where.endswith("statements-zz.toml:2") or found[0].where.endswith("statements-zz.toml:1")


def test_an_alias_no_report_prints_and_a_dismissal_nothing_matches(data_copy, reports_dir):
    plant(data_copy, "entities/organizations.toml", '[acme-lint]\ntype = "Company"\nlabel = "SenseTime Group Inc."\n'
          'alt = ["Acme Never Printed"]\n')
    dismissed = data_copy / SR / "dismissed.toml"
    planted_at = len(dismissed.read_text(encoding="utf-8").splitlines()) + 2 if dismissed.exists() else 1
    plant(data_copy, f"{SR}/dismissed.toml", '[[dismiss]]\nname = "Nothing Like This"\nreason = "planted"\n')
    findings, _ = lint(read_corpus(reports_dir), data_copy)
    by_check = {f.check: f for f in findings}
    assert "alias 'Acme Never Printed' is in no report" in by_check["unused alias"].message
    assert "'Nothing Like This' matches no mention in sustainability-report-2024" in by_check["produces nothing"].message
    assert by_check["produces nothing"].where.endswith(f"dismissed.toml:{planted_at}")


def test_more_undecided_names_than_the_ceiling_fail_the_cli(runner, data_copy, reports_dir):
    path = data_copy / "lint.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"annual-results-2024" = ', '"annual-results-2024" = 1 # was '), encoding="utf-8")
    result = runner.invoke(main, ["lint", "--data", str(data_copy), "--reports", str(reports_dir)])
    assert result.exit_code == 1
    assert "annual-results-2024: " in result.output and "above the ceiling of 1 in lint.toml" in result.output
    assert "sensekg: error: 1 finding(s)" in result.output


def test_a_figure_dismissal_must_hold_a_figure_its_line_prints(data_copy, reports_dir):
    corpus = read_corpus(reports_dir)
    line = next(n for n, text in corpus["sustainability-report-2024"].numbered() if "staff turnover rate of 12.6%" in text)
    dismissed = data_copy / SR / "dismissed.toml"
    start = len(dismissed.read_text(encoding="utf-8").splitlines()) + 2
    plant(data_copy, f"{SR}/dismissed.toml",
          f'[[figure]]\ncite = "sustainability-report-2024:{line} | 12.6%"\nreason = "planted"\n\n'
          f'[[figure]]\ncite = "sustainability-report-2024:{line} | no such words"\nreason = "planted"\n\n'
          f'[[figure]]\ncite = "sustainability-report-2024:{line} | full-time employees"\nreason = "planted"\n')
    findings, _ = lint(corpus, data_copy)
    idle = sorted((f.where.rsplit(":", 1)[1], f.message) for f in findings if f.check == "produces nothing")
    assert [where for where, _ in idle] == [str(start + 4), str(start + 8)], findings
    assert "'no such words' is not on sustainability-report-2024" in idle[0][1]
    assert f"'full-time employees' holds no figure that sustainability-report-2024:{line} prints" in idle[1][1]


@pytest.mark.parametrize("body, message", [
    ('cite = "sustainability-report-2024:2 | 1"\n', "needs a reason"),
    ('cite = "annual-results-2024:2 | 1"\nreason = "x"\n', "cites 'annual-results-2024' but lives in the folder"),
])
def test_a_bad_figure_dismissal_is_an_error_naming_its_file(data_copy, reports_dir, body, message):
    from sensekg.loaders.errors import InputError
    from sensekg.loaders.reportdata import figure_dismissals

    plant(data_copy, f"{SR}/dismissed.toml", "[[figure]]\n" + body)
    with pytest.raises(InputError) as error:
        figure_dismissals(data_copy)
    assert message in str(error.value) and "dismissed.toml" in str(error.value)
    (data_copy / SR / "dismissed.toml").write_text((data_copy / SR / "dismissed.toml").read_text(
        encoding="utf-8").rsplit("[[figure]]", 1)[0], encoding="utf-8")
    plant(data_copy, "dismissed.toml", '[[figure]]\ncite = "sustainability-report-2024:2 | 1"\nreason = "x"\n')
    with pytest.raises(InputError, match="belong in the report's own folder"):
        figure_dismissals(data_copy)
