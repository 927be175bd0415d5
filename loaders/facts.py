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
    """``report-id:line`` plus an anchor phrase that must occur on that line."""

    report: str
    line: int
    anchor: str

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
