"""Measures: what a figure is a figure of. The curated scheme (``measures.toml``) names the
measures and the labels the reports print for them; any other printed label becomes a measure
named after itself, for review."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, SKOS, Literal, URIRef

from .datafiles import data_dir, read_toml
from .errors import InputError
from .vocab import MEASURE, MEASURE_SCHEME, SK

# --- measures ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    id: str
    label: str
    definition: str | None
    aliases: tuple[str, ...]
    curated: bool = False
    sign: str | None = None  # "expense": amounts of expense, stored positive; "loss": losses, stored negative

    @property
    def iri(self) -> URIRef:
        return MEASURE[self.id]


def label_key(label: str) -> str:
    return re.sub(r"[^a-z0-9%]+", " ", label.casefold().replace("’", "'")).strip()


def slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.casefold()).strip("-")[:80]


def curated_measures(folder: Path | None = None) -> dict[str, Measure]:
    """The measures scheme of ``data/measures.toml``, by the key of each label and alias; read
    again when the file changed (a notebook's second build after an edit saw the first's)."""
    path = (folder or data_dir()) / "measures.toml"
    try:
        found = path.stat()
        version = (found.st_mtime_ns, found.st_size, found.st_ino)
    except OSError:
        version = None  # read_toml says what is wrong with it
    return _curated_measures(path, version)


@lru_cache(maxsize=8)
def _curated_measures(path: Path, version: tuple[int, int, int] | None) -> dict[str, Measure]:
    data, _ = read_toml(path)
    by_key: dict[str, Measure] = {}
    for measure_id, body in data.items():
        measure = Measure(measure_id, body["label"], body.get("definition"), tuple(body.get("alt", [])),
                          curated=True, sign=body.get("sign"))
        for name in (measure.label, *measure.aliases):
            key = label_key(name)
            if key in by_key and by_key[key].id != measure_id:
                raise InputError(f"measure name {name!r} is used by {by_key[key].id} and {measure_id}",
                                 path=path)
            by_key[key] = measure
    return by_key


def measure_for(label: str, folder: Path | None = None) -> Measure:
    """The curated measure a printed label names, else a measure named after the label."""
    found = curated_measures(folder).get(label_key(label))
    return found or Measure(slug(label), label, None, ())


def change_measure(base: Measure, folder: Path | None = None) -> Measure:
    """The year-over-year change of a measure: ``<id>-year-over-year-change``, so that a change
    printed beside "Finance income – net" and one in prose of "net finance income" are one."""
    label = f"{base.label}, year-over-year change"
    found = curated_measures(folder).get(label_key(label))
    return found or Measure(f"{base.id}-year-over-year-change"[:80], label, None, ())


def measure_scheme(folder: Path | None = None) -> list[tuple]:
    """The curated measures as SKOS triples, for the ontology graph."""
    triples = [(MEASURE_SCHEME, RDF.type, SKOS.ConceptScheme),
               (MEASURE_SCHEME, RDFS.label, Literal("sensekg measures"))]
    for measure in {m.id: m for m in curated_measures(folder).values()}.values():
        triples += [
            (measure.iri, RDF.type, SK.Measure),
            (measure.iri, RDF.type, SKOS.Concept),
            (measure.iri, SKOS.inScheme, MEASURE_SCHEME),
            (measure.iri, RDFS.label, Literal(measure.label)),
            (measure.iri, SKOS.prefLabel, Literal(measure.label)),
        ]
        if measure.definition:
            triples.append((measure.iri, SKOS.definition, Literal(measure.definition)))
        triples += [(measure.iri, SKOS.altLabel, Literal(alias)) for alias in measure.aliases]
    return triples
