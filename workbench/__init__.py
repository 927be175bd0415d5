"""sensekg's Python API: the graph of SenseTime's reports, for notebooks and scripts.

The command line is a thin layer on this module::

    import sensekg

    kg = sensekg.open("build")                       # a built graph, read-only
    kg.query("certifications", entity="SenseAuto")   # a saved query -> Results
    kg.sparql("SELECT ?s WHERE { ?s a sk:Product }")
    kg.why("SenseAuto", depth=2)                     # every fact, with report:line and quote
    kg.search("first AI company", quotes=True)       # the quoted passages, ranked
    kg.observations(measure="revenue")               # the figures, one row each
    kg.query("people").to_pandas()                   # pandas is optional: pip install 'sensekg[pandas]'

    sensekg.build(out="build")                       # read the reports, write the build
    sensekg.validate("build")                        # SHACL, with the fast engine
    sensekg.update("build", "INSERT DATA { ... }")   # change the store (not the TriG)

Every method returns :class:`Results`: rows that iterate as named tuples of Python values
(labels in place of IRIs unless ``labels=False``, when an entity is shown as ``id:slug``, which
any parameter accepts back), with ``.to_pandas()``, ``.to_csv()`` and ``.columns``. Bad input
raises :class:`SensekgError` (``InputError`` for a wrong name or parameter) with a message a
user can act on. Queries run in this process; give ``open(..., timeout=10)`` to run each one in
a child process that is stopped after that many seconds (or past ``max_memory`` GiB), as the
command line does.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.errors import InputError, SensekgError

__all__ = ["Graph", "Results", "BuildOutcome", "SensekgError", "InputError", "open", "build", "validate", "update"]

DEFAULT_BUILD = Path("build")


class Results:
    """The answer of a query: ``columns`` and rows of RDF terms, shown as Python values.

    Iterating gives named tuples (``row.label`` or ``row[0]``) of Python values: ``str`` for
    text and for entities (their label, or ``id:slug`` when the query ran with
    ``labels=False``), ``int``/``Decimal`` for numbers, ``datetime.date`` for dates, ``None``
    where a column is unbound. ``terms`` keeps the RDF terms themselves.
    """

    def __init__(self, columns: list[str], terms: list[tuple[Node | None, ...]]):
        self.columns = list(columns)
        self.terms = terms
        self._row = namedtuple("Row", self.columns, rename=True)

    def __iter__(self) -> Iterator[tuple]:
        return (self._row(*(python_value(t) for t in row)) for row in self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __getitem__(self, index: int) -> tuple:
        return self._row(*(python_value(t) for t in self.terms[index]))

    def column(self, name: str) -> list[Any]:
        """One column's values, in row order."""
        try:
            index = self.columns.index(name)
        except ValueError:
            raise InputError(f"no column {name!r}; the columns are {', '.join(self.columns)}") from None
        return [python_value(row[index]) for row in self.terms]

    def to_csv(self, path: str | Path | None = None) -> str:
        """The rows as CSV text (a header line, then one line per row); written to ``path`` too,
        atomically, when given."""
        from sensekg.graph.query import render

        text = render(self.columns, self.terms, "csv") + "\n"
        if path is not None:
            from sensekg.graph.export import write_atomic

            write_atomic(Path(path), text.encode("utf-8"))
        return text

    def to_pandas(self):
        """A ``pandas.DataFrame`` of the rows; numbers as floats, dates as dates.
        Needs pandas (``pip install 'sensekg[pandas]'``)."""
        try:
            import pandas
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install 'sensekg[pandas]' (or pandas)") from None
        rows = [[float(v) if isinstance(v, Decimal) else v for v in row] for row in self]
        return pandas.DataFrame(rows, columns=self.columns)

    def render(self, fmt: str = "table", width: int | None = None) -> str:
        """The rows as a ``table`` (wrapped to ``width`` characters, whole when ``None``), ``csv``,
        ``json`` or ``md``, as the command line prints them."""
        from sensekg.graph.query import render

        return render(self.columns, self.terms, fmt, width=width)

    def __repr__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        from html import escape

        from sensekg.graph.query import show

        head = "".join(f"<th>{escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(show(v))}</td>" for v in row) + "</tr>" for row in self.terms)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table><p>{len(self)} rows</p>"


def python_value(term: Node | None) -> Any:
    """A term as a Python value: literals by datatype, IRIs shortened (``id:slug``,
    ``measure:revenue``, ``report:annual-results-2024``) so they can be passed back."""
    if term is None:
        return None
    if isinstance(term, Literal):
        value = term.toPython()
        return str(term) if isinstance(value, Literal) else value
    if isinstance(term, URIRef | BNode):
        from sensekg.graph.query import show

        return show(term)
    return str(term)


