"""The build pipeline: read, extract, check evidence, assemble, write; each stage timed."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, Dataset

from sensekg.loaders.evidence import check_facts, registry_facts
from sensekg.loaders.extractors import run_extractors
from sensekg.loaders.extractors.tables import Skipped
from sensekg.loaders.facts import Fact
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reports import Corpus, read_corpus
from sensekg.loaders.statements import statement_facts
from sensekg.loaders.vocab import EVIDENCE, ONTOLOGY_GRAPH, SK

from .assemble import assemble
from .buildio import INFO, TRIG, write_build


@dataclass
class BuildResult:
    corpus: Corpus
    facts: list[Fact]
    dataset: Dataset
    timings: dict[str, float] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)


@contextmanager
def _timed(timings: dict[str, float], stage: str, progress: Callable[[str], None]) -> Iterator[None]:
    progress(f"{stage}…")
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start


def build_dataset(reports: str | Path | None = None, data: Path | None = None,
                  progress: Callable[[str], None] = lambda _: None) -> BuildResult:
    """Everything up to the in-memory dataset; raises ``InputError`` on bad input."""
    timings: dict[str, float] = {}
    with _timed(timings, "read", progress):
        corpus = read_corpus(reports)
        registry = load_registry(data)
    with _timed(timings, "extract", progress):
        facts = registry_facts(registry, corpus)
        facts += statement_facts(registry, data)
        extraction = run_extractors(corpus, registry, data)
        facts += extraction.facts
    with _timed(timings, "evidence check", progress):
        evidence = check_facts(corpus, facts)
    with _timed(timings, "assemble", progress):
        dataset = assemble(corpus, facts, evidence, data)
    return BuildResult(corpus, facts, dataset, timings, extraction.skipped)


def build_info(result: BuildResult) -> dict:
    return {
        "reports": {d.id: d.spec.sha256 for d in result.corpus},
        "quads": len(result.dataset),
        "facts": len(result.facts),
    }


def write_outputs(result: BuildResult, out: Path,
                  progress: Callable[[str], None] = lambda _: None) -> None:
    def writer(folder: Path) -> None:
        with _timed(result.timings, "write TriG", progress):
            result.dataset.serialize(folder / TRIG, format="trig")
        (folder / INFO).write_text(json.dumps(build_info(result), indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")

    write_build(out, writer)


def summarize(dataset: Dataset) -> dict[str, Counter]:
    """Entities by type, facts by predicate and evidence by report, outside the ontology graph.

    A fact stated by several reports counts once; its evidence counts once per report line.
    """
    typed, triples, evidence = set(), set(), Counter()
    for s, p, o, g in dataset.quads((None, None, None, None)):
        graph = getattr(g, "identifier", g)
        if graph is None or graph == ONTOLOGY_GRAPH:
            continue
        if str(s).startswith(str(EVIDENCE)):
            if p == RDF.type:
                evidence[str(graph).rsplit("/", 1)[-1]] += 1
        elif p == RDF.type:
            if o != SK.Report:
                typed.add((s, o))
        else:
            triples.add((s, p, o))
    entities = Counter(str(o).rsplit("#", 1)[-1] for _, o in typed)
    facts = Counter(dataset.namespace_manager.qname(p) for _, p, _ in triples)
    return {"entities by type": entities, "facts by predicate": facts, "evidence by report": evidence}
