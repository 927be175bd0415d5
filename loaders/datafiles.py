"""The layout of a data folder, and reading its TOML files with errors that name file and line.

A data folder holds the shared registry, ``entities/*.toml`` and ``measures.toml``, and one
folder per report, ``reports/<report-id>/``, with what is curated about that report alone:

- ``statements*.toml``: facts read by a person from the report's prose;
- ``tables.toml``: the exceptions to the generic table reader for this report;
- ``report.toml``: settings of the report (its segment scheme);
- ``dismissed.toml``: names the curator has looked at and decided are not entities;
- ``review.md``: written by ``sensekg report add``/``review`` for the curator, never read.

The data folder's own ``dismissed.toml`` holds the names dismissed for every report.

The report is the unit of curation: adding a report is adding its folder (and its manifest
entry), never editing Python. A folder or file that is missing or misplaced is reported here,
before anything is read: an empty registry would otherwise surface much later as "not in the
entity registry" blamed on some report line, and a misspelt file name would silently vanish.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from .errors import InputError

LAYOUT = "entities/*.toml, measures.toml and reports/<report-id>/ folders"
REPORTS = "reports"
STATEMENTS = "statements*.toml"
TABLES = "tables.toml"
SETTINGS = "report.toml"
DISMISSED = "dismissed.toml"
REVIEW = "review.md"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def data_dir() -> Path:
    return Path(str(resources.files("sensekg.loaders").joinpath("data")))


def data_files(kind: str, folder: Path | None = None, at_least_one: bool = False) -> list[Path]:
    """The ``*.toml`` files of ``entities`` or ``statements``, sorted for a stable build.

    The data folder and its ``kind`` subfolder must exist, and every ``*.toml`` in it must be
    a file; with ``at_least_one``, an empty subfolder is an error too.
    """
    base = folder or data_dir()
    if not base.is_dir():
        raise InputError(f"the data folder does not exist (expected a folder with {LAYOUT})", path=base)
    root = base / kind
    if not root.is_dir():
        raise InputError(f"the data folder has no {kind}/ folder (expected {LAYOUT})", path=base)
    files = sorted(root.glob("*.toml"))
    for path in files:
        if not path.is_file():
            found = "a folder" if path.is_dir() else "not a regular file"
            raise InputError(f"is {found}; expected a TOML data file", path=path)
    if at_least_one and not files:
        raise InputError(f"the data folder has no {kind} (expected {kind}/*.toml)", path=base)
    return files


def report_folders(folder: Path | None = None) -> dict[str, Path]:
    """Each ``reports/<report-id>/`` folder by its report id, sorted; none is fine."""
    base = folder or data_dir()
    if not base.is_dir():
        raise InputError(f"the data folder does not exist (expected a folder with {LAYOUT})", path=base)
    root = base / REPORTS
    if not root.exists():
        return {}
    if not root.is_dir():
        raise InputError("is not a folder; expected one folder per report id in it", path=root)
    found = {}
    for path in sorted(root.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_dir():
            raise InputError(f"is not a folder; {REPORTS}/ holds one folder per report id", path=path)
        if not _SLUG.match(path.name):
            raise InputError("a report folder is named by its report id: lower-case letters, digits and '-'",
                             path=path)
        for item in sorted(path.iterdir()):
            if item.name.startswith(".") or item.name == REVIEW:
                continue
            known = item.name in (TABLES, SETTINGS, DISMISSED) or item.match(STATEMENTS)
            if not known or not item.is_file():
                raise InputError(f"is not a data file of a report folder (expected {STATEMENTS}, {TABLES}, "
                                 f"{SETTINGS}, {DISMISSED} or {REVIEW})", path=item)
        found[path.name] = path
    return found


def report_files(pattern: str, folder: Path | None = None) -> list[tuple[str, Path]]:
    """``(report id, path)`` of every file named ``pattern`` in the report folders, sorted."""
    return [(report, path) for report, root in report_folders(folder).items()
            for path in sorted(root.glob(pattern))]


def read_toml(path: Path) -> tuple[dict, list[str]]:
    """The parsed file and its lines; a missing, unreadable, non-UTF-8 or malformed file is an
    ``InputError`` naming it (and the line, where there is one)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found; expected a TOML data file here", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder; expected a TOML data file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", path=path, line=line) from None
    return parse_toml(text, path)


def parse_toml(text: str, path: Path) -> tuple[dict, list[str]]:
    """``text`` parsed as the content of ``path``, with its lines; a syntax error names the line."""
    try:
        return tomllib.loads(text), text.splitlines()
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError(f"TOML syntax error: {reason}", path=path,
                         line=int(match.group(1)) if match else None) from None


_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]\s]+)\s*\]\]?\s*(?:#.*)?$")


def header_lines(lines: list[str]) -> dict[str, list[int]]:
    """Every ``[header]`` and ``[[header]]`` of a file, with the 1-based lines it starts at, in
    order of appearance, found in one pass (a file of many tables is scanned once, not per table)."""
    found: dict[str, list[int]] = {}
    for number, text in enumerate(lines, start=1):
        if "[" in text and (match := _HEADER.match(text)):
            found.setdefault(match.group(1), []).append(number)
    return found


def table_lines(lines: list[str], header: str) -> list[int]:
    """1-based lines where ``[header]`` or ``[[header]]`` starts, in order of appearance."""
    return header_lines(lines).get(header, [])


def record_lines(lines: list[str], header: str, count: int) -> list[int | None]:
    """The header line of each of ``count`` ``[[header]]`` records; ``None`` for all when the
    headers do not match the records one to one (an inline ``header = [{...}]`` array)."""
    starts = table_lines(lines, header)
    return list(starts) if len(starts) == count else [None] * count


def array_records(path: Path, data: dict, lines: list[str], name: str) -> list[tuple[dict, str]]:
    """The ``[[name]]`` tables of a parsed file, each with ``file:line`` for error messages."""
    starts = table_lines(lines, name)
    entries = data.get(name, [])
    return [(body, f"{path}:{starts[index] if index < len(starts) else '?'}")
            for index, body in enumerate(entries)]
