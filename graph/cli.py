"""The ``sensekg`` command line.

Exit codes: 0 ok, 1 validation or query failure, 2 bad usage or input. Bad input is one
line on stderr naming the file (and line), never a traceback.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from sensekg.loaders.errors import InputError, SensekgError, os_error_text

from .buildio import STORE, load_quads, open_store, resolve_graph_path, store_folder
from .isolate import DEFAULT_MEMORY_GIB

DEFAULT_BUILD = Path("build")
graph_option = click.option(
    "--graph", "graph_dir", type=click.Path(path_type=Path), default=DEFAULT_BUILD, show_default=True,
    help="The build folder (or its sensekg.trig) to read.",
)


def fail(message: str, code: int, details: tuple[str, ...] = ()) -> None:
    click.echo(f"sensekg: error: {' '.join(message.split())}", err=True)  # always one line
    for detail in details:  # then the rest of a list, one line each
        click.echo(f"  {' '.join(detail.split())}", err=True)
    sys.exit(code)


class SensekgGroup(click.Group):
    """Turns every error a user can act on into one line on stderr and its exit code.

    The types and their codes are listed in :mod:`sensekg.loaders.errors`. The file system's
    own refusals (a full disk, a read-only or missing folder, no permission) are bad input too.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SensekgError as exc:
            fail(str(exc), exc.exit_code, exc.details)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "sensekg"
            fail(f"{exc.format_message()} (see `{command} --help`)", exc.exit_code)
        except OSError as exc:
            text = os_error_text(exc)  # the store's own (RocksDB's) carry only their text
            if text is None:
                raise
            fail(f"{exc.filename}: {text}" if exc.filename else text, 2)


class Finite(click.ParamType):
    """A finite number in a sensible range (``inf`` and ``nan`` are refused): seconds, GiB."""

    name = "number"

    def __init__(self, low: float = 0.1, high: float = 86_400.0):
        self.low, self.high = low, high

    def convert(self, value, param, ctx) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or not self.low <= number <= self.high:
            self.fail(f"{value!r} is not between {self.low:g} and {self.high:g}", param, ctx)
        return number


class Text(click.ParamType):
    """A command-line string that is valid Unicode (a byte that is not UTF-8 is refused)."""

    name = "text"

    def convert(self, value, param, ctx) -> str:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(f"{value.encode('utf-8', 'surrogateescape')!r} is not valid UTF-8", param, ctx)
        return value


TEXT = Text()


def limits(default_timeout: float = 10.0) -> Callable:
    """``--timeout`` and ``--max-memory`` for a command that queries the store."""
    def decorate(command: Callable) -> Callable:
        command = click.option("--max-memory", "max_memory", type=Finite(1.0, 1024.0), default=DEFAULT_MEMORY_GIB,
                               show_default=True, help="GiB the query may use; past it, it is stopped.")(command)
        return click.option("--timeout", type=Finite(), default=default_timeout, show_default=True,
                            help="Seconds before the query is stopped with an error.")(command)
    return decorate


def on_store(graph_dir: Path, work: Callable, *args, timeout: float, max_memory: float, what: str = "the query"):
    """``work(store, *args)`` in a child process with bounded time and memory (see ``isolate``);
    a damaged store is reported as such rather than as a slow query."""
    from sensekg import _bounded

    return _bounded(graph_dir, work, args, timeout, max_memory, what)


def opened(graph_dir: Path, timeout: float, max_memory: float):
    """The build as the API's read-only graph, each query bounded in time and memory."""
    import sensekg

    return sensekg.open(graph_dir, timeout=timeout, max_memory=max_memory)


def table_width(wide: bool) -> int | None:
    """How wide a table may be: the terminal's, unless ``--wide`` or the output is not a terminal
    (a file, a pipe), where nothing is wrapped or cut."""
    import shutil

    return None if wide or not sys.stdout.isatty() else shutil.get_terminal_size().columns


wide_option = click.option("--wide", is_flag=True,
                           help="On a terminal, print long cells whole instead of wrapping them.")


def parse_params(params: tuple[str, ...]) -> dict[str, str]:
    given = {}
    for pair in params:
        if "=" not in pair:
            raise InputError(f"--param {pair!r}: expected NAME=VALUE")
        key, value = pair.split("=", 1)
        given[key.strip()] = value
    return given


