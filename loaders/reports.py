"""Reading the reports: the manifest, checksums, lines, section headings, tables and lists.

The reports are text conversions of PDFs. Line numbers are the citations the whole graph
rests on, so a :class:`Document` keeps every line exactly as it is in the file (1-based,
as ``sed -n Np`` prints them) and derives structure beside it, never instead of it.
"""

from __future__ import annotations

import bisect
import hashlib
import html
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import islice
from pathlib import Path

from . import schema
from .datafiles import parse_toml, read_toml, record_lines
from .errors import InputError
from .schema import check_record

MANIFEST = "reports.toml"
ENV_VAR = "SENSEKG_REPORTS"


@dataclass(frozen=True)
class ReportSpec:
    """One ``[[report]]`` entry of ``reports.toml``."""

    id: str
    file: str
    title: str
    kind: str
    issuer: str
    sha256: str
    published: date | None = None
    period_start: date | None = None
    period_end: date | None = None
    note: str | None = None


def locate_reports(explicit: str | Path | None = None) -> Path:
    """Find the reports folder: ``explicit``, else ``$SENSEKG_REPORTS``, else ``../shared/reports``.

    The fallback is looked for next to the current directory and next to the source checkout,
    so both ``cd sensekg && sensekg build`` and an editable install find it.
    """
    if explicit is not None:
        candidates, origin = [Path(explicit)], "--reports"
    elif os.environ.get(ENV_VAR):
        candidates, origin = [Path(os.environ[ENV_VAR])], f"${ENV_VAR}"
    else:
        source_root = Path(__file__).resolve().parent.parent
        candidates = [Path.cwd().parent / "shared" / "reports", source_root.parent / "shared" / "reports"]
        origin = "the default ../shared/reports"
    for folder in candidates:
        if (folder / MANIFEST).is_file():
            return folder
    tried = ", ".join(str(c) for c in candidates)
    raise InputError(
        f"no reports folder with {MANIFEST} found (from {origin}; tried {tried}); "
        f"pass --reports DIR or set {ENV_VAR}",
        path=candidates[0],
    )


def load_manifest(folder: Path, text: str | None = None) -> list[ReportSpec]:
    """The ``[[report]]`` entries of ``reports.toml``, each checked against :data:`schema.REPORT_SHAPE`.

    Unknown keys are errors, at the top level and in a ``[[report]]``: a misspelt optional key
    (``perod_end``) would otherwise vanish. A report's ``file`` must stay inside the reports
    folder, through symlinks too: the build reads and quotes it, and must read nothing else.
    ``text``, when given, is checked as the manifest's content instead of the file's.
    """
    path = folder / MANIFEST
    data, lines = read_toml(path) if text is None else parse_toml(text, path)
    entries = check_record(data, schema.MANIFEST_SHAPE, "", path, lines, None)["report"]
    specs: dict[str, ReportSpec] = {}
    for index, (entry, start) in enumerate(zip(entries, record_lines(lines, "report", len(entries)),
                                               strict=True), start=1):
        name = entry.get("id") if isinstance(entry.get("id"), str) else f"number {index}"
        what = f"[[report]] {name}"
        spec = ReportSpec(**check_record(entry, schema.REPORT_SHAPE, what, path, lines, start))
        if spec.id in specs:
            raise InputError(f"{what}: id {spec.id!r} is used by an earlier [[report]] too",
                             path=path, line=start)
        if spec.period_start and spec.period_end and spec.period_end < spec.period_start:
            raise InputError(f"{what}: period_end {spec.period_end} is before period_start {spec.period_start}",
                             path=path, line=start)
        root, target = folder.resolve(), (folder / spec.file).resolve()
        if not target.is_relative_to(root):
            raise InputError(f"{what}: file = {schema.show(spec.file)} leads to {target}, outside the reports folder "
                             f"{root}; reports must stay inside it", path=path, line=start)
        specs[spec.id] = spec
    return list(specs.values())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Heading:
    line: int
    level: int
    text: str


