"""Validation: every engine (SHACL_Engine, shifty and pySHACL, the reference) finds exactly the
faults planted in a slice of the real graph, with the same focus nodes, paths and constraint
components, also when a fault spans two report graphs or a value's type sits in another partition;
the engines agree with pySHACL on random faults, values included; and a run that reuses the last
run's results reports what a full run reports."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import BNode

from sensekg.graph.rdfio import store
from sensekg.graph.validate import ENGINES, validate_store

SK = "https://w3id.org/sensekg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
EVIDENCE = "https://w3id.org/sensekg/evidence/"


def node(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@pytest.fixture(scope="module")
def clean(built) -> list[ox.Quad]:
    """Every quad of the real build but most evidence nodes (pySHACL takes a minute on all of them):
    entities, observations, reports, the ontology, and the evidence of one report in ten."""
    return [q for q in built[0].quads if not q.subject.value.startswith(EVIDENCE) or q.subject.value[-1] in "0"]


def planted(quads: list[ox.Quad]) -> tuple[list[ox.Quad], set[tuple[str, str, str]]]:
    """The quads with one fault of every kind the shapes catch, and the (focus, path, constraint
    component) each must be reported at."""
    def first(predicate: str, value=None) -> ox.Quad:
        return next(q for q in quads if q.predicate.value == predicate and (value is None or q.object == value))

    def typed(cls: str) -> ox.NamedNode:
        return first(RDF + "type", node(SK + cls)).subject

    subsidiary = typed("Subsidiary")                                   # targeted through rdfs:subClassOf
    evidence = first(SK + "line").subject
    quoted = next(q.subject for q in quads if q.predicate.value == SK + "quote" and q.subject != evidence)
    observation = first(SK + "value").subject
    observations = {q.subject for q in quads if q.predicate.value == RDF + "type" and q.object.value == SK + "Observation"}
    bounded = next(q.subject for q in quads if q.predicate.value == SK + "unit" and q.subject in observations
                   and q.subject != observation)
    unperiodic = next(q.subject for q in quads if q.predicate.value == SK + "periodStart"
                      and q.subject in observations and q.subject not in (observation, bounded))
    dated = first(SK + "date")
    report = first(SK + "sha256").subject
    membership = first(SK + "member")
    certified = first(SK + "holder")
    standard = typed("Standard")
    parented = first(SK + "subsidiaryOf")
    product = typed("Product")                                         # typed, but not an Organization
    labelled = next(q for q in quads if q.subject == product and q.predicate.value == RDFS + "label")
    other_graph = next(g for g in {q.graph_name for q in quads} if g != labelled.graph_name
                       and not g.value.endswith("/ontology"))

    changed = []
    for q in quads:
        if q.subject == subsidiary and q.predicate.value == RDFS + "label":
            continue
        if q.subject == unperiodic and q.predicate.value in (SK + "periodStart", SK + "periodEnd", SK + "instant"):
            continue
        if q.subject == evidence and q.predicate.value == SK + "line":
            q = ox.Quad(q.subject, q.predicate, ox.Literal("0", datatype=node(XSD + "integer")), q.graph_name)
        elif q.subject == quoted and q.predicate.value == SK + "quote":
            q = ox.Quad(q.subject, q.predicate, ox.Literal(""), q.graph_name)
        elif q.subject == observation and q.predicate.value == SK + "value":
            q = ox.Quad(q.subject, q.predicate, ox.Literal("12"), q.graph_name)
        elif q == dated:
            q = ox.Quad(q.subject, q.predicate, ox.Literal("2020-13"), q.graph_name)
        elif q.subject == report and q.predicate.value == SK + "sha256":
            q = ox.Quad(q.subject, q.predicate, ox.Literal("XYZ"), q.graph_name)
        elif q in (membership, parented):
            q = ox.Quad(q.subject, q.predicate, product, q.graph_name)
        elif q == certified:
            q = ox.Quad(q.subject, q.predicate, standard, q.graph_name)
        changed.append(q)
    graph = labelled.graph_name
    changed += [
        # a second, different label stated in another report's graph: only the union breaks maxCount 1
        ox.Quad(product, labelled.predicate, ox.Literal("Another name"), other_graph),
        ox.Quad(bounded, node(SK + "bound"), ox.Literal("middle"), graph),
        ox.Quad(product, node(SKOS + "altLabel"), node("https://example.org/not-a-literal"), graph),
    ]
    expected = {
        (subsidiary.value, RDFS + "label", "MinCountConstraintComponent"),
        (product.value, RDFS + "label", "MaxCountConstraintComponent"),
        (evidence.value, SK + "line", "MinInclusiveConstraintComponent"),
        (quoted.value, SK + "quote", "MinLengthConstraintComponent"),
        (observation.value, SK + "value", "DatatypeConstraintComponent"),
        (bounded.value, SK + "bound", "InConstraintComponent"),
        (unperiodic.value, "None", "OrConstraintComponent"),
        (dated.subject.value, SK + "date", "NodeConstraintComponent"),
        (report.value, SK + "sha256", "PatternConstraintComponent"),
        (membership.subject.value, SK + "member", "ClassConstraintComponent"),
        (parented.subject.value, SK + "subsidiaryOf", "ClassConstraintComponent"),
        (certified.subject.value, SK + "holder", "OrConstraintComponent"),
        (product.value, SKOS + "altLabel", "NodeKindConstraintComponent"),
    }
    return changed, expected


def found(report) -> set[tuple[str, str, str]]:
    return {(str(v.focus), str(v.path), v.component) for v in report.violations}


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_reports_exactly_the_planted_faults(clean, engine):
    quads, expected = planted(clean)
    # a few partitions: the product named as a member is typed in another one
    report = validate_store(store(quads), engine=engine, jobs=2, size=8_000)
    assert not report.conforms
    assert found(report) == expected
    assert report.checked == report.subjects  # no results kept from another run


def test_shifty_supports_every_feature_the_shapes_use():
    from sensekg.graph.validate import _shifty_validator

    assert _shifty_validator().diagnostics == []  # and run_shifty raises on an unsupported one


def test_shacl_engine_compiles_every_shape():
    """SHACL_Engine raises on a malformed shape, but a shape it did not see as one would pass
    silently: it must have compiled as many shapes as shapes.ttl declares, node shapes, property
    shapes and those in ``sh:or`` and ``sh:and`` lists alike."""
    from rdflib.collection import Collection
    from rdflib.namespace import RDF as rdf
    from rdflib.namespace import SH

    from sensekg.graph.validate import _shacl_engine_shapes, shapes_graph

    g = shapes_graph()
    declared = {*g.subjects(rdf.type, SH.NodeShape), *g.objects(None, SH.property), *g.objects(None, SH.node)}
    for connective in (SH["or"], SH["and"], SH.xone):
        for head in g.objects(None, connective):
            declared.update(Collection(g, head))
    assert len(declared) > 100
    assert len(_shacl_engine_shapes()) == len(declared)


def test_every_engine_accepts_the_clean_slice(clean):
    for engine in ENGINES:
        report = validate_store(store(clean), engine=engine, size=8_000)  # class-checked values typed elsewhere
        assert report.conforms and not report.violations, (engine, report.violations[:3])


def test_a_run_that_reuses_the_last_results_reports_what_a_full_run_reports(clean, tmp_path):
    cache = tmp_path / "validation.json"
    first = validate_store(store(clean), cache=cache)
    assert first.conforms and first.checked == first.subjects

    faulty, expected = planted(clean)
    again = validate_store(store(faulty), cache=cache)
    full = validate_store(store(faulty))
    assert found(again) == found(full) == expected
    assert again.violations == full.violations
    assert 0 < again.checked < again.subjects / 10  # only the subjects whose description changed

    repeat = validate_store(store(faulty), cache=cache)  # nothing changed: every result is reused
    assert repeat.checked == 0 and repeat.violations == full.violations

    mended = validate_store(store(clean), cache=cache)  # the faults mended: their results are dropped
    assert mended.conforms and not mended.violations


def test_a_node_that_changes_type_revalidates_those_that_point_to_it(clean, tmp_path):
    """A membership's own triples do not change when its member stops being an organisation, but
    its sh:class check does: the digest covers the types of the nodes a subject points to."""
    cache = tmp_path / "validation.json"
    assert validate_store(store(clean), cache=cache).conforms
    membership = next(q for q in clean if q.predicate.value == SK + "member")
    member = membership.object
    retyped = [q for q in clean if not (q.subject == member and q.predicate.value == RDF + "type")]
    retyped.append(ox.Quad(member, node(RDF + "type"), node(SK + "Product"), membership.graph_name))
    again = validate_store(store(retyped), cache=cache)
    assert found(again) == found(validate_store(store(retyped)))
    assert (membership.subject.value, SK + "member", "ClassConstraintComponent") in found(again)


def test_a_damaged_results_file_only_costs_a_full_run(clean, tmp_path):
    cache = tmp_path / "validation.json"
    cache.write_text('{"format": "sensekg-validation/2", "key": 3, "subjects": ', encoding="utf-8")
    faulty, expected = planted(clean)
    report = validate_store(store(faulty), cache=cache)
    assert report.checked == report.subjects and found(report) == expected


def test_the_build_n_quads_give_the_union_the_store_gives(clean, tmp_path):
    """`validate` reads a build's union from its sorted N-Quads lines without parsing them: the
    planted faults (one spans two report graphs) are found as from the store, and so is every
    subject."""
    from sensekg.graph import rdfio
    from sensekg.graph.validate import validate_nquads

    quads, expected = planted(clean)
    nquads = tmp_path / "sensekg.nq"
    rdfio.write(sorted(quads, key=str), nquads, "nq")  # as the build writes it
    report = validate_nquads(nquads, jobs=2, size=8_000)
    whole = validate_store(store(quads), jobs=2, size=8_000)
    assert found(report) == expected and report.violations == whole.violations
    assert report.subjects == whole.subjects


def test_validate_reads_the_trig_when_the_n_quads_are_not_the_builds(built, tmp_path):
    import shutil

    import sensekg
    from sensekg.graph.buildio import NQUADS

    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    (out / NQUADS).write_text("", encoding="utf-8")  # emptied: read, it would validate nothing
    report = sensekg.validate(out)
    assert report.conforms and report.subjects > 40_000


def _rebuilt(old: list[ox.Quad], new: list[ox.Quad], stamp: str) -> dict:
    """The record a build replacing a build of ``old`` (its N-Quads digest ``stamp``) by ``new`` keeps."""
    from sensekg.graph.build import NQUADS_SHA, BuildResult, Previous, changed_subjects

    previous = Previous.of_quads(old, stamp, NQUADS_SHA)
    return changed_subjects(BuildResult(None, [], sorted(str(q) for q in new)), previous)


def test_validating_what_a_rebuild_changed_reports_what_a_full_run_reports(clean, tmp_path):
    """After a rebuild, ``validate`` checks only the subjects the build recorded as changed (and
    those pointing to a retyped node), from the store, when the last results are of the build it
    replaced; the faults it finds are a full run's, also the one that spans two report graphs."""
    from sensekg.graph import rdfio
    from sensekg.graph.validate import validate_changes, validate_nquads

    cache = tmp_path / "validation.json"
    nquads = tmp_path / "sensekg.nq"
    rdfio.write(sorted(clean, key=str), nquads, "nq")
    assert validate_nquads(nquads, cache=cache, stamp="first").conforms

    faulty, expected = planted(clean)
    changed = _rebuilt(clean, faulty, "first")
    report = validate_changes(store(faulty), changed, "second", cache=cache)
    full = validate_store(store(faulty))
    assert found(report) == expected and report.violations == full.violations
    assert report.subjects == full.subjects and 0 < report.checked <= len(changed["subjects"]) + 10

    kept = validate_changes(store(faulty), changed, "second", cache=cache)  # the results of "second", kept
    assert kept.checked == 0 and kept.violations == full.violations and kept.subjects == full.subjects
    assert validate_changes(store(faulty), changed, "third", cache=cache) is None  # "first" is no longer kept
    mended = validate_changes(store(clean), _rebuilt(faulty, clean, "second"), "third", cache=cache)
    assert mended.conforms and not mended.violations


