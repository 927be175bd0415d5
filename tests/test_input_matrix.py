"""Every command against every bad input it reads: exit 2, one line naming the file, line or
parameter, no traceback, and a previous build left byte for byte as it was.

Each row is (bad input, command); the bad input prepares files under tmp_path and returns the
words the message must contain. Commands that do not read an input are not paired with it
(a reports folder means nothing to `sparql`), so every pairing here is one a user can make.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from sensekg.graph.cli import main
from sensekg.loaders.reports import sha256_of


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


class Case:
    """Files for one bad input: a previous build, and copies of the reports and data to damage."""

    def __init__(self, tmp_path: Path, built, reports_dir: Path, data_dir: Path):
        self.tmp = tmp_path
        self.out = tmp_path / "build"
        shutil.copytree(built[1], self.out)
        self.reports = tmp_path / "reports"
        shutil.copytree(reports_dir, self.reports)
        self.data = tmp_path / "data"
        shutil.copytree(data_dir, self.data, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        self.graph = self.out  # what read commands are pointed at

    def rehash(self, name: str) -> None:
        """Record a damaged report's new checksum, so the damage itself is what gets reported."""
        manifest = self.reports / "reports.toml"
        text = manifest.read_text(encoding="utf-8")
        block = text.index(f'file = "{name}"')
        start = text.index('sha256 = "', block) + len('sha256 = "')
        manifest.write_text(text[:start] + sha256_of(self.reports / name) + text[start + 64:], encoding="utf-8")

    def edit(self, relative: str, old: str, new: str) -> Path:
        path = self.data / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {path}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return path


REPORT = "interim-results-2025h1.txt"
CERTS = "reports/sustainability-report-2024/statements-certifications.toml"
LEED = '"sustainability-report-2024:1725 | The tower was awarded the LEED'


def no_reports(c: Case) -> list[str]:
    c.reports = c.tmp / "absent"
    return ["absent", "reports.toml"]


def empty_reports(c: Case) -> list[str]:
    c.reports = c.tmp / "empty"
    c.reports.mkdir()
    return ["empty", "reports.toml"]


def truncated_report(c: Case) -> list[str]:
    path = c.reports / REPORT
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:200]), encoding="utf-8")
    c.rehash(REPORT)
    # the first record whose cited text is gone stops the build, naming its file and line
    return ["re:" + r"\.(txt|toml):\d+"]


def invalid_utf8(c: Case) -> list[str]:
    path = c.reports / REPORT
    lines = path.read_bytes().splitlines(keepends=True)
    lines[99] = b"\xff\xfe broken \xc3\x28" + lines[99]
    path.write_bytes(b"".join(lines))
    c.rehash(REPORT)
    return [f"{REPORT}:100", "UTF-8"]


