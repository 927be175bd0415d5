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
    """A line printed as a heading. ``level`` is its depth in the report's outline (1 is
    outermost); 0 for one that opens no section: a running page header, an entry of the table
    of contents, a bare chapter number, a label printed on every chapter's opening page."""

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
    _heading_path_lines: list[tuple[int, ...]] = field(default_factory=list, repr=False)
    # what readers derive from the lines and ask for again and again, by (reader, line): the
    # document does not change once read
    memo: dict = field(default_factory=dict, repr=False, compare=False)

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
        """Every line printed as a heading, in order, each with its depth in the outline."""
        return _find_headings(self.lines)

    def section(self, number: int) -> tuple[str, ...]:
        """The heading path (outermost first) that line ``number`` sits under."""
        position = self._section_of(number)
        return self._heading_paths[position] if position >= 0 else ()

    def section_lines(self, number: int) -> tuple[int, ...]:
        """The lines of the headings of :meth:`section`, outermost first."""
        position = self._section_of(number)
        return self._heading_path_lines[position] if position >= 0 else ()

    def opens_section(self, number: int) -> bool:
        """Whether line ``number`` is a heading that opens a section (not a running header)."""
        position = self._section_of(number)
        return position >= 0 and self._heading_lines[position] == number

    def _section_of(self, number: int) -> int:
        if not self._heading_lines:
            self._index_sections()
        return bisect.bisect_right(self._heading_lines, number) - 1

    def _index_sections(self) -> None:
        stack: list[Heading] = []
        for heading in self.headings:
            if heading.level < 1:
                continue
            del stack[heading.level - 1:]
            stack.append(heading)
            self._heading_lines.append(heading.line)
            self._heading_paths.append(tuple(h.text for h in stack))
            self._heading_path_lines.append(tuple(h.line for h in stack))

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


# --- the outline: which lines are headings, and how deep each sits -------------------------------
#
# The reports are PDF conversions. They mark headings in several ways, often within one file:
# markdown "#" lines (whose depth the conversion guessed, not always well), bold-only lines
# ("**KEY HIGHLIGHTS**"), upper-case lines standing alone ("MANAGEMENT DISCUSSION AND ANALYSIS"),
# numbered notes ("12 TRADE RECEIVABLES", "2.1 Basis of preparation", "(a) Debt investments"),
# and, where the conversion lost the markup, short plain lines standing alone ("Revenue").
# Each heading gets a rank from its typography (smaller is more major) and closes every open
# section whose rank is not smaller. Numbering overrides typography: "(c)" continues the "(b)"
# before it wherever the conversion put the two, and "2.1" sits under "2". A table of contents,
# when the report has one, overrides both: its entries say which headings are chapters.

_PLAIN_MAX = 200  # a longer line is prose, not a heading
_RUN_IN = 6.5  # a bold-only mixed-case line ("**Basic**"): a run-in heading under whatever is open
_ENUM = re.compile(r"(?:\((?P<paren>[a-z]{1,4}|\d{1,2})\)|(?P<letter>[a-z])\)|(?P<dec>\d{1,2}(?:\.\d{1,2}){0,3})\.?)"
                   r"[ \t]+(?=\S)")
_ROMAN = {r: n for n, r in enumerate(("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"),
                                      start=1)}
_PERIOD = re.compile(r"(?:for\s+the\s+)?(?:(?:six|three|nine|twelve)\s+months?|(?:financial\s+)?years?|periods?)"
                     r"\s+end(?:ed|ing)\b|as\s+(?:at|of)\s+(?:\d|[a-z]+\s+\d)", re.I)