@dataclass(frozen=True)
class Row:
    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A run of TAB-separated lines; cells are cleaned of HTML emphasis tags."""

    first_line: int
    rows: tuple[Row, ...]

    @property
    def last_line(self) -> int:
        return self.rows[-1].line


@dataclass(frozen=True)
class ListItem:
    line: int
    text: str


_TAG = re.compile(r"<[^>]+>")
_HEADING_MD = re.compile(r"^(#{1,6})\s+(.*)$")
_LIST_MD = re.compile(r"^\s*(?:[-*•·]|\d+\.)\s+(.*)$")
_LI = re.compile(r"<li[^>]*>(.*?)</li>", re.S)


def clean_text(raw: str) -> str:
    """Text of a cell or heading: HTML tags and markdown emphasis removed, whitespace folded."""
    # A tag ends at a ">": past the last one, each "<" would scan to the end of the line for nothing.
    end = raw.rfind(">") + 1
    text = html.unescape(_TAG.sub(" ", raw[:end]) + raw[end:]).replace("*", "")
    return " ".join(text.split())


_TR = re.compile(r"<tr\b[^>]*>(.*?)(?:</tr>|(?=<tr\b)|$)", re.S | re.I)
_CELL = re.compile(r"<t[dh]\b([^>]*)>(.*?)(?:</t[dh]>|(?=<t[dh]\b)|$)", re.S | re.I)
_SPAN = re.compile(r"colspan\s*=\s*[\"']?(\d{1,2})", re.I)


def _html_rows(raw: str) -> list[tuple[str, ...]]:
    """The rows of the HTML table cells on a line; a ``colspan`` cell is followed by blank cells,
    as a TAB-separated head leaves them. Bounded: at most 1,000 rows and 100 cells a row."""
    rows = []
    raw = raw[: raw.rfind(">") + 1]  # past the last ">", a "<tr" would scan to the end for nothing
    for match in islice(_TR.finditer(raw), 1000):
        cells: list[str] = []
        for cell in islice(_CELL.finditer(match.group(1)), 100):
            cells.append(clean_text(cell.group(2)))
            span = _SPAN.search(cell.group(1))
            cells += [""] * (min(int(span.group(1)), 20) - 1 if span else 0)
        if cells:
            rows.append(tuple(cells))
    return rows


def _li_texts(raw: str) -> list[str]:
    """``_LI.findall(raw)`` in linear time.

    An item begins at "<li"; it fails only when no ">" follows, or no "</li>" follows that
    ">". A later "<li" has its ">" no earlier, so it fails too: the search stops at the first
    failure instead of scanning the rest of the line from every "<li" after it.
    """
    texts, position = [], 0
    while (start := raw.find("<li", position)) >= 0:
        match = _LI.match(raw, start)
        if match is None:
            break
        texts.append(match.group(1))
        position = match.end()
    return texts


@dataclass
class Document:
    """A report file as lines, with the section-heading path, tables and lists beside them."""

    spec: ReportSpec
    path: Path
    lines: list[str]
    _heading_lines: list[int] = field(default_factory=list, repr=False)
    _heading_paths: list[tuple[str, ...]] = field(default_factory=list, repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, number: int) -> str:
        """The text of 1-based line ``number``; an out-of-range line is an input error."""
        if not 1 <= number <= len(self.lines):
            raise InputError(
                f"line {number} is out of range (the report has {len(self.lines)} lines)",
                path=self.path,
            )
        return self.lines[number - 1]

    def numbered(self) -> Iterable[tuple[int, str]]:
        return enumerate(self.lines, start=1)

    @cached_property
    def headings(self) -> list[Heading]:
        return list(_find_headings(self.lines))

    def section(self, number: int) -> tuple[str, ...]:
        """The heading path (outermost first) that line ``number`` sits under."""
        if not self._heading_lines:
            self._index_sections()
        position = bisect.bisect_right(self._heading_lines, number) - 1
        return self._heading_paths[position] if position >= 0 else ()

    def _index_sections(self) -> None:
        counts = Counter(h.text for h in self.headings)
        seen: set[str] = set()
        stack: list[Heading] = []
        for heading in self.headings:
            # A heading printed on every PDF page ("BUSINESS") is a running header, and a
            # bare chapter number ("05") says nothing: neither opens a section.
            if heading.text.isdigit() or (counts[heading.text] >= 3 and heading.text in seen):
                continue
            seen.add(heading.text)
            while stack and stack[-1].level >= heading.level:
                stack.pop()
            stack.append(heading)
            self._heading_lines.append(heading.line)
            self._heading_paths.append(tuple(h.text for h in stack))

    @cached_property
    def tables(self) -> list[Table]:
        """Runs of TAB-separated lines, and HTML ``<table>`` fragments (a ``<tr>`` is a row, its
        ``<td>``/``<th>`` the cells; a table written on one line gives rows that share that line)."""
        tables, rows = [], []
        in_html = False
        for number, raw in self.numbered():
            if "<tr" in raw or (in_html and "<t" in raw):
                html_rows = _html_rows(raw)
                if html_rows:
                    if rows and not in_html:
                        tables.append(Table(rows[0].line, tuple(rows)))
                        rows = []
                    in_html = "</table" not in raw
                    rows += [Row(number, cells) for cells in html_rows]
                    if not in_html:
                        tables.append(Table(rows[0].line, tuple(rows)))
                        rows = []
                    continue
            if "\t" in raw and not in_html:
                rows.append(Row(number, tuple(clean_text(cell) for cell in raw.split("\t"))))
                continue
            if "</table" in raw:
                in_html = False
            if rows and (not in_html or not raw.strip()):
                tables.append(Table(rows[0].line, tuple(rows)))
                rows, in_html = [], False
        if rows:
            tables.append(Table(rows[0].line, tuple(rows)))
        return tables

    @cached_property
    def list_items(self) -> list[ListItem]:
        """Markdown bullets and HTML ``<li>`` items, each with its line."""
        items = []
        for number, raw in self.numbered():
            html_items = _li_texts(raw)
            if html_items:
                items.extend(ListItem(number, clean_text(text)) for text in html_items)
                continue
            match = _LIST_MD.match(raw)
            if match and "\t" not in raw:
                items.append(ListItem(number, clean_text(match.group(1))))
        return items

    def table_at(self, number: int) -> Table | None:
        for table in self.tables:
            if table.first_line <= number <= table.last_line:
                return table
        return None


def _find_headings(lines: list[str]) -> Iterable[Heading]:
    for index, raw in enumerate(lines):
        match = _HEADING_MD.match(raw)
        if match:
            text = clean_text(match.group(2))
            if text:
                yield Heading(index + 1, len(match.group(1)), text)
            continue
        # Reports without markdown headings mark sections with short upper-case lines
        # standing alone between blank lines (e.g. "KEY HIGHLIGHTS").
        stripped = raw.strip()
        if (
            3 <= len(stripped) <= 80
            and stripped.isupper()
            and not stripped.endswith((".", ",", ";", ":"))
            and "\t" not in raw
            and (index == 0 or not lines[index - 1].strip())
            and (index + 1 == len(lines) or not lines[index + 1].strip())
        ):
            yield Heading(index + 1, 2, clean_text(stripped))


def read_document(folder: Path, spec: ReportSpec, verify: bool = True) -> Document:
    path = folder / spec.file
    if not path.is_file():
        raise InputError(f"report {spec.id!r} is listed in {MANIFEST} but the file is missing", path=path)
    if verify:
        actual = sha256_of(path)
        if actual != spec.sha256:
            raise InputError(
                f"checksum differs from {MANIFEST} (expected {spec.sha256[:12]}…, found {actual[:12]}…); "
                "the report was changed or truncated",
                path=path,
            )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})",
                         path=path, line=line) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return Document(spec, path, [line.rstrip("\r") for line in lines])


@dataclass
class Corpus:
    """All the reports of one manifest, by id."""

    folder: Path
    documents: dict[str, Document]

    def __getitem__(self, report_id: str) -> Document:
        return self.documents[report_id]

    def __contains__(self, report_id: object) -> bool:
        return report_id in self.documents

    def __iter__(self):
        return iter(self.documents.values())

    @property
    def ids(self) -> list[str]:
        return list(self.documents)


def read_corpus(folder: str | Path | None = None, verify: bool = True) -> Corpus:
    """Read every report of the manifest, checking each checksum unless ``verify`` is false."""
    root = locate_reports(folder)
    documents = {spec.id: read_document(root, spec, verify) for spec in load_manifest(root)}
    return Corpus(root, documents)