@dataclass
class Graph:
    """A built graph, read-only. Make one with :func:`open`."""

    path: Path
    timeout: float | None = None
    max_memory: float | None = None
    _store: Any = field(default=None, repr=False)

    # -- running work on the store --------------------------------------------------------
    def run(self, work: Callable, *args: Any, what: str = "the query") -> Any:
        """``work(store, *args)``: in this process, or in a bounded child when the graph was
        opened with a timeout (``work`` must then be a module-level function)."""
        if self.timeout is None and self.max_memory is None:
            if self._store is None:
                from sensekg.graph.buildio import open_store

                self._store = open_store(self.path)
            return work(self._store, *args)
        return _bounded(self.path, work, args, self.timeout, self.max_memory, what)

    # -- the questions -------------------------------------------------------------------
    def query(self, name: str, /, *, labels: bool = True, normalize: bool = False, **params: str) -> Results:
        """Run the saved query ``name`` (see :meth:`queries`) with its parameters, e.g.
        ``kg.query("measure-series", measure="Revenue")``. An entity parameter takes a label,
        an alias, ``id:slug`` or an IRI; a wrong value raises ``InputError`` with the closest
        matches. ``normalize`` shows each figure in one unit per measure (see ``query run
        --normalize``)."""
        from sensekg.graph.saved import get_saved

        get_saved(name)  # an unknown name is reported before the store is opened
        given = {key: str(value) for key, value in params.items()}
        return Results(*self.run(_saved_query, name, given, labels, normalize))

    def sparql(self, text: str, /, *, labels: bool = False) -> Results:
        """Run a SPARQL SELECT; the ``sk:``, ``id:``, ``rdfs:`` … prefixes are declared, and the
        default graph is the union of the report graphs. Updates and ``SERVICE`` are refused."""
        from sensekg.graph.query import is_update

        if is_update(text):
            raise InputError("this is a SPARQL Update and the graph is read-only here")
        return Results(*self.run(_sparql, text, labels))

    def why(self, entity: str, /, *, depth: int = 1, labels: bool = True) -> Results:
        """Every fact about ``entity``, each with its ``source`` (report:line) and quote. With
        ``depth`` > 1 it follows the qualified and event nodes around the entity (a
        certification's standard, a partnership's other end, an event's agent), ``depth`` hops
        out; the ``depth`` column says at which hop a fact was found."""
        if not 1 <= depth <= 4:
            raise InputError(f"depth {depth}: give 1 to 4")
        return Results(*self.run(_why, entity, depth, labels))

    def search(self, text: str, /, *, quotes: bool = False, limit: int = 20) -> Results:
        """Entities whose label or alias contains ``text``; with ``quotes=True``, the quoted
        passages that contain its words instead, best first, each with ``source``
        (report:line), the passage and the facts that cite it."""
        if not text.strip():
            raise InputError("search for what? the text is empty")
        if quotes:
            from sensekg.graph.evidence_index import search_passages

            return Results(*search_passages(self.path, text, limit))
        return Results(*self.run(_search_names, text))

    def observations(self, *, measure: str | None = None, entity: str | None = None,
                     report: str | None = None, normalize: bool = True, labels: bool = True) -> Results:
        """The figures, one row per observation: subject, measure, period, segment, value, unit,
        bound, and the reports and lines that state the value. ``measure`` (id or label),
        ``entity`` and ``report`` narrow them; a wrong one raises ``InputError`` with the
        closest matches. ``normalize`` (the default) shows each measure in one unit, money in
        millions, with the measure's sign convention (columns ``normalized_value`` and
        ``normalized_unit``); ``normalize=False`` shows each figure as printed. All the columns,
        as ``sensekg export --observations`` writes them, are in :func:`sensekg.graph.export.observation_records`."""
        return Results(*self.run(_observations, measure, entity, report, normalize, labels))

    def queries(self) -> dict[str, str]:
        """The saved queries: name -> summary."""
        from sensekg.graph.saved import load_saved

        return {name: saved.summary for name, saved in load_saved().items()}

    def stats(self) -> dict[str, dict[str, int]]:
        """Counts: entities by type, facts by predicate, evidence by report, and quads."""
        from sensekg.graph.build import summarize
        from sensekg.graph.buildio import load_quads

        quads = load_quads(self.path)
        return {"quads": {"quads": len(quads), "graphs": len({q.graph_name for q in quads})},
                **{title: dict(counts) for title, counts in summarize(quads).items()}}

    def up_to_date(self, reports: str | Path | None = None, data: Path | None = None) -> bool:
        """Whether this build was made from the current reports and data."""
        from sensekg.graph.build import inputs_digest, up_to_date
        from sensekg.graph.buildio import resolve_graph_path
        from sensekg.loaders.reports import locate_reports

        return up_to_date(resolve_graph_path(self.path).parent, locate_reports(reports), inputs_digest(data))


