"""The build's TriG converted from its N-Quads part by part, and made again from the replaced
build's TriG where a rebuild changed few of its lines.

pyoxigraph writes TriG graph block by graph block. Where N-Quads are split at a line whose
graph is not the graph of the line before, the TriG of the two parts, the second without its
prefix lines, is the TriG of the whole, byte for byte. A build converts its N-Quads in parts of
about :data:`PART` bytes, each ending at such a line, and records where each part starts in
both files (its *marks*, in ``build-info.json``). A rebuild that made its N-Quads from the
replaced build's, with a few runs of lines taken out and others put in (``SortedText.spliced``),
converts again only the parts those edits touch, and copies the TriG of the other parts from
the replaced build's file (:func:`splice`). Converting the whole TriG took 0.8 s of the other
core; a rebuild after a record's edit splices it in 0.06 to 0.08 s.

This module needs only pyoxigraph and the standard library: the child process that converts a
build's N-Quads (``rdfio.Conversion``) loads it from its file, without sensekg's imports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import pyoxigraph as ox

# bytes of N-Quads a part holds, at least (it ends at the next graph block): 660 parts for the
# build's 88 MB, converted as fast as in one piece; with 1 MB parts, splicing after an alias's
# edit took 0.17 s, against 0.07 with these
PART = 1 << 17

Mark = list[int]  # [offset in the N-Quads, offset in the TriG] where a part starts
Edit = tuple[int, int, int]  # the old bytes [start, end) replaced by this many new bytes


def _graph(line: bytes) -> ox.NamedNode | ox.BlankNode | ox.DefaultGraph | None:
    """The graph of an N-Quads line; None for a line with no quad (blank, or a comment)."""
    for quad in ox.parse(line, format=ox.RdfFormat.N_QUADS):
        return quad.graph_name
    return None


def _other_graphs(before: bytes, line: bytes) -> bool:
    """Whether N-Quads ``line`` is in another graph than the line ``before`` it. Two lines ending
    in the same term are taken to be in one graph (a split missed is harmless), and so is a line
    with no quad (blank, or a comment); the graphs are parsed only where the last terms differ."""
    if line[line.rfind(b" ", 0, len(line) - 3):] == before[before.rfind(b" ", 0, len(before) - 3):]:
        return False
    graph, before_it = _graph(line), _graph(before)
    return graph is not None and before_it is not None and graph != before_it


def part_end(data: bytes, at: int) -> tuple[int | None, int]:
    """The first offset past 0, at or after ``at``, starting a line of ``data`` whose graph is
    not the graph of the line before it (:func:`_other_graphs`; None when its complete lines hold
    none), and where a later search may go on from."""
    start = data.find(b"\n", max(at, 1) - 1) + 1
    if start == 0:
        return None, at
    before = data.rfind(b"\n", 0, start - 1) + 1
    previous = data[before:start]
    while True:
        end = data.find(b"\n", start) + 1
        if end == 0:
            return None, before + 1  # ``start`` begins a line not yet complete
        line = data[start:end]
        if _other_graphs(previous, line):
            return start, start
        before, start, previous = start, end, line


def trig_of(nquads: bytes, prefixes: dict[str, str] | None, first: bool) -> bytes:
    """The TriG of N-Quads that start a graph block; without its prefix lines unless ``first``."""
    text = ox.serialize(ox.parse(nquads, format=ox.RdfFormat.N_QUADS), None, ox.RdfFormat.TRIG,
                        prefixes=prefixes or None)
    if first:
        return text
    at = 0
    while text.startswith(b"@prefix ", at):
        at = text.index(b"\n", at) + 1
    return text[at:]


def convert(read: Callable[[int], bytes], write: Callable[[bytes], object], prefixes: dict[str, str] | None,
            at: tuple[int, int] = (0, 0), first: bool = True, part: int = PART) -> list[Mark]:
    """N-Quads read in pieces (``read(n)`` gives at most ``n`` bytes, and b"" at their end)
    written as TriG, part by part; the marks of the parts, counted from ``at``. The first part
    has the prefix lines when ``first``."""
    marks: list[Mark] = []
    nquads, trig = at
    buffer, searched, ended = b"", part, False
    while not ended:
        piece = read(part)
        ended = not piece
        buffer += piece
        while buffer:
            if ended:
                end: int | None = len(buffer)
            else:
                end, searched = part_end(buffer, searched)
                if end is None:
                    break
            text = trig_of(buffer[:end], prefixes, first)
            write(text)
            marks.append([nquads, trig])
            nquads, trig, first = nquads + end, trig + len(text), False
            buffer, searched = buffer[end:], part
    return marks


def checked_marks(marks: object, nquads: int, trig: int) -> list[Mark]:
    """``marks`` as recorded, checked to be parts of files of these sizes; ValueError if not."""
    if not (isinstance(marks, list) and marks and marks[0] == [0, 0]
            and all(isinstance(m, list) and len(m) == 2 and all(type(x) is int for x in m) for m in marks)
            and all(a[0] < b[0] and a[1] < b[1] for a, b in pairwise(marks))
            and marks[-1][0] < nquads and marks[-1][1] < trig):
        raise ValueError("the TriG's recorded parts do not fit its files")
    return marks


def _starts_part(nquads: bytes, trig: bytes, at: int, trig_at: int, prefixes: dict[str, str] | None) -> bool:
    """Whether a part of ``nquads`` starts at ``at`` and its TriG at ``trig_at``: a line starts
    at ``at`` in a graph not the line's before, and the TriG there starts as that line's own
    (its graph's opening and its triple, up to what ends the triple)."""
    if not (0 < at < len(nquads) and 0 < trig_at < len(trig) and nquads[at - 1] == 10 and trig[trig_at - 1] == 10):
        return False
    line = nquads[at:nquads.find(b"\n", at) + 1]
    if not _other_graphs(nquads[nquads.rfind(b"\n", 0, at - 1) + 1:at], line):
        return False
    own = trig_of(line, prefixes, False)
    own = own[:own.rindex(b" .\n")]  # its triple without its end (the part's next triple may follow with ; or ,)
    return trig.startswith(own, trig_at)


def splice(old_nquads: bytes, old_trig: bytes, marks: object, new_nquads: bytes, edits: Sequence[Edit],
           prefixes: dict[str, str] | None) -> tuple[list[bytes], list[Mark]]:
    """The TriG of ``new_nquads``, which are ``old_nquads`` with ``edits`` made (in order, none
    overlapping), as pieces, and its marks: the parts of ``old_trig`` (whose marks are
    ``marks``) that no edit touches, and the new N-Quads between them converted. A part's start
    is kept where neither the line before it nor its own line changed and no line was put in
    between: the two lines, still side by side, are still in two graphs. ValueError when the
    marks do not fit the files."""
    points = [*checked_marks(marks, len(old_nquads), len(old_trig)), [len(old_nquads), len(old_trig)]]
    kept: list[tuple[int, int, int]] = []  # (offset in the old N-Quads, in the new, in the old TriG)
    shift, done = 0, 0  # the change in size of the edits ending before the point; how many those are
    for index, (nquads, trig) in enumerate(points):
        while done < len(edits) and edits[done][1] < nquads:
            start, end, size = edits[done]
            shift, done = shift + size - (end - start), done + 1
        touched = done < len(edits) and edits[done][0] <= nquads
        if index == 0:
            kept.append((0, 0, 0))
        elif index == len(points) - 1:
            kept.append((nquads, len(new_nquads), trig))
        elif not touched:
            if not _starts_part(old_nquads, old_trig, nquads, trig, prefixes):
                raise ValueError("the TriG's recorded parts do not fit its files")
            kept.append((nquads, nquads + shift, trig))
    pieces: list[bytes] = []
    new_marks: list[Mark] = []
    size, first = 0, 0

    def write(piece: bytes) -> None:
        nonlocal size
        pieces.append(piece)
        size += len(piece)

    for (old_from, new_from, trig_from), (old_to, new_to, trig_to) in pairwise(kept):
        while first < len(edits) and edits[first][1] < old_from:
            first += 1
        if first < len(edits) and edits[first][0] <= old_to:  # an edit inside: converted again
            span = memoryview(new_nquads)[new_from:new_to]
            taken = 0

            def read(count: int, span: memoryview = span) -> bytes:
                nonlocal taken
                piece = bytes(span[taken:taken + count])
                taken += len(piece)
                return piece

            new_marks += convert(read, write, prefixes, (new_from, size), first=old_from == 0)
        else:
            new_marks.append([new_from, size])
            write(old_trig[trig_from:trig_to])
    return pieces, new_marks
