"""A rebuild updates the replaced build's store instead of writing it whole, and the store it
leaves is exactly the one a whole write gives: named graphs and their deduplicated union."""

from __future__ import annotations

import json
import shutil
from itertools import pairwise

import pyoxigraph as ox
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sensekg
from sensekg.graph import rdfio
from sensekg.graph.build import STORE_CHANGES, Previous, read_previous, update_store
from sensekg.graph.buildio import INFO, NQUADS, STORE, TRIG, changed_store_files, load_quads, store_digests
from sensekg.graph.diff import fact_changes
from sensekg.graph.validate import cache_path
from sensekg.loaders.datafiles import data_dir
from sensekg.loaders.vocab import EVIDENCE

REWORDED = "Income from contracts with customers in the period, as reported under IFRS."


def contents(store: ox.Store) -> set[bytes]:
    """The store's quads as N-Quads lines, as the store itself writes them (literals by value)."""
    return set(store.dump(format=ox.RdfFormat.N_QUADS).splitlines())


def test_update_gives_the_store_a_whole_write_gives(built):
    """On the real facts (evidence nodes left out, to keep it fast): remove a triple that another
    report's graph still holds and one that no other graph holds, add a triple that already is in
    another graph, a new one, and a decimal whose lexical form changed."""
    quads = [q for q in built[0].quads if not q.subject.value.startswith(str(EVIDENCE))]
    graphs: dict[ox.Triple, list[ox.Quad]] = {}
    for quad in quads:
        graphs.setdefault(quad.triple, []).append(quad)
    shared = next(held for held in graphs.values() if len(held) > 1)
    single = next(held for held in graphs.values() if len(held) == 1 and held[0].graph_name != shared[0].graph_name)
    others = {q.graph_name for q in quads} - {q.graph_name for q in shared}
    decimal = next(q for q in quads if isinstance(q.object, ox.Literal) and q.object.datatype.value.endswith("#decimal")
                   and "." not in q.object.value)
    removed = [shared[0], single[0], decimal]
    added = [ox.Quad(shared[0].subject, shared[0].predicate, shared[0].object, next(iter(others))),
             ox.Quad(ox.NamedNode("https://w3id.org/sensekg/id/test-node"), single[0].predicate, single[0].object,
                     single[0].graph_name),
             ox.Quad(decimal.subject, decimal.predicate,
                     ox.Literal(decimal.object.value + ".0", datatype=decimal.object.datatype), decimal.graph_name)]
    changed = [q for q in quads if q not in set(removed)] + added

    updated = rdfio.store(quads)
    rdfio.update(updated, removed, added)
    whole = rdfio.store(changed)
    assert contents(updated) == contents(whole)
    # the shared triple stays in the union, the single one leaves it
    union = ox.DefaultGraph()
    assert ox.Quad(*shared[0].triple, union) in updated
    assert ox.Quad(*single[0].triple, union) not in updated
    assert len(updated) == len(whole)


