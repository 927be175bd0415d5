"""Data lint: what is wrong or idle in the curated data, all at once, with file and line.

The build stops at the first bad record; a curator editing a dozen wants the whole list, and
wants to hear about records that are merely idle (a dismissal nothing matches, a table override
that reads no row), which the build accepts. ``sensekg lint`` runs these checks, and CI runs it
on the real data, where it must find nothing:

- ids used but not defined (statement objects and subjects, segments, ``distinct``);
- records that produce nothing (an ``[[about]]`` with no property, a table override that reads no
  row, a ``[[skip]]`` line that is no table row, a dismissal that matches no mention);
- aliases that no report prints;
- duplicate records (the same fact from the same line twice, two figures from one anchor, one name
  dismissed twice);
- per report, the mentions of candidate names still undecided (a name on a line), against the
  ceiling in ``lint.toml``, which may only come down.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .datafiles import data_dir, read_toml
from .errors import InputError
from .evidence import MentionIndex, anchor_span
from .extractors.printedfigures import holds, printed_figures
from .extractors.tablerecords import load_figures, load_skips, load_specs, read_table, tables_files
from .mentions import NameFinder, curated_labels, find_mentions
from .registry import Registry, load_registry, name_key
from .reportdata import dismissals, figure_dismissals, report_settings
from .reports import Corpus
from .statements import Record, read_records
from .vocab import properties

CEILINGS = "lint.toml"


@dataclass(frozen=True)
class Finding:
    check: str  # undefined id, produces nothing, unused alias, duplicate, undecided candidates
    where: str  # file:line, or report id
    message: str


def lint(corpus: Corpus, folder: Path | None = None) -> tuple[list[Finding], dict[str, int]]:
    """Every finding, and the number of undecided candidates per report."""
    registry = load_registry(folder)
    records, parsed = read_records(folder), tables_files(folder)  # each data file read once
    findings = (_ids(registry, records, parsed, folder) + _aliases(corpus, registry)
                + _idle_and_duplicates(corpus, registry, records, parsed, folder))
    undecided, mentions_found = {}, {}
    finder = NameFinder(registry, curated_labels(records=records))
    dismissed = dismissals(folder)
    for document in corpus:
        mentions = find_mentions(document, registry, dismissed, finder)
        mentions_found[document.id] = mentions
        undecided[document.id] = sum(1 for m in mentions if m.undecided)
    used = {(m.report, name_key(m.name)) for mentions in mentions_found.values() for m in mentions if m.dismissed}
    seen: Counter = Counter()
    for entry in dismissed:
        key = (entry.report, name_key(entry.name))
        seen[key] += 1
        if seen[key] == 2:
            findings.append(Finding("duplicate", entry.where, f"{entry.name!r} is dismissed twice"))
        if entry.report and (entry.report, key[1]) not in used or \
                not entry.report and not any(k[1] == key[1] for k in used):
            findings.append(Finding("produces nothing", entry.where,
                                    f"dismissal of {entry.name!r} matches no mention in "
                                    f"{entry.report or 'any report'}"))
    findings += _figure_dismissals(corpus, folder)
    ceilings = read_ceilings(folder)
    for report, count in undecided.items():
        if report in ceilings and count > ceilings[report]:
            findings.append(Finding("undecided candidates", report,
                                    f"{count} mentions of undecided names, above the ceiling of {ceilings[report]} "
                                    f"in {CEILINGS}: confirm or dismiss the new ones (sensekg report review "
                                    f"{report})"))
    return findings, undecided


def read_ceilings(folder: Path | None = None) -> dict[str, int]:
    path = (folder or data_dir()) / CEILINGS
    if not path.is_file():
        return {}
    data, _ = read_toml(path)
    found = data.get("undecided", {})
    if not isinstance(found, dict) or not all(isinstance(v, int) for v in found.values()):
        raise InputError("expected [undecided] with a whole number per report id", path=path)
    return found


def _ids(registry: Registry, records: list[Record], parsed: list, folder: Path | None) -> list[Finding]:
    nodes = {r.node for r in records if r.kind != "about"}
    known = set(registry.entities) | nodes
    found = []
    for record in records:
        if record.kind == "about" and record.node not in known:
            found.append(Finding("undefined id", record.where, f"[[about]] subject {record.node!r} is not defined"))
        for key, values in record.fields.items():
            if properties()[key].links_entities:
                for value in values:
                    if value not in known:
                        found.append(Finding("undefined id", record.where, f"{record.node}: {key} = {value!r}"))
    for entity in registry:
        for other in entity.distinct:
            if other not in registry:
                found.append(Finding("undefined id", entity.source, f"{entity.id}: distinct {other!r}"))
    for report, settings in report_settings(folder).items():
        for segment in settings.segments:
            if segment not in registry:
                found.append(Finding("undefined id", settings.where, f"{report}: segment {segment!r}"))
    for spec in load_specs(folder, parsed):
        for target in (spec.subject, *spec.segments.values()):
            if target not in registry:
                found.append(Finding("undefined id", spec.where, f"table {spec.id}: {target!r}"))
    return found


def _idle_and_duplicates(corpus: Corpus, registry: Registry, records: list[Record], parsed: list,
                         folder: Path | None) -> list[Finding]:
    found = []
    facts: dict[tuple, str] = {}
    for record in records:
        if record.kind == "about" and not record.fields:
            found.append(Finding("produces nothing", record.where, f"[[about]] {record.node} states no property"))
        for key, values in record.fields.items():
            for value in values:
                for citation in record.citations:
                    fact = (record.node, key, str(value), citation.report, citation.line)
                    if fact in facts and facts[fact] != record.where:
                        found.append(Finding("duplicate", record.where,
                                             f"{record.node}: {key} = {value!r} from {citation} is stated at "
                                             f"{facts[fact]} too"))
                    facts.setdefault(fact, record.where)
    for spec in load_specs(folder, parsed):
        if spec.report in corpus and not read_table(corpus, registry, spec, folder)[0]:
            found.append(Finding("produces nothing", spec.where, f"table {spec.id} reads no row"))
    anchors: dict[tuple, str] = {}
    for figure in load_figures(folder, parsed):
        key = (figure.citation.report, figure.citation.line, figure.citation.anchor, figure.measure, figure.period,
               figure.subject, figure.segment)
        if key in anchors:
            found.append(Finding("duplicate", figure.where, f"the figure at {figure.citation} is read at "
                                                             f"{anchors[key]} too"))
        anchors.setdefault(key, figure.where)
    for skip in load_skips(folder, parsed):
        if skip.report not in corpus:
            continue
        rows = {row.line for table in corpus[skip.report].tables for row in table.rows}
        for line in skip.lines:
            if line not in rows:
                found.append(Finding("produces nothing", skip.where, f"skip: {skip.report}:{line} is no table row"))
    return found


def _figure_dismissals(corpus: Corpus, folder: Path | None) -> list[Finding]:
    """A ``[[figure]]`` dismissal whose anchor is not on its line, or holds no figure the line
    prints, dismisses nothing; one dismissed twice is a duplicate."""
    found = []
    printed: dict[str, dict[int, list[str]]] = {}
    seen: dict[tuple[str, int, str], str] = {}
    for dismissal in figure_dismissals(folder):
        if dismissal.report not in corpus:
            continue
        if dismissal.report not in printed:
            printed[dismissal.report] = {}
            for line, text, _ in printed_figures(corpus[dismissal.report]):
                printed[dismissal.report].setdefault(line, []).append(text)
        document = corpus[dismissal.report]
        for citation in dismissal.citations:
            if not 1 <= citation.line <= len(document) or anchor_span(document.line(citation.line),
                                                                  citation.anchor) is None:
                found.append(Finding("produces nothing", dismissal.where,
                                     f"figure dismissal: {citation.anchor!r} is not on {citation}"))
                continue
            held = [t for t in printed[dismissal.report].get(citation.line, ()) if holds(citation.anchor, t)]
            if not held:
                found.append(Finding("produces nothing", dismissal.where,
                                     f"figure dismissal: {citation.anchor!r} holds no figure that {citation} prints"))
            for text in held:
                key = (dismissal.report, citation.line, text.strip())
                if key in seen and seen[key] != dismissal.where:
                    found.append(Finding("duplicate", dismissal.where,
                                         f"figure {text.strip()!r} at {citation} is dismissed at {seen[key]} too"))
                seen.setdefault(key, dismissal.where)
    return found


def _aliases(corpus: Corpus, registry: Registry) -> list[Finding]:
    indexes = {document.id: MentionIndex(document) for document in corpus}
    found = []
    for entity in registry:
        searched = [i for r, i in indexes.items() if not entity.reports or r in entity.reports]
        for alias in entity.aliases:
            if not any(index.first_line(alias) for index in searched):
                found.append(Finding("unused alias", entity.source, f"{entity.id}: alias {alias!r} is in no report"))
    return found


def report_lines(findings: list[Finding]) -> list[str]:
    """The findings grouped by check, for the terminal."""
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.check].append(finding)
    lines = []
    for check, group in sorted(grouped.items()):
        lines.append(f"{check} ({len(group)}):")
        lines += [f"  {f.where}: {f.message}" for f in group]
    return lines
