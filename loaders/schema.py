"""The shapes of the TOML records a user edits, in one place: field -> what it must be.

tomllib hands back plain dicts and lists, so every reader would otherwise repeat
``isinstance`` checks and each forget a different one (a ``distinct = 5`` that crashes,
a ``published = "2025-13-45"`` that raises a bare ``ValueError``). Here a :class:`Check`
names what a value must be and converts it; a shape maps field names to checks; and
:func:`check_record` turns any mismatch into one :class:`InputError` naming the file, the
line (tomllib keeps no positions, so the record's header, or a top-level key, is searched
for in the text) and what was expected.

Unknown keys are errors, not warnings: a misspelt optional key (``perod_end``) would
otherwise be dropped without a word and the record read as if it were absent.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from rdflib import RDFS, XSD

from .errors import InputError
from .facts import Citation
from .vocab import TEMPORAL_DATATYPES, classes, properties

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_HEADER = re.compile(r"^\s*\[\[?\s*[\w.\"' -]+?\s*\]\]?\s*(#.*)?$")


class Mismatch(Exception):
    """A value of the wrong shape: what was expected, and a detail when one helps."""

    def __init__(self, expected: str, detail: str | None = None):
        self.expected, self.detail = expected, detail
        super().__init__(expected if detail is None else f"{expected} ({detail})")


@dataclass(frozen=True)
class Check:
    """What a value must be (``expected``, a noun phrase) and how to convert it.

    ``convert`` raises ``TypeError`` or ``ValueError`` when the value does not fit; the
    text of a ``ValueError`` is kept as a detail (e.g. "month must be in 1..12").
    """

    expected: str
    convert: Callable[[Any], Any]

    def __call__(self, value: object) -> Any:
        try:
            return self.convert(value)
        except (TypeError, ValueError) as exc:
            detail = str(exc) if isinstance(exc, ValueError) and str(exc) else None
            raise Mismatch(self.expected, detail) from None


def _of_type(value: object, *types: type) -> Any:
    """``value`` itself when it is one of ``types`` (a TOML boolean is never a number)."""
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError
    return value


def _is_date(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)


def _text(value: object) -> str:
    text = _of_type(value, str)
    if not text.strip():
        raise TypeError
    return text


def _slug(value: object) -> str:
    text = _of_type(value, str)
    if not SLUG_PATTERN.match(text):
        raise TypeError
    return text


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_MONTH = re.compile(r"^\d{4}-(\d{2})$")
_YEAR = re.compile(r"^\d{4}$")


def _date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = _of_type(value, str)
    if not _ISO_DATE.match(text):
        raise TypeError
    return date.fromisoformat(text)


def temporal_kind(text: str) -> str | None:
    """``"date"``, ``"gYearMonth"`` or ``"gYear"`` for text shaped like one, else ``None``.

    Text shaped like a date that is no date ("2021-13-45", "2021-00") raises ``ValueError``:
    it is a typo, and typing it as ``xsd:date`` would put an invalid literal in the graph.
    """
    if _ISO_DATE.match(text):
        try:
            date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"{text} is not a calendar date: {exc}") from None
        return "date"
    if match := _YEAR_MONTH.match(text):
        if not 1 <= int(match.group(1)) <= 12:
            raise ValueError(f"{text} is not a calendar year-month: month must be in 1..12")
        return "gYearMonth"
    return "gYear" if _YEAR.match(text) else None


def _literal(value: object) -> object:
    """A literal: a string, a finite number or a date (a TOML boolean or time is none of them)."""
    if _is_date(value):
        return value
    found = _of_type(value, str, int, float)
    if isinstance(found, float) and not math.isfinite(found):
        raise TypeError
    return found


def _dated_literal(value: object) -> object:
    """A literal whose date-shaped text must be a real date: it becomes an xsd:date or the like."""
    found = _literal(value)
    if isinstance(found, str):
        temporal_kind(found)
    return found


def _temporal(value: object) -> object:
    if _is_date(value):
        return value
    if temporal_kind(_of_type(value, str)) is None:
        raise TypeError
    return value


def _decimal(value: object) -> Decimal:
    try:
        number = Decimal(str(_of_type(value, str, int, float)))
    except InvalidOperation:
        raise TypeError from None
    if not number.is_finite():
        raise TypeError
    return number


def _report_file(value: object) -> str:
    """A path inside the reports folder: relative, and never climbing out with ``..``."""
    text = _text(value)
    if PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute() \
            or ".." in PurePosixPath(text).parts:
        raise ValueError(f"{text!r} leaves the reports folder")
    return text


def _citation(value: object) -> Citation:
    return Citation.parse(_of_type(value, str))


def _sha256(value: object) -> str:
    text = _of_type(value, str)
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise TypeError
    return text


TEXT = Check("a non-empty string", _text)
SLUG = Check("an id of lower-case letters, digits and '-'", _slug)
DATE = Check("a date YYYY-MM-DD", _date)
TEMPORAL = Check("a date YYYY-MM-DD, a year-month YYYY-MM or a year YYYY", _temporal)
LITERAL = Check("text, a number or a date", _literal)
DATED_LITERAL = Check("text, a number or a date YYYY-MM-DD, YYYY-MM or YYYY", _dated_literal)
DECIMAL = Check("a decimal number", _decimal)
REPORT_FILE = Check("a file name relative to the reports folder", _report_file)
SHA256 = Check("a SHA-256 checksum of 64 lower-case hex digits", _sha256)
CITATION = Check("a citation 'report-id:line | anchor phrase'", _citation)
TABLE = Check("a table", lambda value: _of_type(value, dict))


def list_of(item: Check, expected: str, *, single: bool = False, non_empty: bool = False) -> Check:
    """A list whose every item passes ``item``; ``single`` also takes one bare item."""

    def convert(value: object) -> tuple:
        if single and not isinstance(value, list):
            return (item(value),)
        if not isinstance(value, list) or (non_empty and not value):
            raise TypeError
        try:
            return tuple(item(one) for one in value)
        except Mismatch as exc:  # name the list, and keep what was wrong with the item
            raise ValueError(exc.detail or f"an item is not {exc.expected}") from None

    return Check(expected, convert)


def one_of(names: Iterable[str], noun: str) -> Check:
    allowed = sorted(names)

    def convert(value: object) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"unknown {noun} {value!r}")
        return value

    return Check(f"one of {', '.join(allowed)}", convert)


@dataclass(frozen=True)
class Field:
    """One key of a record: its check, whether it must be there, and what to say if not."""

    check: Check
    required: bool = False
    missing: str | None = None  # the message when a required key is absent


Shape = Mapping[str, Field]


def show(value: object) -> str:
    """A value as TOML would print it, cut short: the user sees what they wrote."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def key_line(lines: list[str], start: int | None, key: str) -> int | None:
    """The line to cite for ``key``: its record's header line ``start``, where records are
    named and cited throughout (fact origins, duplicate ids); for a top-level key, which has
    no header, the line of ``key = …`` or of a ``[key]``/``[[key]]`` header."""
    if start is not None:
        return start
    assignment = re.compile(rf"^\s*([\"']?){re.escape(key)}\1\s*=")
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(key)}\s*\]\]?\s*(#.*)?$")
    for number, text in enumerate(lines, start=1):
        if _HEADER.match(text):  # top-level keys come before the first header
            break
        if assignment.match(text):
            return number
    return next((n for n, text in enumerate(lines, start=1) if header.match(text)), None)


def check_record(body: object, shape: Shape, what: str, path: str | Path, lines: list[str],
                 start: int | None) -> dict[str, Any]:
    """The record's values converted by its shape, or one ``InputError`` for the first problem.

    ``what`` names the record in the message (``entity 'sensecore'``, ``[[report]] number 2``)
    and ``start`` is the line of its header; both are empty for the top level of a file.
    """
    prefix = f"{what}: " if what else ""
    if not isinstance(body, dict):
        raise InputError(f"{prefix}expected a table of keys, found {show(body)}", path=path, line=start)
    unknown = [key for key in body if key not in shape]
    if unknown:
        raise InputError(f"{prefix}unknown key {unknown[0]!r}; expected keys are {', '.join(shape)}",
                         path=path, line=key_line(lines, start, unknown[0]))
    for key, field in shape.items():
        if field.required and key not in body:
            message = field.missing or f"{key} is missing; expected {field.check.expected}"
            raise InputError(prefix + message, path=path, line=start)
    values = {}
    for key, value in body.items():
        try:
            values[key] = shape[key].check(value)
        except Mismatch as exc:
            detail = f" ({exc.detail})" if exc.detail else ""
            raise InputError(f"{prefix}{key} = {show(value)}: expected {exc.expected}{detail}",
                             path=path, line=key_line(lines, start, key)) from None
    return values


# --- the shapes of the files a user edits -----------------------------------------------

MANIFEST_SHAPE = {"report": Field(list_of(TABLE, "one or more [[report]] tables", non_empty=True), required=True,
                            missing="expected one or more [[report]] tables")}
REPORT_SHAPE = {
    "id": Field(SLUG, required=True),
    "file": Field(REPORT_FILE, required=True),
    "title": Field(TEXT, required=True),
    "kind": Field(TEXT, required=True),
    "issuer": Field(TEXT, required=True),
    "sha256": Field(SHA256, required=True),
    "published": Field(DATE),
    "period_start": Field(DATE),
    "period_end": Field(DATE),
    "note": Field(TEXT),
}
NAMES = list_of(TEXT, "a list of names")
# reports/<id>/report.toml: what is known about one report besides its manifest entry
SETTINGS_SHAPE = {"segments": Field(list_of(SLUG, "a list of segment entity ids")), "note": Field(TEXT)}
# reports/<id>/dismissed.toml: a name the curator decided is not an entity, and why
DISMISSAL_SHAPE = {"name": Field(TEXT, required=True), "reason": Field(TEXT, required=True,
                                                                       missing="needs a reason")}
FIGURE_DISMISSAL_SHAPE = {
    "cite": Field(list_of(CITATION, "one or more citations 'report-id:line | the figure as printed'",
                          single=True, non_empty=True), required=True),
    "reason": Field(TEXT, required=True, missing="needs a reason")}
MEASURE_SHAPE = {"label": Field(TEXT, required=True), "definition": Field(TEXT), "alt": Field(NAMES),
                 "sign": Field(one_of(("expense", "loss"), "sign convention"))}


@cache
def entity_shape() -> Shape:
    return {
        "type": Field(one_of(classes(), "type"), required=True),
        "label": Field(TEXT, required=True, missing="needs a non-empty label"),
        "alt": Field(NAMES),
        "reports": Field(list_of(SLUG, "a list of report ids")),
        "distinct": Field(list_of(SLUG, "a list of entity ids")),
        "note": Field(TEXT),
    }


CITES = list_of(CITATION, "one or more citations 'report-id:line | anchor phrase'", single=True, non_empty=True)


@cache
def statement_shape(kind: str) -> Shape:
    """A curated record: its node, citations, label and note, and any ``sk:`` property.

    Each property takes one value or a list; what a value must be follows the property's
    range in the ontology. An ``[[about]]`` record names an existing ``subject`` and has no
    label of its own; any other record makes a node with an ``id``.
    """
    def values(check: Check, what: str) -> Field:
        return Field(list_of(check, f"{what}, or a list of them", single=True, non_empty=True))

    shape: dict[str, Field] = {}
    for name, prop in properties().items():
        if prop.links_entities:
            shape[name] = values(SLUG, "an entity id")
        elif prop.range == XSD.decimal:
            shape[name] = values(DECIMAL, "a decimal number")
        elif prop.range in TEMPORAL_DATATYPES:
            shape[name] = values(TEMPORAL, TEMPORAL.expected)
        elif prop.range in (None, RDFS.Literal):
            shape[name] = values(DATED_LITERAL, DATED_LITERAL.expected)
        else:
            shape[name] = values(LITERAL, LITERAL.expected)
    shape["cite"] = Field(CITES, required=True,
                          missing="cite must list one or more 'report-id:line | anchor'")
    shape["note"] = Field(TEXT)
    if kind == "about":
        shape["subject"] = Field(SLUG, required=True)
    else:
        shape["id"] = Field(SLUG, required=True)
        shape["label"] = Field(TEXT)
    return shape
