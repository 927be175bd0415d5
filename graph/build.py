"""The build pipeline: read, extract, check evidence, assemble, write; each stage timed."""

from __future__ import annotations

import bisect
import hashlib
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS

from sensekg.loaders.eventdates import conflicts, merge_precisions
from sensekg.loaders.evidence import registry_facts
from sensekg.loaders.extractors import run_extractors
from sensekg.loaders.extractors.tables import Skipped
from sensekg.loaders.facts import Fact
from sensekg.loaders.grounding import Grounding, Names, build_names, ground
from sensekg.loaders.registry import load_registry, suspected_duplicates
from sensekg.loaders.reportdata import check_report_data
from sensekg.loaders.reports import Corpus, clean_text, read_corpus, sha256_of
from sensekg.loaders.statements import check_acyclic, statement_facts
from sensekg.loaders.vocab import EVIDENCE, ONTOLOGY_GRAPH, SK

from . import forked, rdfio, trigblocks
from .assemble import check_and_assemble
from .buildio import (
    CHANGED,
    FORMAT,
    INDEX,
    INDEX_SHA,
    INFO,
    MEMO,
    NQUADS,
    NQUADS_SHA,
    ORIGINS,
    ORIGINS_SHA,
    STORE,
    STORE_CHANGES,
    STORE_FILES,
    TRIG,
    TRIG_PARTS,
    TRIG_SHA,
    changed_store_files,
    file_sha256,
    is_build,
    read_info,
    recycled,
    spare_path,
    store_digests,
    write_build,
)
from .evidence_index import write_index
from .memo import Memo, Recall, code_digest

Quad = ox.Quad


@dataclass
class BuildResult:
    corpus: Corpus
    fact_list: list[Fact] | None  # None when recalled from the replaced build's memo: see ``facts``
    # each quad's N-Quads line without " .", sorted: what the N-Quads, TriG and store are written from
    # (None when the build made ``text``, its N-Quads, from the replaced build's: see ``lines``)
    line_list: list[str] | None
    timings: dict[str, float] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    readings: list = field(default_factory=list)  # every figure read, before merging into observations
    origins: dict[str, set[str]] = field(default_factory=dict)  # evidence IRI -> records and rules
    grounding: Grounding | None = None  # how many facts a cited line states, and the rules' misses
    cited: set = field(default_factory=set)  # (report, line, s, p, o) of each evidence node: the search index's input
    fact_count: int = -1  # len(facts), known without them
    memo: Memo | None = None  # what the next build can recall of this one (see ``memo``)
    recalled: dict[str, int] = field(default_factory=dict)  # subjects whose grounding, lines were recalled
    recalled_from: str = ""  # the SHA-256 of the N-Quads of the build whose memo was recalled, if one was
    unchanged: set[str] = field(default_factory=set)  # "origins", "cited": the same as in that build
    text: SortedText | None = field(default=None, repr=False)  # the N-Quads, made from that build's
    line_changes: tuple[list[str], list[str]] | None = field(default=None, repr=False)  # lines removed, added since
    _regrounded: Callable[[], list[Fact]] | None = field(default=None, repr=False, compare=False)
    _summarize: Callable[[], dict[str, Counter]] | None = field(default=None, repr=False, compare=False)
    _quads: list[Quad] | None = field(default=None, repr=False, compare=False)
    _summary: dict[str, Counter] | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> list[str]:
        """The sorted lines; a rebuild that made its N-Quads from the replaced build's decodes
        them when first asked for (the build itself never asks)."""
        if self.line_list is None:
            self.line_list = self.text.lines() if self.text is not None else []
        return self.line_list

    @property
    def sorted_lines(self) -> list[str] | SortedText:
        """The lines, or the N-Quads they are, whichever the build made: for what searches or
        compares sorted lines (:func:`starting`, :meth:`Previous.changes`)."""
        return self.text if self.text is not None else self.lines

    @property
    def line_count(self) -> int:
        return len(self.text) if self.text is not None else len(self.lines)

    @property
    def facts(self) -> list[Fact]:
        """The facts, grounded, their dates merged, with their conflicts. A build that recalled
        subjects' grounding from the replaced build's memo did not make them: they are worked
        out from the facts as read when first asked for (a second or so)."""
        if self.fact_list is None:
            self.fact_list = self._regrounded() if self._regrounded is not None else []
        return self.fact_list

    def __post_init__(self) -> None:
        if self.fact_count < 0:
            self.fact_count = len(self.fact_list or ())

    def summary(self) -> dict[str, Counter]:
        """Entities by type, facts by predicate and evidence by report (:func:`summarize_lines`),
        counted once: the build counts them while its TriG is written, for the summary it prints."""
        if self._summary is None:
            self._summary = self._summarize() if self._summarize is not None else summarize_lines(self.lines)
        return self._summary

    @property
    def quads(self) -> list[Quad]:
        """The quads as pyoxigraph quads, in the lines' order, parsed from the lines when first asked
        for: the build itself writes from the lines, and making 387,000 quad objects took longer
        than the rest of the assembly."""
        if self._quads is None:
            self._quads = (list(ox.parse(self.text.data, format=ox.RdfFormat.N_QUADS)) if self.text is not None
                           else _parse_lines(self.lines))
        return self._quads


@contextmanager
def _timed(timings: dict[str, float], stage: str, progress: Callable[[str], None]) -> Iterator[None]:
    progress(f"{stage}…")
    start = time.perf_counter()
    yield
    timings[stage] = time.perf_counter() - start


