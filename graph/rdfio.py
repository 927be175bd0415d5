"""Fast RDF input and output through pyoxigraph, and conversion to rdflib where its API helps.

rdflib parses and serialises 10 to 40 times slower than pyoxigraph, so files are read and
written with pyoxigraph; rdflib graphs are built only for pySHACL. Quads are written sorted,
so the same graph always gives the same bytes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from sensekg.graph import trigblocks
from sensekg.loaders.errors import InputError
from sensekg.loaders.vocab import PREFIXES, XSD_STRING  # noqa: F401  (re-exported: the prefixes of every output)

FORMATS = {
    "ttl": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
}

def to_ox(term: Node):
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot convert {term!r}")


def from_ox(term) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"cannot convert {term!r}")


def write(quads: Iterable[ox.Quad], path: Path | None, fmt: str) -> bytes | None:
    """Serialise; triple formats (ttl, nt) merge the named graphs into one graph. Quads for a
    dataset format are written as they come, so an iterator need not be held in memory."""
    rdf_format = FORMATS[fmt]
    if rdf_format.supports_datasets:
        items: Iterable = quads
    else:
        items = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    prefixes = PREFIXES if rdf_format in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG) else None
    return ox.serialize(items, str(path) if path else None, rdf_format, prefixes=prefixes)


# A child process's whole program: it needs only pyoxigraph (and, for parts, trigblocks.py, loaded
# from its file), so it starts in a few tens of milliseconds. On Linux it dies with the process
# that started it (a killed build leaves no writer behind). An OSError (a full disk, a folder
# gone) comes back as JSON on stderr, exit code 3, with the errno pyoxigraph's message carries
# ("... (os error 28)") and the target named. Converting in parts, it prints their marks as JSON.
_CONVERT = """
import io, json, os, re, select, sys
source, source_format, target, target_format, prefixes, parent, follow, parts = sys.argv[1:]
try:
    import ctypes
    ctypes.CDLL(None).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
except Exception:  # not Linux
    pass
if os.getppid() != int(parent):
    sys.exit(4)  # the parent died before the line above
import pyoxigraph as ox
try:
    if follow == "1":  # read the source as it is written, until the end of the input says it is whole
        class Growing(io.RawIOBase):
            def __init__(self):
                self.file, self.whole = open(source, "rb", buffering=0), False
            def readable(self):
                return True
            def readinto(self, buffer):
                while True:
                    count = self.file.readinto(buffer)
                    if count or self.whole:
                        return count
                    if select.select([sys.stdin], [], [], 0.005)[0] and not sys.stdin.buffer.read(1):
                        self.whole = True
        stream = io.BufferedReader(Growing(), 1 << 20)
    else:
        stream = open(source, "rb")
    if parts:
        import importlib.util
        spec = importlib.util.spec_from_file_location("trigblocks", parts)
        trigblocks = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(trigblocks)
        with open(target, "wb") as out:
            marks = trigblocks.convert(stream.read, out.write, json.loads(prefixes))
        sys.stdout.write(json.dumps(marks) + "\\n")
    else:
        ox.serialize(ox.parse(input=stream, format=ox.RdfFormat.from_extension(source_format)), target,
                     ox.RdfFormat.from_extension(target_format), prefixes=json.loads(prefixes) or None)
except OSError as exc:
    number, text = exc.errno, exc.strerror or str(exc)
    found = re.search(r" [(]os error ([0-9]+)[)]$", text)
    if number is None and found:
        number = int(found.group(1))
        text = os.strerror(number)
    sys.stderr.write("\\n" + json.dumps([number, text, exc.filename or target]) + "\\n")
    sys.exit(3)
"""


def convert_in_parts(source: Path, target: Path) -> list[list[int]]:
    """The N-Quads file ``source`` written as the TriG file ``target`` in this process, part by
    part (:func:`.trigblocks.convert`); the parts' marks."""
    with source.open("rb") as nquads, target.open("wb") as trig:
        return trigblocks.convert(nquads.read, trig.write, PREFIXES)


