"""A rebuild recalls each fact subject's grounding and lines from the replaced build's memo
(graph/memo.py) where their inputs are the same, and gives exactly what working it all out
again gives: after edits of every kind of record, one after another, the lines, origins,
index entries, tallies and summary equal a fresh build's of the same data."""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3

import pytest

import sensekg
from sensekg.graph import rdfio, trigblocks
from sensekg.graph.build import build_dataset, labels_of_lines, read_previous, write_origins
from sensekg.graph.buildio import INDEX, MEMO, NQUADS, ORIGINS, TRIG
from sensekg.graph.evidence_index import write_index
from sensekg.graph.memo import read_memo
from sensekg.loaders.reports import clean_text

DEFINITION = "Income from contracts with customers in the period, as reported under IFRS."
STATEMENTS = "reports/annual-results-2024/statements-products.toml"
SEGMENT_CITE = '  "annual-results-2024:53 | SenseCore – “the AI Infrastructure that Best Understands Large Models”",\n'
SMART_PILOT = '''[[about]]
subject = "smart-pilot"
segment = "segment-2024-smart-auto"
cite = [
  "annual-results-2024:210 | Our Smart Auto revenue decreased",
  "annual-results-2024:210 | strategic focus on Smart Cabin and Smart Pilot",
]
'''
# (file, [(text, replacement), ...], what the build must have recalled: subjects' grounding, their lines)
EDITS = [
    ("measures.toml", [(DEFINITION, DEFINITION + " (reworded)")], ("grounding", "lines")),  # the ontology graph only
    (STATEMENTS, [(SEGMENT_CITE, ""), (SMART_PILOT, "")], ("grounding", "lines")),  # a citation fewer; a record gone
    ("entities/products.toml", [(', "SenseTime AI Infrastructure"', "")], ("grounding", "lines")),  # a name
    ("reports/annual-results-2024/tables.toml",
     [('line = 404\nunit = "HK$ million"\nrename = { "Total" = "all purposes" }',
       'line = 404\nunit = "HK$ million"\nrename = { "Total" = "every purpose" }')], ("grounding", "lines")),
    # (the rules read a table otherwise: new measures, so new names; the other subjects are recalled)
]


def same_as_fresh(result, data) -> None:
    fresh = build_dataset(data=data)
    assert result.lines == fresh.lines
    assert result.origins == fresh.origins
    assert result.cited == fresh.cited
    assert result.fact_count == len(fresh.facts)
    assert result.grounding.counts == fresh.grounding.counts
    assert result.grounding.unstated == fresh.grounding.unstated
    assert result.grounding.variants == fresh.grounding.variants
    assert result.summary() == fresh.summary()
    return fresh