@pytest.fixture(scope="module")
def rebuilt(module_tmp, built):
    """A copy of the real build, validated, then rebuilt after one record changed (a measure's
    definition): the build, the outcome of the rebuild, and the validation of the build it
    replaced. The tests only read the store; validating again changes only the kept results.
    ``unvalidated`` and ``data`` are copies, taken before any test validated, to build on."""
    root = module_tmp("rebuilt")
    out, data = root / "build", root / "data"
    shutil.copytree(built[1], out)
    shutil.copytree(data_dir(), data, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    first = sensekg.validate(out)  # the results of the build about to be replaced
    measures = data / "measures.toml"
    text = measures.read_text(encoding="utf-8")
    assert REWORDED in text
    measures.write_text(text.replace(REWORDED, REWORDED + " (reworded)"), encoding="utf-8")
    outcome = sensekg.build(out=out, data=data, force=True)
    shutil.copytree(out, root / "unvalidated")
    shutil.copy(cache_path(out), cache_path(root / "unvalidated"))  # the kept results live beside the folder
    return out, outcome, first


def test_a_rebuild_updates_the_store_into_the_one_its_trig_gives(rebuilt):
    out, outcome, _ = rebuilt
    assert "update store" in outcome.result.timings and "write store" not in outcome.result.timings
    info = json.loads((out / INFO).read_text(encoding="utf-8"))
    assert info[STORE_CHANGES] == 2  # the definition's old and new wording, in the ontology graph
    with_reworded = ox.Literal(REWORDED + " (reworded)")
    assert any(True for _ in ox.Store.read_only(str(out / STORE)).quads_for_pattern(None, None, with_reworded))
    assert contents(ox.Store.read_only(str(out / STORE))) == contents(rdfio.store(load_quads(out)))
    assert not changed_store_files(out)  # the recorded store digests are those of what was written


def test_a_store_changed_since_the_build_is_written_whole(tmp_path, built):
    """A SPARQL Update (``--writable``) changes the store on purpose; the next build does not
    start from it."""
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    sensekg.update(out, "INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> <urn:c> } }")
    outcome = sensekg.build(out=out, force=True)
    assert "write store" in outcome.result.timings and "update store" not in outcome.result.timings
    # written whole as a fresh build writes it (its contents are checked against the TriG in
    # test_cli); here, that the update's graph is gone and the counts are the build's
    written = ox.Store.read_only(str(out / STORE))
    assert not any(True for _ in written.quads_for_pattern(ox.NamedNode("urn:a"), None, None))
    count = "SELECT (COUNT(*) AS ?n) WHERE { %s }"
    union = {q.triple for q in built[0].quads}
    assert int(next(iter(written.query(count % "GRAPH ?g { ?s ?p ?o }")))["n"].value) == len(built[0].quads)
    assert int(next(iter(written.query(count % "?s ?p ?o")))["n"].value) == len(union)


def test_updating_a_checkpoint_leaves_the_store_it_came_from_as_it_was(tmp_path, built):
    """The checkpoint shares the old store's files through hard links; changing it writes new
    files and never touches those."""
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    before = store_digests(out / STORE)
    previous = read_previous(out)
    gone = next(q for q in previous.quads if q.predicate.value.endswith("#quote"))
    new = ox.Quad(gone.subject, gone.predicate, ox.Literal("another quote"), gone.graph_name)
    lines = sorted(str(new) if q == gone else str(q) for q in previous.quads)
    assert update_store(tmp_path / "store", lines, out, previous) == 2
    assert store_digests(out / STORE) == before
    assert any((tmp_path / "store" / name).exists()
               and (tmp_path / "store" / name).stat().st_ino == (out / STORE / name).stat().st_ino for name in before)
    updated = ox.Store.read_only(str(tmp_path / "store"))
    assert new in updated and gone not in updated
    assert ox.Quad(*new.triple, ox.DefaultGraph()) in updated and ox.Quad(*gone.triple, ox.DefaultGraph()) not in updated
    assert len(updated) == len(ox.Store.read_only(str(out / STORE)))


def test_the_account_of_changed_facts_is_the_same_from_the_quads_that_changed(built):
    """The build works out the quads removed and added once, for the store and for the facts it
    prints; the facts from those are the facts from comparing the two builds whole."""
    old = built[0].quads
    fact = next(q for q in old if "/report/" in q.graph_name.value and q.predicate.value.endswith("#label"))
    evidence = next(q for q in old if q.subject.value.startswith(str(EVIDENCE)))
    new = [q for q in old if q not in (fact, evidence)]
    new.append(ox.Quad(fact.subject, fact.predicate, ox.Literal("A new label"), fact.graph_name))
    previous = Previous.of_quads(old)
    whole = fact_changes(old, new)
    assert whole[0] == "1 fact(s) added, 1 removed since the last build:"
    assert fact_changes(old, new, changed=previous.changes(sorted(str(q) for q in new))) == whole


def test_the_build_n_quads_are_its_quads_in_the_trig_order(built):
    """``sensekg.nq`` holds the TriG's quads, one line each, in the order the build sorted them;
    a rebuild reads those lines back as they were made."""
    from sensekg.graph.build import NQUADS_SHA
    from sensekg.graph.buildio import read_info
    from sensekg.loaders.reports import sha256_of

    result, out = built
    previous = read_previous(out)
    assert previous.recorded_as == NQUADS_SHA and previous.sha256 == read_info(out)[NQUADS_SHA]
    assert previous.lines == result.lines == [str(q) for q in result.quads]
    assert set(ox.parse(path=str(out / NQUADS), format=ox.RdfFormat.N_QUADS)) == \
        set(ox.parse(path=str(out / TRIG), format=ox.RdfFormat.TRIG))
    assert sha256_of(out / NQUADS) == previous.sha256


def test_a_build_whose_n_quads_changed_is_read_from_its_trig(tmp_path, built):
    from sensekg.graph.build import TRIG_SHA
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    with (out / NQUADS).open("a", encoding="utf-8") as stream:
        stream.write("<urn:a> <urn:b> <urn:c> <urn:g> .\n")
    previous = read_previous(out)
    assert previous.recorded_as == TRIG_SHA and previous.lines == built[0].lines


def test_validate_after_a_rebuild_checks_only_what_the_build_recorded_as_changed(rebuilt):
    from sensekg.graph.build import CHANGED

    out, _, first = rebuilt
    assert first.conforms and first.checked == first.subjects
    assert json.loads((out / INFO).read_text(encoding="utf-8"))[CHANGED]["subjects"] == \
        ["<https://w3id.org/sensekg/measure/revenue>"]
    again = sensekg.validate(out)
    assert again.conforms and again.checked == 1 and again.subjects == first.subjects
    assert sensekg.validate(out, full=True).violations == again.violations


@given(st.sets(st.text(max_size=4), max_size=300), st.sets(st.text(max_size=4), max_size=300))
def test_the_walk_along_two_builds_lines_finds_what_comparing_sets_finds(old, new):
    from sensekg.graph.build import sorted_difference

    before, after = sorted(old), sorted(new)
    gone, came = sorted_difference(before, after, run=4)
    assert gone == sorted(old - new) and [after[i] for i in came] == sorted(new - old)


# lines as N-Quads holds them: no line break, any other character (UTF-8 bytes sort as code points)
LINE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=5)