def test_validating_what_changed_revalidates_those_pointing_to_a_retyped_node(clean, tmp_path):
    from sensekg.graph import rdfio
    from sensekg.graph.validate import validate_changes, validate_nquads

    cache = tmp_path / "validation.json"
    nquads = tmp_path / "sensekg.nq"
    rdfio.write(sorted(clean, key=str), nquads, "nq")
    assert validate_nquads(nquads, cache=cache, stamp="first").conforms
    membership = next(q for q in clean if q.predicate.value == SK + "member")
    member = membership.object
    retyped = [q for q in clean if not (q.subject == member and q.predicate.value == RDF + "type")]
    retyped.append(ox.Quad(member, node(RDF + "type"), node(SK + "Product"), membership.graph_name))
    changed = _rebuilt(clean, retyped, "first")
    assert changed["retyped"] == [str(member)] and str(membership.subject) not in changed["subjects"]
    report = validate_changes(store(retyped), changed, "second", cache=cache)
    assert found(report) == found(validate_store(store(retyped)))
    assert (membership.subject.value, SK + "member", "ClassConstraintComponent") in found(report)


def mutated(quads: list[ox.Quad], seed: int, count: int = 60) -> list[ox.Quad]:
    """``count`` random faults in the quads: a triple dropped, a value of another datatype, an empty
    string, a value that is an IRI of another kind of thing, a second value, a node retyped."""
    import random

    rng = random.Random(seed)
    quads = list(quads)
    iris = [q.subject for q in quads if isinstance(q.subject, ox.NamedNode)]
    wrong = [ox.Literal("x"), ox.Literal(""), ox.Literal("1.5", datatype=node(XSD + "decimal")),
             ox.Literal("0", datatype=node(XSD + "integer")), ox.Literal("2020-01-01", datatype=node(XSD + "date")),
             ox.Literal("a", language="en"), ox.BlankNode()]
    for _ in range(count):
        i = rng.randrange(len(quads))
        q = quads[i]
        kind = rng.randrange(5)
        if kind == 0:
            quads.pop(i)
        elif kind == 1:
            quads[i] = ox.Quad(q.subject, q.predicate, rng.choice(wrong), q.graph_name)
        elif kind == 2:
            quads[i] = ox.Quad(q.subject, q.predicate, rng.choice(iris), q.graph_name)
        elif kind == 3:
            quads.append(ox.Quad(q.subject, q.predicate, rng.choice(wrong + iris[:50]), q.graph_name))
        else:
            typed = rng.choice([x for x in quads[i:i + 400] + quads[:400] if x.predicate.value == RDF + "type"])
            quads.append(ox.Quad(typed.subject, typed.predicate, rng.choice(iris), typed.graph_name))
    return quads


