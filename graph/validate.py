"""SHACL validation with a report a person can act on: grouped by entity, with report lines.

Three engines check the same shapes (``ENGINES``):

- **shacl-engine** (the default): SHACL_Engine, a SHACL engine in Rust, PyPI's ``shacl``. It
  compiles the shapes once and releases the GIL while it validates, so partitions run on
  threads; about eight times less CPU than shifty on this graph.
- **shifty**: the Rust SHACL engine of the ``pyshifty`` package, the default before it; also
  on threads.
- **pySHACL**: the reference implementation, in processes. The test suite plants every kind of
  fault the shapes can catch, and random faults, and checks that every engine reports what
  pySHACL reports: focus nodes, paths, constraint components and values
  (``tests/test_validate.py``).

The graph is validated in partitions of whole subjects (``validate_store``). A partition holds
the full description of its subjects, the ``rdf:type`` of the nodes they point to through a
property a shape checks with ``sh:class``, and the ontology's ``rdfs:subClassOf`` triples (class
targets follow them). Every shape is a SHACL Core constraint on a single predicate path, so a
node's description and its values' types are all a constraint can read: the partitions
together report exactly what one whole-graph run reports, while memory stays bounded and the
work spreads over the cores. (Partitioning by named graph does not: a report graph may point
to a measure typed in another report's graph.)

The same fact makes validation incremental. Each subject's digest covers its description and
the types of the nodes it points to; the digests and the violations found are kept beside the
build folder (``.DIR.sensekg-validation.json``, next to its lock file), so a rebuild in which a
few records changed validates only the subjects whose digest changed and reuses the stored
results for the rest. The file is content-addressed: a stale or foreign one can only cost time,
never hide a fault of a subject that changed. ``--full`` validates every subject and rewrites it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node
from rdflib.util import from_n3

from sensekg.loaders.errors import about
from sensekg.loaders.vocab import PROV, SK, ontology_text

DISTRIBUTIONS = {"shacl-engine": "shacl", "shifty": "pyshifty", "pyshacl": "pyshacl"}  # each engine's, on PyPI
ENGINES = tuple(DISTRIBUTIONS)
DEFAULT_ENGINE = "shacl-engine"
PARTITION_TRIPLES = 40_000
CACHE_FORMAT = "sensekg-validation/2"  # 2: the digests as one string, and the count of subjects


@dataclass(frozen=True)
class Violation:
    focus: Node
    path: Node | None
    value: Node | None
    message: str
    severity: str
    component: str = ""  # the constraint component's local name, e.g. "MinCountConstraintComponent"


@dataclass
class ValidationReport:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    subjects: int = 0   # subjects in the graph
    checked: int = 0    # of them, validated in this run (the rest reused from the last one)


@lru_cache(maxsize=1)
def shapes_graph() -> Graph:
    return Graph().parse(data=ontology_text("shapes.ttl"), format="turtle")


def _local(iri: Node | None) -> str:
    return str(iri).rsplit("#", 1)[-1] if iri is not None else ""


def violations_of(results: Graph) -> list[Violation]:
    """The results of a W3C SHACL validation report graph, as either engine writes it."""
    found = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        severity = results.value(result, SH.resultSeverity)
        found.append(Violation(
            focus=results.value(result, SH.focusNode),
            path=results.value(result, SH.resultPath),
            value=results.value(result, SH.value),
            message=str(results.value(result, SH.resultMessage) or "constraint violated"),
            severity=_local(severity) or "Violation",
            component=_local(results.value(result, SH.sourceConstraintComponent)),
        ))
    return found


def run_pyshacl(data: bytes) -> list[Violation]:
    """Validate N-Triples with pySHACL (the reference implementation)."""
    import pyoxigraph as ox
    from pyshacl import validate as shacl_validate

    from .rdfio import rdflib_graph

    graph = rdflib_graph(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))  # 5x faster than rdflib's parser
    _, results, _ = shacl_validate(graph, shacl_graph=shapes_graph(), inference="none", allow_warnings=True,
                                   advanced=True, inplace=True)
    return violations_of(results)


@lru_cache(maxsize=1)
def _shifty_validator():
    import shifty

    return shifty.PreparedValidator(ontology_text("shapes.ttl").encode("utf-8"))


def run_shifty(data: bytes) -> list[Violation]:
    """Validate N-Triples with shifty: the data graph alone, as pySHACL does, and no SHACL-AF rules.
    A shape feature shifty does not support raises instead of passing unchecked."""
    _, results, _ = _shifty_validator().validate(data, graph_mode="data", infer=False, sort_results=False,
                                                 on_unsupported="error")
    return violations_of(results)


@lru_cache(maxsize=1)
def _shacl_engine_shapes():
    import shacl

    return shacl.Shapes.from_turtle(ontology_text("shapes.ttl"))


def _term(text: str | None) -> Node | None:
    return None if text is None else from_n3(text)


def _path(text: str | None) -> Node | None:
    """A result's path: a predicate's IRI, or a longer SPARQL path as SHACL_Engine renders it."""
    if text is None:
        return None
    return from_n3(text) if text.startswith("<") and text.endswith(">") and " " not in text else Literal(text)


def run_shacl_engine(data: bytes) -> list[Violation]:
    """Validate N-Triples with SHACL_Engine (PyPI ``shacl``): no inference, every result kept."""
    report = _shacl_engine_shapes().validate_text(data.decode("utf-8"), format="ntriples", allow_warnings=True)
    return [Violation(focus=_term(r.focus_node), path=_path(r.path), value=_term(r.value),
                      message=r.message or "constraint violated", severity=r.severity, component=r.component)
            for r in report.results]


RUNNERS: dict[str, Callable[[bytes], list[Violation]]] = {
    "shacl-engine": run_shacl_engine, "shifty": run_shifty, "pyshacl": run_pyshacl}


def engine_version(engine: str) -> str:
    from importlib import metadata

    return f"{engine} {metadata.version(DISTRIBUTIONS[engine])}"


@lru_cache(maxsize=1)
def class_checked_predicates() -> frozenset[str]:
    """The predicates whose values a shape checks with ``sh:class`` (directly or inside sh:or).
    Asked of pyoxigraph: rdflib's SPARQL engine took longer to import than a rebuild's
    validation takes to run."""
    import pyoxigraph as ox

    shapes = ox.Store()
    shapes.load(ontology_text("shapes.ttl"), format=ox.RdfFormat.TURTLE)
    rows = shapes.query("""
        PREFIX sh: <http://www.w3.org/ns/shacl#>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        SELECT DISTINCT ?path WHERE { ?shape sh:path ?path ; (sh:or|sh:and|rdf:first|rdf:rest)*/sh:class ?c }""")
    return frozenset(f"<{row['path'].value}>" for row in rows)


