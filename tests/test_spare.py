"""A rebuild writes its N-Quads over the replaced build's, kept beside the build folder
(``buildio.spare_path``, ``buildio.recycled``): the bytes are the build's own, and nothing but a
file sensekg made there is ever written over, moved or removed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest

import sensekg
from sensekg.graph.buildio import INFO, NQUADS, recycled, spare_path

REWORDED = "Income from contracts with customers in the period, as reported under IFRS."


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded(out) -> str:
    return json.loads((out / INFO).read_text(encoding="utf-8"))["nquads sha256"]


@pytest.fixture
def setup(tmp_path, built, data_copy):
    out, data = tmp_path / "build", data_copy
    shutil.copytree(built[1], out)
    measures = data / "measures.toml"
    original = measures.read_text(encoding="utf-8")
    assert REWORDED in original

    def rebuild(reworded: bool) -> None:
        measures.write_text(original.replace(REWORDED, REWORDED + " (reworded)") if reworded else original,
                            encoding="utf-8")
        sensekg.build(out=out, data=data, force=True)

    return out, rebuild


def test_a_rebuild_writes_its_n_quads_over_those_of_the_build_before(setup):
    out, rebuild = setup
    first = recorded(out)
    assert not spare_path(out).exists()
    rebuild(True)
    spare = spare_path(out)
    assert spare.exists() and sha(spare) == first  # the replaced build's N-Quads, kept beside
    inode, second = spare.stat().st_ino, recorded(out)
    assert second != first and sha(out / NQUADS) == second
    rebuild(False)
    assert (out / NQUADS).stat().st_ino == inode  # written over the spare
    assert sha(out / NQUADS) == recorded(out) != second  # its own bytes, cut to their length
    assert sha(spare_path(out)) == second


@pytest.mark.parametrize("kind", ["symlink", "hard link", "folder"])
def test_what_a_user_put_as_the_spare_is_left_as_it_was(tmp_path, setup, kind):
    out, rebuild = setup
    thesis = tmp_path / "thesis.txt"
    thesis.write_text("three years of work\n")
    spare = spare_path(out)
    if kind == "symlink":
        spare.symlink_to(thesis)
    elif kind == "hard link":
        os.link(thesis, spare)
    else:
        spare.mkdir()
        (spare / "notes.txt").write_text("mine\n")
    rebuild(True)
    assert thesis.read_text() == "three years of work\n"
    assert sha(out / NQUADS) == recorded(out)
    if kind == "folder":  # the replaced N-Quads could not take its name: removed with the old build
        assert (spare / "notes.txt").read_text() == "mine\n"
    else:  # a link is a name, replaced by the replaced N-Quads; what it pointed to is untouched
        assert not spare.is_symlink() and spare.stat().st_ino != thesis.stat().st_ino


def test_recycled_writes_over_a_longer_file_and_makes_one_without(tmp_path):
    spare, target = tmp_path / "spare", tmp_path / "staging.nq"
    spare.write_bytes(b"x" * 1000)
    inode = spare.stat().st_ino
    with recycled(target, spare) as stream:
        stream.write(b"abc")
    assert target.read_bytes() == b"abc" and target.stat().st_ino == inode and not spare.exists()
    other = tmp_path / "other.nq"
    with recycled(other, spare) as stream:  # no spare left
        stream.write(b"def")
    assert other.read_bytes() == b"def"
    with recycled(tmp_path / "third.nq", None) as stream:
        stream.write(b"")
    assert (tmp_path / "third.nq").read_bytes() == b""