def open(build_dir: str | Path = DEFAULT_BUILD, *, timeout: float | None = None,  # noqa: A001 - sensekg.open
         max_memory: float | None = None) -> Graph:
    """The graph built in ``build_dir`` (a build folder or its ``sensekg.trig``), read-only.

    ``timeout`` (seconds) and ``max_memory`` (GiB) bound each query by running it in a child
    process; by default queries run here, without bounds."""
    from sensekg.graph.buildio import store_folder

    store_folder(build_dir)  # a missing or foreign build is reported now, not at the first query
    return Graph(Path(build_dir), timeout, max_memory)


@dataclass
class BuildOutcome:
    """What :func:`build` did: the folder, whether it was already up to date, and the result
    (quads, timings, what the table reader skipped …) when it built."""

    out: Path
    up_to_date: bool
    result: Any = None  # sensekg.graph.build.BuildResult
    changes: list[str] | None = None  # the facts added and removed since the build it replaced

    @property
    def graph(self) -> Graph:
        return open(self.out)


def build(reports: str | Path | None = None, out: str | Path = DEFAULT_BUILD, data: str | Path | None = None, *,
          force: bool = False, progress: Callable[[str], None] | None = None,
          compare: bool = False, fresh: bool = False) -> BuildOutcome:
    """Read the reports, check every citation, and write the build folder ``out`` (replaced
    whole, only when everything succeeded). Nothing is done when ``out`` is up to date with the
    reports and data, unless ``force``. ``compare`` also lists the facts that changed since the
    build being replaced. The work of the build being replaced is recalled where its inputs are
    the same (``sensekg.graph.memo``), and its store updated into the new one when few quads
    changed (seconds faster, the same result); ``fresh`` recalls nothing and writes the store whole."""
    from sensekg.graph.heap import paused_gc

    with paused_gc():
        return _build(reports, out, data, force=force, progress=progress, compare=compare, fresh=fresh)


def _build(reports: str | Path | None, out: str | Path, data: str | Path | None, *, force: bool,
           progress: Callable[[str], None] | None, compare: bool, fresh: bool) -> BuildOutcome:
    from concurrent.futures import ThreadPoolExecutor

    from sensekg.graph.build import build_dataset, inputs_digest, read_previous, up_to_date, write_outputs
    from sensekg.graph.buildio import NQUADS_SHA, check_free, check_replaceable
    from sensekg.graph.memo import load_memo, memo_of
    from sensekg.loaders.datafiles import data_dir
    from sensekg.loaders.reports import locate_reports

    out, data = Path(out), (Path(data) if data is not None else None)
    folder = locate_reports(reports)
    keep = [folder, data or data_dir()]
    check_replaceable(out, keep)  # before the work, and again at the swap
    check_free(out)
    inputs = inputs_digest(data)
    if not force and up_to_date(out, folder, inputs):
        return BuildOutcome(out, True)
    progress = progress or (lambda _: None)
    # the replaced build, also for the record of what changed (with --fresh too), read and its
    # digest taken in a thread while its memo, what this build can recall of it, is unpickled here
    with ThreadPoolExecutor(1, thread_name_prefix="sensekg-previous") as pool:
        reading = pool.submit(read_previous, out, need_store=False)
        loaded = None if fresh else load_memo(out)
        previous = reading.result()
    memo = None
    if previous is not None and previous.recorded_as == NQUADS_SHA and not fresh:
        memo = memo_of(loaded, previous.sha256)
    result = build_dataset(folder, data=data, progress=progress, remember=True, memo=memo,
                           previous=previous.text if previous is not None else None)
    write_outputs(result, out, progress=progress, inputs=inputs, keep=keep, previous=previous, reuse_store=not fresh)
    changes = None
    if compare and previous is not None:
        from sensekg.graph.build import LineLabels
        from sensekg.graph.diff import fact_changes

        changes = fact_changes([], [], changed=previous.changes(result.sorted_lines),
                               labels=lambda: LineLabels(result.sorted_lines, previous.text))
    return BuildOutcome(out, False, result, changes)