class Conversion:
    """``source`` serialised again as ``target`` (formats by suffix, as in :data:`FORMATS`) by
    pyoxigraph in a child process, one quad at a time, while this one goes on: parsing and
    serialising hold Python's lock, so a thread would not run beside the caller's Python, and a
    child process uses the other core. :meth:`wait` returns when ``target`` is written and raises
    the child's ``OSError`` as its own. Where no child can run (no interpreter to start, or one
    without pyoxigraph), :meth:`wait` converts in this process instead: the same bytes.

    The build writes its TriG so from its N-Quads (0.8 s on the other core). With ``follow``,
    the child reads ``source`` as it is written, until :meth:`end` says it is whole (the child's
    input closed): it converts while the caller writes, and its start-up is over by then. The
    caller only writes the file (made here, empty: the caller writes into it, not a new one);
    ``source`` is still converted here if the child fails. With ``parts`` (N-Quads to TriG),
    it converts part by part (see :mod:`.trigblocks`), and :attr:`marks` holds the parts'
    marks once :meth:`wait` returns."""

    def __init__(self, source: Path, target: Path, follow: bool = False, parts: bool = False) -> None:
        self.source, self.target = source, target
        self.child: subprocess.Popen | None = None
        self.done_here = False  # whether :meth:`wait` had to convert in this process
        self.parts = parts
        self.marks: list[list[int]] | None = None
        trig = FORMATS[target.suffix[1:]] in (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG)
        prefixes = json.dumps({k: str(v) for k, v in PREFIXES.items()} if trig else {})
        if follow:
            source.touch()  # there for the child to open; the caller writes into this file
        if sys.executable:
            try:
                self.child = subprocess.Popen(
                    [sys.executable, "-c", _CONVERT, str(source), source.suffix[1:], str(target), target.suffix[1:],
                     prefixes, str(os.getpid()), "1" if follow else "0", trigblocks.__file__ if parts else ""],
                    stdin=subprocess.PIPE if follow else subprocess.DEVNULL,
                    stdout=subprocess.PIPE if parts else subprocess.DEVNULL, stderr=subprocess.PIPE)
            except OSError:
                self.child = None

    def end(self) -> None:
        """``source`` is whole (with ``follow``; written and closed)."""
        if self.child is not None and self.child.stdin is not None:
            with contextlib.suppress(OSError):
                self.child.stdin.close()
            self.child.stdin = None

    def wait(self) -> None:
        self.end()
        if self.child is not None:
            out, err = self.child.communicate()
            code, self.child = self.child.returncode, None
            if code == 0:
                if self.parts:
                    with contextlib.suppress(ValueError, IndexError):
                        self.marks = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
                return
            if code == 3:  # its last line; a warning may come before it
                try:
                    number, text, filename = json.loads(err.decode("utf-8", "replace").strip().splitlines()[-1])
                except (ValueError, IndexError):
                    raise OSError(errno.EIO, f"writing it from {self.source} failed", str(self.target)) from None
                raise OSError(number, text, filename) if number is not None else OSError(text)
        # no child, or it could not run (pyoxigraph missing there, a signal): here, the same bytes
        self.done_here = True
        if self.parts:
            self.marks = convert_in_parts(self.source, self.target)
            return
        write(ox.parse(path=str(self.source), format=FORMATS[self.source.suffix[1:]]), self.target,
              self.target.suffix[1:])

    def cancel(self) -> None:
        """Stop the child, if it runs (the caller failed before it needed the target)."""
        if self.child is not None:
            self.child.kill()
            self.end()
            self.child.communicate()
            self.child = None


def read(path: Path) -> list[ox.Quad]:
    try:
        return list(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
    except (SyntaxError, ValueError, OSError) as exc:
        raise InputError(f"the built graph is corrupt ({exc}); rebuild it with `sensekg build`",
                         path=path) from None


def rdflib_graph(quads: Iterable[ox.Quad]) -> Graph:
    """The union of all graphs as one rdflib graph (for pySHACL and rdflib SPARQL)."""
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    graph.addN((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object), graph) for q in quads)
    return graph


def fill(target: ox.Store, quads: list[ox.Quad]) -> ox.Store:
    """Add the named graphs and their deduplicated union as the default graph.

    The store is a set of quads, so a triple several graphs hold lands once in the default graph;
    letting it deduplicate is 20 % faster than building the union in Python first.
    """
    target.bulk_extend(quads)
    target.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in quads)
    return target