@given(st.sets(LINE, max_size=300), st.sets(LINE, max_size=300), st.integers(1, 9))
def test_the_replaced_builds_bytes_compared_block_by_block_find_what_comparing_sets_finds(old, new, size):
    """A rebuild compares its N-Quads, block by block as they are written, with the bytes of the
    build it replaces, decoding only the stretches that differ."""
    from sensekg.graph.build import SortedText, nquads_blocks

    before, after = sorted(old), sorted(new)
    gone, came = SortedText.of_lines(before).difference(after, nquads_blocks(after, size))
    assert gone == sorted(old - new) and [after[i] for i in came] == sorted(new - old)


HEAD = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n "), min_size=1, max_size=3)


@given(st.sets(st.tuples(HEAD, LINE), max_size=200), st.sets(HEAD, max_size=20),
       st.sets(st.tuples(HEAD, LINE), max_size=50))
def test_the_replaced_builds_bytes_spliced_are_the_lines_a_set_gives(old, heads, new):
    """A rebuild that recalled most subjects (graph/memo.py) makes its N-Quads from the replaced
    build's: the runs of the stale subjects' lines (a term and a space) cut out, the lines made
    merged in."""
    from sensekg.graph.build import SortedText

    lines = sorted({f"{head} {rest}" for head, rest in old})
    kept = [line for line in lines if line.split(" ", 1)[0] not in heads]
    added = sorted({f"{head} {rest}" for head, rest in new} - set(kept))
    old_text = SortedText.of_lines(lines)
    text, gone = old_text.spliced([f"{head} " for head in heads], added)
    assert text.lines() == sorted({*kept, *added}) and len(text) == len(kept) + len(added)
    assert gone == [line for line in lines if line.split(" ", 1)[0] in heads]
    # its edits (for its TriG, see trigblocks.splice), in order, apart, made on the old text, give the new
    at = made = 0
    for number, (start, end, size) in enumerate(text.edits):
        assert (at < start if number else start >= 0) and start <= end and (start < end or size)
        assert old_text.data[at:start] == text.data[made:made + start - at]
        made, at = made + start - at + size, end
    assert old_text.data[at:] == text.data[made:]


