"""Exporting the built dataset in the formats users ask for, written atomically."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from rdflib import Dataset

from .validate import union_graph

# format name -> (rdflib serializer, keeps named graphs)
FORMATS = {
    "ttl": ("turtle", False),
    "trig": ("trig", True),
    "nt": ("nt", False),
    "nq": ("nquads", True),
    "jsonld": ("json-ld", True),
}


def serialize(dataset: Dataset, fmt: str) -> bytes:
    """Triple formats get the union of all graphs; quad formats keep each named graph."""
    serializer, keeps_graphs = FORMATS[fmt]
    source = dataset if keeps_graphs else union_graph(dataset)
    kwargs = {"auto_compact": True} if fmt == "jsonld" else {}
    data = source.serialize(format=serializer, encoding="utf-8", **kwargs)
    return data if isinstance(data, bytes) else data.encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def export(dataset: Dataset, fmt: str, output: Path | None) -> None:
    data = serialize(dataset, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        write_atomic(output, data)
