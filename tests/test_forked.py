"""The build's evidence check and assembly, shared with a forked child: the same lines, origins,
index entries and errors as one process doing it all, and no child left behind."""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sensekg.graph import assemble as assembly
from sensekg.graph import forked
from sensekg.loaders.errors import InputError
from sensekg.loaders.evidence import check_facts

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forks children only on Linux")


def test_a_test_process_can_fork():
    """Else every build in the suite runs in one process, and the tests here prove nothing: a test
    module that leaves a thread running when imported (as schemathesis's ``from_asgi`` did) stops
    the build from forking in every worker that collects it."""
    import threading

    assert forked.can_fork(), f"threads running: {[thread.name for thread in threading.enumerate()]}"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Recording(forked.Share):
    """A share that records what its child gave back (``None``: the caller did the share)."""
    given: list = []

    def result(self):
        value = super().result()
        Recording.given.append(value)
        return value


@pytest.fixture
def recording(monkeypatch):
    Recording.given = []
    monkeypatch.setattr(assembly.forked, "Share", Recording)
    return Recording.given


def test_a_share_gives_back_its_value_or_nothing():
    assert forked.Share(lambda: {"lines": ["a", "b"]}).result() == {"lines": ["a", "b"]}

    def fails():
        raise InputError("no")

    assert forked.Share(fails).result() is None  # the caller computes it, and raises the error itself
    killed = forked.Share(lambda: time.sleep(30))
    os.kill(killed.pid, signal.SIGKILL)
    assert killed.result() is None


def test_a_cancelled_share_leaves_no_child():
    share = forked.Share(lambda: time.sleep(30))
    child = share.pid
    assert _running(child)
    share.cancel()
    assert not _running(child) and share.result() is None


def test_no_child_where_none_can_be_forked(monkeypatch):
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    share = forked.Share(lambda: 1)
    assert share.pid is None and share.result() is None


def test_two_computations_at_once_give_what_one_after_the_other_gives():
    """The build reads the records' facts in a child while it runs the rules: the values, and
    the error running them in order meets first."""
    parent = os.getpid()
    assert forked.in_order(lambda: os.getpid(), lambda: os.getpid()) != (parent, parent)  # the first ran elsewhere
    assert forked.in_order(lambda: [1, 2], lambda: "x") == ([1, 2], "x")

    def fails(text):
        def failing():
            raise InputError(text)
        return failing

    with pytest.raises(InputError, match="first"):
        forked.in_order(fails("first"), lambda: 1)  # the child failed: run here again, and raising
    with pytest.raises(InputError, match="second"):
        forked.in_order(lambda: 1, fails("second"))
    with pytest.raises(InputError, match="first"):
        forked.in_order(fails("first"), fails("second"))  # as one after the other would


def test_the_shared_build_is_the_one_process_build(built, recording):
    """Both sides' lines, origins and index entries are what one process makes of every fact,
    and the child did its share (about half the quads)."""
    result = built[0]
    origins, cited = {}, set()
    shared = assembly.check_and_assemble(result.corpus, result.facts, None, origins, cited)
    assert len(recording) == 1 and recording[0] is not None, "the child's share was not used"
    assert 0.3 * len(shared) < len(recording[0][0]) < 0.6 * len(shared)
    alone_origins, alone_cited = {}, set()
    alone = assembly.assemble(result.corpus, result.facts, check_facts(result.corpus, result.facts), None,
                              alone_origins, alone_cited)
    assert shared == alone == result.lines
    assert len(set(shared)) == len(shared), "the two sides made the same line"
    assert origins == alone_origins == result.origins
    assert cited == alone_cited == result.cited


def test_a_few_facts_are_assembled_without_a_child(built, recording):
    """A rebuild's few facts (the rest recalled, see graph/memo.py): quicker than a fork."""
    result = built[0]
    facts = result.facts[:200]
    assert assembly.check_and_assemble(result.corpus, facts) == assembly.assemble(
        result.corpus, facts, check_facts(result.corpus, facts))
    assert recording == []


def _broken(fact, anchor: str):
    citation = fact.citations[0]
    return dataclasses.replace(fact, citations=(dataclasses.replace(citation, anchor=anchor), *fact.citations[1:]))


@pytest.mark.parametrize("where", ["child", "both"])
def test_a_bad_citation_is_the_error_one_process_meets_first(built, recording, where):
    """A citation whose anchor is not on its line in the child's share, or one there and a later
    one in this process's (which this process meets first): the error is the one a check of
    every fact in order raises."""
    result = built[0]
    facts = list(result.facts)
    mine, theirs = assembly._sides(facts, set(), assembly.Terms())
    first = next(i for i, fact in enumerate(facts) if fact is theirs[0])
    facts[first] = _broken(facts[first], "first broken anchor")
    if where == "both":
        last = next(i for i, fact in reversed(list(enumerate(facts))) if fact is mine[-1])
        assert last > first
        facts[last] = _broken(facts[last], "second broken anchor")
    with pytest.raises(InputError) as alone:
        check_facts(result.corpus, facts)
    with pytest.raises(InputError) as shared:
        assembly.check_and_assemble(result.corpus, facts)
    assert str(shared.value) == str(alone.value)
    assert "anchor 'first broken anchor' is not on the cited line" in str(shared.value)
    assert recording == ([None] if where == "child" else []), "the child's share should have failed, or been cancelled"


def test_each_subject_is_whole_on_one_side(built):
    """What keeps the sides' lines apart and a triple's anchors on a line together: a subject's
    facts all on one side, in their order, and the subjects of the lines not made from facts
    (the reports' own descriptions) held on this process's side."""
    facts = built[0].facts
    terms = assembly.Terms()
    # the heaviest subject: the one the split would give the child first, were it not held
    weights = {}
    for fact in facts:
        subject = terms[assembly.term(fact.subject)][0]
        weights[subject] = weights.get(subject, 0) + len(fact.citations)
    held = {max(weights, key=weights.get)}
    mine, theirs = assembly._sides(facts, held, terms)
    assert sorted(map(id, mine + theirs)) == sorted(map(id, facts))
    subjects = [{terms[assembly.term(fact.subject)][0] for fact in side} for side in (mine, theirs)]
    assert not subjects[0] & subjects[1] and held <= subjects[0]
    order = {id(fact): i for i, fact in enumerate(facts)}
    assert all(order[id(a)] < order[id(b)] for side in (mine, theirs) for a, b in itertools.pairwise(side))
    weight = sum(len(fact.citations) for fact in theirs) / sum(len(fact.citations) for fact in facts)
    assert 0.35 < weight <= 0.46


def test_a_fact_without_a_citation_is_refused_from_either_side(built, recording):
    result = built[0]
    facts = list(result.facts)
    _, theirs = assembly._sides(facts, set(), assembly.Terms())
    at = next(i for i, fact in enumerate(facts) if fact is theirs[-1])
    facts[at] = dataclasses.replace(facts[at], citations=())
    with pytest.raises(InputError, match="a fact without a citation cannot enter the graph"):
        assembly.check_and_assemble(result.corpus, facts)


def test_the_child_dies_with_the_process_that_forked_it(tmp_path):
    script = ("import time\nfrom sensekg.graph import forked\n"
              "share = forked.Share(lambda: time.sleep(60))\nprint(share.pid, flush=True)\ntime.sleep(60)\n")
    starter = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(starter.stdout.readline())
    time.sleep(0.1)
    assert _running(child)
    starter.kill()
    starter.wait(timeout=30)
    deadline = time.monotonic() + 0.3
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _running(child), "the child went on after its parent was killed"
