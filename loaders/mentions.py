"""Proper names in a report: the ones the registry knows, and candidates it does not.

A curator adding a report needs to see what it names that the graph does not know yet. This
reader finds, on each line of prose (table rows are figures, read elsewhere):

- every registry name (label or alias) as whole words: a *known* mention;
- runs of capitalised words ("Employer Branding Institute"), words with an inner capital
  ("OpenCompass"), standard codes ("ISO/IEC 42001", "IFRS 18") and quoted titles: a *candidate*
  unless the registry knows the name, or the curator dismissed it in ``dismissed.toml`` (with
  a reason: a generic phrase, an unnamed party, a heading).

It reads by rule, so it finds names in a report nobody has curated yet, and it over-reads on
purpose: a candidate costs the curator one line to dismiss, a name never shown costs a fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .printed import word_char
from .registry import Registry, name_key
from .reportdata import Dismissal
from .reports import Document

# a capitalised word: "Shanghai", "SenseCore", "AI", "R&D", "3D" is not one (it starts with a digit)
_CAP = r"(?:[A-Z][A-Za-z0-9&’'\-]*[A-Za-z0-9]|[A-Z])\.?"
_JOIN = r"(?:\s+(?:of|and|for|the|on|in|de|&|for\s+the|of\s+the|and\s+the)\s+|\s+)"
RUN = re.compile(rf"(?<![\w’'-]){_CAP}(?:{_JOIN}{_CAP})+")
CAMEL = re.compile(r"(?<![\w-])[A-Za-z]*[a-z][A-Z][A-Za-z0-9.]*[A-Za-z0-9]|(?<![\w-])[A-Z][a-z]+[A-Z][A-Za-z0-9]*")
CODE = re.compile(r"(?<![\w/])(?:ISO/IEC|ISO|IEC|GB/T|GB|IEEE|IFRS|IAS|HKFRS|HKAS|ISAE|ISO/SAE|UL|ASPICE)"
                  r"\s?\d+(?:[-.:]\d+)*(?:\s?:\s?\d{4})?")
QUOTED = re.compile(r"[“\"]([A-Z][^”\"]{2,80}?)[”\"]")
PERSON = re.compile(r"\b(?:Dr|Mr|Ms|Mrs|Prof|Professor)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")

# words that open a sentence or a clause, not a name: "The Group", "During the Reporting Period"
_OPENERS = {"The", "Our", "In", "As", "During", "For", "With", "This", "These", "That", "Those", "A", "An",
            "On", "At", "By", "From", "To", "Since", "Through", "We", "It", "Its", "Such", "All", "Each",
            "Under", "Among", "Also", "Other", "Both", "Meanwhile", "Moreover", "Furthermore", "Besides",
            "Notes", "Note", "Please", "Where", "When", "If", "Of", "And", "Or", "Save", "Unless", "Upon"}
_MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"}
ORGANIZATION_WORDS = {"University", "Institute", "Association", "Alliance", "Committee", "Academy", "Council",
                      "Bureau", "Ministry", "Commission", "Federation", "Foundation", "Laboratory", "Lab", "Centre",
                      "Center", "Inc", "Inc.", "Ltd", "Ltd.", "Limited", "Corporation", "Company", "Bank", "Exchange",
                      "Administration", "Society", "Agency", "Forum", "Consortium", "Hospital", "School",
                      "College", "Department", "Government", "Organization", "Organisation", "Union", "Group"}
AWARD_WORDS = {"Award", "Awards", "Prize", "Champion", "Championship", "Medal", "Honor", "Honour", "Winner",
               "Best", "Excellence", "Top", "Outstanding", "List"}
EVENT_WORDS = {"Conference", "Summit", "Expo", "Congress", "Competition", "Challenge", "Contest", "Festival"}


@dataclass(frozen=True)
class Mention:
    """A name on a report line: ``entity`` when the registry knows it, ``dismissed`` (the
    reason) when the curator set it aside, neither when it is still to be decided."""

    report: str
    line: int
    name: str
    kind: str  # organization, product, standard, award, event, person or name
    entity: str | None = None
    dismissed: str | None = None

    @property
    def undecided(self) -> bool:
        return self.entity is None and self.dismissed is None


def kind_of(name: str) -> str:
    words = set(re.findall(r"[A-Za-z][\w.&’'-]*", name))
    if CODE.fullmatch(name):
        return "standard"
    if PERSON.fullmatch(name):
        return "person"
    if words & AWARD_WORDS:
        return "award"
    if words & EVENT_WORDS:
        return "event"
    if words & ORGANIZATION_WORDS:
        return "organization"
    if CAMEL.fullmatch(name) or name.startswith("Sense"):
        return "product"
    return "name"


_ABBREVIATIONS = ("Inc.", "Co.", "Ltd.", "Dr.", "Mr.", "Ms.", "Mrs.", "Prof.", "St.", "No.", "U.S.")
_CONNECTORS = {"of", "and", "for", "the", "on", "in", "de", "&"}
_HONORIFICS = {"Dr", "Dr.", "Mr", "Mr.", "Ms", "Ms.", "Mrs", "Mrs.", "Prof", "Prof.", "Professor"}


def _pieces(run: str) -> list[str]:
    """A run cut where a sentence ends inside it ("Group. The Group"), abbreviations aside."""
    pieces, current = [], []
    for word in run.split():
        current.append(word)
        if word.endswith(".") and word not in _ABBREVIATIONS and not re.fullmatch(r"(?:[A-Z]\.)+", word):
            pieces.append(" ".join(current))
            current = []
    if current:
        pieces.append(" ".join(current))
    return pieces


def _trim(name: str) -> str:
    """A run without the sentence-opening words and connectors in front, connectors and
    punctuation behind."""
    words = name.split()
    while words and (words[0] in _OPENERS or words[0] in _CONNECTORS):
        words.pop(0)
    while words and words[-1] in _CONNECTORS:
        words.pop()
    return " ".join(words).rstrip(",;:’'-").removesuffix(".") if words and words[-1] not in _ABBREVIATIONS \
        else " ".join(words)


def _spans(text: str) -> Iterable[tuple[int, int, str]]:
    """The candidate names on one line of prose, as (start, end, name)."""
    for pattern in (CODE, PERSON, CAMEL):
        for match in pattern.finditer(text):
            yield match.start(), match.end(), match.group(0).rstrip(".")
    for match in QUOTED.finditer(text):
        inner = match.group(1).strip()
        if len(inner.split()) <= 10 and not inner.endswith((".", ",")):
            yield match.start(1), match.end(1), inner
    for match in RUN.finditer(text):
        offset = 0
        for piece in _pieces(match.group(0)):
            at = match.group(0).index(piece, offset)
            offset = at + len(piece)
            name = _trim(piece)
            words = name.split()
            if len(words) < 2 and not CAMEL.fullmatch(name):
                continue
            if any(word.rstrip(".,") in _MONTHS for word in words):
                continue
            if name == name.upper() and not CODE.search(name):  # a heading in capitals, or acronyms only
                continue
            start = match.start() + at + piece.index(name)
            yield start, start + len(name), name


class NameFinder:
    """Every registry name, and the label of every curated node (an award, an event), as whole
    words per line of a report."""

    def __init__(self, registry: Registry, nodes: dict[str, str] | None = None):
        self.registry = registry
        self.nodes = {name_key(label): node for label, node in (nodes or {}).items()}
        names = {name for entity in registry for name in entity.names} | set(nodes or {})
        self.names = sorted(names, key=len, reverse=True)

    def entity_of(self, name: str, report: str) -> str | None:
        return _entity_of(self.registry, name, report) or self.nodes.get(name_key(name))

    def known(self, text: str) -> list[tuple[int, int, str]]:
        found = []
        for name in self.names:
            start = text.find(name)
            while start >= 0:
                end = start + len(name)
                if not _word_at(text, start - 1) and not _word_at(text, end):
                    found.append((start, end, name))
                start = text.find(name, start + 1)
        return found


def _word_at(text: str, index: int) -> bool:
    return 0 <= index < len(text) and word_char(text[index])


def _entity_of(registry: Registry, name: str, report: str) -> str | None:
    """The id the name resolves to (preferring an entity looked for in this report), or None."""
    found = registry.candidates(name) or registry.candidates(re.sub(r"^the\s+", "", name, flags=re.I))
    local = [e for e in found if not e.reports or report in e.reports]
    chosen = local or found
    return chosen[0].id if chosen else None


def find_mentions(document: Document, registry: Registry, dismissed: Iterable[Dismissal] = (),
                  finder: NameFinder | None = None) -> list[Mention]:
    """Every known mention and every candidate on the report's prose lines, in line order.

    A candidate whose words all lie inside known names ("SenseTime Group Inc." around
    "SenseTime") is not one. Dismissals match by name (case and spacing aside), for this
    report's folder and for the shared ``dismissed.toml``.
    """
    finder = finder or NameFinder(registry)
    reasons = {name_key(d.name): d.reason for d in dismissed if d.report in ("", document.id)}
    table_lines = {row.line for table in document.tables for row in table.rows}
    found: dict[tuple[int, str], Mention] = {}
    for number, text in document.numbered():
        if number in table_lines or not text.strip():
            continue
        known = finder.known(text)
        covered = [(a, b) for a, b, _ in known]
        for _, _, name in known:
            entity = finder.entity_of(name, document.id)
            found.setdefault((number, name), Mention(document.id, number, name, kind_of(name), entity))
        for start, end, name in _spans(text):
            if (number, name) in found or _inside(start, end, covered, text):
                continue
            entity = finder.entity_of(name, document.id)
            reason = None if entity else reasons.get(name_key(name))
            found[(number, name)] = Mention(document.id, number, name, kind_of(name), entity, reason)
    return sorted(found.values(), key=lambda m: (m.line, m.name))


def _inside(start: int, end: int, covered: list[tuple[int, int]], text: str) -> bool:
    """Whether every word of text[start:end] lies inside one of the known spans."""
    for match in re.finditer(r"[A-Za-z0-9][\w&’'.-]*", text[start:end]):
        a, b = start + match.start(), start + match.end()
        if match.group(0) in _CONNECTORS or match.group(0) in _HONORIFICS:
            continue
        if not any(x <= a and b <= y for x, y in covered):
            return False
    return True


def curated_labels(folder: Path | None = None, records: list | None = None) -> dict[str, str]:
    """The explicit label of every curated node (``[[award]]``, ``[[event]]``…) -> its id, from
    ``records`` when the caller has read them already."""
    from .statements import read_records

    if records is None:
        records = read_records(folder)
    return {record.label: record.node for record in records if record.kind != "about" and record.label}
