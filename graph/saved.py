"""Saved queries: ``queries/*.rq`` with a grlc-style header, and their parameters.

A header is a run of ``#+`` comment lines::

    #+ summary: Certifications held by an entity, with issuer and date
    #+ description: ...
    #+ params:
    #+   - name: entity  (type: entity; optional; bound to ?entity) the holder
    #+   - name: report  (type: report; optional; bound to ?in_report)
    #+ tags: [certification]
    #+ example: entity=SenseAuto

Each parameter line is ``- name: NAME (ITEM; ITEM; ...) free text``; the items are

``type: TYPE``
    required: what the value is, and how it is checked against the graph and bound (below);
``optional``
    the parameter may be left out (the query then sees its variable unbound);
``default: VALUE``
    the value used when the parameter is left out (implies ``optional``; checked like a given one);
``bound to ?VAR``
    the query variable the value is bound to (default ``?NAME``); the query must use it.

Any other item, and text after the parenthesis, describe the parameter (``e.g. 2024``). The
types (see :data:`TYPES`; :mod:`sensekg.graph.runner` checks and binds them):

``entity``   an IRI, ``id:slug``, a label or an alias (case-insensitive) -> the entity's IRI
``report``   a report id (``annual-results-2024``, ``report:...`` or the IRI) of a sk:Report -> its IRI
``measure``  a measure id or its label or alias (``revenue``, ``Revenue``) -> the measure's IRI
``changed-measure``  a measure, as above, that has year-over-year change figures (the change
             measure itself is taken as its base measure) -> the base measure's IRI
``period``   a period label as sk:periodLabel holds it (``FY2024``, ``H1 2025``) -> the literal
``year``     four digits that some date in the graph falls in -> the literal
``relation-kind``  a relation kind as sk:relationKind holds it (``customer``) -> the literal
``category`` a category of an organisation as sk:category holds it (``university``) -> the literal
``text``     any text (``literal`` is the same), bound as a plain literal, not checked

A parameter line without a type, with an unknown type or an unknown ``bound to`` variable is
an error naming the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sensekg.loaders.errors import InputError

_PARAM = re.compile(r"^-\s*name:\s*(\S*)\s*(.*)$")
_NAME = re.compile(r"[A-Za-z_]\w*")

# the parameter types, each with what it accepts (shown in the catalogue; checked in runner.py)
TYPES = {
    "entity": "an IRI, id:slug, label or alias of an entity",
    "report": "a report id",
    "measure": "a measure id, label or alias",
    "changed-measure": "a measure id, label or alias of a measure with year-over-year change figures",
    "period": "a period label as the graph holds it",
    "year": "a year, four digits",
    "relation-kind": "a relation kind as the graph holds it",
    "category": "a category as the graph holds it",
    "text": "any text",
}
_ALIASES = {"literal": "text"}
RESERVED = {"format", "iris", "request"}  # the HTTP API's own query parameters


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    optional: bool
    type: str = "text"
    default: str | None = None
    variable: str = ""

    def __post_init__(self):
        if not self.variable:
            object.__setattr__(self, "variable", self.name)

    @property
    def kind(self) -> str:
        """The declared type (the name older callers used)."""
        return self.type

    def signature(self) -> str:
        """``type, optional, default X`` for catalogues and help."""
        parts = [self.type] + (["optional"] if self.optional else [])
        if self.default is not None:
            parts.append(f"default {self.default}")
        return ", ".join(parts)


def _split_parens(text: str) -> tuple[str | None, str]:
    """``(a; b (c)) rest`` -> ``("a; b (c)", "rest")``; no leading parenthesis -> ``(None, text)``."""
    if not text.startswith("("):
        return None, text
    depth = 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return text[1:index], text[index + 1:].strip()
    return None, text


def parse_param(body: str, path: Path, line: int) -> Param:
    """One ``- name: NAME (type: T; optional; default: V; bound to ?v) text`` line of a header."""
    match = _PARAM.match(body)
    name, rest = match.group(1), match.group(2).strip()
    if not _NAME.fullmatch(name):
        raise InputError(f"saved query parameter name {name!r} is not a name (letters, digits, _)",
                         path=path, line=line)
    if name in RESERVED:
        raise InputError(f"saved query parameter {name!r}: the name is reserved by the HTTP API "
                         f"({', '.join(sorted(RESERVED))})", path=path, line=line)
    items, text = _split_parens(rest)
    kind, optional, default, variable, described = None, False, None, name, []
    for item in (i.strip() for i in (items or "").split(";")):
        key, _, value = item.partition(":")
        if key.strip() == "type" and _:
            kind = value.strip()
        elif key.strip() == "default" and _:
            default, optional = value.strip(), True
        elif item == "optional":
            optional = True
        elif item.startswith("bound to"):
            variable = item.removeprefix("bound to").strip().lstrip("?$")
            if not _NAME.fullmatch(variable):
                raise InputError(f"saved query parameter {name!r}: {item!r} names no variable",
                                 path=path, line=line)
        elif item:
            described.append(item)
    if kind is None:
        raise InputError(f"saved query parameter {name!r} declares no type: write "
                         f"'- name: {name}  (type: TYPE; ...)' with TYPE one of {', '.join(TYPES)}",
                         path=path, line=line)
    kind = _ALIASES.get(kind, kind)
    if kind not in TYPES:
        raise InputError(f"saved query parameter {name!r} has the unknown type {kind!r}; the types are "
                         f"{', '.join(TYPES)}", path=path, line=line)
    if text:
        described.append(text)
    return Param(name, "; ".join(described), optional, kind, default, variable)


@dataclass(frozen=True)
class SavedQuery:
    name: str
    summary: str
    description: str
    params: tuple[Param, ...]
    tags: tuple[str, ...]
    example: dict[str, str]
    text: str
    path: Path


def queries_dir() -> Path:
    return Path(str(resources.files("sensekg.queries")))


def parse_header(path: Path) -> SavedQuery:
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    params: list[Param] = []
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            if line.strip() and not line.startswith("#"):
                break
            continue
        body = line[2:].strip()
        match = re.match(r"^(\w+):\s*(.*)$", body)
        param = _PARAM.match(body)
        if param and current == "params":
            params.append(parse_param(body, path, number))
            if any(p.name == params[-1].name or p.variable == params[-1].variable for p in params[:-1]):
                raise InputError(f"saved query parameter {params[-1].name!r} is declared twice",
                                 path=path, line=number)
            if not re.search(rf"[?$]{params[-1].variable}\b", _body(text)):
                raise InputError(f"saved query parameter {params[-1].name!r} is bound to "
                                 f"?{params[-1].variable}, which the query does not use", path=path, line=number)
        elif match and not body.startswith("-"):
            current = match.group(1)
            fields[current] = match.group(2).strip()
        elif param or (current == "params" and body):
            raise InputError(f"saved query header line not understood: {line!r} (a parameter is "
                             "'- name: NAME (type: TYPE; ...)' under '#+ params:')", path=path, line=number)
        elif current in fields and body:
            fields[current] = f"{fields[current]} {body}".strip()
        else:
            raise InputError(f"saved query header line not understood: {line!r}", path=path, line=number)
    if not fields.get("summary"):
        raise InputError("saved query has no '#+ summary:' line", path=path)
    tags = tuple(t.strip() for t in fields.get("tags", "").strip("[]").split(",") if t.strip())
    example = dict(pair.split("=", 1) for pair in fields.get("example", "").split(";") if "=" in pair)
    example = {k.strip(): v.strip() for k, v in example.items()}
    return SavedQuery(path.stem, fields["summary"], fields.get("description", ""), tuple(params), tags,
                      example, text, path)


def _body(text: str) -> str:
    """The query without its comment lines."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def load_saved(folder: Path | None = None) -> dict[str, SavedQuery]:
    root = folder or queries_dir()
    return {path.stem: parse_header(path) for path in sorted(root.glob("*.rq"))}