def validate(build_dir: str | Path = DEFAULT_BUILD, *, engine: str | None = None, jobs: int | None = None,
             full: bool = False, progress: Callable[[int, int], None] | None = None):
    """Validate the build against the SHACL shapes with ``engine`` (``shacl-engine``, the default,
    ``shifty`` or ``pyshacl``; see ``sensekg.graph.validate.ENGINES``).
    Only the subjects changed since the last run are validated again unless ``full``. Returns a
    ``ValidationReport``: ``.conforms``, ``.violations``, and ``str()`` of
    ``sensekg.graph.validate.format_report`` for the readable form."""
    from concurrent.futures import ThreadPoolExecutor

    from sensekg.graph.buildio import (
        CHANGED,
        INFO,
        NQUADS,
        NQUADS_SHA,
        STORE,
        STORE_FILES,
        TRIG_SHA,
        changed_store_files,
        file_sha256,
        read_info,
        resolve_graph_path,
    )
    from sensekg.graph.validate import (
        DEFAULT_ENGINE,
        ENGINES,
        cache_path,
        validate_changes,
        validate_nquads,
        validate_trig,
    )
    from sensekg.loaders.errors import CorruptStore

    engine = engine or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise InputError(f"engine {engine!r}: give one of {', '.join(ENGINES)}")
    trig = resolve_graph_path(build_dir)
    folder = trig.parent
    # the build's N-Quads hold the TriG's quads and are read several times faster; only when both
    # are as the build wrote them (a TriG given alone, or changed since, is read itself)
    info = read_info(folder) if (folder / INFO).is_file() and (folder / NQUADS).is_file() else {}
    with ThreadPoolExecutor(3) as pool:  # the files' digests at once: hashing does not hold Python's lock
        damaged = pool.submit(changed_store_files, folder) if (folder / STORE).is_dir() else None
        digests = [pool.submit(file_sha256, path) for path in (folder / NQUADS, trig)] if info else []
        if damaged is not None and damaged.result():  # the TriG is validated, the store queried
            raise CorruptStore("the store is corrupt: its files differ from what the build wrote; rebuild it "
                               "with `sensekg build --force`", path=folder / STORE)
        same = bool(info) and [info.get(NQUADS_SHA), info.get(TRIG_SHA)] == [d.result() for d in digests]
    try:
        if not same:
            return validate_trig(trig, engine=engine, jobs=jobs, progress=progress, cache=cache_path(folder),
                                 reuse=not full)
        if not full and isinstance(info.get(STORE_FILES), dict) and (folder / STORE).is_dir():
            # the kept results when they are this build's, else the build's record of what changed
            # since the build they are of, read from the store (only while it is as built)
            import pyoxigraph as ox

            report = validate_changes(ox.Store.read_only(str(folder / STORE)), info.get(CHANGED) or {},
                                      info[NQUADS_SHA], engine=engine, cache=cache_path(folder))
            if report is not None:
                return report
        return validate_nquads(folder / NQUADS, engine=engine, jobs=jobs, progress=progress,
                               cache=cache_path(folder), reuse=not full, stamp=info[NQUADS_SHA])
    except SyntaxError as exc:
        raise InputError(f"the built graph is corrupt ({exc}); rebuild it with `sensekg build --force`",
                         path=trig) from None


def update(build_dir: str | Path, text: str, *, timeout: float | None = 10.0,
           max_memory: float | None = 4.0) -> tuple[int, int]:
    """Apply the SPARQL Update ``text`` to the build's store (not its TriG, which
    ``sensekg build --force`` restores it from); the quad counts before and after. It runs alone
    (a server or a build using the folder makes it fail with ``InUse``), in a child process
    bounded like a query, and the store's recorded digests are dropped, since it no longer is
    what the build wrote."""
    from sensekg.graph.buildio import STORE, folder_lock, forget_store_digests, in_use, store_folder
    from sensekg.graph.isolate import isolated

    folder = store_folder(build_dir)
    if not (folder / STORE).is_dir():
        raise InputError("this build has no store to update; run `sensekg build --force`", path=folder / STORE)
    with folder_lock(folder.absolute()) as locked:
        if not locked:
            raise in_use(folder)
        forget_store_digests(folder)
        return isolated(_apply_update, folder, text, timeout=timeout, memory_gib=max_memory, what="the update")


# -- work done on a store (module-level, so a bounded child process can run it) ------------

def _apply_update(folder: Path, text: str) -> tuple[int, int]:
    import pyoxigraph as ox

    from sensekg.graph.buildio import STORE
    from sensekg.graph.query import syntax_error, with_prefixes

    store = ox.Store(str(folder / STORE))
    before = len(store)
    full = with_prefixes(text)
    try:
        store.update(full)
    except SyntaxError as exc:
        raise syntax_error(exc, full, text, "SPARQL Update") from None
    except (OSError, RuntimeError) as exc:  # what Oxigraph raises for an update it cannot apply
        raise InputError(f"the SPARQL Update failed: {exc}") from None
    store.flush()
    return before, len(store)