def union_lines(nquads: Iterable[bytes]) -> Iterator[bytes]:
    """The union of the graphs as N-Triples lines, from the N-Quads lines of a build's
    ``sensekg.nq`` (``S P O G .``, sorted, every quad in a named graph): each line with its graph
    cut off, no term parsed, and a triple several graphs hold once (its lines are adjacent)."""
    previous = None
    for line in nquads:
        triple = line.rsplit(b" ", 2)[0]
        if triple != previous:
            yield triple + b" .\n"
            previous = triple


class LinesReader(io.RawIOBase):
    """A binary file whose bytes are ``lines`` joined, made as they are read: a bulk load of
    lines worked out in Python holds one read's worth of them, not all (the union at 100x is
    6 GB)."""

    def __init__(self, lines: Iterable[bytes]):
        super().__init__()
        self._lines, self._left = iter(lines), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        parts, size = [self._left], len(self._left)
        while size < len(buffer):
            line = next(self._lines, None)
            if line is None:
                break
            parts.append(line)
            size += len(line)
        data = b"".join(parts)
        given, self._left = data[:len(buffer)], data[len(buffer):]
        buffer[:len(given)] = given
        return len(given)


AT_ONCE = 256 * 2**20  # N-Quads bytes up to which the graphs and the union are loaded at once


def fill_from_nquads(target: ox.Store, nquads: Path) -> ox.Store:
    """:func:`fill` from a build's N-Quads file: the graphs bulk-loaded from it, and the union
    from :func:`union_lines`, read as it is made (:class:`LinesReader`: in memory that does not
    grow with the graph). ``lenient``: the file is the build's own, its terms written from
    pyoxigraph's, so checking its IRIs again is spared.

    Up to :data:`AT_ONCE` bytes (about a million quads) the two loads run at once. RocksDB's
    bulk loader parses without holding Python's lock; on two cores it parses on one thread and
    sorts the indexes of a batch under a million quads on one more, so the graphs, then the
    union, kept one core idle most of the time: 4.5-5 s at 1x, 2.5-3 s at once. Both write the
    same terms' strings (the same key and value) and ingest their files atomically, so the store
    is the one the two loads make in turn. Above, the loader keeps both cores busy on its own:
    at once was 0.91 of the time at 10x for 1.6 times the memory (3.2 GB), so they run in turn."""
    def graphs() -> None:
        target.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS, lenient=True)

    def union() -> None:
        with nquads.open("rb") as stream:
            target.bulk_load(io.BufferedReader(LinesReader(union_lines(stream)), 1 << 20),
                             format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph(), lenient=True)

    if nquads.stat().st_size > AT_ONCE:
        graphs()
        union()
        return target
    with ThreadPoolExecutor(1, thread_name_prefix="sensekg-graphs") as pool:
        loading = pool.submit(graphs)
        union()  # a failure here leaves the pool waiting for the graphs' load before it is raised
        loading.result()
    return target


def update(target: ox.Store, removed: Iterable[ox.Quad], added: Iterable[ox.Quad]) -> None:
    """Turn a store :func:`fill` wrote from one list of quads into the store it writes from
    another, given the named-graph quads the second list dropped and gained.

    The union default graph gains the triple of every added quad (adding a triple it holds is a
    no-op) and loses the triple of a removed quad only when no named graph holds it any longer.
    The store compares literals by value, so a removed ``"60.0"^^xsd:decimal`` takes ``"60"`` with
    it; removing first and adding after keeps a literal that only changed its lexical form.
    """
    removed, added = list(removed), list(added)
    default = ox.DefaultGraph()
    for quad in removed:
        target.remove(quad)
    target.extend(added)
    target.extend(ox.Quad(q.subject, q.predicate, q.object, default) for q in added)
    for quad in removed:
        if not any(not isinstance(held.graph_name, ox.DefaultGraph)
                   for held in target.quads_for_pattern(quad.subject, quad.predicate, quad.object)):
            target.remove(ox.Quad(quad.subject, quad.predicate, quad.object, default))


def store(quads: Iterable[ox.Quad]) -> ox.Store:
    """An in-memory Oxigraph store for SPARQL: the named graphs, and their union, without
    duplicates, as the default graph.

    Oxigraph's own union default graph keeps a triple once per graph that holds it, so a fact
    stated by three reports would answer three times; a deduplicated default graph does not.
    """
    return fill(ox.Store(), list(quads))