@click.group(cls=SensekgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sensekg")
def main() -> None:
    """sensekg: an evidence-backed knowledge graph of SenseTime Group Inc. (HKEX: 0020)."""


_left: list[object] | None = None  # what commands leave to the process's end, when run as the console script


def leave_to_exit(heap: object) -> None:
    """Keep ``heap`` (a build's millions of quads, lines and facts) alive until the process
    ends, when ``sensekg`` runs as the console script: :func:`run` then exits without freeing
    them one by one, and they are frozen out of the cyclic collector, whose first pass after
    the build (the collector is paused during it) would otherwise walk every one of them.
    Together that took 0.6 s after a rebuild's last line (0.05 s now). Anywhere else (tests, notebooks, ``main``
    called in-process) it does nothing, and they are collected and freed as usual."""
    if _left is not None:
        _left.append(heap)
        gc.freeze()


def run(**options) -> None:
    """The console script (and ``python -m sensekg``): :func:`main` with ``options``, then, if a
    command left its heap to the exit, the standard streams flushed and the process ended at once
    with the command's exit code (no finalizers run, so a command leaves its heap only when
    nothing else is open)."""
    global _left
    _left = []
    try:
        main(**options)
    except SystemExit as exc:
        if not _left or not isinstance(exc.code, int):  # click exits with a code; anything else as usual
            raise
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):  # its reader gone (a closed pipe), or it closed
                stream.flush()
        os._exit(exc.code)


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