def build_dataset(reports: str | Path | None = None, data: Path | None = None,
                  progress: Callable[[str], None] = lambda _: None, *, remember: bool = False,
                  memo: Memo | None = None, previous: SortedText | None = None) -> BuildResult:
    """Everything up to the assembled quads; raises ``InputError`` on bad input. With
    ``remember``, the result holds the memo the next build can recall (:mod:`.memo`); with
    ``memo``, the replaced build's, and ``previous``, its N-Quads, what this build can recall."""
    timings: dict[str, float] = {}
    with _timed(timings, "read", progress):
        corpus = read_corpus(reports)
        registry = load_registry(data)
        check_report_data(corpus, registry, data)
    with _timed(timings, "extract", progress):  # the records' facts in a forked child, the rules' here
        facts, extraction = forked.in_order(
            lambda: registry_facts(registry, corpus) + statement_facts(registry, data),
            lambda: run_extractors(corpus, registry, data))
        facts += extraction.facts
    if not (remember or memo is not None):
        with _timed(timings, "grounding", progress):
            check_acyclic(facts)  # a loop is the first thing to report: every fact of the build meets here
            grounded, facts = _grounded(facts, corpus, build_names(facts, registry, corpus, data))
        with _timed(timings, "check and assemble", progress):  # the evidence check, and the quads' lines
            origins: dict[str, set[str]] = {}
            cited: set = set()
            lines = check_and_assemble(corpus, facts, data, origins, cited)
        return BuildResult(corpus, facts, lines, timings, extraction.skipped, suspected_duplicates(registry),
                           extraction.readings, origins, grounded, cited)
    with _timed(timings, "grounding", progress):
        check_acyclic(facts)
        names = build_names(facts, registry, corpus, data)
        recall = Recall(corpus, names, data, memo, previous)
        grounded, final = _grounded(recall.to_ground(facts), corpus, names)
    with _timed(timings, "check and assemble", progress):
        done = recall.assemble(grounded, final, remember)

    def regrounded() -> list[Fact]:
        return _grounded(facts, corpus, names)[1]

    return BuildResult(corpus, None if recall.recalled else final, done.lines, timings, extraction.skipped,
                       suspected_duplicates(registry), extraction.readings, done.origins, done.grounding, done.cited,
                       fact_count=done.facts, memo=done.memo, recalled=done.recalled, _regrounded=regrounded,
                       _summarize=done.summarize, recalled_from=recall.memo.nquads if recall.memo else "",
                       unchanged=done.unchanged, text=done.text, line_changes=done.changes)


def _grounded(facts: list[Fact], corpus: Corpus, names: Names) -> tuple[Grounding, list[Fact]]:
    """:func:`ground`, and the facts the graph is made of: those it kept, their dates merged,
    with their conflicts."""
    grounded = ground(facts, corpus, names)
    final = merge_precisions(grounded.facts)
    final += conflicts(final)
    return grounded, final


# data files that do not shape the graph: the names dismissed, and lint's ceilings
NOT_INPUTS = ("dismissed.toml", "lint.toml")


def inputs_digest(data: Path | None = None) -> str:
    """A digest of everything besides the reports that shapes the graph: the data files,
    the ontology and the code version, so that `build` knows when it is up to date."""
    from importlib import metadata

    from sensekg.loaders.datafiles import data_dir

    digest = hashlib.sha256(metadata.version("sensekg").encode())
    root = data or data_dir()
    for path in sorted(root.rglob("*.toml")):  # a folder or a broken link named x.toml counts too:
        if path.name in NOT_INPUTS:
            continue
        content = path.read_bytes() if path.is_file() else b"\0not a file\0"  # the loaders refuse it
        digest.update(str(path.relative_to(root)).encode() + content)
    digest.update(code_digest().encode())  # the ontology and the code that makes the graph
    return digest.hexdigest()


def up_to_date(out: Path, reports: Path, inputs: str) -> bool:
    """Whether the build in ``out`` was made from these reports, manifest and inputs digest."""
    from sensekg.loaders.reports import MANIFEST, load_manifest

    if not (is_build(out) and (out / TRIG).is_file() and (out / STORE).is_dir()):
        return False
    current = {spec.id: sha256_of(reports / spec.file) for spec in load_manifest(reports)
               if (reports / spec.file).is_file()}
    info = read_info(out)
    return (info.get("inputs") == inputs and info.get("reports") == current
            and info.get("manifest") == sha256_of(reports / MANIFEST))


def build_info(result: BuildResult, inputs: str = "") -> dict:
    from sensekg.loaders.reports import MANIFEST

    return {
        "format": FORMAT,
        "inputs": inputs,
        "manifest": sha256_of(result.corpus.folder / MANIFEST),
        "reports": {d.id: d.spec.sha256 for d in result.corpus},
        "quads": result.line_count,
        "facts": result.fact_count,
        "skipped rows": len([s for s in result.skipped if not s.reason.startswith("repaired")]),
    }


REUSE_SHARE = 0.05  # past this share of the quads changed, the store is written whole again


def sorted_difference(old: list[str], new: list[str], run: int = 64) -> tuple[list[str], list[int]]:
    """The lines of ``old`` not in ``new``, and the indexes of those of ``new`` not in ``old``,
    for two sorted lists of distinct lines (as builds have them): one walk along both, skipping
    ``run`` equal lines at a time with one list comparison. No line is hashed, which makes it
    ten times faster than comparing sets when few lines changed."""
    i = j = 0
    gone: list[str] = []
    came: list[int] = []
    while i < len(old) and j < len(new):
        if old[i:i + run] == new[j:j + run]:
            i += run
            j += run
            continue
        if old[i] == new[j]:
            i += 1
            j += 1
        elif old[i] < new[j]:
            gone.append(old[i])
            i += 1
        else:
            came.append(j)
            j += 1
    return gone + old[i:], came + list(range(j, len(new)))


