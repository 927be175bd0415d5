"""The curator's tools: register a new report, and review what the readers make of it.

``add_report`` writes the manifest entry (what the text says, and what the curator says where the
text is silent), makes the report's data folder and writes its review. ``write_review`` runs the
generic readers over one report and writes ``review.md`` into its data folder: the figures read,
the tables and rows not read with their reasons, the known entities mentioned and the candidates
to confirm or dismiss. Nothing the user owns is overwritten: the manifest is rewritten whole
through a temporary file and a rename, after the new entry has been checked, and a report file
is copied into the reports folder only under a name that is free.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sensekg.loaders.datafiles import DISMISSED, REPORTS, REVIEW, SETTINGS, data_dir
from sensekg.loaders.errors import InputError
from sensekg.loaders.extractors import run_extractors
from sensekg.loaders.mentions import NameFinder, curated_labels, find_mentions
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reportdata import dismissals, report_settings
from sensekg.loaders.reports import MANIFEST, load_manifest, read_corpus

from .export import write_atomic

_MONTH = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"), start=1)}
ANNUAL = re.compile(r"ANNUAL\s+RESULTS\s+ANNOUNCEMENT\s+FOR\s+THE\s+YEAR\s+ENDED\s+([A-Z]+)\s+(\d+),\s+(\d{4})", re.I)
INTERIM = re.compile(r"INTERIM\s+RESULTS\s+ANNOUNCEMENT\s+FOR\s+THE\s+SIX\s+MONTHS\s+ENDED\s+"
                     r"([A-Z]+)\s+(\d+),\s+(\d{4})", re.I)
SUSTAINABILITY = re.compile(r"(\d{4})\D{0,40}?(?:Sustainability|Environmental, Social and Governance|ESG)\s+Report",
                            re.I | re.S)
ISSUER = re.compile(r"^[*\s]*([A-Z][\w&.\- ]+?(?:Group Inc\.|Inc\.|Limited|Ltd\.|Corporation|Co\., Ltd\.))[*\s]*$")


@dataclass
class Entry:
    """A ``[[report]]`` entry of the manifest."""

    id: str | None = None
    file: str | None = None
    title: str | None = None
    kind: str | None = None
    issuer: str | None = None
    published: str | None = None
    period_start: str | None = None
    period_end: str | None = None
    sha256: str | None = None

    def toml(self) -> str:
        lines = ["[[report]]"]
        for key in ("id", "file", "title", "kind", "issuer", "published", "period_start", "period_end", "sha256"):
            value = getattr(self, key)
            if value is not None:
                escaped = value.replace("\\", "\\\\").replace('"', '\\"')
                lines.append(f'{key} = "{escaped}"')
        return "\n".join(lines) + "\n"


def _end(month: str, day: str, year: str) -> dt.date:
    return dt.date(int(year), _MONTH[month.casefold()], int(day))


def guess_entry(text: str) -> Entry:
    """What the opening of a report says about itself: kind, period, title, issuer and an id."""
    head = "\n".join(text.splitlines()[:80])
    entry = Entry()
    for line in head.splitlines():
        match = ISSUER.match(line.replace("**", ""))
        if match:
            entry.issuer = match.group(1).strip()
            break
    if match := ANNUAL.search(head):
        end = _end(*match.groups())
        entry.kind, entry.id = "annual-results", f"annual-results-{end.year}"
        entry.title = f"Annual Results Announcement for the Year Ended {end:%B} {end.day}, {end.year}"
        start = dt.date(end.year - 1, end.month, end.day) + dt.timedelta(1)
        entry.period_start, entry.period_end = str(start), str(end)
    elif match := INTERIM.search(head):
        end = _end(*match.groups())
        start = dt.date(end.year, end.month - 5, 1) if end.month > 5 else dt.date(end.year, 1, 1)
        entry.kind, entry.id = "interim-results", f"interim-results-{end.year}h{1 if end.month <= 6 else 2}"
        entry.title = f"Interim Results Announcement for the Six Months Ended {end:%B} {end.day}, {end.year}"
        entry.period_start, entry.period_end = str(start), str(end)
    elif match := SUSTAINABILITY.search(head):
        year = int(match.group(1))
        entry.kind, entry.id = "sustainability-report", f"sustainability-report-{year}"
        entry.title = f"{year} Sustainability Report"
        entry.period_start, entry.period_end = f"{year}-01-01", f"{year}-12-31"
    return entry


def add_report(source: Path, reports: Path, data: Path | None, given: Entry) -> tuple[Entry, Path]:
    """Register ``source`` in the manifest of ``reports`` and make its data folder; returns the
    entry and the folder. ``given`` holds what the curator said; it wins over the guesses."""
    if not source.is_file():
        raise InputError("no such report file", path=source)
    raw = source.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(f"a report must be UTF-8 text ({exc.reason} at byte {exc.start})", path=source,
                         line=line) from None
    entry = guess_entry(text)
    for key, value in vars(given).items():
        if value is not None:
            setattr(entry, key, value)
    missing = [key for key in ("id", "kind", "title", "issuer") if getattr(entry, key) is None]
    if missing:
        options = ", ".join(f"--{key.replace('_', '-')}" for key in missing)
        raise InputError(f"the text does not say its {', '.join(missing)}; give {options}", path=source)
    manifest_path = reports / MANIFEST
    specs = load_manifest(reports)
    if any(spec.id == entry.id for spec in specs):
        raise InputError(f"the manifest already has a report with id {entry.id!r}; give another --id",
                         path=manifest_path)
    entry.sha256 = hashlib.sha256(raw).hexdigest()
    for spec in specs:
        if spec.sha256 == entry.sha256:
            raise InputError(f"this text is already registered as {spec.id!r} ({spec.file})", path=source)
    target = _target(source, reports, raw)
    entry.file = target.name
    old = manifest_path.read_text(encoding="utf-8")
    new = old.rstrip("\n") + "\n\n" + entry.toml()
    folder = (data or data_dir()) / REPORTS / entry.id
    if folder.exists() and any(folder.iterdir()):
        raise InputError("a data folder for this report id exists already and is not empty; give another --id",
                         path=folder)
    if not target.exists():  # every check passed: now the copy, then the manifest
        shutil.copyfile(source, target)
    try:
        _check_manifest(reports, new)
    except InputError:
        if target != source:
            target.unlink()
        raise
    write_atomic(manifest_path, new.encode("utf-8"))
    folder.mkdir(parents=True, exist_ok=True)
    _write_settings(folder, entry, data)
    return entry, folder


def _target(source: Path, reports: Path, raw: bytes) -> Path:
    """Where the report stands in the reports folder: ``source`` itself, or a free name (or a
    file there with the same bytes) for a copy."""
    if source.resolve().parent == reports.resolve():
        return source
    target = reports / source.name
    if target.exists() and target.read_bytes() != raw:
        raise InputError(f"the reports folder has another file named {source.name}; rename the report",
                         path=target)
    return target


def _check_manifest(reports: Path, text: str) -> None:
    """The new manifest passes every check the build makes, before it replaces the old one."""
    try:
        load_manifest(reports, text)
    except InputError as exc:
        raise InputError(f"the new manifest entry is refused: {exc.message}", path=reports / MANIFEST) from None


def _write_settings(folder: Path, entry: Entry, data: Path | None) -> None:
    """``report.toml`` with the segment scheme of the latest report of the same kind, to confirm."""
    settings = report_settings(data)
    same_kind = sorted(report for report in settings if report.startswith(entry.kind or "\0"))
    previous = settings[same_kind[-1]].segments if same_kind else ()
    lines = [f"# Settings of {entry.id} besides its manifest entry (reports.toml).",
             "# segments: the report's segment scheme, the segment entities its prose and tables name.",
             "# Copied from the latest report of the same kind: check them against the report's segment note."]
    lines.append("segments = [" + ", ".join(f'"{s}"' for s in previous) + "]")
    write_atomic(folder / SETTINGS, ("\n".join(lines) + "\n").encode("utf-8"))
    write_atomic(folder / DISMISSED, (
        f"# Names in {entry.id} that are not entities, each with why (a generic phrase, an unnamed\n"
        "# party, a heading). `sensekg report review` and `sensekg coverage` count them as decided.\n").encode())


def write_review(report: str, reports: Path | None, data: Path | None) -> tuple[Path, dict[str, int]]:
    """Run the readers over ``report`` and write its ``review.md``; returns the path and counts."""
    corpus = read_corpus(reports)
    if report not in corpus:
        raise InputError(f"no report {report!r} in the manifest (known: {', '.join(corpus.ids)})")
    registry = load_registry(data)
    document = corpus[report]
    extraction = run_extractors(corpus, registry, data)
    figures = [r for r in extraction.readings if r.citations[0].report == report]
    skipped = [s for s in extraction.skipped if s.report == report and not s.reason.startswith("repaired")]
    mentions = find_mentions(document, registry, dismissals(data), NameFinder(registry, curated_labels(data)))
    known: dict[str, list[int]] = defaultdict(list)
    candidates: dict[tuple[str, str], list[int]] = defaultdict(list)
    dismissed = 0
    for mention in mentions:
        if mention.entity:
            known[mention.entity].append(mention.line)
        elif mention.dismissed:
            dismissed += 1
        else:
            candidates[(mention.name, mention.kind)].append(mention.line)
    counts = {"figures": len(figures), "not read": len(skipped), "known entities": len(known),
              "candidates": len(candidates), "dismissed": dismissed}
    out = [f"# Review of {report}", "",
           f"Written by `sensekg report review {report}`; run it again after a change, do not edit this file.", "",
           f"- {counts['figures']} figures read; {counts['not read']} tables or rows not read",
           f"- {counts['known entities']} known entities mentioned",
           f"- {counts['candidates']} candidate names to decide; {dismissed} mentions dismissed", "",
           "## Candidates", "",
           "Confirm a candidate by adding it to the registry (`entities/*.toml`: `[id]`, `type`, `label`, `alt`),",
           f"or state a fact about it in `reports/{report}/statements-*.toml`. Dismiss it with a",
           f"`[[dismiss]]` record (`name`, `reason`) in `reports/{report}/{DISMISSED}`. See docs/curating.md.", "",
           "| name | kind | lines |", "|---|---|---|"]
    for (name, kind), lines in sorted(candidates.items(), key=lambda item: (item[0][1], item[0][0].casefold())):
        out.append(f"| {_cell(name)} | {kind} | {_lines(report, lines)} |")
    out += ["", "## Known entities mentioned", "", "| id | label | lines |", "|---|---|---|"]
    for entity, lines in sorted(known.items()):
        label = registry[entity].label if entity in registry else next(m.name for m in mentions if m.entity == entity)
        out.append(f"| {entity} | {_cell(label)} | {_lines(report, lines)} |")
    out += ["", "## Figures read", "", "| line | measure | period | segment | value | unit | by |",
            "|---|---|---|---|---|---|---|"]
    for reading in sorted(figures, key=lambda r: (r.citations[0].line, r.measure.label)):
        out.append(f"| {reading.citations[0]} | {_cell(reading.measure.label)} | {reading.period.label} | "
                   f"{reading.segment or ''} | {reading.value} | {reading.unit} | {reading.origin.split(' (')[0]} |")
    out += ["", "## Tables and rows not read", "", "| line | reason |", "|---|---|"]
    for entry in sorted(skipped, key=lambda s: s.line):
        out.append(f"| {entry.report}:{entry.line} | {_cell(entry.reason)} |")
    folder = (data or data_dir()) / REPORTS / report
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / REVIEW
    write_atomic(path, ("\n".join(out) + "\n").encode("utf-8"))
    return path, counts


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _lines(report: str, lines: list[int]) -> str:
    shown = ", ".join(f"{report}:{n}" for n in sorted(set(lines))[:6])
    return shown + (f" (+{len(set(lines)) - 6})" if len(set(lines)) > 6 else "")