def get_saved(name: str, folder: Path | None = None) -> SavedQuery:
    saved = load_saved(folder)
    if name not in saved:
        close = [n for n in saved if name.casefold() in n.casefold()]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `sensekg query list`"
        raise InputError(f"no saved query named {name!r}{hint}")
    return saved[name]


def catalogue(saved: dict[str, SavedQuery]) -> str:
    """The Markdown catalogue of the saved queries, generated from their headers."""
    out = ["# Saved queries", "",
           "Generated from the headers of `queries/*.rq` by `sensekg query catalogue`; do not edit by hand.",
           "Run one with `sensekg query run NAME --param name=value`.", "",
           "Each parameter has a type; a value is checked against the graph before the query runs, and "
           "one the graph does not know is refused with the closest values it does know:", ""]
    out += [f"- `{kind}`: {what}" for kind, what in TYPES.items()] + [""]
    for query in saved.values():
        out += [f"## {query.name}", "", query.summary + ".", ""]
        if query.description:
            out += [query.description, ""]
        if query.params:
            out += ["Parameters:", ""]
            out += [f"- `{p.name}` ({p.signature()}): {p.description or TYPES[p.type]}" for p in query.params]
            out.append("")
        args = " ".join(f"--param {k}={_shell(v)}" for k, v in query.example.items())
        out += ["```console", f"sensekg query run {query.name} {args}".rstrip(), "```", ""]
        if query.tags:
            out += [f"Tags: {', '.join(query.tags)}", ""]
    return "\n".join(out).rstrip() + "\n"


def _shell(value: str) -> str:
    return value if re.fullmatch(r"[\w.:/-]+", value) else "'" + value.replace("'", "'\\''") + "'"
