"""Exporting the built graph in the formats users ask for, written atomically."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from sensekg.loaders.errors import InputError

from . import rdfio


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A symbolic link is written through (the file it names is replaced, the link stays), and
    only a regular file is ever replaced: a folder, a device or a pipe is refused. The new
    file keeps the old one's permissions, or gets the umask's.
    """
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device, pipe or socket)"
        raise InputError(f"is {kind}; give the name of a file to write", path=path)
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(quads: list, fmt: str, output: Path | None) -> None:
    """Triple formats (ttl, nt) get the union of all graphs; quad formats keep each named graph."""
    data = rdfio.write(quads, None, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        write_atomic(output, data)
