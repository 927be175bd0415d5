"""Rule-based extractors: plain functions from the reports to facts.

An extractor takes the :class:`~sensekg.loaders.reports.Corpus` and the
:class:`~sensekg.loaders.registry.Registry` and yields :class:`~sensekg.loaders.facts.Fact`
objects whose citations anchor on the text they matched. To add one, write the function
in a module here and list it in ``EXTRACTORS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ..facts import Fact
from ..registry import Registry
from ..reports import Corpus
from .certifications import extract_hnte_status

Extractor = Callable[[Corpus, Registry], Iterable[Fact]]

EXTRACTORS: tuple[Extractor, ...] = (extract_hnte_status,)


def run_extractors(corpus: Corpus, registry: Registry,
                   extractors: Iterable[Extractor] = EXTRACTORS) -> list[Fact]:
    return [fact for extract in extractors for fact in extract(corpus, registry)]
