"""What loaders emit: facts about entities, each with the report lines that state it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdflib import Literal, URIRef

CITATION = re.compile(r"^\s*([a-z0-9][a-z0-9-]*):(\d+)\s*\|\s*(\S.*?)\s*$")


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to an entity (or qualified-fact node) by its id, the slug of its IRI."""

    id: str


@dataclass(frozen=True)
class Citation:
    """``report-id:line`` plus an anchor phrase that must occur on that line.

    ``context``, when set, is a second line of the same report that the cited line is read with:
    the heading that carries one end of the fact (the recipient over an honours list), the other
    line of a record that names the other end, or the line a name runs on from or to. The two are
    one citation, judged together, and one evidence node in the graph."""

    report: str
    line: int
    anchor: str
    context: Citation | None = None

    def with_context(self, other: Citation) -> Citation:
        """This citation read together with ``other``, a line of the same report."""
        return Citation(self.report, self.line, self.anchor, Citation(other.report, other.line, other.anchor))

    @property
    def lines(self) -> tuple[int, ...]:
        """The line numbers this citation reads: its own, then its context's."""
        return (self.line,) if self.context is None else (self.line, self.context.line)

    @classmethod
    def parse(cls, text: str) -> Citation:
        """Parse ``"report-id:line | anchor"``; raise ``ValueError`` with what was expected."""
        match = CITATION.match(text)
        if not match:
            raise ValueError(f"citation {text!r} is not of the form 'report-id:line | anchor phrase'")
        return cls(match.group(1), int(match.group(2)), match.group(3))

    def __str__(self) -> str:
        return f"{self.report}:{self.line}"


Object = Ref | Literal | URIRef


@dataclass(frozen=True)
class Fact:
    """One triple about an entity and the citations that back it.

    ``origin`` says where the fact came from (a statement file and record, or an
    extractor), so an evidence failure can name it. ``origins``, when a fact merges what
    several readers found (one figure printed in a table and in prose), holds for each citation
    the records and rules that cited it there.
    """

    subject: Ref | URIRef
    predicate: URIRef
    object: Object
    citations: tuple[Citation, ...]
    origin: str
    origins: tuple[tuple[str, ...], ...] = ()
    record: bool = False  # made by a curated record, which grounding refuses rather than lists

    def origins_of(self, index: int) -> tuple[str, ...]:
        """What made the fact's ``index``-th citation."""
        return self.origins[index] if self.origins else (self.origin,)