_PERIOD_TAIL = re.compile(r"\s+(?:for\s+the\s+(?:[a-z]+\s+){0,3}end(?:ed|ing)|as\s+(?:at|of))\s+[\w ,]{0,40}\d{4}$",
                          re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(rf"\b{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}\b|\b\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\b", re.I)
_BOLD = re.compile(r"(\*\*\*?|__)(?=\S)(.+?)\1|<(b|strong)\b[^>]*>(.*?)</\3\s*>", re.I)
_FOOTNOTE = re.compile(r"(?:notes?|sources?)\s*:", re.I)
_FRAGMENT = re.compile(r",\s+[a-z]")  # "Director, chief scientist and …": a sentence broken over lines
_TOC_ENTRY = re.compile(r"(.*?[^\W\d].*?)\s+(\d{1,3})")  # "Green Operation Empowered by AI Technology 82"
_RULE = re.compile(r"[-*_=]{3,}")  # "---", a horizontal rule the conversion left between title lines
_WORD = re.compile(r"[^\W_]+")
_CAPITALS = re.compile(r"\b[A-Z][A-Z0-9]+\b")


@dataclass
class _Mark:
    """A line styled as a heading, before it is placed in the outline."""

    line: int  # 1-based
    text: str
    style: float  # rank by typography: 1 for "#", 2 for "##", …; upper case ranks above mixed
    kind: str  # "md", "bold", "plain" or "subhead" (a plain mixed-case line)
    upper: bool
    number: tuple | None  # (scheme, prefix, value, token): ("dec", (2,), 1, "2.1") for "2.1 Basis …"
    contents: float | None = None  # the rank the table of contents gives it
    opens: bool = True  # False: page furniture or a contents entry


def _number(text: str) -> tuple | None:
    match = _ENUM.match(text)
    if match is None:
        return None
    if match["dec"]:
        parts = tuple(int(part) for part in match["dec"].split("."))
        return ("dec", parts[:-1], parts[-1], match["dec"])
    token = match["paren"] or match["letter"]
    if token.isdigit():
        return ("pnum", (), int(token), token)
    if token in _ROMAN:
        return ("roman", (), _ROMAN[token], token)
    return ("alpha", (), ord(token) - 96, token) if len(token) == 1 else None


def _body(text: str) -> str:
    """The title without its number: "2.1 Basis of preparation" -> "Basis of preparation"."""
    match = _ENUM.match(text)
    return text[match.end():] if match else text


def _norm(text: str) -> str:
    """A title as a table of contents and the body both print it: no number, case or punctuation."""
    return " ".join(_WORD.findall(_body(text).casefold())) if len(text) <= _PLAIN_MAX else ""


def _title_like(body: str) -> bool:
    """Short, starting with a capital or a digit, not a sentence, not a period ("Year ended
    31 December") or a dateline ("Hong Kong, March 26, 2025")."""
    return (0 < len(body) <= _PLAIN_MAX and len(body.split()) <= 16 and body[0].isascii()
            and sum(char.isalpha() for char in body[:4]) >= 2
            and (body[0].isupper() or body[0].isdigit()) and not body.endswith((".", ",", ";", ":"))
            and _PERIOD.match(body) is None and _DATE.search(body) is None)


def _clean_title(raw: str) -> str:
    """A heading's text; a period the title ends with ("… FOR THE YEAR ENDED DECEMBER 31, 2024")
    is the period of its figures, not part of the section's name."""
    text = clean_text(raw)
    if len(text) <= _PLAIN_MAX:
        match = _PERIOD_TAIL.search(text)
        if match and match.start() > 0:
            text = text[:match.start()]
    return text


def _upper(body: str, acronyms: frozenset[str] = frozenset()) -> bool:
    """Upper case, as a section heading is: "KEY HIGHLIGHTS", "SALES", but not a name the report
    writes in capitals in running text too ("AIDC")."""
    return body.isupper() and body.strip() not in acronyms


def _acronyms(lines: list[str]) -> frozenset[str]:
    """Words in capitals inside lines of running text (lines with lower-case letters too)."""
    found: set[str] = set()
    for raw in lines:
        if not raw.startswith("#") and not raw.isupper():
            found.update(_CAPITALS.findall(raw))
    return frozenset(found)


def _bold_only(text: str) -> bool:
    """Nothing but bold text, after an optional number: "**Basic**", "(e) **Contract liabilities**"."""
    rest = _body(text)
    return _BOLD.search(rest) is not None and not _BOLD.sub("", rest).strip(" *_")


def _is_blank(lines: list[str], index: int) -> bool:
    return not 0 <= index < len(lines) or not lines[index].strip()


def _contents(lines: list[str], top: float) -> tuple[int, int, dict[str, float]] | None:
    """The table of contents: its first and last line and the rank of each title it lists.

    Entries are TAB rows "title<TAB>page", and markdown lines "title page" among them. A markdown
    entry is a chapter, the run of rows after it its sections; a run of rows after no chapter
    lists top-level parts, and when one of them shares its page with the next, the rest of the
    run are its sections ("Appendix 98", "Key Performance Index 98"). It counts as a contents page
    only when most of its titles come back further down."""
    rows = []
    for index, raw in enumerate(lines):
        if "\t" in raw and len(raw) <= _PLAIN_MAX:
            cells = [cell.strip() for cell in raw.split("\t") if cell.strip()]
            if len(cells) == 2 and cells[1].isdigit() and len(cells[1]) <= 3 and _WORD.search(cells[0]) \
                    and not cells[0].isdigit():
                rows.append(index)
    run: list[int] = []
    for index in rows:
        if run and index - run[-1] > 12:
            if len(run) >= 5:
                break
            run = []
        run.append(index)
    if len(run) < 5:
        return None
    entries, last = set(run), run[-1]
    first = run[0]
    while first > 0 and run[0] - first < 12 and (not lines[first - 1].strip() or _chapter_entry(lines[first - 1])):
        first -= 1
    ranks: dict[str, float] = {}
    chapter_waiting = False
    group: list[tuple[str, int]] = []

    def close_group() -> None:
        nonlocal chapter_waiting
        if not group:
            return
        if chapter_waiting:
            ranks.update((title, top + 1) for title, _ in group)
        else:
            shared = next((k for k in range(len(group) - 1) if group[k][1] == group[k + 1][1]), len(group))
            ranks.update((title, top if k <= shared else top + 1) for k, (title, _) in enumerate(group))
        chapter_waiting = False
        group.clear()

    for index in range(first, last + 1):
        raw = lines[index]
        if index in entries:
            cells = [cell.strip() for cell in raw.split("\t") if cell.strip()]
            group.append((_norm(clean_text(cells[0])), int(cells[1])))
            continue
        if "\t" in raw:
            continue
        close_group()
        chapter = _chapter_entry(raw)
        if chapter:
            ranks[chapter] = top
            chapter_waiting = True
    close_group()
    ranks.pop("", None)
    body = {_norm(clean_text(raw.lstrip("#"))) for raw in lines[last + 1:] if raw.strip() and len(raw) <= _PLAIN_MAX}
    return (first, last, ranks) if sum(title in body for title in ranks) * 2 >= len(ranks) else None


def _chapter_entry(raw: str) -> str:
    """The title of a markdown contents entry with its page, "### Green Operation … 82"; else ""."""
    heading = _HEADING_MD.match(raw) if len(raw) <= _PLAIN_MAX else None
    entry = _TOC_ENTRY.fullmatch(clean_text(heading.group(2))) if heading else None
    return _norm(entry.group(1)) if entry else ""


def _marks(lines: list[str]) -> list[_Mark]:
    """Every line styled as a heading, with its typographic rank; decides nothing about nesting."""
    markdown = [(len(m.group(1)), clean_text(m.group(2))) for raw in lines if (m := _HEADING_MD.match(raw))]
    bold = sum(1 for raw in lines if len(raw) <= _PLAIN_MAX and raw.strip() and _bold_only(raw.strip()))
    plain_file = len(markdown) + bold < 3  # the conversion kept no heading markup at all
    # Upper-case headings without markup stand at the depth most upper-case "#" headings have.
    acronyms = _acronyms(lines)
    depths = Counter(level for level, text in markdown if _upper(_body(text), acronyms) and not _number(text))
    top = float(min(depths, key=lambda level: (-depths[level], level))) if depths else 1.0
    contents = _contents(lines, top)
    first, last, listed = contents if contents else (-1, -1, {})
    marks: list[_Mark] = []
    maybe: list[tuple[_Mark, int]] = []  # plain mixed-case lines, headings if the markup was lost
    index = 0
    while index < len(lines):
        raw = lines[index]
        heading = _HEADING_MD.match(raw)
        if heading:
            text = _clean_title(heading.group(2))
            if text:
                body = _body(text)
                number = _number(text)
                upper = _upper(body, acronyms)
                style = float(len(heading.group(1))) + (0.0 if upper else 0.5)
                marks.append(_Mark(index + 1, text, style, "md", upper, number, opens=not first <= index <= last))
            index += 1
            continue
        if first <= index <= last or _is_blank(lines, index) or not _is_blank(lines, index - 1):
            index += 1
            continue
        # a block of lines standing alone between blank lines: one heading, or none
        end = index
        while end < len(lines) and lines[end].strip() and end - index < 4:
            end += 1
        block = [line.strip() for line in lines[index:end]]
        if len(block) > 3 or not _is_blank(lines, end) or any("\t" in line or len(line) > _PLAIN_MAX for line in block):
            index = end
            continue
        mark = _block_mark(index, block, top, acronyms)
        if mark is not None:
            if mark.kind == "subhead" and not plain_file:
                maybe.append((mark, end))
            else:
                marks.append(mark)
        index = end
    # Lost markup: the contents lists titles the body prints as plain lines. Then short plain
    # lines that open a paragraph or a list are headings too, unless they only echo the heading
    # just above (a photo's caption: "Case: 2024 SenseTime Scholarship Summer Camp", then
    # "2024 SenseTime Scholarship Summer Camp" under the photo).
    if any(_norm(mark.text) in listed for mark, _ in maybe):
        for mark, end in maybe:
            previous = max((m for m in marks if m.line < mark.line), key=lambda m: m.line, default=None)
            if _norm(mark.text) in listed or (_opens_text(lines, end) and not _echoes(mark, previous)):
                marks.append(mark)
        marks.sort(key=lambda m: m.line)
    _apply_contents(lines, marks, listed)
    _mark_furniture(lines, marks)
    return marks


def _block_mark(index: int, block: list[str], top: float, acronyms: frozenset[str]) -> _Mark | None:
    """The heading a block of one to three lines standing alone makes, if it makes one."""
    joined = " ".join(block)
    if _bold_only(joined):
        text = _clean_title(joined)
    elif len(block) > 1 and _bold_only(block[0]) and all(_PERIOD.match(clean_text(line)) for line in block[1:]):
        text = _clean_title(block[0])  # "**CONSOLIDATED BALANCE SHEET**" / "**AS AT 31 DECEMBER 2024**"
    elif len(block) == 1 and (_ENUM.match(joined) or joined[0].isalnum()):
        text = _clean_title(joined)
        if _LIST_MD.match(joined) and not _upper(_body(text), acronyms):
            return None  # "1. Breakthroughs in …" is a list item
    else:
        return None
    bold_block = _bold_only(joined) or _bold_only(block[0])
    body = _body(text)
    if not _title_like(body) or _FOOTNOTE.match(body):
        return None
    number = _number(text)
    upper = _upper(body, acronyms)
    if bold_block:
        style = top if upper else _RUN_IN
        return _Mark(index + 1, text, style, "bold", upper, number)
    if upper:
        return _Mark(index + 1, text, top, "plain", True, number)
    if number and number[0] == "dec" and number[1]:  # "5.3 Practicing Low-Carbon Operations"
        return _Mark(index + 1, text, top + 0.5, "plain", False, number)
    if not number and _FRAGMENT.search(body):
        return None
    return _Mark(index + 1, text, top + 0.5, "subhead", False, number)


def _opens_text(lines: list[str], end: int) -> bool:
    """A paragraph or a list follows (after blank lines): what a heading opens and a caption does not."""
    after = end
    while after < len(lines) and not lines[after].strip() and after - end < 3:
        after += 1
    if after >= len(lines) or "\t" in lines[after]:
        return False
    following = lines[after].strip()
    if _LIST_MD.match(following) or following.startswith("<li"):
        return True
    words = len(following.split())
    return words >= 25 or (words >= 8 and clean_text(following).rstrip("”\"'").endswith((".", ":", ")")))


def _echoes(mark: _Mark, previous: _Mark | None) -> bool:
    """A caption repeating the heading a few lines above it, all but a word or so."""
    if previous is None or mark.line - previous.line > 12:
        return False

    def stems(text: str) -> set[str]:
        return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text.casefold())}
    words = stems(mark.text)
    shared = len(words & stems(previous.text))
    return shared >= 3 and shared >= 0.8 * len(words)


