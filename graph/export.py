"""Exporting the built graph in the formats users ask for, written atomically."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from sensekg.loaders.errors import InputError

from . import rdfio


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    if path.is_dir():
        raise InputError("is a folder; give a file name", path=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
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
