"""A rebuild that made its N-Quads from the replaced build's makes its TriG from the replaced
build's too: the parts no edit touched copied, the others converted again (graph/trigblocks.py).
The TriG is the bytes converting the whole gives, and its marks fit it for the next rebuild."""

from __future__ import annotations

import io
from itertools import pairwise

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sensekg.graph import rdfio, trigblocks
from sensekg.graph.buildio import NQUADS

PART = 1 << 13  # small parts, so that a sample of the build has many


@pytest.fixture(scope="module")
def sample(built):
    """About 600 kB of the build's N-Quads, some of its lines moved into the default graph and a
    few into a graph of their own (a graph block of one line), converted in parts."""
    lines = (built[1] / NQUADS).read_bytes()[:600_000].splitlines(keepends=True)[:-1]
    for index in range(100, len(lines), 997):
        lines[index] = moved(lines[index], None)
    for index in range(300, len(lines), 1499):
        lines[index] = moved(lines[index], "https://example.org/elsewhere")
    data = b"".join(lines)
    pieces: list[bytes] = []
    marks = trigblocks.convert(io.BytesIO(data).read, pieces.append, rdfio.PREFIXES, part=PART)
    assert b"".join(pieces) == whole(data) and len(marks) > 40
    return lines, data, b"".join(pieces), marks


def moved(line: bytes, graph: str | None) -> bytes:
    quad = next(iter(ox.parse(line, format=ox.RdfFormat.N_QUADS)))
    return ox.serialize([ox.Quad(quad.subject, quad.predicate, quad.object,
                                 ox.NamedNode(graph) if graph else ox.DefaultGraph())], None,
                        ox.RdfFormat.N_QUADS)


def whole(data: bytes) -> bytes:
    return ox.serialize(ox.parse(data, format=ox.RdfFormat.N_QUADS), None, ox.RdfFormat.TRIG,
                        prefixes=rdfio.PREFIXES)


# where (anywhere, or at the first line, a part's start, the end, or the line before), how many lines taken out, and the
# lines put in: a copy of the line there or of the line before (in its graph), or of the line
# there moved into the default graph or another graph
EDIT = st.tuples(st.tuples(st.booleans(), st.integers(0, 10**9), st.integers(-1, 0)), st.integers(0, 12),
                 st.lists(st.sampled_from(["here", "before", None, "https://example.org/g"]), max_size=4))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(EDIT, max_size=6))
@example([((True, -1, 0), 0, ["before"])])  # a line put at the end
@example([((True, 0, 0), 1, ["here", None])])  # the first line replaced
@example([((True, 1, 0), 0, ["before"])])  # a line in the graph before put at a part's start
def test_a_spliced_trig_is_the_whole_conversion_and_its_marks_fit_it(sample, edits):
    """Runs of lines taken out and lines put in anywhere: at the first line, at the parts' starts,
    at the end."""
    lines, data, trig, marks = sample
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    by_offset = {offset: index for index, offset in enumerate(starts)}
    changes = {}  # line index -> (lines taken out from there, lines put in before them)
    places = [0, *(by_offset[nquads] for nquads, _ in marks[1:]), len(lines)]
    for (at_mark, position, before), count, added in edits:
        if at_mark:
            position = max(places[position % len(places)] + before, 0)
        changes[position % (len(lines) + 1)] = (count, added)
    new_lines, made, taken = [], [], 0
    for index in range(len(lines) + 1):
        if index in changes and index >= taken:
            count, added = changes[index]
            here, before = lines[min(index, len(lines) - 1)], lines[max(index - 1, 0)]
            put = [here if graph == "here" else before if graph == "before" else moved(here, graph) for graph in added]
            new_lines += put
            taken = min(index + count, len(lines))
            made.append([starts[index], starts[taken], sum(map(len, put))])
        if index < len(lines) and index >= taken:
            new_lines.append(lines[index])
    edits_made: list[list[int]] = []
    for start, end, size in made:  # touching edits are one, as SortedText.spliced records them
        if edits_made and edits_made[-1][1] >= start:
            edits_made[-1][1:] = [end, edits_made[-1][2] + size]
        elif start < end or size:
            edits_made.append([start, end, size])
    new = b"".join(new_lines)
    pieces, new_marks = trigblocks.splice(data, trig, marks, new, [tuple(e) for e in edits_made], rdfio.PREFIXES)
    spliced = b"".join(pieces)
    assert spliced == whole(new)
    trigblocks.checked_marks(new_marks, len(new) + 1, len(spliced) + 1)
    bounds = [*new_marks, [len(new), len(spliced)]]
    for (nquads, text), (nquads_end, text_end) in pairwise(bounds):  # each part is its own TriG
        assert trigblocks.trig_of(new[nquads:nquads_end], rdfio.PREFIXES, nquads == 0) == spliced[text:text_end]