def _apply_contents(lines: list[str], marks: list[_Mark], listed: dict[str, float]) -> None:
    """Give each heading the contents lists its rank (its first printing only), joining a title
    the body prints as two headings ("# Green Operation" and "## Empowered by AI Technology")."""
    if not listed:
        return
    used: set[str] = set()
    for position, mark in enumerate(marks):
        if not mark.opens or len(mark.text) > _PLAIN_MAX:
            continue
        title = _norm(mark.text)
        if title in listed and title not in used:
            used.add(title)
            mark.contents = listed[title]
            continue
        following = marks[position + 1] if position + 1 < len(marks) else None
        if following is None or following.kind != "md" or mark.kind != "md" or len(following.text) > _PLAIN_MAX:
            continue
        between = lines[mark.line:following.line - 1]
        joined = _norm(f"{mark.text} {following.text}")
        apart = all(not line.strip() or _RULE.fullmatch(line.strip()) for line in between)
        if joined in listed and joined not in used and apart:
            used.add(joined)
            mark.text, mark.contents = f"{mark.text} {following.text}", listed[joined]
            following.opens = False


def _mark_furniture(lines: list[str], marks: list[_Mark]) -> None:
    """Headings that open no section: a bare chapter number ("05"), and a title printed on a line
    of its own three times or more, in upper case or mostly not as a heading: a running page
    header ("BUSINESS"), a label on every chapter's opening page ("Contribution to the UN SDGs").
    A subheading every product repeats ("Use Case") stays one. A report's first heading printed
    again on every page stays the title of its first section."""
    counts = Counter(_norm(raw.lstrip("#")) for raw in lines if raw.strip() and len(raw) <= _PLAIN_MAX
                     and "\t" not in raw)
    as_heading = Counter(_norm(mark.text) for mark in marks)
    first = next((m for m in marks if m.opens and not m.text.isdigit()), None)
    for mark in marks:
        title = _norm(mark.text)
        repeated = bool(title) and counts[title] >= 3 and (mark.upper or 2 * as_heading[title] < counts[title])
        if mark.text.isdigit() or (repeated and mark.contents is None and mark is not first):
            mark.opens = False


