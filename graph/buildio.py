"""The build folder: written whole through a temporary folder and a rename, read back safely.

A build never leaves ``build/`` half-written. Outputs go to a sibling temporary folder;
when everything is written the old folder is renamed aside, the new one into place, and
the old one removed. If a previous run died between the two renames, the next reader
restores the old folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sensekg.loaders.errors import InputError

TRIG = "sensekg.trig"
INFO = "build-info.json"
STORE = "store"


def _aside(out: Path) -> Path:
    return out.with_name(out.name + ".old")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover(out: Path) -> None:
    """Put back a previous build that a crash left renamed aside, and remove the staging
    folders of builds that died (their names carry the builder's process id)."""
    old = _aside(out)
    if old.is_dir():
        if out.is_dir():
            shutil.rmtree(old)
        else:
            os.replace(old, out)
    if out.parent.is_dir():
        for staging in out.parent.glob(f".{out.name}.tmp-*"):
            pid = staging.name.removeprefix(f".{out.name}.tmp-").split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(staging, ignore_errors=True)


def write_build(out: Path, writer: Callable[[Path], None]) -> None:
    """Run ``writer`` on a fresh temporary folder, then swap it in for ``out``."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent))
    try:
        writer(staging)
        if out.exists():
            os.replace(out, _aside(out))
        os.replace(staging, out)
        shutil.rmtree(_aside(out), ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def resolve_graph_path(graph: str | Path) -> Path:
    """``--graph`` names the build folder or the TriG file in it."""
    path = Path(graph)
    if path.is_dir() or not path.suffix:
        recover(path.resolve())
        path = path / TRIG
    if not path.is_file():
        raise InputError("no built graph here; run `sensekg build` first (or pass --graph DIR)",
                         path=path)
    return path


def load_quads(graph: str | Path) -> list:
    """The quads of a build folder (or TriG file), read with pyoxigraph."""
    from . import rdfio

    return rdfio.read(resolve_graph_path(graph))


def open_store(graph: str | Path):
    """The build's Oxigraph store, opened read-only; a build without one is loaded from its TriG.

    Opening the persisted store takes milliseconds where parsing the TriG takes seconds.
    """
    from . import rdfio

    path = Path(graph)
    folder = path if path.is_dir() or not path.suffix else path.parent
    recover(folder.resolve())
    if (folder / STORE).is_dir() and (folder / TRIG).is_file():
        import pyoxigraph as ox

        try:
            return ox.Store.read_only(str(folder / STORE))
        except (OSError, RuntimeError) as exc:  # RocksDB reports damaged files as RuntimeError
            raise InputError(f"the store is corrupt or cannot be opened ({exc}); rebuild it with "
                             "`sensekg build --force`", path=folder / STORE) from None
    return rdfio.store(load_quads(graph))


def read_info(graph: str | Path) -> dict:
    path = resolve_graph_path(graph).with_name(INFO)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