@main.command()
@click.option("--reports", type=click.Path(path_type=Path), default=None,
              help="Folder with reports.toml. Default: $SENSEKG_REPORTS, else ../shared/reports.")
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_BUILD, show_default=True,
              help="Build folder to write: new, empty, or a build sensekg made (replaced whole, atomically).")
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Data folder: entities/*.toml, measures.toml and reports/<report-id>/. Default: the packaged data.")
@click.option("-q", "--quiet", is_flag=True, help="Print no progress.")
@click.option("--force", is_flag=True, help="Rebuild even when the reports and data have not changed.")
@click.option("--fresh", is_flag=True, help="Work everything out again: recall nothing of the replaced build "
              "(its memo) and write the store whole instead of updating it (the result is the same).")
@click.option("--validate", "then_validate", is_flag=True,
              help="Then validate OUT as `sensekg validate --graph OUT` does (what changed since its last run), "
                   "in this process; exit 1 on violations.")
def build(reports: Path | None, out: Path, data: Path | None, quiet: bool, force: bool, fresh: bool,
          then_validate: bool) -> None:
    """Read the reports, check every citation, and write OUT/sensekg.trig.

    OUT is replaced whole only when everything succeeded; on any error it stays as it was.
    With --validate, the curator's loop is one command: the build, then its validation.
    """
    from .heap import paused_gc

    with paused_gc():  # the summaries walk every quad too
        _build(reports, out, data, quiet, force, fresh)
    if then_validate:
        _validate(out)


def _build(reports: Path | None, out: Path, data: Path | None, quiet: bool, force: bool, fresh: bool) -> None:
    import sensekg

    from .build import grounding_summary, table_summary
    from .buildio import TRIG

    outcome = sensekg.build(reports, out, data, force=force, progress=None if quiet else _progress,
                            compare=not quiet, fresh=fresh)
    if outcome.up_to_date:
        click.echo(f"{out / TRIG} is up to date with the reports and data; nothing to do (use --force "
                   "to rebuild anyway).")
        return
    result = outcome.result
    leave_to_exit(outcome)
    click.echo(f"Built {out / TRIG}: {result.line_count} quads from {len(result.corpus.documents)} reports.")
    if outcome.changes is not None:
        click.echo("\n".join(outcome.changes) if outcome.changes else "The facts are the same as in the last build.")
    _print_summary(result.summary())
    click.echo("")
    for line in (*table_summary(result), *grounding_summary(result)):
        click.echo(line)
    if result.duplicates:
        click.echo(f"\nsuspected duplicates ({len(result.duplicates)}): labels that differ only in case, "
                   "punctuation or a legal suffix; merge them, or list each under the other's `distinct`")
        for first, second in result.duplicates:
            click.echo(f"  {first.id} ({first.label!r}, {first.type}) ~ "
                       f"{second.id} ({second.label!r}, {second.type})")
    timings = ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in result.timings.items())
    click.echo(f"Timings: {timings}")


def _print_summary(summary: dict) -> None:
    for title, counts in summary.items():
        click.echo(f"\n{title} ({sum(counts.values())}):")
        for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            click.echo(f"  {count:6d}  {key}")


@main.command()
@graph_option
@click.option("--engine", type=click.Choice(["shacl-engine", "shifty", "pyshacl"]), default="shacl-engine",
              show_default=True, help="SHACL engine: shacl-engine or shifty, both compiled (shacl-engine takes "
                                      "under half of shifty's time here), or pyshacl (the reference "
                                      "implementation).")
@click.option("--jobs", type=click.IntRange(1, os.cpu_count() or 1), default=None,
              help="Partitions validated at once, at most one per core (default: one per core).")
@click.option("--full", is_flag=True,
              help="Validate every subject, not only those changed since the last run.")
def validate(graph_dir: Path, engine: str, jobs: int | None, full: bool) -> None:
    """Check the built graph against the SHACL shapes; exit 1 on violations.

    The graph is validated in partitions of whole subjects, on all cores (see --jobs). The
    results are kept beside the build folder, so after a rebuild only the subjects whose
    description changed are validated again (see --full).
    """
    _validate(graph_dir, engine, jobs, full)


def _validate(graph_dir: Path, engine: str | None = None, jobs: int | None = None, full: bool = False) -> None:
    """What `validate` does, also for `build --validate`; ``engine`` None is the default engine."""
    import time

    import sensekg

    from .validate import DEFAULT_ENGINE, format_report

    engine = engine or DEFAULT_ENGINE
    start = time.perf_counter()

    def progress(done: int, triples: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\rvalidated {done} partition(s), {triples} triples", nl=False, err=True)

    report = sensekg.validate(graph_dir, engine=engine, jobs=jobs, full=full, progress=progress)
    if sys.stderr.isatty():
        click.echo(err=True)
    reused = report.subjects - report.checked
    click.echo(f"validated {report.checked} of {report.subjects} subjects with {engine} in "
               f"{time.perf_counter() - start:.1f} s" + (f" ({reused} unchanged since the last run)" if reused else ""),
               err=True)
    click.echo(format_report(report, open_store(graph_dir) if report.violations else None))
    if not report.conforms:
        sys.exit(1)


@main.command()
@graph_option
@click.option("--format", "fmt", type=click.Choice(["ttl", "trig", "nt", "nq", "jsonld", "csv", "parquet"]),
              default=None, help="Output format: ttl (the default), trig, nt, nq or jsonld; with --observations, "
                                 "csv (the default, or parquet for a .parquet file) or parquet.")
@click.option("--observations", is_flag=True,
              help="Write the figures as a table: one row per observation, with its report lines.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write (atomically). Default: standard output.")
def export(graph_dir: Path, fmt: str | None, observations: bool, output: Path | None) -> None:
    """Export the built graph; triple formats (ttl, nt) merge the named graphs. With
    --observations, the figures as a CSV or Parquet table instead."""
    from .export import TABLE_FORMATS, export_observations, writable_target
    from .export import export as do_export
    from .heap import paused_gc

    if fmt in TABLE_FORMATS and not observations:
        raise InputError(f"--format {fmt} is a table of the figures: add --observations (the graph itself "
                         "exports as ttl, trig, nt, nq or jsonld)")
    if output is not None:
        writable_target(output)  # a bad -o is named before the build is read
    if observations:
        fmt = fmt or ("parquet" if output is not None and output.suffix.lower() == ".parquet" else "csv")
        count = export_observations(open_store(graph_dir), fmt, output)
        if output is not None:
            click.echo(f"Wrote {output} ({fmt}, {count} observations).", err=True)
        return
    fmt = fmt or "ttl"
    with paused_gc():  # every quad read, then written: no reference cycles to look for
        do_export(load_quads(graph_dir), fmt, output)
    if output is not None:
        click.echo(f"Wrote {output} ({fmt}).", err=True)


@main.command()
@graph_option
@click.argument("query_or_file", type=TEXT)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@limits()
@click.option("--writable", is_flag=True,
              help="Allow a SPARQL Update, applied to build/store (`sensekg build --force` restores it).")
@click.option("--allow-service", is_flag=True, help="Allow federated queries (SERVICE), which fetch other servers.")
@wide_option
def sparql(graph_dir: Path, query_or_file: str, fmt: str, timeout: float, max_memory: float, writable: bool,
           allow_service: bool, wide: bool) -> None:
    """Run an ad-hoc SPARQL SELECT (text or a .rq file) on the built graph.

    The sk:, id:, rdfs:, skos:, prov: and other common prefixes are declared for you.
    Updates (INSERT, DELETE, DROP, LOAD ...) are refused unless --writable is given, and
    SERVICE unless --allow-service is.
    """
    from .query import is_update, read_query, refuse_service, render, select

    text = read_query(query_or_file)
    if is_update(text):
        if not writable:
            raise InputError("this is a SPARQL Update and the graph is read-only here; "
                             "pass --writable to apply it to the build's store")
        if not allow_service:
            refuse_service(text)
        import sensekg

        before, after = sensekg.update(graph_dir, text, timeout=timeout, max_memory=max_memory)
        click.echo(f"Updated {store_folder(graph_dir) / STORE}: {before} -> {after} quads. "
                   "The TriG is unchanged; `sensekg build --force` restores the store.")
        return
    columns, rows = on_store(graph_dir, select, text, None, allow_service, timeout=timeout, max_memory=max_memory)
    click.echo(render(columns, rows, fmt, table_width(wide)))


FORMATS = click.Choice(["table", "csv", "json", "md"])


@main.group()
def query() -> None:
    """Saved queries: list, show, run, and the catalogue."""


@query.command(name="list")
def query_list() -> None:
    """Name, summary and parameters of every saved query."""
    from .saved import load_saved

    for saved in load_saved().values():
        params = " ".join(f"--param {p.name}=…{' (optional)' if p.optional else ''}" for p in saved.params)
        click.echo(f"{saved.name:32s} {saved.summary}" + (f"\n{'':32s}   {params}" if params else ""))


@query.command(name="show")
@click.argument("name")
def query_show(name: str) -> None:
    """Print a saved query with its description."""
    from .saved import get_saved

    click.echo(get_saved(name).text.rstrip())


@query.command(name="run")
@click.argument("name")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", type=TEXT,
              help="A parameter; an entity may be given by IRI, id:slug, label or alias.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@click.option("--iris", is_flag=True, help="Show ids (id:slug, measure:…) instead of labels.")
@click.option("--normalize", is_flag=True,
              help="Show each figure in one unit per measure (money in millions), with the measure's sign convention.")
@wide_option
@limits()
@graph_option
def query_run(name: str, params: tuple[str, ...], fmt: str, iris: bool, normalize: bool, wide: bool, timeout: float,
              max_memory: float, graph_dir: Path) -> None:
    """Run a saved query, e.g. `sensekg query run certifications --param entity=SenseAuto`."""
    results = opened(graph_dir, timeout, max_memory).query(name, labels=not iris, normalize=normalize,
                                                            **parse_params(params))
    click.echo(results.render(fmt, table_width(wide)))


@query.command(name="catalogue")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write the Markdown catalogue here (default: standard output).")
def query_catalogue(output: Path | None) -> None:
    """The Markdown catalogue of saved queries, generated from their headers."""
    from .export import write_atomic
    from .saved import catalogue, load_saved

    text = catalogue(load_saved())
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text.encode("utf-8"))


def _with_origins(rows: list[tuple], folder: Path) -> list[tuple]:
    from rdflib import Literal

    from .assemble import evidence_iri
    from .build import read_origins, show_origin

    origins = read_origins(folder)
    if not origins:
        raise InputError(f"{folder} records no origins: it was built by an older sensekg; "
                         "rebuild it with `sensekg build --force`")
    out = []
    for *fact, source, _quote in rows:  # (depth,) subject, predicate, object, source, quote
        subject, predicate, obj = fact[-3:]
        report, line = str(source).rsplit(":", 1)
        iri = evidence_iri(report, int(line), subject.n3(), predicate.n3(), obj.n3())
        made_by = "; ".join(show_origin(o) for o in origins.get(iri, ["(none recorded)"]))
        out.append((*fact, source, Literal(made_by)))
    return out


@main.command()
@click.argument("entity", type=TEXT)
@click.option("--depth", type=click.IntRange(1, 4), default=1, show_default=True,
              help="Hops to follow through certifications, memberships, partnerships, roles, awards and events.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True,
              help="table: each quoted passage once, with the facts that cite it; the others: one row per fact.")
@click.option("--iris", is_flag=True, help="Show ids (id:slug, sk:…) instead of labels.")
@click.option("--origin", is_flag=True,
              help="Instead of the quote, show what made each fact: a data file and line, or a rule (function).")
@wide_option
@limits()
@graph_option
def why(entity: str, depth: int, fmt: str, iris: bool, origin: bool, wide: bool, timeout: float, max_memory: float,
        graph_dir: Path) -> None:
    """Every fact about ENTITY (label, alias, id:slug or IRI), each with report:line and quote.

    With --depth 2 or more it follows the nodes that describe a relation or an event (who
    launched an initiative is two hops from it). With --origin, each fact names the record
    (file:line) or the rule that made it, so a wrong fact leads to what to fix.
    """
    from .query import show
    from .why import grouped

    graph = opened(graph_dir, timeout, max_memory)
    results = graph.why(entity, depth=depth, labels=not (iris or origin))
    columns, rows = results.columns, results.terms
    if origin:  # the evidence is found by its IRIs, and labelled after
        from .runner import with_labels

        columns, rows = columns[:-1] + ["origin"], _with_origins(rows, graph_dir)
        rows = rows if iris else graph.run(with_labels, rows)
    if fmt == "table" and not origin:
        click.echo(grouped(columns, rows, show))
        return
    from .query import render

    click.echo(render(columns, rows, fmt, table_width(wide)))


@main.command()
@click.argument("text", type=TEXT)
@click.option("--quotes", is_flag=True,
              help="Search the quoted report passages (full text, ranked) instead of entity names.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="With --quotes: the most passages shown.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
@wide_option
@limits()
@graph_option
def search(text: str, quotes: bool, limit: int, fmt: str, wide: bool, timeout: float, max_memory: float,
           graph_dir: Path) -> None:
    """Entities whose label or alias contains TEXT (case-insensitive); with --quotes, the quoted
    passages that contain its words, best first, with report:line and the facts citing each."""
    results = opened(graph_dir, timeout, max_memory).search(text, quotes=quotes, limit=limit)
    click.echo(results.render(fmt, table_width(wide)))


def viz_graph(store, entity: str | None, depth: int, types: str | None, predicates: str | None, max_nodes: int,
              report: str | None, query_name: str | None, given: dict[str, str], expand_hubs: bool = False,
              expand: tuple[str, ...] = ()) -> tuple:
    """The subgraph to draw, its focus, the nodes dropped, a title, a note, and what the note says
    of the hubs drawn but not expanded (empty when none were)."""
    from . import viz as drawing
    from .runner import resolve_entity, run_saved
    from .saved import get_saved

    if query_name:
        saved = get_saved(query_name)
        columns, rows = run_saved(store, saved, given)
        return drawing.query_graph(store, columns, rows), "", 0, f"sensekg: {saved.name}", saved.summary, ""
    focus = str(resolve_entity(store, entity, "ENTITY"))
    named = {str(resolve_entity(store, name.strip(), "--expand")) for item in expand for name in item.split(",")
             if name.strip()}
    sub = drawing.neighbourhood(store, focus, depth, set(types.split(",")) if types else None,
                                set(predicates.split(",")) if predicates else None, max_nodes, report,
                                expand=expand_hubs or named)
    held = ""
    if sub.held:
        hubs = sorted(sub.held, key=lambda hub: (-sub.held[hub], hub))
        shown = [f"{sub.graph.nodes[hub]['label']} ({sub.held[hub]} links)" for hub in hubs]
        held = (f"hubs not expanded: {', '.join(shown)}; --expand-hubs (or --expand "
                f"id:{hubs[0].rsplit('/', 1)[-1]}) draws their links")
    note = f"depth {depth}" + (f", report {report}" if report else "") + \
        (f"; {sub.dropped} more nodes left out (--max-nodes {max_nodes})" if sub.dropped else "") + \
        (f"; {held}" if held else "")
    return sub.graph, focus, sub.dropped, f"sensekg: {sub.graph.nodes[focus]['label']}", note, held


@main.command()
@click.argument("entity", required=False, type=TEXT)
@click.option("--depth", type=click.IntRange(1, 4), default=1, show_default=True, help="Hops around the entity.")
@click.option("--types", default=None, help="Keep only these node types, e.g. Product,Partner.")
@click.option("--predicates", default=None, help="Keep only these relations, e.g. partOf,builtOn.")
@click.option("--max-nodes", type=click.IntRange(2, 5000), default=150, show_default=True,
              help="Keep the nearest and best-connected nodes.")
@click.option("--report", default=None, help="Only facts stated by this report id.")
@click.option("--expand-hubs", is_flag=True,
              help="Follow the links of hubs too (the group: entities linked to very many others), "
                   "which are drawn but not expanded by default.")
@click.option("--expand", "expand", multiple=True, metavar="HUB", type=TEXT,
              help="Follow this hub's links (a name, alias or id:slug; repeatable or comma-separated).")
@click.option("--query", "query_name", default=None, help="Draw the result of a saved query instead.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", type=TEXT, help="A parameter of --query.")
@click.option("--format", "fmt", type=click.Choice(["html", "svg", "png", "graphml", "gexf"]), default=None,
              help="Output format (default: from the file name).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="File to write.")
@limits(60.0)
@graph_option
def viz(entity: str | None, depth: int, types: str | None, predicates: str | None, max_nodes: int,
        report: str | None, expand_hubs: bool, expand: tuple[str, ...], query_name: str | None,
        params: tuple[str, ...], fmt: str | None, output: Path, timeout: float, max_memory: float,
        graph_dir: Path) -> None:
    """Draw the neighbourhood of ENTITY (or a saved query's result) as HTML, SVG, PNG, GraphML or GEXF.

    Hubs (the group, linked to hundreds of entities) are drawn where they are reached but their
    links are not followed unless --expand-hubs or --expand HUB says so; the note says which."""
    from . import viz as drawing

    fmt = fmt or output.suffix.lstrip(".").lower()
    if fmt not in ("html", "svg", "png", "graphml", "gexf"):
        raise InputError(f"-o {output}: say --format html|svg|png|graphml|gexf or use one of those suffixes")
    if bool(entity) == bool(query_name):
        raise InputError("give either an ENTITY or --query NAME")
    given = parse_params(params)  # a malformed NAME=VALUE is refused whatever it is for
    context = click.get_current_context()
    if query_name:  # options that only shape an entity's neighbourhood would be silently ignored
        unused = [f"--{name.replace('_', '-')}" for name in ("depth", "types", "predicates", "max_nodes", "report",
                                                             "expand_hubs", "expand")
                  if context.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)]
        if unused:
            raise InputError(f"{', '.join(unused)}: only for an ENTITY's neighbourhood, not with --query "
                             f"{query_name}")
    elif params:
        raise InputError(f"--param {params[0]!r}: parameters are for --query NAME (a saved query); "
                         "an ENTITY's picture takes none (see --depth, --types, --report)")
    if output.exists() and not output.is_file():
        raise InputError("is a folder or not a regular file; give -o a file name such as view.html", path=output)
    graph, focus, dropped, title, note, held = on_store(
        graph_dir, viz_graph, entity, depth, types, predicates, max_nodes, report, query_name, given,
        expand_hubs, expand, timeout=timeout, max_memory=max_memory, what="collecting the subgraph")
    output.parent.mkdir(parents=True, exist_ok=True)
    drawing.write(graph, focus, output, fmt, title, note)
    click.echo(f"Wrote {output}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges"
               + (f"; dropped {dropped} nodes beyond --max-nodes {max_nodes}" if dropped else "")
               + (f"; {held}" if held else "") + ".")


@main.command()
@graph_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (loopback by default; beyond it a warning is printed).")
@click.option("--port", type=click.IntRange(1, 65535), default=7878, show_default=True,
              help="Port of the endpoint (/query, /store, /update) and the saved queries (/api/queries).")
@click.option("--writable", is_flag=True, help="Allow SPARQL updates and Graph Store writes, with a token.")
@click.option("--token-env", default=None, metavar="VAR",
              help="Environment variable holding the token writes need (default: one made up and printed).")
@click.option("--allow-origin", "origins", multiple=True, metavar="URL",
              help="A web origin whose pages may call the endpoint (others are refused).")
@click.option("--allow-service", is_flag=True, help="Allow federated queries (SERVICE), which fetch other servers.")
@limits()
@click.option("--log", "log_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Log file for restarts and the Oxigraph server's errors (default: in the temp folder).")
def serve(graph_dir: Path, host: str, port: int, writable: bool, token_env: str | None, origins: tuple[str, ...],
          allow_service: bool, timeout: float, max_memory: float, log_file: Path | None) -> None:
    """Serve the graph: SPARQL at /query, the saved queries at /api/queries, on one port."""
    from .remote import secret_from
    from .serve import serve as run_server

    token = secret_from(token_env, "--token-env")
    run_server(graph_dir, host, port, writable, timeout, click.echo, memory_gib=max_memory, token=token,
               allow_service=allow_service, allowed_origins=origins, log_file=log_file)


@main.command()
@click.argument("url")
@graph_option
@click.option("--gsp", default=None, help="Graph Store Protocol endpoint (default: URL/store, as Oxigraph).")
@click.option("--query-endpoint", default=None, help="SPARQL query endpoint (default: URL/query).")
@click.option("--user", default=None, help="User for HTTP basic authentication.")
@click.option("--password-env", default=None, metavar="VAR", help="Environment variable holding the password.")
@click.option("--timeout", type=Finite(), default=60.0, show_default=True,
              help="Seconds for each whole request (connecting, sending, the full answer).")
def push(url: str, graph_dir: Path, gsp: str | None, query_endpoint: str | None, user: str | None,
         password_env: str | None, timeout: float) -> None:
    """Upload every named graph to a SPARQL 1.1 triple store (one idempotent PUT each) and compare counts."""
    from .remote import Endpoint, check_url, secret_from
    from .remote import push as do_push

    base = check_url(url).rstrip("/")  # a bad URL is named as given, before the build is read
    password = secret_from(password_env, "--password-env")
    store = Endpoint(gsp or f"{base}/store", user, password, timeout)  # --gsp and --query-endpoint too
    query = Endpoint(query_endpoint or f"{base}/query", user, password, timeout)
    counts = do_push(load_quads(graph_dir), store, query, _progress)
    mismatched = 0
    click.echo(f"{'graph':60s} {'local':>8s} {'remote':>8s}")
    for name, (local, remote) in counts.items():
        mismatched += local != remote
        click.echo(f"{name:60s} {local:8d} {remote:8d}" + ("  <- differs" if local != remote else ""))
    if mismatched:
        click.echo(f"{mismatched} graph(s) differ from the local build", err=True)
        sys.exit(1)


@main.command(name="check")
@graph_option
@click.option("--strict", is_flag=True, help="Exit 1 when any check finds a mismatch.")
@limits(120.0)
def check_command(graph_dir: Path, strict: bool, timeout: float, max_memory: float) -> None:
    """Check the figures against each other: segment sums, gross profit, changes, conflicts."""
    from .check import check

    report = on_store(graph_dir, check, timeout=timeout, max_memory=max_memory, what="the check")
    findings = report.findings
    click.echo("Compared " + ", ".join(f"{n} {what}" for what, n in report.compared.items()) + ".")
    if not findings:
        click.echo("The figures agree: no conflicting values, sums, gross profits or changes.")
        return
    click.echo(f"{len(findings)} finding(s):")
    for finding in sorted(findings, key=lambda f: (f.kind, f.message)):
        click.echo(f"\n[{finding.kind}] {finding.message}\n  at {finding.cites}")
    if strict:
        sys.exit(1)


@main.command()
@graph_option
@click.option("--measures", is_flag=True, help="Also list observations by report and measure.")
@click.option("--central", is_flag=True, help="Also list the most connected partners, products and standards bodies.")
def stats(graph_dir: Path, measures: bool, central: bool) -> None:
    """Counts of the built graph: entities by family and report, facts, evidence, observations."""
    from .build import per_report, summarize

    quads = load_quads(graph_dir)
    graphs = {q.graph_name for q in quads}
    click.echo(f"{len(quads)} quads in {len(graphs)} named graphs.")
    _print_summary(summarize(quads))
    types, measured = per_report(quads)
    reports = sorted(types)
    families = sorted({t for counts in types.values() for t in counts})
    click.echo("\nentities by family and report (a thing stated by two reports counts in both):")
    click.echo(f"  {'family':22s}" + "".join(f"{r[:14]:>16s}" for r in reports))
    for family in families:
        click.echo(f"  {family:22s}" + "".join(f"{types[r][family]:16d}" for r in reports))
    click.echo("\nobservations by report: " + ", ".join(f"{r} {sum(measured.get(r, {}).values())}"
                                                    for r in reports))
    if central:
        from .viz import centrality

        central = on_store(graph_dir, centrality, timeout=120.0, max_memory=DEFAULT_MEMORY_GIB,
                           what="the centrality computation")
        for family, ranked in central.items():
            click.echo(f"\nmost central {family} (betweenness, degree):")
            for label, between, degree in ranked:
                click.echo(f"  {between:8.4f}  {degree:4d}  {label}")
    if measures:
        for report in reports:
            click.echo(f"\n{report}:")
            for name, count in sorted(measured.get(report, {}).items()):
                click.echo(f"  {count:5d}  {name}")


@main.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "patch"]), default="text", show_default=True,
              help="text: facts with the report lines that state them; patch: RDF Patch.")
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="File to write (atomically). Default: standard output.")
def diff_command(old: Path, new: Path, fmt: str, output: Path | None) -> None:
    """The facts added and removed between two builds (folders or TriG files).

    Blank nodes are skolemised before comparing, so two builds of the same reports show no
    difference.
    """
    from .diff import diff_builds, rdf_patch, readable
    from .export import write_atomic
    from .heap import paused_gc

    with paused_gc():  # two builds' quads, and sets of them: no reference cycles to look for
        before, after = load_quads(old), load_quads(new)
        change = diff_builds(before, after)
    leave_to_exit((before, after, change))
    text = rdf_patch(change) if fmt == "patch" else readable(change) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text.encode("utf-8"))
        click.echo(f"Wrote {output}: {len(change.removed)} quad(s) removed, {len(change.added)} added.", err=True)



reports_option = click.option("--reports", type=click.Path(path_type=Path, file_okay=False), default=None,
                              help="Reports folder (default: $SENSEKG_REPORTS, else ../shared/reports).")
data_option = click.option("--data", type=click.Path(path_type=Path, file_okay=False), default=None,
                           help="Data folder (default: the packaged data).")


@main.group()
def report() -> None:
    """Add a report to the manifest and review what the readers make of it."""


@report.command(name="add")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@reports_option
@data_option
@click.option("--id", "report_id", default=None, help="Report id (default: from the text, e.g. annual-results-2025).")
@click.option("--kind", default=None, help="annual-results, interim-results, sustainability-report, prospectus, …")
@click.option("--title", default=None, help="Title (default: from the text).")
@click.option("--issuer", default=None, help="Issuing company as the registry labels it (default: from the text).")
@click.option("--published", default=None, metavar="YYYY-MM-DD", help="Publication date.")
@click.option("--period-start", default=None, metavar="YYYY-MM-DD", help="First day of the period reported on.")
@click.option("--period-end", default=None, metavar="YYYY-MM-DD", help="Last day of the period reported on.")
def report_add(file: Path, reports: Path | None, data: Path | None, report_id: str | None, kind: str | None,
               title: str | None, issuer: str | None, published: str | None, period_start: str | None,
               period_end: str | None) -> None:
    """Register the report text FILE: write its manifest entry (id, kind, period, checksum), make its
    data folder, run the generic readers over it and write the folder's review.md.

    What the text does not say (a prospectus's period, say) is given with the options. A FILE
    outside the reports folder is copied into it; nothing there is overwritten.
    """
    from sensekg.loaders.reports import locate_reports

    from .curate import Entry, add_report, write_review

    folder = locate_reports(reports)
    given = Entry(report_id, None, title, kind, issuer, published, period_start, period_end)
    entry, data_folder = add_report(file, folder, data, given)
    click.echo(f"Added {entry.id} ({entry.kind}, {entry.period_start} to {entry.period_end}) to "
               f"{folder / 'reports.toml'}; its data folder is {data_folder}.")
    try:
        path, counts = write_review(entry.id, folder, data)
    except InputError as exc:  # the report stays registered: say so, and how to go on
        raise InputError(f"{exc.message} (the report is registered; after fixing this, run "
                         f"`sensekg report review {entry.id}`)", path=exc.path, line=exc.line) from None
    click.echo(_review_line(path, counts))


def _review_line(path: Path, counts: dict[str, int]) -> str:
    return (f"Review: {counts['figures']} figures read, {counts['not read']} tables or rows not read, "
            f"{counts['known entities']} known entities, {counts['candidates']} candidates to decide "
            f"({counts['dismissed']} dismissed): {path}")


@report.command(name="review")
@click.argument("report_id", metavar="REPORT")
@reports_option
@data_option
def report_review(report_id: str, reports: Path | None, data: Path | None) -> None:
    """Write REPORT's review.md again: figures read, tables and rows not read, known entities and
    the candidate names still to confirm or dismiss."""
    from .curate import write_review

    path, counts = write_review(report_id, reports, data)
    click.echo(_review_line(path, counts))


@main.command(name="coverage")
@click.argument("report_ids", nargs=-1, metavar="[REPORT]...")
@click.option("--list", "show", type=click.Choice(["figures", "names", "lines"]), multiple=True,
              help="Also list what is not accounted for, by report:line (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@reports_option
@data_option
@graph_option
def coverage_command(report_ids: tuple[str, ...], show: tuple[str, ...], fmt: str, reports: Path | None,
                     data: Path | None, graph_dir: Path) -> None:
    """What share of each report the built graph accounts for: printed figures that are
    observations, proper names that resolve to an entity or are dismissed, lines cited by a fact."""
    import json

    from sensekg.loaders.registry import load_registry
    from sensekg.loaders.reportdata import dismissals, figure_dismissals
    from sensekg.loaders.reports import read_corpus

    from .build import inputs_digest, up_to_date
    from .coverage import coverage

    corpus = read_corpus(reports)
    unknown = [r for r in report_ids if r not in corpus]
    if unknown:
        raise InputError(f"no report {unknown[0]!r} in the manifest (known: {', '.join(corpus.ids)})")
    folder = resolve_graph_path(graph_dir).parent
    if not up_to_date(folder, corpus.folder, inputs_digest(data)):
        click.echo(f"sensekg: note: the build in {folder} is not up to date with the reports and data; its "
                   "figures and lines are as it was built (run `sensekg build` first)", err=True)
    found = coverage(corpus, load_registry(data), open_store(graph_dir), dismissals(data), list(report_ids), data,
                     figure_dismissals(data))
    if fmt == "json":
        click.echo(json.dumps([{
            "report": c.report,
            **{kind: {"accounted": share.accounted, "dismissed": share.dismissed, "total": share.total,
                      **({"missing": [f"{c.report}:{line} {what}" for line, what in share.items]}
                         if kind in show else {})}
               for kind, share in (("figures", c.figures), ("names", c.names), ("lines", c.lines))}}
            for c in found], indent=2, ensure_ascii=False))
        return
    click.echo(f"{'report':28s}{'figures':>20s}{'names':>20s}{'lines':>20s}")
    for c in found:
        cells = "".join(f"{f'{s.accounted}/{s.total} {s.ratio:6.1%}':>20s}" for s in (c.figures, c.names, c.lines))
        click.echo(f"{c.report:28s}{cells}")
    click.echo("\nOf which dismissed with a reason (dismissed.toml), not in the graph:")
    for c in found:
        click.echo(f"{c.report:28s}{c.figures.dismissed:>20d}{c.names.dismissed:>20d}")
    for c in found:
        for kind, share in (("figures", c.figures), ("names", c.names), ("lines", c.lines)):
            if kind in show:
                click.echo(f"\n{c.report}: {kind} not accounted for ({len(share.items)})")
                for line, what in share.items:
                    click.echo(f"  {c.report}:{line}  {what}")


@main.command(name="lint")
@reports_option
@data_option
def lint_command(reports: Path | None, data: Path | None) -> None:
    """Check the curated data without building: ids used but not defined, records that produce
    nothing, aliases no report prints, duplicate records, and mentions of undecided candidate names per report
    against their ceilings. Exits 1 when it finds anything."""
    from sensekg.loaders.lint import CEILINGS, lint, read_ceilings, report_lines
    from sensekg.loaders.reports import read_corpus

    findings, undecided = lint(read_corpus(reports), data)
    ceilings = read_ceilings(data)
    for report, count in undecided.items():
        ceiling = ceilings.get(report)
        note = "" if ceiling is None else f" (ceiling {ceiling}" + (
            f"; lower it to {count} in {CEILINGS})" if count < ceiling else ")")
        click.echo(f"{report}: {count} mentions of undecided names{note}")
    if findings:
        click.echo("\n".join(report_lines(findings)))
        fail(f"{len(findings)} finding(s)", 1)
    click.echo("No findings.")


if __name__ == "__main__":  # after every command is defined (python -m sensekg.graph.cli diff)
    run()