@dataclass
class _Open:
    """A section open at some point of the report, while placing headings."""

    rank: float
    number: tuple | None = None
    encloses: bool = True  # a plain mixed-case heading under it ranks just below it
    last: dict = field(default_factory=dict)  # (scheme, prefix) -> (value, rank) of its last numbered child
    children: int = 0
    numbered: int = 0  # children that are numbered notes ("1", "2", …)
    plain: bool = False  # a plain mixed-case line: its depth is a guess


def _find_headings(lines: list[str]) -> list[Heading]:
    """The headings of a report, each with its depth in the outline (0: opens no section)."""
    marks = _marks(lines)
    root = _Open(float("-inf"))
    stack = [root]
    headings = []
    for mark in marks:
        if not mark.opens:
            headings.append(Heading(mark.line, 0, mark.text))
            continue
        parent, rank, number = _place(stack, mark)
        del stack[parent + 1:]
        holder = stack[parent]
        holder.children += 1
        if number:
            holder.last[number[:2]] = (number[2], rank)
            holder.numbered += number[0] == "dec" and not number[1]
        stack.append(_Open(rank, number, bool(number) or mark.upper or mark.contents is not None,
                           plain=mark.kind == "subhead" and mark.contents is None and not number))
        headings.append(Heading(mark.line, len(stack) - 1, mark.text))
    return headings