# The graph is read as N-Triples lines, which pyoxigraph writes as `S P O .` with single spaces
# between the terms; only the object can hold a space.
_TYPE = f"<{RDF.type}>".encode()
_SUBCLASS = f"<{RDFS.subClassOf}>".encode()


@dataclass
class _Part:
    subjects: list[bytes] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)
    context: set[bytes] = field(default_factory=set)
    digests: list[str] = field(default_factory=list)  # of each subject, in the same order


def _subject_runs(path: Path, checked: set[bytes]) -> Iterator[tuple[bytes, list[bytes], list[bytes]]]:
    """(subject, its lines, the objects it names through a predicate in ``checked``) from an
    N-Triples file in which each subject's lines are adjacent."""
    current, lines, named = None, [], []
    with path.open("rb") as stream:
        for line in stream:
            subject, predicate, rest = line.split(b" ", 2)
            if subject != current:
                if current is not None:
                    yield current, lines, named
                current, lines, named = subject, [], []
            lines.append(line)
            if predicate in checked:
                named.append(rest[:-3])
    if current is not None:
        yield current, lines, named


def _context(path: Path) -> tuple[dict[bytes, list[bytes]], list[bytes]]:
    """The type lines of every node named through a class-checked property, and the
    ``rdfs:subClassOf`` lines. Two passes over the file keep memory to those nodes."""
    checked = {p.encode() for p in class_checked_predicates()}
    pointed: set[bytes] = set()
    subclass: list[bytes] = []
    with path.open("rb") as stream:
        for line in stream:
            _, predicate, rest = line.split(b" ", 2)
            if predicate in checked and rest.startswith(b"<"):
                pointed.add(rest[:-3])
            elif predicate == _SUBCLASS:
                subclass.append(line)
    types: dict[bytes, list[bytes]] = defaultdict(list)
    typed = b" " + _TYPE + b" "
    with path.open("rb") as stream:
        for line in stream:
            if typed in line:
                subject, predicate, _ = line.split(b" ", 2)
                if predicate == _TYPE and subject in pointed:
                    types[subject].append(line)
    return types, sorted(subclass)


