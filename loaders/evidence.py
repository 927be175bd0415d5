"""The evidence check: every citation's anchor is on its line, and the quote is read from there.

A quote is the passage of the cited line that holds the anchor: the sentence (or HTML text
run) around it, exactly as the report prints it. Nothing is quoted from the repository.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rdflib import RDF, RDFS, Literal
from rdflib.namespace import SKOS

from .errors import InputError
from .facts import Citation, Fact, Ref
from .printed import WORD_RUN, word_char
from .registry import Registry
from .reports import Corpus, Document
from .vocab import classes, kinds_of

# A passage ends at a sentence end followed by a capital, quote, bracket or digit, or at a tag.
# a tag is ``<[^<>]+>``, not ``<[^>]+>``: with a stray "<" the latter scanned on to the next ">"
# from every "<", which is quadratic on a long line of them
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[A-Z“\"(\d•])|<[^<>]+>|\s•\s"
)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Evidence:
    report: str
    line: int
    quote: str
    section: str
    context_line: int | None = None  # a line read with this one (see Citation.context)
    context_quote: str = ""


def anchor_span(text: str, anchor: str) -> tuple[int, int] | None:
    """Where ``anchor`` stands in ``text``, allowing any run of white space between its words."""
    start = text.find(anchor)
    if start >= 0:
        return start, start + len(anchor)
    words = anchor.split()
    if not words:
        return None
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (match.start(), match.end()) if match else None


@lru_cache(maxsize=16384)
def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """The (start, end) of each passage of ``text``: sentences, and runs between HTML tags.

    Kept per text: a line that states many facts is split once, not once per fact."""
    spans, left = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        spans.append((left, boundary.start()))
        left = boundary.end()
    spans.append((left, len(text)))
    return tuple((a, b) for a, b in spans if text[a:b].strip())


def passage(text: str, span: tuple[int, int]) -> str:
    """The passages of ``text`` that overlap ``span``, exactly as printed, stripped."""
    start, end = span
    pieces = [(a, b) for a, b in sentence_spans(text) if a <= end and b >= start]
    if not pieces:
        return text[start:end].strip()
    return text[pieces[0][0]:pieces[-1][1]].strip()


def check_cited(corpus: Corpus, citation: Citation, origin: str) -> None:
    """An ``InputError`` naming the statement, unless the citation's report and line exist."""
    if citation.report not in corpus:
        raise InputError(f"{origin}: unknown report id {citation.report!r} in citation {citation}; "
                         f"known: {', '.join(corpus.ids)}")
    document = corpus[citation.report]
    if not 1 <= citation.line <= len(document):
        raise InputError(f"{origin}: line {citation.line} is out of range "
                         f"(the report has {len(document)} lines)", path=document.path, line=citation.line)


def locate(corpus: Corpus, citation: Citation, origin: str) -> tuple[int, int]:
    """Where the citation's anchor stands on its line, or an ``InputError`` naming the statement."""
    check_cited(corpus, citation, origin)
    document = corpus[citation.report]
    span = anchor_span(document.line(citation.line), citation.anchor)
    if span is None:
        raise InputError(f"{origin}: anchor {citation.anchor!r} is not on the cited line",
                         path=document.path, line=citation.line)
    return span


def check_facts(corpus: Corpus, facts: Iterable[Fact]) -> dict[tuple[Fact, Citation], Evidence]:
    """Check every citation of every fact and read the quotes.

    One fact cited several times on the same line (by several anchors or several records)
    gets one quote: the passage that covers all of its anchors there.
    """
    facts = list(facts)
    spans: dict[tuple, list[tuple[int, int]]] = {}
    contexts: dict[tuple, tuple[int, str]] = {}
    keys: dict[tuple[Fact, Citation], tuple] = {}
    for fact in facts:
        if not fact.citations:
            raise InputError(f"{fact.origin}: a fact without a citation cannot enter the graph")
        for citation in fact.citations:
            key = (citation.report, citation.line, fact.subject, fact.predicate, fact.object)
            spans.setdefault(key, []).append(locate(corpus, citation, fact.origin))
            keys[(fact, citation)] = key
            other = citation.context
            if other is not None and key not in contexts:  # the line it is read with: quoted the same way
                if other.report != citation.report:
                    raise InputError(f"{fact.origin}: citation {citation} is read with a line of another "
                                     f"report ({other}); a context line is in the cited line's report")
                text = corpus[other.report].line(other.line)
                contexts[key] = (other.line, passage(text, locate(corpus, other, fact.origin)))
    evidence = {}
    for key, found in spans.items():
        report, line = key[0], key[1]
        document = corpus[report]
        covering = (min(start for start, _ in found), max(end for _, end in found))
        context_line, context_quote = contexts.get(key, (None, ""))
        evidence[key] = Evidence(report, line, passage(document.line(line), covering),
                                 " > ".join(document.section(line)), context_line, context_quote)
    return {pair: evidence[key] for pair, key in keys.items()}