@pytest.fixture(scope="module")
def recalled(module_tmp):
    """A data folder and a build folder built from it, fresh."""
    folder = module_tmp("memo")
    data = folder / "data"
    from sensekg.loaders.datafiles import data_dir

    shutil.copytree(data_dir(), data, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    out = folder / "build"
    first = sensekg.build(out=out, data=data, fresh=True)
    assert (out / MEMO).is_file() and first.result.recalled == {"grounding": 0, "lines": 0,
                                                                "subjects": first.result.recalled["subjects"]}
    return data, out


def test_a_rebuild_of_the_same_data_recalls_every_subject(recalled, built):
    data, out = recalled
    result = sensekg.build(out=out, data=data, force=True).result
    assert result.recalled["grounding"] == result.recalled["lines"] == result.recalled["subjects"] > 4000
    assert result.lines == built[0].lines and result.cited == built[0].cited
    assert result.origins.keys() == built[0].origins.keys()  # the records' paths differ: a copy of the data
    assert result.summary() == built[0].summary()
    def told(facts):  # the facts, less where they came from (the records' paths differ)
        return [(f.subject, f.predicate, f.object, f.citations) for f in facts]

    assert told(result.facts) == told(built[0].facts)  # worked out again when asked for


@pytest.mark.parametrize("step", range(len(EDITS)))
def test_each_edit_gives_what_a_fresh_build_gives(recalled, step, tmp_path):
    """The edits apply one after another (the module's tests run in order), each on the build
    the last left."""
    data, out = recalled
    name, replacements, kinds = EDITS[step]
    path = data / name
    text = path.read_text(encoding="utf-8")
    for old, new in replacements:
        assert text.count(old) == 1, f"{name}: the text this test edits has moved"
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    result = sensekg.build(out=out, data=data, force=True).result
    for kind in kinds:
        assert result.recalled[kind] > 0.9 * result.recalled["subjects"], (kind, result.recalled)
    if step:  # the edited subjects grounded again (a definition is in no fact)
        assert result.recalled["grounding"] < result.recalled["subjects"]
    fresh = same_as_fresh(result, data)
    if step == 1:  # the facts the graph is made of, worked out again when asked for
        assert result.facts == fresh.facts
    # the files written, or carried over from the replaced build where their inputs are the same:
    # the origins, the search index, and the TriG (made from the replaced build's: trigblocks)
    assert "splice TriG" in result.timings
    with (out / NQUADS).open("rb") as source:
        pieces: list[bytes] = []
        trigblocks.convert(source.read, pieces.append, rdfio.PREFIXES)
    assert (out / TRIG).read_bytes() == b"".join(pieces)
    write_origins(fresh.origins, tmp_path / ORIGINS)
    assert (out / ORIGINS).read_bytes() == (tmp_path / ORIGINS).read_bytes()
    write_index(fresh.cited, labels_of_lines(fresh.lines), tmp_path / INDEX,
                lambda report, line: clean_text(fresh.corpus.documents[report].line(line)))
    assert rows(out / INDEX) == rows(tmp_path / INDEX)
    if step == 0:  # the facts' lines all recalled: the origins and index files carried over
        assert result.unchanged == {"origins", "cited"}
        assert (out / TRIG).read_bytes() == rdfio.write(fresh.quads, None, "trig")
    if step == 2:  # an alias gone: its fact's evidence too
        assert "cited" not in result.unchanged


def rows(index) -> list:
    connection = sqlite3.connect(index)
    try:
        return [connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall() for table in ("passages", "facts")]
    finally:
        connection.close()


def test_what_a_subjects_grounding_reads_of_the_names_is_in_its_digest():
    """Grounding reads, of the names, what they say of a fact's nodes and of the reports: the
    memo puts the fields of each kind in a subject's digest and in the key of all. A field added
    to Names must be put in one of the two lists (and grounding read it only that way)."""
    import dataclasses

    from sensekg.graph.memo import NODE_NAMES, REPORT_NAMES
    from sensekg.loaders.grounding import Names

    assert sorted(NODE_NAMES + REPORT_NAMES) == sorted(f.name for f in dataclasses.fields(Names))


def test_a_subjects_grounding_reads_only_what_the_names_say_of_its_nodes():
    """Each subject of the real build grounded twice: with all the names, and with only what
    they say of its facts' nodes and of the reports (what its memo digest holds). The same
    facts, citations, tallies and misses: grounding reads nothing else of the names, so a
    subject whose facts and nodes' names are the same may have its grounding recalled."""
    import dataclasses

    from sensekg.graph.build import load_registry, read_corpus
    from sensekg.graph.memo import NODE_NAMES
    from sensekg.loaders.evidence import registry_facts
    from sensekg.loaders.extractors import run_extractors
    from sensekg.loaders.grounding import Names, build_names, ground
    from sensekg.loaders.statements import statement_facts

    corpus, registry = read_corpus(None), load_registry(None)
    facts = registry_facts(registry, corpus) + statement_facts(registry, None) + run_extractors(corpus, registry).facts
    names = build_names(facts, registry, corpus)
    by_subject: dict = {}
    for fact in facts:
        by_subject.setdefault(Names.key(fact.subject), []).append(fact)
    assert len(by_subject) > 4000
    for found in by_subject.values():
        keys = {key for fact in found for key in (Names.key(fact.subject), Names.key(fact.object))} - {None}
        only = dataclasses.replace(names, **{
            field: ({k: v for k, v in getattr(names, field).items() if k in keys}
                    if isinstance(getattr(names, field), dict) else getattr(names, field) & keys)
            for field in NODE_NAMES})
        whole, known = ground(found, corpus, names), ground(found, corpus, only)
        assert (whole.facts, whole.counts, whole.unstated, whole.variants) == \
            (known.facts, known.counts, known.unstated, known.variants), found[0].subject


def test_a_memo_that_is_not_the_builds_own_is_not_used(recalled, tmp_path):
    """Another build's memo (its N-Quads differ), a damaged one, or one that would make an
    object of any other class (code run by unpickling): read as no memo, and the build works
    everything out."""
    data, out = recalled
    previous = read_previous(out, need_store=False)
    assert read_memo(out, previous.sha256) is not None
    assert read_memo(out, "0" * 64) is None
    copy = tmp_path / "build"
    shutil.copytree(out, copy)
    (copy / MEMO).write_bytes((out / MEMO).read_bytes()[:1000])
    assert read_memo(copy, previous.sha256) is None

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "ran"),))

    (copy / MEMO).write_bytes(pickle.dumps({"format": 1, "nquads": previous.sha256, "subjects": Payload()}))
    assert read_memo(copy, previous.sha256) is None
    assert not (tmp_path / "ran").exists()
    result = sensekg.build(out=copy, data=data, force=True).result
    assert result.recalled["grounding"] == result.recalled["lines"] == 0
    assert (copy / NQUADS).read_bytes() == (out / NQUADS).read_bytes()
