"""Rule-based extractors: plain functions from the reports to facts or readings.

A fact extractor takes the :class:`~sensekg.loaders.reports.Corpus` and the
:class:`~sensekg.loaders.registry.Registry` and yields :class:`~sensekg.loaders.facts.Fact`
objects whose citations anchor on the text they matched. A reading extractor returns figures
(:class:`~sensekg.loaders.observations.Reading`) and the rows it had to skip; readings of all
extractors are merged into observations together, so a figure printed in a table and in the
prose is one observation with two pieces of evidence. To add an extractor, write the function
in a module here and list it below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..facts import Fact
from ..observations import Reading, observation_facts
from ..registry import Registry
from ..reports import Corpus
from .certifications import extract_hnte_status
from .narrative import extract_narrative_readings
from .tables import Skipped, extract_table_readings

FactExtractor = Callable[[Corpus, Registry], Iterable[Fact]]
ReadingExtractor = Callable[[Corpus, Registry, Path | None], tuple[list[Reading], list[Skipped]]]

FACT_EXTRACTORS: tuple[FactExtractor, ...] = (extract_hnte_status,)
READING_EXTRACTORS: tuple[ReadingExtractor, ...] = (
    extract_table_readings, extract_narrative_readings,
)


@dataclass
class Extraction:
    facts: list[Fact]
    readings: list[Reading]
    skipped: list[Skipped]


def run_extractors(corpus: Corpus, registry: Registry, data: Path | None = None) -> Extraction:
    """Run every extractor; ``data`` is the data folder (tables, measures) when not the packaged one."""
    facts = [fact for extract in FACT_EXTRACTORS for fact in extract(corpus, registry)]
    readings, skipped = [], []
    for extract in READING_EXTRACTORS:
        found, missed = extract(corpus, registry, data)
        readings += found
        skipped += missed
    facts += observation_facts(readings, {entity.id: entity.label for entity in registry})
    return Extraction(facts, readings, skipped)