def test_marks_that_do_not_fit_the_files_are_refused(sample):
    """Marks out of order or out of the files, and a part's start moved by a whole line in
    either file (each still at a line's start): each part kept must start where its first
    line's own TriG does."""
    lines, data, trig, marks = sample
    moved_lines = [m[:] for m in marks]
    moved_lines[7][0] += len(data[moved_lines[7][0]:].split(b"\n", 1)[0]) + 1
    moved_trig = [m[:] for m in marks]
    moved_trig[7][1] += len(trig[moved_trig[7][1]:].split(b"\n", 1)[0]) + 1
    for wrong in ([], [[0, 0], [5, 5], [3, 9]], [[0, 0], [len(data), 10]], [[1, 0]], {"0": 0}, [[0, 0], [5, "9"]],
                  moved_lines, moved_trig):
        with pytest.raises(ValueError):
            trigblocks.splice(data, trig, wrong, data, [], rdfio.PREFIXES)
    pieces, again = trigblocks.splice(data, trig, marks, data, [], rdfio.PREFIXES)
    assert b"".join(pieces) == trig and again == marks


def test_a_part_ends_only_where_the_graph_changes():
    """Two lines ending in the same term are one graph's; where the terms differ, the graphs are
    parsed: an IRI object in the default graph ends the line as a graph would."""
    same = b'<http://a/s> <http://a/p> "x" <http://a/g> .\n'
    default = b'<http://a/s> <http://a/p> <http://a/g> .\n'
    other = b'<http://a/s> <http://a/q> "y" <http://a/h> .\n'
    assert trigblocks.part_end(same * 3, 0) == (None, len(same) * 2 + 1)
    assert trigblocks.part_end(same + same + other + same, 0)[0] == len(same) * 2
    assert trigblocks.part_end(same + default + other, 0)[0] == len(same) + len(default)  # missed: harmless
    assert trigblocks.part_end(other + default, 0)[0] == len(other)
    assert trigblocks.part_end(same + other[:-5], 0)[0] is None  # the line is not whole yet
    for nothing in (b"\n", b"# a comment\n"):  # no quad there: no part ends at it or after it
        assert trigblocks.part_end(same + nothing + other, 0)[0] is None
        assert trigblocks.part_end(same + nothing + other + same, 0)[0] == len(same + nothing + other)


def test_a_build_replaced_meanwhile_is_not_spliced_from(tmp_path, built):
    """A rebuild reads the build it replaces before its work, and another build may replace that
    one meanwhile: the TriG then in the folder is not the TriG of the N-Quads the rebuild made its
    own from, and is not copied from (the TriG written is its N-Quads' own)."""
    import hashlib
    import json
    import shutil

    from sensekg.graph.build import build_dataset, inputs_digest, read_previous, write_outputs
    from sensekg.graph.buildio import INFO, NQUADS_SHA, TRIG, TRIG_PARTS, TRIG_SHA
    from sensekg.graph.memo import read_memo

    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    previous = read_previous(out, need_store=False)
    result = build_dataset(remember=True, memo=read_memo(out, previous.sha256), previous=previous.text)
    assert result.text is not None and result.text.edits is not None  # made from the replaced build's
    # the other build: one literal changed, with its TriG, marks and digests
    data = (out / NQUADS).read_bytes()
    at = data.index(b'"2024')
    data = data[:at] + b'"2099' + data[at + 5:]
    pieces: list[bytes] = []
    marks = trigblocks.convert(io.BytesIO(data).read, pieces.append, rdfio.PREFIXES)
    info = json.loads((out / INFO).read_text())
    info |= {NQUADS_SHA: hashlib.sha256(data).hexdigest(), TRIG_SHA: hashlib.sha256(b"".join(pieces)).hexdigest(),
             TRIG_PARTS: marks}
    (out / NQUADS).write_bytes(data)
    (out / TRIG).write_bytes(b"".join(pieces))
    (out / INFO).write_text(json.dumps(info))
    write_outputs(result, out, inputs=inputs_digest(), previous=previous)
    assert "splice TriG" not in result.timings
    assert (out / NQUADS).read_bytes() == (built[1] / NQUADS).read_bytes()
    assert (out / TRIG).read_bytes() == (built[1] / TRIG).read_bytes()


@pytest.mark.parametrize("damage", ["trig", "marks"])
def test_a_replaced_trig_or_marks_not_as_recorded_are_not_copied(tmp_path, built, damage):
    """A rebuild copies nothing of a replaced TriG whose SHA-256 is not the one its build
    recorded, nor parts whose recorded marks do not fall where parts can start: it converts its
    N-Quads whole, and its TriG is the one a build from nothing gives."""
    import json
    import shutil

    import sensekg
    from sensekg.graph.buildio import INFO, TRIG, TRIG_PARTS

    copy = tmp_path / "build"
    shutil.copytree(built[1], copy)
    if damage == "trig":  # a comment added: still TriG, the same quads
        with (copy / TRIG).open("ab") as stream:
            stream.write(b"# changed by hand\n")
    else:  # a part's start moved into the middle of a line
        info = json.loads((copy / INFO).read_text())
        info[TRIG_PARTS][5][0] += 7
        (copy / INFO).write_text(json.dumps(info))
    result = sensekg.build(out=copy, force=True).result
    assert result.recalled["lines"] == result.recalled["subjects"] and "splice TriG" in result.timings
    assert (copy / TRIG).read_bytes() == (built[1] / TRIG).read_bytes()
    assert json.loads((copy / INFO).read_text())[TRIG_PARTS] == json.loads((built[1] / INFO).read_text())[TRIG_PARTS]