def _place(stack: list[_Open], mark: _Mark) -> tuple[int, float, tuple | None]:
    """Where a heading goes: the index in ``stack`` of its parent, its rank, its number."""
    style = mark.style if mark.contents is None else mark.contents
    number = mark.number
    if number:
        style = float(int(style)) + 0.25  # a number ranks a heading above unnumbered ones of its style
        if number[0] == "roman" and len(number[3]) == 1:
            # "(i)" after "(h)" is the ninth letter, not the first roman numeral
            letter = ord(number[3]) - 96
            if any(node.last.get(("alpha", ()), (0,))[0] == letter - 1 for node in stack):
                number = ("alpha", (), letter, number[3])
        key, value = number[:2], number[2]
        # "(c)" continues "(b)" (or "(a)", a line lost) wherever "(b)" is still an open section's child
        for index in range(len(stack) - 1, -1, -1):
            previous = stack[index].last.get(key)
            if previous and previous[0] < value <= previous[0] + 2:
                return index, previous[1], number
        if number[0] == "dec" and number[1]:
            # "2.1" goes under "2"; failing that, under the open section (a chapter "2" unnumbered)
            for index in range(len(stack) - 1, 0, -1):
                held = stack[index].number
                if held and held[0] == "dec" and held[1] + (held[2],) == number[1]:
                    return index, max(style, stack[index].rank + 0.01), number
        if number[0] != "dec" or number[1]:
            # the first of a series, "(a)" or "1.1", opens inside the section it starts in
            return len(stack) - 1, max(style, stack[-1].rank + 0.01), number
    rank = style
    parent = len(stack) - 1
    if mark.kind == "subhead" and mark.contents is None:
        # a plain line the conversion stripped of its style: just below the section it is in
        enclosing = next(node for node in reversed(stack) if node.encloses)
        rank = enclosing.rank + 0.2 if enclosing.rank > float("-inf") else style
    elif mark.kind == "md":
        # a plain heading's depth is a guess: a marked-up heading after it is not its child
        while parent > 0 and stack[parent].plain:
            parent -= 1
    while parent > 0 and stack[parent].rank >= rank:
        parent -= 1
    if not number and parent + 1 < len(stack) and parent > 0:
        # an unnumbered heading after numbered notes ends the notes ("PURCHASE, SALE OR
        # REDEMPTION …" after "15 EVENTS AFTER …"), when the section held only notes
        closed, holder = stack[parent + 1], stack[parent]
        if closed.number and closed.number[0] == "dec" and not closed.number[1] \
                and holder.children >= 2 and holder.numbered == holder.children:
            parent -= 1
    return parent, rank, number


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
