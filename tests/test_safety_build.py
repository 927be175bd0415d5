"""Never lose a user's files: `build --out` replaces only folders sensekg built, crash recovery
touches only names sensekg made for itself, and a reader never "recovers" a live build.

Each row of the refusal table is a target a user can name; the build must exit 2 with one
line, and every file that was there must still be there, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sensekg.graph.buildio import FORMAT, folder_lock, hold_shared
from sensekg.graph.cli import main

SENSEKG = str(Path(sys.executable).with_name("sensekg"))


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` (hidden ones too), with the file contents' digests."""
    found = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        found[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return found


def users_folder(tmp: Path) -> str:
    (tmp / "keep").mkdir()
    (tmp / "keep" / "thesis.txt").write_text("three years of work\n")
    return "keep"


def users_file(tmp: Path) -> str:
    (tmp / "notes.txt").write_text("mine\n")
    return "notes.txt"


def current_folder(tmp: Path) -> str:
    (tmp / "thesis.txt").write_text("mine\n")
    return "."


def empty_string(tmp: Path) -> str:
    (tmp / "thesis.txt").write_text("mine\n")
    return ""


def parent_folder(tmp: Path) -> str:
    (tmp / "sub").mkdir()
    return ".."


def build_with_a_users_file(tmp: Path) -> str:
    """A real build folder into which the user put a file of their own."""
    (tmp / "build").mkdir()
    (tmp / "build" / "build-info.json").write_text(json.dumps({"format": FORMAT}))
    (tmp / "build" / "my-analysis.ipynb").write_text("{}")
    return "build"


def forged_marker(tmp: Path) -> str:
    """A folder with some other tool's build-info.json."""
    (tmp / "dist").mkdir()
    (tmp / "dist" / "build-info.json").write_text(json.dumps({"tool": "webpack"}))
    return "dist"


def symlink_to_folder(tmp: Path) -> str:
    (tmp / "real").mkdir()
    (tmp / "real" / "data.csv").write_text("a,b\n")
    (tmp / "link").symlink_to(tmp / "real")
    return "link"


def symlink_to_an_empty_folder(tmp: Path) -> str:
    (tmp / "empty").mkdir()
    (tmp / "link").symlink_to(tmp / "empty")
    return "link"


def dangling_symlink(tmp: Path) -> str:
    (tmp / "link").symlink_to(tmp / "nowhere")
    return "link"


REFUSED: list[Callable[[Path], str]] = [users_folder, users_file, current_folder, empty_string, parent_folder,
                                        build_with_a_users_file, forged_marker, symlink_to_folder,
                                        symlink_to_an_empty_folder, dangling_symlink]


@pytest.mark.parametrize("target", REFUSED, ids=[t.__name__ for t in REFUSED])
def test_build_refuses_a_target_it_did_not_make(runner, tmp_path, monkeypatch, target):
    work = tmp_path / "work"
    work.mkdir()
    out = target(work)
    monkeypatch.chdir(work / "sub" if target is parent_folder else work)
    before = snapshot(tmp_path)
    result = runner.invoke(main, ["build", "-q", "--out", out])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sensekg: error:"), result.output
    assert snapshot(tmp_path) == before, "a refused build touched the user's files"


def test_build_refuses_a_build_whose_store_holds_files_of_the_users(runner, tmp_path, built):
    out = tmp_path / "b"
    shutil.copytree(built[1], out)
    (out / "store" / "mysub").mkdir()
    (out / "store" / "mysub" / "keep.txt").write_text("mine\n")
    (out / "store" / "NOTES").write_text("mine\n")
    before = snapshot(tmp_path)
    result = runner.invoke(main, ["build", "-q", "--force", "--out", str(out)])
    assert result.exit_code == 2 and "sensekg replaces only folders it built" in result.output, result.output
    assert snapshot(tmp_path) == before


def test_a_lock_path_that_is_not_a_file_is_named(runner, tmp_path, built):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    (tmp_path / ".build.sensekg-lock").mkdir()
    result = runner.invoke(main, ["build", "-q", "--force", "--out", str(out)])
    assert result.exit_code == 2
    assert ".build.sensekg-lock" in result.output and "another sensekg process" not in result.output


def test_build_refuses_the_reports_and_the_data_folders(runner, tmp_path, reports_copy, data_copy):
    for out in (reports_copy, data_copy, reports_copy.parent):
        before = snapshot(tmp_path)
        result = runner.invoke(main, ["build", "-q", "--out", str(out), "--reports", str(reports_copy),
                                      "--data", str(data_copy)])
        assert result.exit_code == 2, result.output
        assert "sensekg did not write" in result.output or "not a sensekg build" in result.output
        assert snapshot(tmp_path) == before


def test_build_fills_an_empty_folder_and_keeps_its_permissions(runner, tmp_path):
    """Also what a whole build prints (counts by type and by report, with -q), and what it
    records (test_cli's build tests start from a copy of the session's build instead)."""
    out = tmp_path / "empty"
    out.mkdir()
    out.chmod(0o750)
    result = runner.invoke(main, ["build", "-q", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Certification" in result.output and "evidence by report" in result.output
    assert "sustainability-report-2024" in result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    info = json.loads((out / "build-info.json").read_text())
    assert info["format"] == FORMAT and set(info["reports"]) == {
        "prospectus-2021-business", "sustainability-report-2024", "annual-results-2024", "interim-results-2025h1"}
    assert sorted(p.name for p in out.iterdir()) == ["build-info.json", "evidence.sqlite", "memo.pickle", "origins.json",
                                                     "sensekg.nq", "sensekg.trig", "store"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".empty.sensekg-lock", "empty"]


def test_a_new_build_folder_gets_the_umask_permissions(built):
    # the session build was made by write_outputs into a new folder
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(built[1].stat().st_mode) == 0o777 & ~umask


# -- crash recovery touches only its own names -----------------------------------------------

def test_a_users_build_old_is_never_touched(runner, tmp_path, built):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    shutil.copytree(built[1], tmp_path / "build.old")
    (tmp_path / ".build.tmp-1-x").mkdir()  # a name the first version used for its staging
    for name in (".build.sensekg-swap-mine", ".build.sensekg-staging-mine", ".build.sensekg-swap-99999999"):
        (tmp_path / name).mkdir()  # names like sensekg's own, but not made by it (no marker, no build)
        (tmp_path / name / "keep.txt").write_text("mine\n")
    before = snapshot(tmp_path)
    for args in (["stats"], ["query", "run", "certifications", "--param", "entity=SenseAuto"], ["search", "Sense"]):
        result = runner.invoke(main, [*args, "--graph", str(out)])
        assert result.exit_code == 0, result.output
    assert snapshot(tmp_path) == before


def test_a_users_folder_with_a_swap_name_is_not_put_in_place(runner, tmp_path):
    (tmp_path / ".build.sensekg-swap-12345").mkdir()
    (tmp_path / ".build.sensekg-swap-12345" / "keep.txt").write_text("mine\n")
    before = snapshot(tmp_path)
    result = runner.invoke(main, ["stats", "--graph", str(tmp_path / "build")])
    assert result.exit_code == 2 and "no built graph here" in result.output
    assert snapshot(tmp_path) == before


def test_diff_compares_what_it_is_given(runner, tmp_path, built):
    """`mv build build.old; sensekg diff build.old build` used to move build.old back and compare
    it with itself."""
    shutil.copytree(built[1], tmp_path / "build.old")
    before = snapshot(tmp_path)
    result = runner.invoke(main, ["diff", str(tmp_path / "build.old"), str(tmp_path / "build")])
    assert result.exit_code == 2 and "no built graph here" in result.output
    assert snapshot(tmp_path) == before


def test_readers_finish_what_a_dead_build_left(runner, tmp_path, built):
    """A build killed between its two renames left the old folder under its swap name, and its
    staging folder; no process holds the lock, so the next reader restores and clears them."""
    shutil.copytree(built[1], tmp_path / f".build.sensekg-swap-{2 ** 22 + 17}")
    (tmp_path / f".build.sensekg-staging-{2 ** 22 + 17}-abc").mkdir()
    (tmp_path / f".build.sensekg-staging-{2 ** 22 + 17}-abc" / ".sensekg-staging").touch()
    result = runner.invoke(main, ["stats", "--graph", str(tmp_path / "build")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [".build.sensekg-lock", "build"]
    assert snapshot(tmp_path / "build") == snapshot(built[1])


def test_a_reader_waits_for_a_live_swap_instead_of_recovering_it(tmp_path, built):
    """While a live build holds the lock with its folder swapped aside, a reader waits; it
    neither moves the folder back nor removes the staging folder."""
    out = tmp_path / "build"
    swap = tmp_path / f".build.sensekg-swap-{os.getpid()}"
    staging = tmp_path / f".build.sensekg-staging-{os.getpid()}-live"
    shutil.copytree(built[1], staging)
    shutil.copytree(built[1], swap)
    with folder_lock(out) as locked:
        assert locked
        reader = subprocess.Popen([SENSEKG, "stats", "--graph", str(out)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        assert reader.poll() is None, "the reader did not wait for the live build"
        assert swap.is_dir() and staging.is_dir() and not out.exists()
        os.replace(staging, out)  # the build finishes its swap
        shutil.rmtree(swap)
    stdout, stderr = reader.communicate(timeout=60)
    assert reader.returncode == 0, stderr
    assert "quads in" in stdout


def test_build_refuses_while_a_server_holds_the_folder(runner, tmp_path, built):
    out = tmp_path / "build"
    shutil.copytree(built[1], out)
    before = snapshot(out)
    handle = hold_shared(out)
    try:
        result = runner.invoke(main, ["build", "-q", "--force", "--out", str(out)])
    finally:
        os.close(handle)
    assert result.exit_code == 2, result.output
    assert "another sensekg process is using this build folder" in result.output
    assert snapshot(out) == before