def _bounded(path: Path, work: Callable, args: tuple, timeout: float | None, max_memory: float | None,
             what: str) -> Any:
    """``work(store, *args)`` in a child process with bounded time and memory (see ``isolate``).

    When it fails, the store's files are compared with the digests the build recorded, so a
    damaged store is reported as such rather than as a slow query."""
    from sensekg.graph.buildio import STORE, changed_store_files, store_folder
    from sensekg.graph.isolate import isolated
    from sensekg.loaders.errors import CorruptStore, QueryTimeout, QueryTooLarge

    folder = store_folder(path)  # a missing build is reported here, before any fork
    try:
        return isolated(_open_and_run, path, work, args, timeout=timeout, memory_gib=max_memory, what=what)
    except (QueryTimeout, QueryTooLarge, CorruptStore):
        damaged = changed_store_files(folder)
        if damaged:
            raise CorruptStore(f"the store is corrupt: {len(damaged)} file(s) differ from the build ("
                               f"{', '.join(damaged[:3])}); rebuild it with `sensekg build --force`",
                               path=folder / STORE) from None
        raise


def _open_and_run(path: Path, work: Callable, args: tuple) -> Any:
    from sensekg.graph.buildio import open_store

    return work(open_store(path), *args)


def _labelled(store, columns: list[str], rows: list[tuple], labels: bool) -> tuple[list[str], list[tuple]]:
    from sensekg.graph.runner import with_labels

    return columns, with_labels(store, rows) if labels else rows


def _saved_query(store, name: str, given: Mapping[str, str], labels: bool, normalize: bool):
    from sensekg.graph.runner import run_saved
    from sensekg.graph.saved import get_saved
    from sensekg.graph.units import normalized

    columns, rows = run_saved(store, get_saved(name), given)
    if normalize:
        columns, rows = normalized(store, columns, rows)
    return _labelled(store, columns, rows, labels)


def _sparql(store, text: str, labels: bool):
    from sensekg.graph.query import select

    return _labelled(store, *select(store, text), labels)


def _why(store, entity: str, depth: int, labels: bool):
    from sensekg.graph.runner import resolve_entity
    from sensekg.graph.why import facts_around

    return _labelled(store, *facts_around(store, resolve_entity(store, entity, "ENTITY"), depth), labels)


def _search_names(store, text: str):
    from sensekg.graph.query import select
    from sensekg.graph.saved import get_saved

    return select(store, get_saved("search").text, {"text": Literal(text)})


OBSERVATION_COLUMNS = ["subject", "measure", "period", "period_start", "period_end", "instant", "segment",
                       "value", "unit", "normalized", "base", "bound", "reports", "lines"]


def _observations(store, measure: str | None, entity: str | None, report: str | None, normalize: bool,
                  labels: bool):
    from sensekg.graph.export import observation_records
    from sensekg.graph.rdfio import from_ox
    from sensekg.graph.runner import check_value
    from sensekg.graph.saved import Param
    from sensekg.graph.units import normalized

    def wanted(name: str, value: str | None, kind: str) -> str | None:
        return None if value is None else str(check_value(store, Param(name, "", True, kind), value))

    measure_iri, entity_iri = wanted("measure", measure, "measure"), wanted("entity", entity, "entity")
    report_iri = wanted("report", report, "report")
    report_id = report_iri.rsplit("/", 1)[-1] if report_iri else None

    def term(found: dict, column: str):
        return None if found[column] is None else from_ox(found[column])

    rows = []
    for row, found in observation_records(store):
        if (measure_iri and found["measure"].value != measure_iri or entity_iri and found["subject"].value != entity_iri
                or report_id and report_id not in row["reports"].split()):
            continue
        rows.append((*(term(found, c) for c in ("subject", "measure", "period_label", "period_start", "period_end",
                                                  "instant", "segment", "value", "unit", "normalized_value",
                                                  "normalized_unit", "bound")),
                     Literal(row["reports"]), Literal(row["lines"])))
    if measure_iri and entity_iri and not rows:
        raise InputError(f"{entity} has no observation of {measure}; `kg.observations(measure=...)` lists who has")
    columns = list(OBSERVATION_COLUMNS)
    if normalize:
        columns, rows = normalized(store, columns, rows)
    return _labelled(store, columns, rows, labels)