class MentionIndex:
    """Where each name occurs in each report, as whole words, by line."""

    def __init__(self, document: Document):
        self.document = document
        self.text = "\n".join(document.lines)
        # every run of word characters in the report: a name standing as whole words has each of
        # its own runs among them, so a name with one missing is not looked for (most names are
        # in no given report, and each look scanned the whole text: half of registry_facts' time)
        self.runs = frozenset(WORD_RUN.findall(self.text))
        self._held: dict[str, bool] = {}
        self.starts = [0]
        for line in document.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def first_line(self, name: str, longer: Iterable[str] = (), apart: Iterable[str] = ()) -> int | None:
        """The first line where ``name`` stands as whole words (any white space between words),
        and not as part of one of the ``longer`` names that hold it ("SenseCare" in "SenseCare
        Smart Hospital" names the product, not the company SenseCare), unless it stands nowhere
        else ("SAE" only in "ISO/SAE 21434"), and then not as the head of a hyphenated name
        ("SenseFoundry" in "SenseFoundry-VL" names another product) nor inside one of the ``apart``
        names, another organisation's ("Toyota" in "Toyota Technological Institute at Chicago" is
        not the carmaker)."""
        holders = tuple((other, tuple(_offsets(other, name))) for other in longer)
        position = self._find(name, holders)
        if position is None and holders:
            position = self._find(name, tuple((other, tuple(_offsets(other, name))) for other in apart),
                                  compound=False)
        return bisect.bisect_right(self.starts, position) if position is not None else None

    def _holds(self, word: str) -> bool:
        """Whether the text holds ``word`` anywhere (kept: names share words, and each look
        scans the whole report)."""
        held = self._held.get(word)
        if held is None:
            held = self._held[word] = word in self.text
        return held

    def _inside(self, start: int, holders: tuple[tuple[str, tuple[int, ...]], ...]) -> bool:
        """Whether the name found at ``start`` is part of a longer name (with its offsets in it)."""
        return any(self.text.startswith(other, start - offset)
                   for other, offsets in holders for offset in offsets if start >= offset)

    def _find(self, name: str, holders: tuple[tuple[str, tuple[int, ...]], ...] = (),
              compound: bool = True) -> int | None:
        if not self.runs.issuperset(WORD_RUN.findall(name)):
            return None
        start = self.text.find(name)
        while start >= 0:  # fast path: the name as printed, checked for word boundaries
            end = start + len(name)
            if (not _is_word(self.text, start - 1) and not _is_word(self.text, end)
                    and not self._inside(start, holders)
                    and (compound or not (self.text[end:end + 1] == "-" and _is_word(self.text, end + 1)))):
                return start
            start = self.text.find(name, start + 1)
        words = name.split()
        if len(words) < 2 or not all(self._holds(word) for word in words):
            return None
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        for match in pattern.finditer(self.text):
            if not _is_word(self.text, match.start() - 1) and not _is_word(self.text, match.end()):
                return match.start()
        return None


def _offsets(text: str, part: str) -> list[int]:
    """Where ``part`` starts within ``text``."""
    found, at = [], text.find(part)
    while at >= 0:
        found.append(at)
        at = text.find(part, at + 1)
    return found


def _is_word(text: str, index: int) -> bool:
    return 0 <= index < len(text) and word_char(text[index])


def _on_line(text: str, name: str) -> str:
    """The anchor for a name found at ``text``'s line: the name, or where it runs on to the next
    line ("Zero-Carbon Research Institute" / "of the Beijing News"), its words on this line."""
    words = name.split()
    for count in range(len(words), 0, -1):
        if anchor_span(text, " ".join(words[:count])):
            return " ".join(words[:count])
    return name


def registry_facts(registry: Registry, corpus: Corpus) -> list[Fact]:
    """Type, label and alias facts of every entity, each cited at its first mention per report.

    An alias that no report uses is an error: the registry records the names the reports
    use, not names from elsewhere. An entity no report mentions is an error too.
    """
    indexes = [MentionIndex(document) for document in corpus]
    known = classes()
    facts: list[Fact] = []
    every_name = {name for entity in registry for name in entity.names}
    longer = {name: [other for other in every_name if name in other and other != name] for name in every_name}
    organisations = {name for entity in registry if entity.type in kinds_of("Organization") for name in entity.names}
    for entity in registry:
        subject, origin = Ref(entity.id), f"registry entity {entity.id} ({entity.source})"
        unknown = set(entity.reports) - set(corpus.ids)
        if unknown:
            raise InputError(f"{origin}: unknown report ids {sorted(unknown)} in reports")
        searched = [i for i in indexes if not entity.reports or i.document.id in entity.reports]
        name_cites: dict[str, list[Citation]] = {}
        for name in entity.names:
            name_cites[name] = [
                Citation(index.document.id, line, _on_line(index.document.line(line), name))
                for index in searched
                if (line := index.first_line(name, longer[name],
                                             [o for o in longer[name] if o in organisations])) is not None
            ]
        for alias in entity.aliases:
            if not name_cites[alias]:
                raise InputError(f"{origin}: alias {alias!r} occurs in no report")
        by_report: dict[str, Citation] = {}
        for cites in name_cites.values():
            for cite in cites:
                if cite.report not in by_report or cite.line < by_report[cite.report].line:
                    by_report[cite.report] = cite
        if not by_report:
            raise InputError(f"{origin}: no report mentions {entity.label!r} or any of its aliases")
        entity_cites = tuple(by_report[r] for r in corpus.ids if r in by_report)
        facts.append(Fact(subject, RDF.type, known[entity.type], entity_cites, origin, record=True))
        # the label is cited where it is printed; a label no report prints as written (in another
        # case, or with a qualifier: "SenseAuto (ecosystem company)") at the first mention of each
        # name, for grounding to keep those that state it
        label_cites = tuple(name_cites[entity.label]) or tuple(dict.fromkeys(
            cite for cites in name_cites.values() for cite in cites))
        facts.append(Fact(subject, RDFS.label, Literal(entity.label), label_cites, origin, record=True))
        for alias in entity.aliases:
            facts.append(Fact(subject, SKOS.altLabel, Literal(alias), tuple(name_cites[alias]), origin,
                              record=True))
    return facts