def _group(path: Path) -> None:
    """Make each subject's lines adjacent. Files that already are (a persisted store's dump,
    sensekg's sorted TriG) are only read; others are sorted in memory."""
    seen: set[bytes] = set()
    current = None
    with path.open("rb") as stream:
        for line in stream:
            subject = line.split(b" ", 1)[0]
            if subject != current:
                if subject in seen:
                    break
                seen.add(subject)
                current = subject
        else:
            return
    with path.open("rb") as stream:
        lines = sorted(set(stream))
    with path.open("wb") as stream:
        stream.writelines(lines)


def union_of_store(store, path: Path) -> None:
    """Write the store's default graph (the union of its graphs) to ``path`` as N-Triples, each
    subject's lines adjacent (a persisted store lists them so)."""
    import pyoxigraph as ox

    store.dump(str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    _group(path)


def union_of_trig(trig: Path, path: Path) -> None:
    """Write the union of a TriG file's graphs to ``path`` as N-Triples, each subject's lines
    adjacent. sensekg writes its TriG sorted, so a triple several graphs hold comes on adjacent
    lines and is written once; that is three times faster than reading the store."""
    import pyoxigraph as ox

    previous = None
    with path.open("wb") as out:
        for quad in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG):
            triple = quad.triple
            if triple != previous:
                out.write(f"{triple} .\n".encode())
                previous = triple
    _group(path)


def union_of_nquads(nquads: Path, path: Path) -> None:
    """Write the union of the graphs of a build's ``sensekg.nq`` to ``path`` as N-Triples, each
    subject's lines adjacent (``rdfio.union_lines``: no term is parsed, which makes it several
    times faster than from the TriG)."""
    from .rdfio import union_lines

    with nquads.open("rb") as stream, path.open("wb") as out:
        out.writelines(union_lines(stream))


def _order(v: Violation) -> tuple[str, str, str, str]:
    return str(v.focus), str(v.path), str(v.value), v.component


def _n3(node: Node) -> bytes:
    """A subject as the N-Triples line has it (an IRI or a blank node)."""
    return node.n3().encode("utf-8")


def _validate_part(engine: str, data: bytes, subjects: frozenset[bytes]) -> list[Violation]:
    # the nodes typed for context are validated too, without their descriptions: their own
    # partition reports on them, so only the partition's subjects are reported here
    return [v for v in RUNNERS[engine](data) if _n3(v.focus) in subjects]


def _dump(violation: Violation, digest: str) -> dict:
    return {"digest": digest, "focus": violation.focus.n3(),
            "path": violation.path.n3() if violation.path is not None else None,
            "value": violation.value.n3() if violation.value is not None else None,
            "message": violation.message, "severity": violation.severity, "component": violation.component}


def _load(item: dict) -> tuple[str, Violation]:
    return item["digest"], Violation(_term(item.get("focus")), _term(item.get("path")), _term(item.get("value")),
                                     str(item["message"]), str(item["severity"]), str(item.get("component", "")))


def cache_key(engine: str, subclass: list[bytes]) -> str:
    """What every stored result depends on besides the subject: the engine, the shapes and the
    class hierarchy."""
    digest = hashlib.sha256(engine_version(engine).encode() + ontology_text("shapes.ttl").encode())
    for line in subclass:
        digest.update(line)
    return digest.hexdigest()