def nquads_lines(data: bytes) -> list[str]:
    """The lines of an N-Quads file that sensekg wrote, without their final " .": a line break
    inside a literal is escaped, so each quad ends at the first " .\\n" after it."""
    lines = data.decode("utf-8").split(" .\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


BLOCK = 500  # lines the N-Quads are written, and compared with the replaced build's, at a time


def nquads_blocks(lines: list[str], size: int = BLOCK) -> Iterator[tuple[int, bytes]]:
    """The N-Quads file of sorted ``lines``, ``size`` lines at a time: (index of the first, bytes)."""
    for start in range(0, len(lines), size):
        yield start, (" .\n".join(lines[start:start + size]) + " .\n").encode("utf-8")


class SortedText:
    """The sorted lines of an N-Quads file that sensekg wrote, kept as its bytes and decoded only
    where asked: a build compares its lines with the replaced build's block by block, as bytes
    (a block the same in both is one comparison of memory), and decodes only the stretches that
    differ, and a line is found by a binary search in the bytes. Decoding and splitting the whole
    88 MB took 0.24 s of each rebuild. UTF-8 keeps the order of code points, so bytes sort as
    the lines do."""

    def __init__(self, data: bytes, edits: list[tuple[int, int, int]] | None = None) -> None:
        self.data = data
        # when made by :meth:`spliced`: how, from the text spliced (see ``trigblocks.splice``)
        self.edits = edits
        self._count: int | None = None

    @classmethod
    def of_lines(cls, lines: Iterable[str]) -> SortedText:
        """The text of lines without their final " ." (as :func:`assemble` gives them)."""
        return cls("".join(f"{line} .\n" for line in lines).encode("utf-8"))

    def lines(self) -> list[str]:
        return nquads_lines(self.data)

    def _first_from(self, key: bytes, low: int = 0) -> int:
        """The offset of the first line from ``low`` (a line's start) not sorting before ``key``."""
        data = self.data
        high = len(data)
        while low < high:
            middle = (low + high) // 2
            start = data.rfind(b"\n", low, middle) + 1 or low  # the start of the line holding ``middle``
            end = data.find(b"\n", start) + 1 or len(data)
            if data[start:end - 3] < key:  # each line ends " .\n"
                low = end
            else:
                high = start
        return low

    def starting(self, prefix: str) -> str | None:
        """The first line that starts with ``prefix``, if any."""
        key = prefix.encode("utf-8")
        start = self._first_from(key)
        if start == len(self.data) or not self.data.startswith(key, start):
            return None
        return self.data[start:self.data.index(b"\n", start) - 2].decode("utf-8")

    def __len__(self) -> int:
        """How many lines (counted once)."""
        if self._count is None:
            self._count = self.data.count(b"\n")
        return self._count

    def spliced(self, prefixes: Iterable[str], added: list[str]) -> tuple[SortedText, list[str]]:
        """This text without the lines starting with one of ``prefixes`` (each a term and a space,
        so that the lines of a prefix are one run, found by two binary searches) and with ``added``
        (sorted, none of them left in it) merged in, as bytes made in one pass; and the lines taken
        out. The text made records its edits of this one (``edits``), for its TriG."""
        data, at = self.data, 0
        ranges = []  # the runs of lines taken out, in order
        for key in sorted({prefix.encode("utf-8") for prefix in prefixes}):
            start = self._first_from(key, at)
            end = self._first_from(key[:-1] + bytes((key[-1] + 1,)), start)
            if end > start:
                ranges.append((start, end))
                at = end
        pieces, gone, at, taken, low = [], [], 0, 0, 0
        edits: list[list[int]] = []  # [start, end, new size]: the bytes [start, end) of this text replaced

        def edit(start: int, end: int, size: int) -> None:
            if edits and edits[-1][1] >= start:  # touching the one before: one edit
                edits[-1][1:] = [end, edits[-1][2] + size]
            else:
                edits.append([start, end, size])

        def take_out(before: int) -> None:  # the runs starting at or before ``before``
            nonlocal at, taken
            while taken < len(ranges) and ranges[taken][0] <= before:
                start, end = ranges[taken]
                pieces.append(data[at:start])
                gone.append(data[start:end])
                edit(start, end, 0)
                at, taken = end, taken + 1

        for line in added:
            encoded = f"{line} .\n".encode()
            low = self._first_from(encoded[:-3], low)  # its place here: in a run taken out, after it
            take_out(low)
            if low > at:
                pieces.append(data[at:low])
                at = low
            pieces.append(encoded)
            edit(at, at, len(encoded))
        take_out(len(data))
        pieces.append(data[at:])
        return (SortedText(b"".join(pieces), [(start, end, size) for start, end, size in edits]),
                nquads_lines(b"".join(gone)))

    def difference(self, new: list[str], blocks: Iterable[tuple[int, bytes]] | None = None,
                   ) -> tuple[list[str], list[int]]:
        """As :func:`sorted_difference` with these lines as ``old``, ``new`` given also as its
        N-Quads ``blocks`` (:func:`nquads_blocks`, made here when not given). Where the next
        block's bytes are the same as this text's at the place reached, the place moves past them;
        otherwise this text's lines up to the first that sorts at or after the next block's first
        line are decoded and compared with the block's."""
        data, at = self.data, 0
        gone: list[str] = []
        came: list[int] = []
        for start, block in nquads_blocks(new) if blocks is None else blocks:
            if data.startswith(block, at):
                at += len(block)
                continue
            size = block.count(b"\n")
            end = self._first_from(new[start + size].encode("utf-8"), at) if start + size < len(new) else len(data)
            old_gone, old_came = sorted_difference(nquads_lines(data[at:end]), new[start:start + size])
            gone += old_gone
            came += (start + index for index in old_came)
            at = end
        return gone + nquads_lines(data[at:]), came


def _parse_lines(lines: Iterable[str]) -> list[Quad]:
    """Quads from N-Quads lines without their final " ." (as :func:`assemble` gives them)."""
    data = SortedText.of_lines(lines).data
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS)) if data else []


