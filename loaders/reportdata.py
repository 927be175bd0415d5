"""What a report folder says about its report besides statements and tables: its settings
(``report.toml``) and the names and figures its curator dismissed (``dismissed.toml``).

Both are read through the same checks as every other data file, so a misspelt key or a
dismissal without a reason is an error naming the file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .datafiles import DISMISSED, SETTINGS, array_records, data_dir, read_toml, report_folders
from .errors import InputError
from .facts import Citation
from .registry import Registry
from .reports import Corpus
from .schema import DISMISSAL_SHAPE, FIGURE_DISMISSAL_SHAPE, SETTINGS_SHAPE, check_record


@dataclass(frozen=True)
class ReportSettings:
    """``report.toml``: ``segments`` is the report's segment scheme, the segment entities its
    prose and tables name ("Our Generative AI revenue")."""

    segments: tuple[str, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class Dismissal:
    report: str
    name: str
    reason: str
    where: str


def report_settings(folder: Path | None = None) -> dict[str, ReportSettings]:
    """Each report folder's settings by report id; a folder without ``report.toml`` has none."""
    found = {}
    for report, root in report_folders(folder).items():
        path = root / SETTINGS
        if not path.is_file():
            continue
        data, lines = read_toml(path)
        values = check_record(data, SETTINGS_SHAPE, "", path, lines, None)
        found[report] = ReportSettings(tuple(values.get("segments", ())), str(path))
    return found


def report_segments(registry: Registry, report: str, folder: Path | None = None) -> dict[str, str]:
    """The segment scheme of ``report``: each of its segments' names (label and aliases) -> id."""
    settings = report_settings(folder).get(report)
    found = {}
    for segment in settings.segments if settings else ():
        if segment in registry:
            for name in registry[segment].names:
                found[name] = segment
    return found


@dataclass(frozen=True)
class FigureDismissal:
    """A printed figure that is no observation of the graph, with the curator's reason: a figure
    cited at ``report:line`` whose anchor holds it, as printed, is dismissed."""

    report: str
    citations: tuple[Citation, ...]
    reason: str
    where: str


def _dismissed_files(folder: Path | None):
    base = folder or data_dir()
    for report, root in [("", base), *report_folders(folder).items()]:
        path = root / DISMISSED
        if not path.is_file():
            continue
        data, lines = read_toml(path)
        extra = sorted(set(data) - {"dismiss", "figure"})
        if extra:
            raise InputError(f"unknown table {extra[0]!r}; expected [[dismiss]] or [[figure]] records", path=path)
        yield report, path, data, lines


def _start(where: str) -> int | None:
    tail = where.rsplit(":", 1)[1]
    return int(tail) if tail.isdigit() else None


def dismissals(folder: Path | None = None) -> list[Dismissal]:
    """Every ``[[dismiss]]`` record: a name in a report that the curator decided is no entity.

    The data folder's own ``dismissed.toml`` holds names no report makes an entity of (its
    records have the report ``""``); a report folder's holds that report's."""
    found = []
    for report, path, data, lines in _dismissed_files(folder):
        for body, where in array_records(path, data, lines, "dismiss"):
            values = check_record(body, DISMISSAL_SHAPE, "[[dismiss]]", path, lines, _start(where))
            found.append(Dismissal(report, values["name"], values["reason"].strip(), where))
    return found


def figure_dismissals(folder: Path | None = None) -> list[FigureDismissal]:
    """Every ``[[figure]]`` record of a report folder's ``dismissed.toml``: printed figures the
    curator decided are no observation (a page's furniture, a third party's market forecast, a
    figure of a thing the graph does not describe), each cited where it is printed, with a reason.
    A figure is a fact of its own report, so the shared ``dismissed.toml`` holds none."""
    found = []
    for report, path, data, lines in _dismissed_files(folder):
        for body, where in array_records(path, data, lines, "figure"):
            if not report:
                raise InputError("[[figure]] dismissals belong in the report's own folder "
                                 "(reports/<id>/dismissed.toml)", path=where)
            values = check_record(body, FIGURE_DISMISSAL_SHAPE, "[[figure]]", path, lines, _start(where))
            wrong = [c for c in values["cite"] if c.report != report]
            if wrong:
                raise InputError(f"[[figure]] cites {wrong[0].report!r} but lives in the folder of {report!r}",
                                 path=where)
            found.append(FigureDismissal(report, tuple(values["cite"]), values["reason"].strip(), where))
    return found


def check_report_data(corpus: Corpus, registry: Registry, folder: Path | None = None) -> None:
    """Every report folder names a report of the manifest, and its segments are segments of
    the registry: a folder for a report the manifest lacks would otherwise be read by nothing."""
    for report, root in report_folders(folder).items():
        if report not in corpus:
            raise InputError(f"a data folder for report {report!r}, which the manifest does not list "
                             f"(known: {', '.join(corpus.ids)}); add it with `sensekg report add`", path=root)
    for settings in report_settings(folder).values():
        for segment in settings.segments:
            if segment not in registry or registry[segment].type != "BusinessSegment":
                raise InputError(f"segments: {segment!r} is not a BusinessSegment of the registry",
                                 path=settings.where)