def checksum_differs(c: Case) -> list[str]:
    path = c.reports / REPORT
    path.write_text(path.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    return [REPORT, "checksum differs"]


def data_syntax_error(c: Case) -> list[str]:
    path = c.data / CERTS
    path.write_text(path.read_text(encoding="utf-8") + "\n[broken\nlabel = 1\n", encoding="utf-8")
    return ["certifications.toml", "TOML syntax error"]


def duplicate_id(c: Case) -> list[str]:
    """An id defined in two registry files (within one file TOML itself refuses it)."""
    text = (c.data / "entities" / "facilities.toml").read_text(encoding="utf-8")
    first = re.search(r'(?ms)^\[(?P<id>[\w-]+)\]\n.*?(?=^\[|\Z)', text)
    other = c.data / "entities" / "products.toml"
    other.write_text(other.read_text(encoding="utf-8") + "\n" + first.group(0), encoding="utf-8")
    return ["duplicate", first.group("id"), "facilities.toml"]


def unknown_type(c: Case) -> list[str]:
    path = c.data / "entities" / "facilities.toml"
    text = path.read_text(encoding="utf-8")
    kind = re.search(r'(?m)^type = "(\w+)"', text).group(1)
    path.write_text(text.replace(f'type = "{kind}"', 'type = "Spaceship"', 1), encoding="utf-8")
    return ["unknown type", "Spaceship"]


def unknown_report_id(c: Case) -> list[str]:
    c.edit(CERTS, LEED, LEED.replace("2024:1725", "2042:1725"))
    return ["cert-xinzhou-tower-leed-gold", "cites sustainability-report-2042"]


def line_out_of_range(c: Case) -> list[str]:
    c.edit(CERTS, LEED, LEED.replace(":1725", ":99999"))
    return ["cert-xinzhou-tower-leed-gold", "sustainability-report-2024.txt:99999", "out of range"]


def missing_build(c: Case) -> list[str]:
    c.graph = c.tmp / "nothing"
    return ["nothing", "run `sensekg build` first"]


def corrupt_trig(c: Case) -> list[str]:
    (c.out / "sensekg.trig").write_text("@prefix broken", encoding="utf-8")
    shutil.rmtree(c.out / "store")
    return ["sensekg.trig", "corrupt"]


def corrupt_store(c: Case) -> list[str]:
    for path in (c.out / "store").iterdir():
        if path.is_file():
            path.write_bytes(b"\0garbage\0")
    return ["store", "corrupt"]


def damaged_blocks(c: Case) -> list[str]:
    """Bytes flipped inside the store's table files: the files open, their blocks do not read."""
    for path in (c.out / "store").glob("*.sst"):
        data = bytearray(path.read_bytes())
        for at in range(len(data) // 10, len(data) * 9 // 10, max(1, len(data) // 60)):
            data[at] ^= 0xFF
        path.write_bytes(bytes(data))
    return ["store", "corrupt", "sensekg build --force"]


BUILD = lambda c: ["build", "-q", "--force", "--out", str(c.out), "--reports", str(c.reports),  # noqa: E731
                   "--data", str(c.data)]
READERS: dict[str, Callable[[Case], list[str]]] = {
    "validate": lambda c: ["validate", "--graph", str(c.graph)],
    "export": lambda c: ["export", "--graph", str(c.graph), "--format", "nt"],
    "sparql": lambda c: ["sparql", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "--graph", str(c.graph)],
    "query run": lambda c: ["query", "run", "certifications", "--param", "entity=SenseAuto", "--graph", str(c.graph)],
    "why": lambda c: ["why", "SenseAuto", "--graph", str(c.graph)],
    "search": lambda c: ["search", "SenseNova", "--graph", str(c.graph)],
    "viz": lambda c: ["viz", "SenseAuto", "--graph", str(c.graph), "-o", str(c.tmp / "v.html")],
    "stats": lambda c: ["stats", "--graph", str(c.graph)],
    "check": lambda c: ["check", "--graph", str(c.graph)],
    "diff": lambda c: ["diff", str(c.graph), str(c.graph)],
    "push": lambda c: ["push", "http://127.0.0.1:9", "--graph", str(c.graph)],
}
# the store is only what the fast read commands open; export, stats, check and diff read the TriG
STORE_READERS = ["validate", "sparql", "query run", "why", "search", "viz"]

QUERY_FAULTS = [
    ("malformed SPARQL", ["sparql", "SELECT ?s WHERE { ?s ?p"], ["malformed SPARQL", "line 1, column"]),
    ("unknown query name", ["query", "run", "no-such-query"], ["no-such-query"]),
    ("unknown query name", ["query", "show", "no-such-query"], ["no-such-query"]),
    ("unknown query name", ["viz", "--query", "no-such-query", "-o", "/tmp/never.html"], ["no-such-query"]),
    ("missing parameter", ["query", "run", "dependents"], ["entity"]),
    ("unknown parameter", ["query", "run", "certifications", "--param", "entity=SenseAuto", "--param", "colour=red"],
     ["colour"]),
    ("unknown entity", ["query", "run", "certifications", "--param", "entity=Acme Rockets"], ["Acme Rockets"]),
    ("unknown entity", ["why", "Acme Rockets"], ["Acme Rockets"]),
    ("unknown entity", ["viz", "Acme Rockets", "-o", "/tmp/never.html"], ["Acme Rockets"]),
    ("invalid IRI", ["query", "run", "certifications", "--param", "entity=http://a b"], ["entity", "not a valid IRI"]),
    ("invalid IRI", ["query", "run", "board", "--param", 'report="'], ["report", "not a valid IRI"]),
    ("ambiguous entity", ["query", "run", "certifications", "--param", "entity=Generative AI"],
     ["Generative AI", "names 2 entities"]),
    ("ambiguous entity", ["why", "Generative AI"], ["Generative AI", "names 2 entities"]),
    ("ambiguous entity", ["viz", "Generative AI", "-o", "/tmp/never.html"], ["Generative AI", "names 2 entities"]),
]

MATRIX = [(fault, "build") for fault in (no_reports, empty_reports, truncated_report, invalid_utf8, checksum_differs,
                                         data_syntax_error, duplicate_id, unknown_type, unknown_report_id,
                                         line_out_of_range)]
MATRIX += [(missing_build, name) for name in READERS] + [(corrupt_trig, name) for name in READERS]
MATRIX += [(corrupt_store, name) for name in STORE_READERS]
MATRIX += [(damaged_blocks, name) for name in [*STORE_READERS, "check"]]


@pytest.mark.parametrize(("fault", "command"), MATRIX, ids=[f"{f.__name__}-{c}" for f, c in MATRIX])
def test_bad_input_is_one_clear_line(runner, tmp_path, built, reports_dir, fault, command):
    from sensekg.loaders.datafiles import data_dir

    case = Case(tmp_path, built, reports_dir, data_dir())
    needles = fault(case)
    before = digest(case.out)
    args = BUILD(case) if command == "build" else READERS[command](case)
    result = runner.invoke(main, args)
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sensekg: error:"), result.output
    for needle in needles:
        assert re.search(needle[3:], lines[0]) if needle.startswith("re:") else needle in lines[0], lines[0]
    assert "Traceback" not in result.output
    if fault not in (corrupt_trig, corrupt_store, damaged_blocks):
        assert digest(case.out) == before, "the previous build changed"


@pytest.mark.parametrize(("what", "args", "needles"), QUERY_FAULTS, ids=[f"{w}-{a[0]}" for w, a, _ in QUERY_FAULTS])
def test_bad_query_input_is_one_clear_line(runner, built, what, args, needles):
    reads_graph = args[:2] != ["query", "show"]
    result = runner.invoke(main, [*args, "--graph", str(built[1])] if reads_graph else args)
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sensekg: error:"), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


# -- options and files that used to end in a traceback (issue 12, cause 16) ---------------------

def _not_utf8(tmp: Path) -> str:
    path = tmp / "q.rq"
    path.write_bytes(b"SELECT \xff WHERE {}")
    return str(path)


def _fifo(tmp: Path) -> str:
    os.mkfifo(tmp / "pipe")
    return str(tmp / "pipe")


def _nested(tmp: Path) -> str:
    path = tmp / "nested.rq"
    path.write_text("SELECT * WHERE " + "{" * 100_000 + "}" * 100_000, encoding="utf-8")
    return str(path)


OPTION_FAULTS = [
    ("export to a pipe", lambda t, g: ["export", "--graph", g, "--format", "nt", "-o", _fifo(t)],
     ["not a regular file"]),
    ("query nested too deep", lambda t, g: ["sparql", _nested(t), "--graph", g], ["crashed", "simplify"]),
    ("push URL malformed", lambda t, g: ["push", "http://[::1", "--graph", g], ["malformed"]),
    ("LOAD without --allow-service", lambda t, g: ["sparql", "LOAD <http://127.0.0.1:9/x.ttl>", "--writable",
                                                   "--graph", g], ["LOAD", "--allow-service"]),
    ("timeout inf", lambda t, g: ["sparql", "SELECT 1 {}", "--timeout", "inf", "--graph", g], ["--timeout", "inf"]),
    ("timeout nan", lambda t, g: ["query", "run", "people", "--timeout", "nan", "--graph", g], ["--timeout", "nan"]),
    ("memory nan", lambda t, g: ["why", "SenseAuto", "--max-memory", "nan", "--graph", g], ["--max-memory"]),
    ("parameter not UTF-8", lambda t, g: ["query", "run", "certifications", "--param", "entity=\udcff", "--graph", g],
     ["--param", "UTF-8"]),
    ("entity not UTF-8", lambda t, g: ["why", "\udcff", "--graph", g], ["ENTITY", "UTF-8"]),
    ("graph is the root", lambda t, g: ["stats", "--graph", "/"], ["no built graph here"]),
    ("query file not UTF-8", lambda t, g: ["sparql", _not_utf8(t), "--graph", g], ["q.rq", "not UTF-8"]),
    ("export to a folder", lambda t, g: ["export", "--graph", g, "--format", "nt", "-o", str(t)], ["is a folder"]),
    ("export nowhere", lambda t, g: ["export", "--graph", g, "--format", "nt", "-o", "/proc/nope/x.nt"],
     ["/proc/nope"]),
    ("viz to a folder", lambda t, g: ["viz", "SenseAuto", "--graph", g, "-o", (t / "v.html").mkdir() or str(t / "v.html")],
     ["is a folder"]),
    ("port out of range", lambda t, g: ["serve", "--graph", g, "--port", "65536"], ["--port", "65536"]),
    ("empty push URL", lambda t, g: ["push", "", "--graph", g], ["URL", "empty"]),
    ("push timeout inf", lambda t, g: ["push", "http://127.0.0.1:9", "--timeout", "inf", "--graph", g],
     ["--timeout", "inf"]),
    ("too many jobs", lambda t, g: ["validate", "--jobs", "100000", "--graph", g], ["--jobs", "100000"]),
    ("CONSTRUCT", lambda t, g: ["sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--graph", g],
     ["only SELECT"]),
    ("malformed --param", lambda t, g: ["viz", "--query", "certifications", "--param", "entitySenseAuto",
                                        "--graph", g, "-o", str(t / "v.html")], ["entitySenseAuto", "NAME=VALUE"]),
    ("malformed update", lambda t, g: ["sparql", "INSERT DATA {\n  <urn:a> <urn:b> \n}", "--writable", "--graph", g],
     ["malformed SPARQL Update", "line 3"]),
]


@pytest.mark.parametrize(("what", "args", "needles"), OPTION_FAULTS, ids=[w for w, _, _ in OPTION_FAULTS])
def test_bad_options_are_one_clear_line(runner, tmp_path, built, what, args, needles):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    before = digest(out)
    result = runner.invoke(main, args(tmp_path, str(out)))
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sensekg: error:"), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    if what != "malformed update":  # opening a store for writing changes its files, by design
        assert digest(out) == before


class _FullIndex:
    """``sqlite3`` as the search index's writer sees it on a full disk: the commit fails."""

    Error, OperationalError = sqlite3.Error, sqlite3.OperationalError

    @staticmethod
    def connect(path):
        real = sqlite3.connect(path)

        class Connection:
            executescript, executemany, close = real.executescript, real.executemany, real.close

            def commit(self):
                raise sqlite3.OperationalError("database or disk is full")

        return Connection()


@pytest.mark.parametrize("writer", ["write_nquads", "fill_from_nquads", "index", "trig"])
def test_a_full_disk_is_one_line_and_the_previous_build_survives(runner, tmp_path, built, monkeypatch, writer):
    """Each writer meets a full disk its own way: Python's writes (the N-Quads) with an errno;
    the store's, in RocksDB through pyoxigraph, with only a message; SQLite's (the search index)
    with its own exception; the TriG's, in a child process, with the child's errno. Each is one
    line about the build folder (the file it names is in the staging folder, gone by then). The
    first three were seen on a full 150 MB tmpfs; the store's and the index's were tracebacks."""
    import dataclasses
    import errno

    from sensekg.graph import build, evidence_index, rdfio

    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    before = digest(out)
    # the session's build stands in for reading the reports again: only its writing is tested
    monkeypatch.setattr(build, "build_dataset", lambda *args, **kwargs: dataclasses.replace(built[0], timings={}))

    def full(*args, **kwargs):
        if writer == "write_nquads":
            raise OSError(errno.ENOSPC, "No space left on device", str(args[1]) if len(args) > 1 else None)
        raise OSError(f"IO error: No space left on device: While appending to file: {args[1]}: "
                      "No space left on device")

    if writer == "index":
        monkeypatch.setattr(evidence_index, "sqlite3", _FullIndex)
    elif writer == "trig":  # the child's program, as pyoxigraph's serialiser fails there on a full disk
        assert "\n    if parts:\n" in rdfio._CONVERT
        monkeypatch.setattr(rdfio, "_CONVERT", rdfio._CONVERT.replace(
            "\n    if parts:\n", "\n    raise OSError(28, 'No space left on device', target)\n    if parts:\n"))
    else:
        monkeypatch.setattr(build if writer == "write_nquads" else rdfio, writer, full)
    result = runner.invoke(main, ["build", "-q", "--force", "--fresh", "--out", str(out)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.strip().splitlines() == [result.output.strip()]
    expected = "database or disk is full" if writer == "index" else "No space left on device"
    assert expected in result.output
    assert f"{out}: " in result.output and "the build here is as it was" in result.output
    assert digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if "sensekg-staging" in p.name] == []


class _FullDiskOs:
    """``os`` as ``write_atomic`` sees it on a full disk: the temporary file's write fails."""

    def __getattr__(self, name):
        return getattr(os, name)

    @staticmethod
    def fdopen(handle, mode):
        import errno

        os.close(handle)

        class Stream:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def write(self, data):
                raise OSError(errno.ENOSPC, "No space left on device")

        return Stream()


@pytest.mark.parametrize(("command", "name"), [
    (["viz", "SenseAuto", "--depth", "1"], "view.graphml"),
    (["viz", "SenseAuto", "--depth", "1"], "view.html"),
    (["export", "--observations", "--format", "csv"], "figures.csv"),
    (["query", "catalogue"], "catalogue.md"),
])
def test_a_file_written_on_a_full_disk_is_named_and_what_was_there_stays(runner, tmp_path, built, monkeypatch,
                                                                       command, name):
    """``viz`` wrote its picture in place, so a full disk left a half-written file where the
    user's was (seen on a full tmpfs); every file a command writes goes through a temporary file
    and a rename, and the error names the file (a full disk's own error names none)."""
    from sensekg.graph import export

    target = tmp_path / name
    target.write_bytes(b"the user's own file")
    monkeypatch.setattr(export, "os", _FullDiskOs())
    graph = [] if command[0] == "query" else ["--graph", str(built[1])]
    result = runner.invoke(main, [*command, *graph, "-o", str(target)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output.strip() == f"sensekg: error: {target}: No space left on device"
    assert target.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left either


def test_validation_in_a_full_temporary_folder_names_it_and_says_how_to_choose_another(runner, built, monkeypatch):
    import errno

    from sensekg.graph import validate

    def full(source, path):
        raise OSError(errno.ENOSPC, "No space left on device")

    for name in ("union_of_store", "union_of_trig", "union_of_nquads"):
        monkeypatch.setattr(validate, name, full)
    result = runner.invoke(main, ["validate", "--full", "--graph", str(built[1])])
    assert result.exit_code == 2, (result.output, result.exception)
    line = result.output.strip()
    assert line.splitlines() == [line] and "/union.nt: No space left on device" in line and "TMPDIR" in line


def test_the_stores_own_file_errors_are_one_line(runner, built, monkeypatch):
    """RocksDB's errors reach Python as an OSError with only a message (no errno, no file name
    of its own); the message names the file, and is the one line the user gets (it was a traceback)."""
    from sensekg.graph import cli

    message = "IO error: No space left on device: While appending to file: /x/store/000012.log: No space left on device"

    def failing(*args, **kwargs):
        raise OSError(message)

    monkeypatch.setattr(cli, "opened", failing)
    result = runner.invoke(main, ["query", "run", "certifications", "--graph", str(built[1])])
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.output == f"sensekg: error: {message}\n"


def test_build_is_not_up_to_date_when_the_manifest_or_a_data_file_kind_changed(runner, tmp_path, built, reports_copy,
                                                                               data_copy):
    """A changed reports.toml, or a folder named like a data file, used to leave the build 'up to date'."""
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    info = out / "build-info.json"
    import json

    from sensekg.graph.build import inputs_digest

    recorded = json.loads(info.read_text())
    recorded["inputs"] = inputs_digest(data_copy)
    info.write_text(json.dumps(recorded))
    same = runner.invoke(main, ["build", "--out", str(out), "--reports", str(reports_copy), "--data", str(data_copy)])
    assert same.exit_code == 0 and "up to date" in same.output, same.output
    manifest = reports_copy / "reports.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("2024 Sustainability Report", "Renamed"),
                        encoding="utf-8")
    changed = runner.invoke(main, ["build", "-q", "--out", str(out), "--reports", str(reports_copy),
                                   "--data", str(data_copy)])
    assert changed.exit_code == 0 and "up to date" not in changed.output, changed.output
    (data_copy / "entities" / "x.toml").mkdir()
    broken = runner.invoke(main, ["build", "-q", "--out", str(out), "--reports", str(reports_copy),
                                  "--data", str(data_copy)])
    assert broken.exit_code == 2 and "x.toml" in broken.output, broken.output