@given(st.sets(LINE, max_size=100), LINE)
def test_a_line_found_in_the_bytes_is_the_one_found_in_the_lines(lines, prefix):
    from sensekg.graph.build import SortedText, starting

    ordered = sorted(lines)
    expected = next((line for line in ordered if line.startswith(prefix)), None)
    assert starting(ordered, prefix) == starting(SortedText.of_lines(ordered), prefix) == expected


def test_the_record_of_changes_spans_builds_not_validated_and_a_fresh_one(tmp_path, rebuilt):
    """Two rebuilds without a validation between them (the module's rebuild, then one more with
    --fresh): the second build's record reaches back to the build the kept results are of, so
    validate still checks only what both changed; the same results again are reused whole."""
    from sensekg.graph.build import CHANGED

    _, _, first = rebuilt
    root = rebuilt[0].parent
    out, data = tmp_path / "build", tmp_path / "data"
    shutil.copytree(root / "unvalidated", out)  # rebuilt once since the kept results, not validated
    shutil.copy(cache_path(root / "unvalidated"), cache_path(out))
    shutil.copytree(root / "data", data)  # with the reworded definition
    products = data / "entities" / "products.toml"
    products.write_text(products.read_text(encoding="utf-8").replace(', "SenseTime AI Infrastructure"', ""),
                        encoding="utf-8")
    sensekg.build(out=out, data=data, force=True, fresh=True)
    record = json.loads((out / INFO).read_text(encoding="utf-8"))[CHANGED]
    assert len(record["steps"]) == 2 and "<https://w3id.org/sensekg/measure/revenue>" in record["subjects"]
    assert "<https://w3id.org/sensekg/id/sensecore>" in record["subjects"]
    again = sensekg.validate(out)
    assert again.conforms and 0 < again.checked <= len(record["subjects"])
    assert sensekg.validate(out).checked == 0  # this build's results, kept
    full = sensekg.validate(out, full=True)
    assert full.violations == again.violations and full.subjects == again.subjects == first.subjects - 1  # evidence


def test_the_trig_written_in_a_child_process_is_pyoxigraphs_serialisation_of_the_quads(tmp_path, built):
    """The build writes its TriG from its N-Quads in a child process, beside its own work: the
    bytes are those of serialising the build's quads here."""
    result, out = built
    conversion = rdfio.Conversion(out / NQUADS, tmp_path / "again.trig")
    assert conversion.child is not None
    conversion.wait()
    assert not conversion.done_here, "the child failed and the TriG was written in this process"
    assert (tmp_path / "again.trig").read_bytes() == (out / TRIG).read_bytes() == rdfio.write(result.quads, None, "trig")