@dataclass
class Previous:
    """The build being replaced, read before the work: its quads as the sorted N-Quads lines
    of its ``sensekg.nq`` (see :class:`SortedText`), and the SHA-256 of the file they were read
    from, under the key its build recorded it by (the store is reused only if the build recorded
    that same file). A build that has no N-Quads has its TriG parsed instead: strings hash and
    compare several times faster than quads, and reading lines is several times faster than
    parsing TriG."""

    text: SortedText
    sha256: str
    recorded_as: str = NQUADS_SHA
    _quads: list[Quad] | None = field(default=None, repr=False, compare=False)
    _changes: tuple[list[str], list[Quad], list[Quad]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of_quads(cls, quads: Iterable[Quad], sha256: str = "", recorded_as: str = TRIG_SHA) -> Previous:
        ordered = sorted(quads, key=str)
        return cls(SortedText.of_lines(str(q) for q in ordered), sha256, recorded_as, ordered)

    @property
    def lines(self) -> list[str]:
        """Every line, decoded (the build itself never asks)."""
        return self.text.lines()

    @property
    def quads(self) -> list[Quad]:
        """The quads themselves, parsed from the lines when first asked for."""
        if self._quads is None:
            self._quads = list(ox.parse(self.text.data, format=ox.RdfFormat.N_QUADS)) if self.text.data else []
        return self._quads

    def changes(self, lines: list[str] | SortedText, blocks: Iterable[tuple[int, bytes]] | None = None,
                ) -> tuple[list[Quad], list[Quad]]:
        """The quads removed and added since this build, given the new build's lines, sorted, or
        its N-Quads (computed once per list, or given by :meth:`record`: the store update, the
        account of changed facts and the record for ``validate`` all ask), and optionally their
        N-Quads ``blocks`` (the build gives those it writes); only the lines that differ are parsed."""
        if self._changes is None or self._changes[0] is not lines:
            new = lines.lines() if isinstance(lines, SortedText) else lines
            gone, came = self.text.difference(new, blocks)
            self.record(lines, gone, [new[index] for index in came])
        return self._changes[1], self._changes[2]

    def record(self, new: list[str] | SortedText, gone: list[str], came: list[str]) -> None:
        """The lines removed (``gone``) and added (``came``) since this build, known to the build
        that made ``new`` from it."""
        self._changes = (new, _parse_lines(gone), _parse_lines(came))


_LABEL = ox.NamedNode(str(RDFS.label))


def labels_of_lines(lines: Iterable[str] | SortedText) -> dict[ox.NamedNode, str]:
    """rdfs:label of each subject that has one (its first, in sorted lines), from N-Quads lines
    or their bytes: only the lines that hold the label IRI are parsed (in the bytes, found by a
    search, no other line decoded), and of those only the labels kept (an evidence node's
    ``rdf:predicate rdfs:label`` holds it too)."""
    marker = f" <{RDFS.label}> "
    if isinstance(lines, SortedText):
        data, found, at, key = lines.data, [], 0, marker.encode()
        while (at := data.find(key, at)) >= 0:
            start, end = data.rfind(b"\n", 0, at) + 1, data.index(b"\n", at) + 1
            found.append(data[start:end])
            at = end
        quads = ox.parse(b"".join(found), format=ox.RdfFormat.N_QUADS)
    else:
        quads = _parse_lines(line for line in lines if marker in line)
    labels: dict[ox.NamedNode, str] = {}
    for quad in quads:
        if quad.predicate == _LABEL:
            labels.setdefault(quad.subject, quad.object.value)
    return labels


class LineLabels:
    """rdfs:label of a subject, as :func:`labels_of_lines` gives it (its first, in sorted lines),
    looked up when asked in one or more builds' sorted lines, the first that has one winning: a
    binary search for the subject's label lines, where ``labels_of_lines`` scans every line. The
    account of changed facts a rebuild prints names a few dozen terms at most; building both
    builds' whole tables for it took 0.3 s."""

    def __init__(self, *sources: list[str] | SortedText) -> None:
        self.sources = sources

    def get(self, term: object, default: str | None = None) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return default
        prefix = f"{term} <{RDFS.label}> "
        for lines in self.sources:
            found = starting(lines, prefix)
            if found is not None:
                return _parse_lines([found])[0].object.value
        return default


def starting(lines: list[str] | SortedText, prefix: str) -> str | None:
    """The first of sorted ``lines`` that starts with ``prefix``, if any."""
    if isinstance(lines, SortedText):
        return lines.starting(prefix)
    at = bisect.bisect_left(lines, prefix)
    return lines[at] if at < len(lines) and lines[at].startswith(prefix) else None


def read_previous(out: Path, need_store: bool = True) -> Previous | None:
    """The build in ``out``, or None when there is none, it cannot be read, or (``need_store``)
    it records no digest of the file read and store files, so that its store could not be reused
    anyway. Its ``sensekg.nq`` is read when its digest is the one its build recorded; otherwise
    its TriG, parsed."""
    if not (is_build(out) and (out / TRIG).is_file()):
        return None
    info = read_info(out)
    if need_store and not isinstance(info.get(STORE_FILES), dict):
        return None
    try:
        if isinstance(info.get(NQUADS_SHA), str) and (out / NQUADS).is_file():
            data = (out / NQUADS).read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if digest == info[NQUADS_SHA]:
                return Previous(SortedText(data), digest)
        if need_store and not isinstance(info.get(TRIG_SHA), str):
            return None
        data = (out / TRIG).read_bytes()
        return Previous.of_quads(ox.parse(data, format=ox.RdfFormat.TRIG), hashlib.sha256(data).hexdigest())
    except (OSError, SyntaxError, ValueError):
        return None  # a damaged build is replaced whole, not compared with


def store_changes(out: Path, lines: list[str] | SortedText, previous: Previous | None,
                  known: dict[tuple, str] | None = None) -> tuple[list[Quad], list[Quad], int] | None:
    """The named-graph quads removed and added since ``previous``, and the changes its store
    will then carry in all, when ``out``'s store can be updated into this build's: the build
    recorded the file that ``previous`` was read from and the store's files, neither changed
    since, and the changes stay under :data:`REUSE_SHARE` of the quads. Otherwise None."""
    if previous is None:
        return None
    info = read_info(out)
    carried = info.get(STORE_CHANGES, 0)
    if (info.get(previous.recorded_as) != previous.sha256 or not isinstance(info.get(STORE_FILES), dict)
            or not isinstance(carried, int) or not (out / STORE).is_dir() or changed_store_files(out, known)):
        return None
    removed, added = previous.changes(lines)
    carried += len(removed) + len(added)
    blank = any(isinstance(t, ox.BlankNode) for q in (*removed, *added) for t in (q.subject, q.object))
    if carried > REUSE_SHARE * len(lines) or blank:  # blank nodes: a re-parse may rename them
        return None
    return removed, added, carried


def update_store(target: Path, lines: list[str] | SortedText, out: Path, previous: Previous | None,
                 known: dict[tuple, str] | None = None) -> int | None:
    """Write at ``target`` a checkpoint of ``out``'s store (hard links to its immutable files,
    milliseconds) changed into this build's, where :func:`store_changes` allows (``known``: the
    digests of ``out``'s store files it checks, see ``buildio.store_digests``). Returns the
    changes the updated store carries, or None when it was not done (nothing is left at ``target``)."""
    changes = store_changes(out, lines, previous, known)
    if changes is None:
        return None
    removed, added, carried = changes
    try:
        ox.Store.read_only(str(out / STORE)).backup(str(target))
        updated = ox.Store(str(target))
        try:
            rdfio.update(updated, removed, added)
            updated.flush()
        finally:
            del updated  # closed before its files can go
        return carried
    except (OSError, RuntimeError, ValueError):
        shutil.rmtree(target, ignore_errors=True)  # and the caller writes it whole
        return None


def fill_store(target: Path, nquads: Path) -> None:
    """Write the whole store at ``target`` from ``nquads``, the quads' N-Quads file as the build
    writes it: RocksDB's bulk loader reads it without holding Python's lock, so the caller can go
    on in another thread."""
    persisted = ox.Store(str(target))
    rdfio.fill_from_nquads(persisted, nquads)
    persisted.flush()
    del persisted


def write_text(text: SortedText, path: Path, spare: Path | None = None) -> str:
    """The build's N-Quads made already (see ``BuildResult.text``), written (over ``spare``, see
    ``buildio.recycled``); their SHA-256, taken in a thread meanwhile (hashing and writing do
    not hold Python's lock), and their lines counted (for the build's record) while the two run."""
    with ThreadPoolExecutor(1, thread_name_prefix="sensekg-sha") as pool:
        digest = pool.submit(lambda: hashlib.sha256(text.data).hexdigest())
        with recycled(path, spare) as stream:
            stream.write(text.data)
        len(text)
        return digest.result()


def write_nquads(lines: list[str], path: Path, previous: Previous | None = None) -> str:
    """The build's N-Quads: its lines, each ended by " .", the bytes pyoxigraph's N-Quads
    serialiser writes for the same quads; returns their SHA-256, taken as they are written
    rather than by reading the 88 MB back. Written :data:`BLOCK` lines at a time: joined whole,
    the text and its bytes took fresh memory from the system, page by page (0.4 to 0.7 s of
    system time, against 0.02). The same blocks are compared with ``previous``, the build being
    replaced, for :meth:`Previous.changes`."""
    digest = hashlib.sha256()

    def blocks() -> Iterator[tuple[int, bytes]]:
        with path.open("wb") as stream:
            for start, data in nquads_blocks(lines):
                digest.update(data)
                stream.write(data)
                yield start, data

    if previous is None:
        for _ in blocks():
            pass
    else:
        previous.changes(lines, blocks())
    return digest.hexdigest()


def write_outputs(result: BuildResult, out: Path, progress: Callable[[str], None] = lambda _: None,
                  inputs: str = "", keep: Iterable[Path] = (), previous: Previous | None = None,
                  reuse_store: bool = True) -> None:
    """Write the TriG, the store and the marker into ``out``, replaced whole (see ``buildio``);
    ``keep`` are folders ``out`` must not hold, such as the reports and the data. ``previous``,
    the build in ``out`` as read before the work, lets its store be updated instead of written
    whole when few quads changed (the result is the same store) unless not ``reuse_store``, and
    lets the build record what changed since it, for ``validate``."""
    replaced = read_info(out) if previous is not None else {}

    def writer(folder: Path) -> None:
        # the TriG, from the N-Quads in a child process as they are written, while this one writes
        # the rest; or, when the N-Quads were made from the replaced build's, from its TriG (trigblocks)
        # (the build in ``out`` is still the one read before the work: another build may have replaced it)
        spliced = (result.text is not None and result.text.edits is not None and previous is not None
                   and previous.sha256 == result.recalled_from == replaced.get(NQUADS_SHA) and TRIG_PARTS in replaced)
        trig = None if spliced else rdfio.Conversion(folder / NQUADS, folder / TRIG, follow=True, parts=True)
        try:
            with _timed(result.timings, "write N-Quads", progress):
                if result.text is not None:  # made from the replaced build's, with what changed since
                    # over the replaced build's N-Quads, unless the TriG's child follows the file made for it
                    spare = None if trig is not None else spare_path(out.absolute())
                    nquads_sha = write_text(result.text, folder / NQUADS, spare)
                    if previous is not None and previous.sha256 == result.recalled_from:
                        previous.record(result.text, *result.line_changes)
                else:
                    nquads_sha = write_nquads(result.lines, folder / NQUADS, previous)
            if trig is not None:
                trig.end()
            _write_rest(result, folder, out, trig, progress, previous, reuse_store, replaced,
                        build_info(result, inputs) | {NQUADS_SHA: nquads_sha})
        finally:
            if trig is not None:
                trig.cancel()

    write_build(out, writer, keep=[result.corpus.folder, *keep])


def splice_trig(result: BuildResult, previous: Previous, out: Path, replaced: dict, target: Path) -> list[list[int]]:
    """Write the TriG of a build whose N-Quads were made from the replaced build's (``result.text``,
    from ``previous.text``) from the replaced build's TriG in ``out``, its parts that no edit
    touched copied (``trigblocks.splice``); the parts' marks. Where that TriG is not the one its
    build recorded, or its marks do not fit it, the whole is converted here instead."""
    try:
        old = (out / TRIG).read_bytes()
        if hashlib.sha256(old).hexdigest() == replaced.get(TRIG_SHA):
            pieces, marks = trigblocks.splice(previous.text.data, old, replaced.get(TRIG_PARTS), result.text.data,
                                              result.text.edits, rdfio.PREFIXES)
            with target.open("wb") as stream:
                stream.writelines(pieces)
            return marks
    except (OSError, ValueError):
        pass
    return rdfio.convert_in_parts(target.with_name(NQUADS), target)


def _write_rest(result: BuildResult, folder: Path, out: Path, trig: rdfio.Conversion | None,
                progress: Callable[[str], None], previous: Previous | None, reuse_store: bool,
                replaced: dict, info: dict) -> None:
    """:func:`write_outputs` after the N-Quads, while ``trig`` is written: the store, the
    origins, the search index and the build's record (``info``, completed here; ``replaced`` is
    the replaced build's), the TriG waited for last; made here from the replaced build's
    (:func:`splice_trig`) when there is no ``trig``."""
    progress("write store…")
    start = time.perf_counter()
    known: dict[tuple, str] = {}  # the replaced store's file digests, for those the updated one links to
    carried = (update_store(folder / STORE, result.sorted_lines, out.absolute(), previous, known) if reuse_store
               else None)
    if carried is not None:
        result.timings["update store"] = time.perf_counter() - start

    def fill() -> float:
        start = time.perf_counter()
        fill_store(folder / STORE, folder / NQUADS)
        return time.perf_counter() - start

    # a whole store is written in a thread while this one writes the rest: RocksDB's bulk
    # loader reads the N-Quads without holding Python's lock, and takes the longest
    with ThreadPoolExecutor(1, thread_name_prefix="sensekg-store") as pool:
        writing = pool.submit(fill) if carried is None else None
        # what is the same as in the replaced build, if it is the one whose memo was recalled
        same = result.unchanged if previous is not None and previous.sha256 == result.recalled_from else set()
        if not ("origins" in same and carry_over(out / ORIGINS, replaced.get(ORIGINS_SHA), folder)):
            write_origins(result.origins, folder / ORIGINS)
        with _timed(result.timings, "write search index", progress):
            # the replaced build's index, where what it is made of is the same: its entries, the reports
            # (the memo's), and the labels (no label quad changed)
            if not ("cited" in same
                    and not any(q.predicate == _LABEL for found in previous.changes(result.sorted_lines) for q in found)
                    and carry_over(out / INDEX, replaced.get(INDEX_SHA), folder)):
                write_index(result.cited, labels_of_lines(result.sorted_lines), folder / INDEX,
                            lambda report, line: clean_text(result.corpus.documents[report].line(line)))
        changed = changed_subjects(result, previous, replaced.get(CHANGED))
        result.summary()  # for the summary printed after (the child is still writing the TriG), and the memo
        if result.memo is not None:
            result.memo.nquads = info[NQUADS_SHA]
            (folder / MEMO).write_bytes(result.memo.dump())
        if trig is None:
            with _timed(result.timings, "splice TriG", progress):
                marks = splice_trig(result, previous, out, replaced, folder / TRIG)
        else:
            with _timed(result.timings, "wait for TriG", progress):
                trig.wait()
            marks = trig.marks
        if writing is not None:
            result.timings["write store"] = writing.result()  # while the TriG and the index were written
    info |= {TRIG_SHA: file_sha256(folder / TRIG), STORE_FILES: store_digests(folder / STORE, known),
             STORE_CHANGES: carried or 0, ORIGINS_SHA: file_sha256(folder / ORIGINS),
             INDEX_SHA: file_sha256(folder / INDEX)}
    if changed is not None:
        info[CHANGED] = changed
    if marks is not None:
        info[TRIG_PARTS] = marks
    (folder / INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def carry_over(source: Path, recorded: object, folder: Path) -> bool:
    """Copy ``source``, a file of the replaced build, into ``folder``, if its SHA-256 is the
    one that build ``recorded`` for it (it was not changed since); whether it was."""
    try:
        data = source.read_bytes()
        if not isinstance(recorded, str) or hashlib.sha256(data).hexdigest() != recorded:
            return False
        (folder / source.name).write_bytes(data)
        return True
    except OSError:
        return False


CHAIN = 16  # at most this many earlier builds a record of changes reaches back to


def changed_subjects(result: BuildResult, previous: Previous | None, earlier: object = None) -> dict | None:
    """What ``validate`` needs to check again after this build replaced ``previous``, kept in
    :data:`CHANGED`: ``steps``, for each build it reaches back to the SHA-256 of that build's
    N-Quads and how the count of subjects changed since; the ``subjects`` of the quads removed and
    added since the earliest; and ``retyped``, those of them whose type changed (the nodes pointing
    to those are checked too). ``earlier`` is the replaced build's own record: this one extends
    it, so that validating after several builds still checks only what they changed, up to
    :data:`CHAIN` builds and :data:`REUSE_SHARE` of the quads. None when the replaced build had no
    N-Quads, a blank node changed, or more than that share of the quads did (validating by the
    subjects' digests is then as quick)."""
    if previous is None or previous.recorded_as != NQUADS_SHA or not result.line_count:
        return None
    removed, added = previous.changes(result.sorted_lines)
    limit = REUSE_SHARE * result.line_count
    if len(removed) + len(added) > limit:
        return None
    changed = [*removed, *added]
    if any(isinstance(t, ox.BlankNode) for q in changed for t in (q.subject, q.object)):
        return None
    rdf_type = str(RDF.type)
    subjects = {str(q.subject) for q in changed}
    retyped = {str(q.subject) for q in changed if q.predicate.value == rdf_type}

    # sorted lines: a subject's are adjacent, and its first starts with it
    before = {s for s in subjects if starting(previous.text, s + " ") is not None}
    after = {s for s in subjects if starting(result.sorted_lines, s + " ") is not None}
    steps = [{"since": previous.sha256, "count change": len(after - before) - len(before - after)}]
    try:  # the replaced build's record, when it reads as one and the chain stays short
        if isinstance(earlier, dict) and len(earlier["steps"]) < CHAIN \
                and len(earlier["subjects"]) + len(subjects) <= limit \
                and all(isinstance(step["since"], str) and isinstance(step["count change"], int)
                        for step in earlier["steps"]):
            steps = [{"since": step["since"], "count change": step["count change"] + steps[0]["count change"]}
                     for step in earlier["steps"]] + steps
            subjects |= {s for s in earlier["subjects"] if isinstance(s, str)}
            retyped |= {s for s in earlier["retyped"] if isinstance(s, str)}
    except (KeyError, TypeError):
        pass
    return {"steps": steps, "subjects": sorted(subjects), "retyped": sorted(retyped)}


def summarize(quads: Iterable[ox.Quad]) -> dict[str, Counter]:
    """Entities by type, facts by predicate and evidence by report, outside the ontology graph.

    A fact stated by several reports counts once; its evidence counts once per report line.
    """
    return summarize_lines(str(quad) for quad in quads)


def summarize_lines(lines: Iterable[str]) -> dict[str, Counter]:
    """:func:`summarize` from the quads' N-Quads lines (without " ."), as a build has them:
    string tests instead of a term object per quad, twice as fast."""
    return add_summaries(summary_parts(lines, whole=True).values())


# a summary's part (see summary_parts): entity types, facts by predicate, evidence by report
SummaryPart = tuple[tuple[str, ...], dict[str, int], dict[str, int]]


def summary_parts(lines: Iterable[str], owners: dict[str, str] | None = None,
                  whole: bool = False) -> dict[str, SummaryPart]:
    """The summary's counts, in parts that add up to it: one per subject of the lines (not the
    ontology graph's), each of its evidence nodes counted in the part of its ``owners`` entry
    (the subject of its fact), or else its own; or, if ``whole``, one part. A subject's types
    and triples are counted once however many graphs state them, and every line of a subject is
    in its part, so a build that recalls a subject's lines (see memo) recalls its part too. Every
    quad is in a named graph; the graph is the last term, and only the object can hold a space."""
    owners = owners or {}
    typed, triples, evidence = set(), set(), Counter()
    rdf_type, evidence_ns = f"<{RDF.type}>", f"<{EVIDENCE}"
    ontology, report_class = f" <{ONTOLOGY_GRAPH}>", f"<{SK.Report}>"
    for line in lines:
        if line.endswith(ontology):
            continue
        start = line.index(" ") + 1
        if line.startswith(evidence_ns):
            if line.startswith(rdf_type, start):
                node = line[:start - 1]
                evidence[owners.get(node, node), line[line.rindex("/") + 1:-1]] += 1
            continue
        subject, predicate, rest = line.split(" ", 2)
        obj = rest[:rest.rindex(" ")]
        if predicate == rdf_type:
            if obj != report_class:
                typed.add((subject, obj))
        else:
            triples.add((subject, predicate, obj))
    if whole:
        return {"": (tuple(_type_name(o) for _, o in typed),
                     Counter(_qname(p[1:-1]) for _, p, _ in triples), Counter(r for (_, r) in evidence.elements()))}
    types: dict[str, list[str]] = {}
    for subject, o in typed:
        types.setdefault(subject, []).append(_type_name(o))
    names: dict[str, str] = {}
    facts: dict[str, dict[str, int]] = {}
    for subject, predicate, _ in triples:
        name = names.get(predicate) or names.setdefault(predicate, _qname(predicate[1:-1]))
        found = facts.setdefault(subject, {})
        found[name] = found.get(name, 0) + 1
    reports: dict[str, dict[str, int]] = {}
    for (owner, report), count in evidence.items():
        reports.setdefault(owner, {})[report] = count
    return {subject: (tuple(sorted(types.get(subject, ()))), facts.get(subject, {}), reports.get(subject, {}))
            for subject in types.keys() | facts.keys() | reports.keys()}


def _type_name(term: str) -> str:
    """A type's name as the summary counts it: after the "#" of its IRI, or the IRI."""
    return term[term.rindex("#") + 1:-1] if "#" in term else term[1:-1]


def add_summaries(parts: Iterable[SummaryPart]) -> dict[str, Counter]:
    """Entities by type, facts by predicate and evidence by report, from :func:`summary_parts`."""
    entities, facts, evidence = Counter(), Counter(), Counter()
    for types, predicates, reports in parts:
        entities.update(types)
        facts.update(predicates)
        evidence.update(reports)
    return {"entities by type": entities, "facts by predicate": facts, "evidence by report": evidence}


def _qname(iri: str) -> str:
    for prefix, namespace in rdfio.PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return iri


def table_summary(result: BuildResult, shown: int = 12) -> list[str]:
    """What the table reader did, for the build summary: tables read by rule and by override,
    the tables and rows it skipped with their reasons and lines, and the measures it named after
    printed labels, for a curator to review."""
    tables = {r.table for r in result.readings if r.table}
    by_rule = {t for t in tables if ":" in t}
    figures = sum(1 for r in result.readings if r.table)
    lines = [f"tables: {len(by_rule)} read by rule, {len(tables - by_rule)} by an override in tables.toml; "
             f"{figures} figures"]
    whole = [s for s in result.skipped if s.reason.startswith("table skipped")]
    if whole:
        lines.append(f"  tables skipped ({len(whole)}):")
        lines += [f"    {s.report}:{s.line}  {s.reason[len('table skipped: '):]}" for s in whole]
    for kind, rows in (("rows skipped", [s for s in result.skipped if not s.reason.startswith(("table skipped",
                                                                                               "repaired"))]),
                       ("rows repaired", [s for s in result.skipped if s.reason.startswith("repaired")])):
        if not rows:
            continue
        lines.append(f"  {kind} ({len(rows)}), by reason:")
        reasons: dict[str, list[Skipped]] = {}
        for s in rows:
            reasons.setdefault(s.reason.split(": ")[0] if kind == "rows skipped" else s.reason, []).append(s)
        for reason, found in sorted(reasons.items(), key=lambda kv: -len(kv[1])):
            where = ", ".join(f"{s.report}:{s.line}" for s in found[:4]) + (", …" if len(found) > 4 else "")
            lines.append(f"    {len(found):4d}  {reason}  ({where})")
    named = sorted({r.measure.label for r in result.readings if not r.measure.curated})
    if named:
        lines.append(f"  measures named after printed labels, not in measures.toml ({len(named)}; review them, "
                     "and give a label that names a known measure an `alt` there): "
                     + "; ".join(named[:shown]) + ("; …" if len(named) > shown else ""))
    return lines


GROUNDING_KINDS = (("entity", "entity objects"), ("value", "values"), ("name", "names"),
                   ("period", "periods"), ("other", "other facts"))


def grounding_summary(result: BuildResult, shown: int = 8) -> list[str]:
    """How many citations state their fact, by what the fact's object is, and the facts of rules
    that no cited line states (kept as read, for review)."""
    grounding = result.grounding
    if grounding is None:
        return []
    parts = []
    for kind, title in GROUNDING_KINDS:
        stated, cited = grounding.counts.get(kind, [0, 0])
        if cited:
            parts.append(f"{title} {100 * stated / cited:.1f}% of {cited}")
    lines = ["grounding: citations whose line (or a line heading it) states the fact: " + ", ".join(parts)]
    if grounding.unstated:
        lines.append(f"  facts read by rules that no cited line states ({len(grounding.unstated)}; kept as read, "
                     "mostly a table's measure or period carried by its layout):")
        for fact in grounding.unstated[:shown]:
            where = ", ".join(str(c) for c in fact.citations[:2])
            lines.append(f"    {where}  {_qname(str(fact.predicate))} of {getattr(fact.subject, 'id', fact.subject)}")
        if len(grounding.unstated) > shown:
            lines.append("    …")
    if grounding.variants:
        shown_variants = "; ".join(f"{getattr(f.subject, 'id', f.subject)} {str(f.object)!r}"
                                   for f in grounding.variants[:shown])
        lines.append(f"  aliases printed only inside a longer name, so not stated as names ({len(grounding.variants)}; "
                     f"kept for matching, left out of the graph): {shown_variants}"
                     + ("; …" if len(grounding.variants) > shown else ""))
    return lines


def per_report(quads: Iterable[ox.Quad]) -> tuple[dict[str, Counter], dict[str, Counter]]:
    """Entities by type, and observations by measure, in each report's named graph."""
    types: dict[str, Counter] = {}
    measured: dict[str, Counter] = {}
    rdf_type, measure, ontology = str(RDF.type), str(SK.measure), str(ONTOLOGY_GRAPH)
    for quad in quads:
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph) or graph.value == ontology:
            continue
        report = graph.value.rsplit("/", 1)[-1]
        if quad.predicate.value == rdf_type and not quad.subject.value.startswith(str(EVIDENCE)):
            types.setdefault(report, Counter())[quad.object.value.rsplit("#", 1)[-1]] += 1
        elif quad.predicate.value == measure:
            measured.setdefault(report, Counter())[_qname(quad.object.value)] += 1
    return types, measured


def write_origins(origins: dict[str, set[str]], path: Path) -> None:
    """The origin of every evidence node, as JSON: each distinct origin once, and per evidence
    node (its IRI after the evidence namespace) the indexes of its origins."""
    names = sorted({origin for found in origins.values() for origin in found})
    index = {name: number for number, name in enumerate(names)}
    prefix = len(str(EVIDENCE))
    table = {iri[prefix:]: sorted(index[o] for o in found) for iri, found in sorted(origins.items())}
    path.write_text(json.dumps({"origins": names, "evidence": table}, separators=(",", ":")) + "\n",
                    encoding="utf-8")


def read_origins(folder: Path) -> dict[str, list[str]]:
    """Evidence IRI -> its origins, from a build folder; empty for a build made before origins."""
    path = folder / ORIGINS
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    names = data["origins"]
    return {str(EVIDENCE) + key: [names[i] for i in found] for key, found in data["evidence"].items()}


def show_origin(origin: str) -> str:
    """An origin with its data file's path relative to the current folder where it is under it."""
    import os
    import re

    def relative(match: re.Match) -> str:
        path = Path(match.group(1))
        try:
            shown = path.relative_to(Path.cwd())
        except ValueError:
            shown = path
        return f"({shown}{match.group(2)})"

    return re.sub(r"\((" + re.escape(os.sep) + r"[^()]*?\.toml)(:\d+|:\?)?\)", relative, origin)
