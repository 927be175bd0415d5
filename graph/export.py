"""Exporting the built graph in the formats users ask for, written atomically."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

from sensekg.loaders.errors import InputError, about

from . import rdfio


def writable_target(path: Path) -> Path:
    """The file ``path`` names (through a symbolic link), with its folder made; a folder, a
    device or a pipe is refused. Called before long work too, so a bad ``-o`` is named at once."""
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    if path.exists() and not path.is_file():
        kind = "a folder" if path.is_dir() else "not a regular file (a device, pipe or socket)"
        raise InputError(f"is {kind}; give the name of a file to write", path=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A symbolic link is written through (the file it names is replaced, the link stays), and
    only a regular file is ever replaced: a folder, a device or a pipe is refused. The new
    file keeps the old one's permissions, or gets the umask's.
    """
    path = writable_target(path)
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename is None and (named := about(exc, path)):
            raise named from exc  # a full disk names no file: say which
        raise


def export(quads: list, fmt: str, output: Path | None) -> None:
    """Triple formats (ttl, nt) get the union of all graphs; quad formats keep each named graph."""
    data = rdfio.write(quads, None, fmt)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        write_atomic(output, data)


# --- figures as a table ---------------------------------------------------------------------

# One row per sk:Observation; the README ("Figures as a table") documents each column.
OBSERVATION_COLUMNS = (
    "observation", "subject", "subject_label", "measure", "measure_label", "value", "unit",
    "normalized_value", "normalized_unit", "period_start", "period_end", "instant", "period_label",
    "baseline_period", "segment", "segment_label", "bound", "restated", "reports", "lines",
)
TABLE_FORMATS = ("csv", "parquet")

_OBSERVATIONS = """
SELECT ?o ?subject ?subject_label ?measure ?measure_label ?value ?unit ?normalized_value ?normalized_unit
       ?period_start ?period_end ?instant ?period_label ?baseline_period ?segment ?segment_label ?bound
       ?restated WHERE {
  ?o a sk:Observation .
  OPTIONAL { ?o sk:observedSubject ?subject OPTIONAL { ?subject rdfs:label ?subject_label } }
  OPTIONAL { ?o sk:measure ?measure OPTIONAL { ?measure rdfs:label ?measure_label } }
  OPTIONAL { ?o sk:value ?value } OPTIONAL { ?o sk:unit ?unit }
  OPTIONAL { ?o sk:normalizedValue ?normalized_value } OPTIONAL { ?o sk:normalizedUnit ?normalized_unit }
  OPTIONAL { ?o sk:periodStart ?period_start } OPTIONAL { ?o sk:periodEnd ?period_end }
  OPTIONAL { ?o sk:instant ?instant } OPTIONAL { ?o sk:periodLabel ?period_label }
  OPTIONAL { ?o sk:baselinePeriod ?baseline_period }
  OPTIONAL { ?o sk:segment ?segment OPTIONAL { ?segment rdfs:label ?segment_label } }
  OPTIONAL { ?o sk:bound ?bound } OPTIONAL { ?o sk:restated ?restated }
}"""

# the lines that state each observation's value: its evidence nodes
_VALUE_LINES = """
SELECT ?o ?report ?line WHERE {
  ?o a sk:Observation ; sk:value ?value .
  ?e rdf:subject ?o ; rdf:predicate sk:value ; rdf:object ?value ; prov:wasDerivedFrom ?report ; sk:line ?line .
}"""


def observation_records(store) -> list[tuple[dict[str, str], dict[str, object]]]:
    """Every observation of the store, sorted by subject, measure and period: as a row of
    strings (empty where the graph has no value; ids as ``id:slug`` and ``measure:slug``, as the
    other commands accept them), and as the pyoxigraph terms it was made from (``None`` where
    unbound), with the report lines that state its value."""
    import pyoxigraph as ox

    from sensekg.loaders.vocab import REPORT

    from .query import show, with_prefixes
    from .rdfio import from_ox

    terms: dict[str, dict[str, object]] = {}
    for solution in store.query(with_prefixes(_OBSERVATIONS)):
        node = solution["o"].value
        if node not in terms:  # a second label or value would be a SHACL violation; keep the first
            terms[node] = {"observation": solution["o"],
                           **{column: solution[column] for column in OBSERVATION_COLUMNS[1:-2]}}
    cited: dict[str, set[tuple[str, int]]] = {node: set() for node in terms}
    for solution in store.query(with_prefixes(_VALUE_LINES)):
        cited[solution["o"].value].add((solution["report"].value.removeprefix(str(REPORT)),
                                        int(solution["line"].value)))
    records = []
    for node, found in terms.items():
        row = {column: "" if term is None else show(from_ox(term)) if isinstance(term, ox.NamedNode) else term.value
               for column, term in found.items()}
        lines = sorted(cited[node])
        row["reports"] = " ".join(dict.fromkeys(report for report, _ in lines))
        row["lines"] = " ".join(f"{report}:{line}" for report, line in lines)
        records.append((row, found))
    return sorted(records, key=lambda record: _order(record[0]))


def _order(row: dict[str, str]) -> tuple[str, ...]:
    return (row["subject"], row["measure"], row["period_end"] or row["instant"], row["period_start"],
            row["period_label"], row["segment"], row["baseline_period"], row["observation"])


def observation_rows(store) -> list[dict[str, str]]:
    """Every observation as a row of strings (see :func:`observation_records`)."""
    return [row for row, _ in observation_records(store)]


def observations_csv(rows: list[dict[str, str]]) -> bytes:
    import csv
    import io

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=OBSERVATION_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def observations_parquet(rows: list[dict[str, str]]) -> bytes:
    """The rows as a Parquet file: values as float64 (the reports print at most 15 significant
    digits, which a float64 keeps; the CSV keeps the printed digits), dates as dates, restated as
    a boolean, absent values as nulls."""
    import datetime
    import io

    pa, pq = _pyarrow()

    def column(name: str) -> list:
        values = [row[name] or None for row in rows]
        if name in ("value", "normalized_value"):
            return [None if v is None else float(v) for v in values]
        if name in ("period_start", "period_end", "instant"):
            return [None if v is None else datetime.date.fromisoformat(v) for v in values]
        if name == "restated":
            return [None if v is None else v == "true" for v in values]
        return values

    types = {"value": pa.float64(), "normalized_value": pa.float64(), "period_start": pa.date32(),
             "period_end": pa.date32(), "instant": pa.date32(), "restated": pa.bool_()}
    table = pa.table({name: pa.array(column(name), type=types.get(name, pa.string()))
                      for name in OBSERVATION_COLUMNS})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def _pyarrow():
    """pyarrow and pyarrow.parquet, or the one-line error that says how to install them."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("the parquet format needs pyarrow: pip install pyarrow "
                         "(or pip install 'sensekg[parquet]'); or write CSV (-o figures.csv)") from None
    return pa, pq


def export_observations(store, fmt: str, output: Path | None) -> int:
    """Write the observations as CSV or Parquet (to ``output`` atomically, or CSV to standard
    output); returns the number of rows."""
    if fmt not in TABLE_FORMATS:
        raise InputError(f"--observations writes a table: --format csv or parquet, not {fmt}")
    if fmt == "parquet" and output is None:
        raise InputError("--format parquet writes a binary file: give -o FILE (e.g. -o figures.parquet)")
    if fmt == "parquet":
        _pyarrow()  # before the query: say what to install first
    rows = observation_rows(store)
    data = observations_csv(rows) if fmt == "csv" else observations_parquet(rows)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(output, data)
    return len(rows)