@pytest.mark.parametrize("fails", [False, True])
def test_a_trig_converted_in_parts_as_the_n_quads_are_written_is_the_whole_serialisation(
        tmp_path, built, monkeypatch, fails):
    """The build's child converts its N-Quads as they are written, part by part (trigblocks),
    and gives the parts' marks, which the build records; a child that fails leaves the whole
    to this process, with the same bytes and marks."""
    from sensekg.graph.buildio import TRIG_PARTS

    out = built[1]
    data = (out / NQUADS).read_bytes()
    if fails:
        monkeypatch.setattr(rdfio, "_CONVERT", "raise SystemExit(1)")
    source, target = tmp_path / "x.nq", tmp_path / "x.trig"
    conversion = rdfio.Conversion(source, target, follow=True, parts=True)
    with source.open("wb") as stream:  # written a block at a time, as the child reads
        for start in range(0, len(data), 1 << 19):
            stream.write(data[start:start + (1 << 19)])
            stream.flush()
    conversion.end()
    conversion.wait()
    assert conversion.done_here == fails
    assert target.read_bytes() == (out / TRIG).read_bytes()
    marks = json.loads((out / INFO).read_text())[TRIG_PARTS]
    assert conversion.marks == marks and len(marks) > 50
    for (nquads, trig), (after, _) in pairwise(marks[1:]):  # each part starts a graph block
        assert data[nquads - 1:nquads] == b"\n" and target.read_bytes()[trig - 2:trig] == b"}\n"
        assert data[:nquads].rsplit(b" ", 2)[-2] != data[nquads:after].split(b" .\n", 1)[0].rsplit(b" ", 1)[-1]


@pytest.mark.parametrize("why", ["no interpreter", "no pyoxigraph there"])
def test_a_conversion_whose_child_cannot_run_is_done_in_this_process(tmp_path, built, monkeypatch, why):
    if why == "no interpreter":
        monkeypatch.setattr(rdfio.sys, "executable", "")
    else:
        monkeypatch.setattr(rdfio, "_CONVERT", "raise ImportError('No module named pyoxigraph')")
    conversion = rdfio.Conversion(built[1] / NQUADS, tmp_path / "here.trig")
    conversion.wait()
    assert conversion.done_here
    assert (tmp_path / "here.trig").read_bytes() == (built[1] / TRIG).read_bytes()


def test_the_childs_os_error_is_raised_with_its_errno_and_file(tmp_path, built):
    """pyoxigraph's own error names no file and carries its errno only in its message."""
    import errno

    target = tmp_path / "gone" / "x.trig"
    with pytest.raises(OSError) as raised:
        rdfio.Conversion(built[1] / NQUADS, target).wait()
    assert (raised.value.errno, raised.value.filename) == (errno.ENOENT, str(target))


def test_a_child_whose_error_cannot_be_read_is_an_error_naming_the_target(tmp_path, built, monkeypatch):
    monkeypatch.setattr(rdfio, "_CONVERT", "import sys; sys.stderr.write('not JSON'); sys.exit(3)")
    with pytest.raises(OSError) as raised:
        rdfio.Conversion(built[1] / NQUADS, tmp_path / "x.trig").wait()
    assert raised.value.filename == str(tmp_path / "x.trig") and str(NQUADS) in raised.value.strerror


def test_a_cancelled_conversion_leaves_no_child(tmp_path, built):
    conversion = rdfio.Conversion(built[1] / NQUADS, tmp_path / "x.trig")
    child = conversion.child
    conversion.cancel()
    assert conversion.child is None and child.returncode is not None


def test_labels_looked_up_in_the_lines_are_those_of_the_whole_table(built):
    """The account of changed facts after a rebuild looks each label up in the sorted lines
    (new build first, then the replaced one) instead of building both builds' tables: the same
    label for every subject of the build, None where there is none, and the new build's first."""
    from sensekg.graph.build import LineLabels, SortedText, labels_of_lines

    lines = built[0].lines
    table = labels_of_lines(lines)
    assert labels_of_lines(SortedText.of_lines(lines)) == table  # found in the bytes, as a rebuild has them
    looked_up = LineLabels(lines)
    subjects = {ox.NamedNode(line[1:line.index(">")]) for line in lines}
    assert len(table) > 4000 and all(looked_up.get(s) == table.get(s) for s in subjects)
    assert looked_up.get(ox.Literal("SenseTime")) is None and looked_up.get(ox.NamedNode("urn:none"), "-") == "-"
    sensecore = next(s for s, label in table.items() if label == "SenseCore")
    renamed = sorted(line.replace('"SenseCore"', '"SenseCore, renamed"') if line.startswith(f"{sensecore} ") else line
                     for line in lines)
    assert LineLabels(renamed, lines).get(sensecore) == "SenseCore, renamed"
    assert LineLabels([], lines).get(sensecore) == "SenseCore"