def read_cache(path: Path | None, key: str) -> tuple[set[str], list[tuple[str, Violation]]]:
    """The subject digests and violations of the last run, or nothing when the file is missing,
    unreadable or from other shapes or another engine."""
    if path is None:
        return set(), []
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("format") != CACHE_FORMAT or stored.get("key") != key:
            return set(), []
        digests = stored["subjects"]
        if not isinstance(digests, str) or len(digests) % DIGEST:
            return set(), []
        return ({digests[i:i + DIGEST] for i in range(0, len(digests), DIGEST)},
                [_load(item) for item in stored["violations"]])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return set(), []


def write_cache(path: Path | None, key: str, digests: set[str], found: list[tuple[str, Violation]],
                stamp: str | None = None, count: int | None = None) -> None:
    """Keep this run's results for the next one; a folder that cannot be written only costs time.
    ``stamp`` is the SHA-256 of the build's N-Quads validated, which the next build's record of
    what changed names, and ``count`` the subjects in the graph (see :func:`validate_changes`).
    The digests are one string (a list of them took longer to read than a change takes to
    validate), in no particular order."""
    from .export import write_atomic

    if path is None:
        return
    payload = {"format": CACHE_FORMAT, "key": key, "subjects": "".join(digests),
               "violations": [_dump(v, d) for d, v in found]}
    if count is not None:
        payload["count"] = count
    if stamp:
        payload[STAMP] = stamp
    with contextlib.suppress(OSError):
        write_atomic(path, json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def _executor(engine: str, jobs: int) -> Executor:
    # the compiled engines release the GIL, so threads suffice; pySHACL is Python and needs processes
    return ThreadPoolExecutor(jobs) if engine != "pyshacl" else ProcessPoolExecutor(jobs)


def validate_store(store, engine: str = DEFAULT_ENGINE, jobs: int | None = None, size: int = PARTITION_TRIPLES,
                   progress: Callable[[int, int], None] | None = None, cache: Path | None = None,
                   reuse: bool = True, stamp: str | None = None) -> ValidationReport:
    """Validate the union of a store's graphs (its default graph); see :func:`validate_union`."""
    return validate_union(lambda path: union_of_store(store, path), engine, jobs, size, progress, cache, reuse,
                          stamp)


def validate_trig(trig: Path, engine: str = DEFAULT_ENGINE, jobs: int | None = None, size: int = PARTITION_TRIPLES,
                  progress: Callable[[int, int], None] | None = None, cache: Path | None = None,
                  reuse: bool = True) -> ValidationReport:
    """Validate the union of a TriG file's graphs; see :func:`validate_union`."""
    return validate_union(lambda path: union_of_trig(trig, path), engine, jobs, size, progress, cache, reuse)


def validate_nquads(nquads: Path, engine: str = DEFAULT_ENGINE, jobs: int | None = None,
                    size: int = PARTITION_TRIPLES, progress: Callable[[int, int], None] | None = None,
                    cache: Path | None = None, reuse: bool = True, stamp: str | None = None) -> ValidationReport:
    """Validate the union of the graphs of a build's ``sensekg.nq``; see :func:`validate_union`."""
    return validate_union(lambda path: union_of_nquads(nquads, path), engine, jobs, size, progress, cache, reuse,
                          stamp)


STAMP = "nquads sha256"  # in the results file: the build's N-Quads the results are of
DIGEST = 32  # hexadecimal characters of a subject's digest


def _union_line(quad) -> bytes:
    """A quad of the store's default graph as the union file has its triple."""
    return f"{quad.triple} .\n".encode()


def validate_changes(store, changed: dict, stamp: str, engine: str = DEFAULT_ENGINE,
                     cache: Path | None = None) -> ValidationReport | None:
    """Validate only what a rebuild changed, from the build's own record of it, or return None
    when that cannot be done (then the subjects' digests are compared, see :func:`validate_union`).

    ``changed`` is what the build recorded (``build.CHANGED``, see ``build.changed_subjects``):
    the SHA-256 of the N-Quads of each earlier build it reaches back to, with the change in the
    count of subjects since; the subjects of the quads removed and added since the earliest; and
    those of them whose type changed. Results already of this build (``stamp``) are reused whole.

    When the last run's results in ``cache`` are of one of those N-Quads, with these shapes, engine and
    class hierarchy, the subjects validated again are the changed ones and those that point to a
    retyped node through a class-checked property; each is read from the store's union with the
    types of the nodes it points to, as a partition has them. Their results replace the last
    run's; the rest are kept. The work follows the change, not the graph: no pass over the quads
    (only the kept results are read, the digests as one string).
    """
    import pyoxigraph as ox

    try:
        stored = json.loads(cache.read_text(encoding="utf-8")) if cache is not None else None
        if not isinstance(stored, dict) or stored.get("format") != CACHE_FORMAT:
            return None
        union = ox.DefaultGraph()
        subclass = sorted(_union_line(q) for q in store.quads_for_pattern(None, ox.NamedNode(str(RDFS.subClassOf)),
                                                                          None, union))
        key = cache_key(engine, subclass)
        if stored.get("key") != key or not isinstance(stored["count"], int):
            return None
        kept = [_load(item) for item in stored["violations"]]
        if stored.get(STAMP) == stamp:  # already this build's results
            current = sorted({v for _, v in kept}, key=_order)
            return ValidationReport(not current, current, stored["count"], 0)
        steps, subjects, retyped = changed["steps"], changed["subjects"], changed["retyped"]
        since = next((i for i, step in enumerate(steps) if step["since"] == stored.get(STAMP)), None)
        if since is None or not isinstance(subjects, list) or not isinstance(retyped, list):
            return None
        count = stored["count"] + steps[since]["count change"]
        if not isinstance(count, int):
            return None
        focus = {ox.NamedNode(s[1:-1]) for s in subjects if s.startswith("<")}
        checked = class_checked_predicates()
        for node in retyped:
            if node.startswith("<"):
                focus.update(q.subject for q in store.quads_for_pattern(None, None, ox.NamedNode(node[1:-1]), union)
                             if f"<{q.predicate.value}>" in checked)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    lines: list[bytes] = []
    context: set[bytes] = set()
    rdf_type = ox.NamedNode(str(RDF.type))
    for subject in sorted(focus, key=str):
        for quad in store.quads_for_pattern(subject, None, None, union):
            lines.append(_union_line(quad))
            if isinstance(quad.object, ox.NamedNode) and f"<{quad.predicate.value}>" in checked:
                context.update(_union_line(t) for t in store.quads_for_pattern(quad.object, rdf_type, None, union))
    nodes = frozenset(str(s).encode("utf-8") for s in focus)  # as the lines have them
    found = _validate_part(engine, b"".join(lines) + b"".join(sorted(context)) + b"".join(subclass), nodes) \
        if lines else []
    results = [("", v) for _, v in kept if _n3(v.focus) not in nodes] + [("", v) for v in found]
    write_cache(cache, key, set(), results, stamp, count)
    violations = sorted({v for _, v in results}, key=_order)
    return ValidationReport(not violations, violations, count, len(focus))


def validate_union(write_union: Callable[[Path], None], engine: str = DEFAULT_ENGINE, jobs: int | None = None,
                   size: int = PARTITION_TRIPLES, progress: Callable[[int, int], None] | None = None,
                   cache: Path | None = None, reuse: bool = True, stamp: str | None = None) -> ValidationReport:
    """Validate a graph partition by partition; ``write_union`` writes it as N-Triples, each
    subject's lines adjacent, to the path it is given.

    ``cache`` is the file of the last run's results: unless ``reuse`` is false, subjects whose
    digest is in it are not validated again. It is rewritten with this run's results (and
    ``stamp``, the SHA-256 of the build's N-Quads validated, when given).
    """
    if engine not in RUNNERS:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    jobs = max(1, jobs or os.cpu_count() or 1)
    with tempfile.TemporaryDirectory(prefix="sensekg-validate-") as folder:
        path = Path(folder) / "union.nt"
        try:
            write_union(path)
        except OSError as exc:  # a full disk names no file: say which, and how to choose another
            named = about(exc, path, " (validation writes the graph into a temporary folder; set TMPDIR to a "
                                     "folder with more room)") if exc.filename is None else None
            if named is None:
                raise
            raise named from exc
        types, subclass = _context(path)
        key = cache_key(engine, subclass)
        known, stored = read_cache(cache if reuse else None, key)
        checked_predicates = {p.encode() for p in class_checked_predicates()}
        digests: set[str] = set()
        found: list[tuple[str, Violation]] = []
        subjects = checked = done = triples = 0

        def finish(part: _Part):
            nonlocal triples
            data = b"".join(part.lines) + b"".join(part.context) + b"".join(subclass)
            triples += len(part.lines)
            future = pool.submit(_validate_part, engine, data, frozenset(part.subjects))
            return future, dict(zip(part.subjects, part.digests, strict=True))  # kept only while in flight

        def merge(pending_part) -> None:
            nonlocal done
            future, digest_of = pending_part
            found.extend((digest_of.get(_n3(v.focus), ""), v) for v in future.result())
            done += 1
            if progress:
                progress(done, triples)

        with _executor(engine, jobs) as pool:
            pending: list = []
            part = _Part()
            for subject, lines, named in _subject_runs(path, checked_predicates):
                subjects += 1
                context = {typed for value in named for typed in types.get(value, ())}
                digest = hashlib.sha256(b"".join(sorted(lines)) + b"".join(sorted(context))).hexdigest()[:DIGEST]
                digests.add(digest)
                if digest in known:
                    continue
                checked += 1
                part.subjects.append(subject)
                part.digests.append(digest)
                part.lines.extend(lines)
                part.context |= context
                if len(part.lines) >= size:
                    pending.append(finish(part))
                    part = _Part()
                    while len(pending) > jobs:  # bound memory: at most jobs + 1 partitions in flight
                        merge(pending.pop(0))
            if part.subjects:
                pending.append(finish(part))
            for future in pending:
                merge(future)
    found += [(d, v) for d, v in stored if d in digests]
    write_cache(cache, key, digests, found, stamp, subjects)
    violations = sorted({v for _, v in found}, key=_order)
    return ValidationReport(not violations, violations, subjects, checked)


def cache_path(folder: Path) -> Path:
    """Where the results of validating build folder ``folder`` are kept: beside it, next to its
    lock file, so that a rebuild (which replaces the folder whole) keeps them."""
    folder = folder.absolute()
    return folder.parent / f".{folder.name}.sensekg-validation.json"


def label_of(store, node: Node) -> str:
    import pyoxigraph as ox

    if not isinstance(node, URIRef):
        return str(node)
    labels = store.quads_for_pattern(ox.NamedNode(str(node)), ox.NamedNode(str(RDFS.label)), None, ox.DefaultGraph())
    return next((q.object.value for q in labels), str(node))


def lines_about(store, node: Node) -> list[str]:
    """``report-id:line`` of every evidence node whose subject is ``node``."""
    if not isinstance(node, URIRef):
        return []
    rows = store.query(f"""SELECT DISTINCT ?report ?line WHERE {{
        ?evidence <{RDF.subject}> <{node}> ; <{PROV.wasDerivedFrom}> ?report ; <{SK.line}> ?line }}""")
    found = {(row["report"].value.rsplit("/", 1)[-1], int(row["line"].value)) for row in rows}
    return [f"{report}:{line}" for report, line in sorted(found)]


def format_report(report: ValidationReport, store) -> str:
    """The violations grouped by entity, each with its label and the report lines that state it."""
    from .query import show

    if report.conforms and not report.violations:
        return "The graph conforms to the shapes."
    grouped: dict[Node, list[Violation]] = defaultdict(list)
    for violation in report.violations:
        grouped[violation.focus].append(violation)
    entities = "entity" if len(grouped) == 1 else "entities"
    out = [f"{len(report.violations)} problem(s) in {len(grouped)} {entities}:"]
    for focus, violations in grouped.items():
        lines = lines_about(store, focus)
        out.append(f"\n{label_of(store, focus)} ({show(focus)})")
        if lines:
            out.append(f"  stated at: {', '.join(lines[:6])}{' …' if len(lines) > 6 else ''}")
        for v in violations:
            path = show(v.path) if isinstance(v.path, URIRef) else "-"
            value = f" (value: {v.value})" if v.value is not None else ""
            out.append(f"  [{v.severity}] {path}: {v.message}{value}")
    return "\n".join(out)
