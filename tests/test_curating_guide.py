"""docs/curating.md, run: every example of the curator's guide, in the order written, on copies
of the reports and the data, with next year's annual results derived from the 2024 ones.

A ```toml block whose first line is ``# file: PATH`` is appended to PATH in the data folder; one
whose first line is ``# in: PATH`` must already stand in the packaged PATH. Each ``$ sensekg``
line of a ```console block is run with the copies' --reports, --data and build folder. Between
the examples the test checks what the guide says happens: the walk-through of issue 14 (add a
report, read its candidates, confirm two and dismiss one, rebuild, see the facts with evidence
and coverage move)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from nextyear import derive

from sensekg.graph.buildio import open_store
from sensekg.graph.cli import main
from sensekg.graph.coverage import coverage
from sensekg.loaders.datafiles import data_dir
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reportdata import dismissals, figure_dismissals
from sensekg.loaders.reports import read_corpus

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "curating.md"
BLOCK = re.compile(r"^```(toml|console)\n(.*?)^```", re.S | re.M)
NEW = "annual-results-2025"


def blocks() -> list[tuple[str, str]]:
    return BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in text)


class Curator:
    def __init__(self, tmp: Path, reports_dir: Path, built: Path, runner):
        self.reports, self.data, self.out, self.runner = tmp / "reports", tmp / "data", tmp / "build", runner
        shutil.copytree(reports_dir, self.reports)
        for path in (self.reports, *self.reports.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.copytree(data_dir(), self.data, ignore=shutil.ignore_patterns("__pycache__", "*.py", "review.md"))
        shutil.copytree(built, self.out)  # the build before the new report, which the rebuild replaces
        self.incoming = tmp / "incoming"
        self.incoming.mkdir()
        text, _ = derive(reports_dir / "annual-results-2024.txt")
        (self.incoming / "sensetime-ar2025.txt").write_text(text, encoding="utf-8")

    def run(self, command: str) -> str:
        words = shlex.split(command)
        assert words[0] == "sensekg", command
        args = words[1:]
        if args[:2] == ["report", "add"]:
            args[2] = str(self.incoming / args[2])
        if args[0] in ("report", "build", "coverage", "lint"):
            args += ["--reports", str(self.reports), "--data", str(self.data)]
        if args[0] == "build":
            args += ["--out", str(self.out)]
        if args[0] in ("why", "coverage"):
            args += ["--graph", str(self.out)]
        result = self.runner.invoke(main, args)
        assert result.exit_code == 0, (command, result.output)
        return result.output

    def apply(self, text: str) -> None:
        first, _, body = text.partition("\n")
        kind, _, relative = first.partition(": ")
        if kind == "# in":
            assert body.strip() in (data_dir() / relative).read_text(encoding="utf-8"), relative
            return
        assert kind == "# file", first
        path = self.data / relative
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(old + ("\n" if old else "") + body, encoding="utf-8")


def test_the_guide_lists_its_examples():
    kinds = [kind for kind, _ in blocks()]
    assert kinds.count("toml") >= 4 and kinds.count("console") >= 5


def test_every_example_of_the_curators_guide(runner, built, tmp_path, reports_dir):
    curator = Curator(tmp_path, reports_dir, built[1], runner)
    report = curator.incoming / "sensetime-ar2025.txt"
    folder = curator.data / "reports" / NEW
    outputs: dict[str, str] = {}
    before = None
    for kind, text in blocks():
        if kind == "toml":
            if before is None:  # the first confirmation: first look at the review, and measure
                before = check_the_review(curator, report, folder)
            curator.apply(text)
            continue
        for command in re.findall(r"^\$ (.+)$", text, re.M):
            outputs[command] = curator.run(command)
            if command.startswith("sensekg report review"):
                check_the_review_after_deciding(folder, report)
            if command == "sensekg build":
                check_the_rebuild(curator, outputs[command], report)

    def output(start: str) -> str:
        return next(text for command, text in outputs.items() if command.startswith(start))

    assert "Added annual-results-2025 (annual-results, 2025-01-01 to 2025-12-31)" in output("sensekg report add")
    why = output("sensekg why")
    award = line_of(report, "Securities Star ESG New Benchmark")
    assert f"{NEW}:{award}" in why and f"reports/{NEW}/statements-awards.toml:1)" in why
    assert "annual-results-2024:" in why and "reports/annual-results-2024/statements-" in why
    assert re.search(rf"^{NEW}\s+\d+/\d+\s+[\d.]+%", output("sensekg coverage"), re.M)
    assert "No findings." in output("sensekg lint")
    after = coverage(read_corpus(curator.reports), load_registry(curator.data), open_store(curator.out),
                     dismissals(curator.data), [NEW], curator.data, figure_dismissals(curator.data))[0]
    assert after.figures.ratio > 0.8 and after.lines.accounted > 400
    assert after.figures.dismissed == 2  # the guide's two figures of an unnamed customer's app
    assert after.names.accounted >= before.names.accounted + 3
    undecided = {m.name for m in after.mentions if m.undecided}
    assert not {"DeepSeek", "Spring Festival", "Hong Kong Institute of Certified Public Accountants"} & undecided


def check_the_review(curator: Curator, report: Path, folder: Path):
    """After `report add`: the manifest entry, the folder, and a review listing the candidates."""
    manifest = (curator.reports / "reports.toml").read_text(encoding="utf-8")
    assert f'id = "{NEW}"' in manifest and 'file = "sensetime-ar2025.txt"' in manifest
    assert 'published = "2026-03-25"' in manifest
    assert '"segment-2024-generative-ai"' in (folder / "report.toml").read_text(encoding="utf-8")
    review = (folder / "review.md").read_text(encoding="utf-8")
    deepseek, hkicpa = line_of(report, "DeepSeek"), line_of(report, "Certified Public Accountants")
    festival, award = line_of(report, "Spring Festival"), line_of(report, "Securities Star ESG New Benchmark")
    assert re.search(rf"^\| DeepSeek \| product \| {NEW}:{deepseek}\b", review, re.M), review[:3000]
    assert re.search(rf"^\| Hong Kong Institute of Certified Public Accountants \| organization \| {NEW}:{hkicpa} \|",
                     review, re.M)
    assert re.search(rf"^\| Spring Festival \| event \| {NEW}:{festival} \|", review, re.M)
    assert re.search(rf"^\| sensenova \| SenseNova \| {NEW}:\d+", review, re.M)  # known entities, with lines
    # an award curated for last year's report is known by its label
    assert re.search(rf"^\| award-sensetime-securities-star-esg-new-benchmark-enterprise \| .* \| {NEW}:{award} \|",
                     review, re.M)
    figures = re.search(r"(\d+) figures read", review)
    assert figures and int(figures.group(1)) > 1000
    # against the build without the new report, nothing of it is accounted for but known names
    found = coverage(read_corpus(curator.reports), load_registry(curator.data), open_store(curator.out),
                     dismissals(curator.data), [NEW], curator.data)[0]
    assert found.figures.accounted == 0 and found.lines.accounted == 0 and found.names.accounted > 100
    return found


def check_the_review_after_deciding(folder: Path, report: Path) -> None:
    review = (folder / "review.md").read_text(encoding="utf-8")
    candidates = review.split("## Known")[0]
    for name in ("DeepSeek", "Spring Festival", "Hong Kong Institute of Certified Public Accountants"):
        assert f"| {name} |" not in candidates
    assert re.search(rf"^\| deepseek \| DeepSeek \| {NEW}:{line_of(report, 'DeepSeek')}\b", review, re.M)


def check_the_rebuild(curator: Curator, output: str, report: Path) -> None:
    """The build says what changed, and the confirmed entity has its evidence in both years."""
    assert re.search(r"\d+ fact\(s\) added, 0 removed since the last build", output), output[-3000:]
    result = curator.runner.invoke(main, ["why", "DeepSeek", "--graph", str(curator.out), "--format", "json"])
    sources = {r["source"] for r in json.loads(result.output) if r["predicate"] == "rdf:type"}
    assert f"{NEW}:{line_of(report, 'DeepSeek')}" in sources
    assert f"annual-results-2024:{line_of(curator.reports / 'annual-results-2024.txt', 'DeepSeek')}" in sources


@pytest.mark.parametrize("kind", ["toml"])
def test_toml_examples_parse(kind):
    import tomllib

    for found, text in blocks():
        if found == kind:
            tomllib.loads(text)