@pytest.mark.parametrize("failing", ["graphs", "union"])
def test_a_failed_load_of_the_graphs_or_the_union_is_raised_after_both_ended(tmp_path, built, failing):
    """The graphs and their union are loaded at once (``rdfio.fill_from_nquads``): whichever
    fails, its error is raised, and only once the other load has ended (the store is closed and
    its folder removed after it, so no load may still be writing there)."""
    import threading

    good = (built[1] / NQUADS).read_bytes()
    # a literal for a graph name breaks the graphs only (its union line is a good triple); a
    # triple with no graph is a good quad, and cutting off its "graph" breaks the union only
    bad = b'<urn:a> <urn:b> <urn:c> "g" .\n' if failing == "graphs" else b"<urn:a> <urn:b> <urn:c> .\n"
    nquads = tmp_path / "bad.nq"
    nquads.write_bytes(good + bad)
    store = ox.Store(str(tmp_path / "store"))
    with pytest.raises(SyntaxError):
        rdfio.fill_from_nquads(store, nquads)
    assert not [t for t in threading.enumerate() if t.name.startswith("sensekg-graphs")]
    # the other load went to its end: the graphs' quads, or the union's triples, are all in
    count = "SELECT (COUNT(*) AS ?n) WHERE { %s }"
    held = store.query(count % ("?s ?p ?o" if failing == "graphs" else "GRAPH ?g { ?s ?p ?o }"))
    assert int(next(iter(held))["n"].value) == (len({line.rsplit(b" ", 2)[0] for line in (good + bad).splitlines()})
                                                if failing == "graphs" else len(good.splitlines()))


@given(st.lists(st.binary(max_size=40), max_size=30), st.lists(st.integers(1, 50), min_size=1, max_size=20))
def test_the_lines_reader_gives_the_lines_joined_whatever_the_reads(lines, sizes):
    """The union is bulk-loaded from a file-like reader making its lines as they are read;
    whatever sizes the loader reads, it gets the lines' bytes in order, then the end."""
    reader, got = rdfio.LinesReader(lines), []
    for size in sizes * 100:
        chunk = reader.read(size)
        if not chunk:
            break
        assert len(chunk) <= size
        got.append(chunk)
    assert b"".join(got) == b"".join(lines)[:sum(len(c) for c in got)]
    assert b"".join(got) + reader.read() == b"".join(lines)


def test_an_empty_n_quads_file_fills_an_empty_store(tmp_path):
    nquads = tmp_path / "empty.nq"
    nquads.write_bytes(b"")
    assert len(rdfio.fill_from_nquads(ox.Store(), nquads)) == 0


def test_a_large_n_quads_file_loads_the_graphs_and_the_union_in_turn_into_the_same_store(tmp_path, built, monkeypatch):
    """Above ``rdfio.AT_ONCE`` bytes the two loads run one after the other (at once, they held
    1.6 times the memory for 0.91 of the time at 10x); the store is the same."""
    nquads = built[1] / NQUADS
    at_once = rdfio.fill_from_nquads(ox.Store(), nquads)
    monkeypatch.setattr(rdfio, "AT_ONCE", 0)
    monkeypatch.setattr(rdfio, "ThreadPoolExecutor", None)  # not reached in turn
    in_turn = rdfio.fill_from_nquads(ox.Store(), nquads)
    assert contents(in_turn) == contents(at_once)