@pytest.mark.parametrize("seed", range(4))
def test_the_engines_agree_on_random_faults(clean, seed):
    """Beyond the planted faults, one of each kind: random ones, 60 at a time, in a slice of the
    real graph. The compiled engines must report the same results as pySHACL, value and all."""
    quads = mutated(clean, seed)
    reports = {engine: validate_store(store(quads), engine=engine, jobs=2, size=8_000) for engine in ENGINES}
    def value(v) -> str:  # a blank node's label is each engine's own
        return "_:" if isinstance(v.value, BNode) else str(v.value)

    results = {engine: {(str(v.focus), str(v.path), v.component, value(v)) for v in report.violations}
               for engine, report in reports.items()}
    reference = results["pyshacl"]
    assert len(reference) > 10
    differ = {engine: sorted(results[engine] ^ reference) for engine in ENGINES if results[engine] != reference}
    assert not differ, differ


def test_the_cli_offers_every_engine_and_defaults_to_the_library_default():
    """`sensekg validate --engine` is declared without importing this module (its start-up):
    its choices must be the engines here, in the same order, its default the same."""
    from sensekg.graph.cli import validate
    from sensekg.graph.validate import DEFAULT_ENGINE

    option = next(p for p in validate.params if p.name == "engine")
    assert tuple(option.type.choices) == ENGINES and option.default == DEFAULT_ENGINE
