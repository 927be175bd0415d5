"""The entity registry: ids, types, preferred labels and aliases, read from data files.

Resolution of names to ids happens here and only here. Two entities may share a name
(SenseRobot the company and the product); resolving such a name is an error listing
the candidates, never a silent pick.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .datafiles import data_dir, data_files, header_lines, read_toml
from .errors import InputError
from .schema import MEASURE_SHAPE, SLUG_PATTERN, check_record, entity_shape

SLUG = SLUG_PATTERN


@dataclass(frozen=True)
class Entity:
    id: str
    type: str
    label: str
    aliases: tuple[str, ...]
    source: str
    reports: tuple[str, ...] = ()  # where to look for mentions; empty means every report
    distinct: tuple[str, ...] = ()  # ids known to be other things despite a similar label

    @property
    def names(self) -> tuple[str, ...]:
        return (self.label, *self.aliases)


def name_key(name: str) -> str:
    """The lookup key of a name: case, spacing and typographic quotes do not matter."""
    return re.sub(r"\s+", "", name.casefold().replace("’", "'"))


class AmbiguousName(LookupError):
    def __init__(self, name: str, candidates: list[Entity]):
        self.name, self.candidates = name, candidates
        listed = "; ".join(f"{e.id} ({e.label}, {e.type})" for e in candidates)
        super().__init__(f"{name!r} is ambiguous: {listed}")


class Registry:
    def __init__(self, entities: list[Entity]):
        self.entities: dict[str, Entity] = {}
        self._by_name: dict[str, list[Entity]] = defaultdict(list)
        for entity in entities:
            self.add(entity)

    def add(self, entity: Entity) -> None:
        if entity.id in self.entities:
            raise InputError(
                f"duplicate entity id {entity.id!r} (also at {self.entities[entity.id].source})",
                path=entity.source,
            )
        self.entities[entity.id] = entity
        for key in {name_key(n) for n in (*entity.names, entity.id)}:
            self._by_name[key].append(entity)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self.entities

    def __getitem__(self, entity_id: str) -> Entity:
        return self.entities[entity_id]

    def __iter__(self):
        return iter(self.entities.values())

    def __len__(self) -> int:
        return len(self.entities)

    def candidates(self, name: str) -> list[Entity]:
        return list(self._by_name.get(name_key(name), []))

    def resolve(self, name: str) -> Entity | None:
        """The one entity with this id, label or alias; ``AmbiguousName`` when several."""
        found = self.candidates(name)
        if len(found) > 1:
            raise AmbiguousName(name, found)
        return found[0] if found else None


def load_registry(folder: Path | None = None) -> Registry:
    """Read every ``entities/*.toml``: one table per entity, keyed by its id.

    Each entity is checked against :func:`schema.entity_shape`; ``distinct`` must name
    entities of the registry, and ``measures.toml``, shared like the registry, is checked
    against :data:`schema.MEASURE_SHAPE` here so that its mistakes surface with the registry's.
    """
    entities = []
    for path in data_files("entities", folder, at_least_one=True):
        data, lines = read_toml(path)
        headers = header_lines(lines)
        for entity_id, body in data.items():
            line = (headers.get(entity_id) or [None])[0]
            if not SLUG.match(entity_id):
                raise InputError(f"entity id {entity_id!r} must be lower-case letters, digits and '-'",
                                 path=path, line=line)
            values = check_record(body, entity_shape(), f"entity {entity_id!r}", path, lines, line)
            label = values["label"]
            aliases = tuple(dict.fromkeys(a for a in values.get("alt", ()) if a != label))
            entities.append(Entity(entity_id, values["type"], label, aliases, f"{path}:{line}",
                                   values.get("reports", ()), values.get("distinct", ())))
    registry = Registry(entities)
    for entity in registry:
        unknown = [other for other in entity.distinct if other not in registry]
        if unknown:
            raise InputError(f"entity {entity.id!r}: distinct names unknown entity ids {unknown}",
                             path=entity.source)
    _check_measures(folder)
    return registry


def _check_measures(folder: Path | None) -> None:
    path = (folder or data_dir()) / "measures.toml"
    if not path.exists():  # reported by whoever reads the measures, if anyone does
        return
    data, lines = read_toml(path)
    headers = header_lines(lines)
    for measure_id, body in data.items():
        line = (headers.get(measure_id) or [None])[0]
        if not SLUG.match(measure_id):
            raise InputError(f"measure id {measure_id!r} must be lower-case letters, digits and '-'",
                             path=path, line=line)
        check_record(body, MEASURE_SHAPE, f"measure {measure_id!r}", path, lines, line)


_LEGAL_SUFFIX = re.compile(
    r"\b(co\.?,?\s*ltd\.?|company limited|limited|ltd\.?|inc\.?|incorporated|llp|corporation|corp\.?|plc)"
    r"\s*$",
    re.IGNORECASE)


def label_key(label: str) -> str:
    """A label without case, punctuation, spacing or a trailing legal suffix."""
    bare = _LEGAL_SUFFIX.sub("", label.strip())
    return re.sub(r"[^\w]+", "", bare.casefold())


def suspected_duplicates(registry: Registry) -> list[tuple[Entity, Entity]]:
    """Pairs of entities whose labels differ only in case, punctuation or a legal suffix,
    unless one lists the other under ``distinct`` in the registry."""
    by_key: dict[str, list[Entity]] = defaultdict(list)
    for entity in registry:
        by_key[label_key(entity.label)].append(entity)
    pairs = []
    for group in by_key.values():
        for i, first in enumerate(group):
            for second in group[i + 1:]:
                if second.id not in first.distinct and first.id not in second.distinct:
                    pairs.append((first, second))
    return pairs
