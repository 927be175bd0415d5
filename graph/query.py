"""Running SPARQL on the built graph and printing results people can read."""

from __future__ import annotations

import csv
import io
import json
import re
import textwrap
from pathlib import Path

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.errors import InputError, Refused

from .rdfio import PREFIXES as RDF_PREFIXES
from .rdfio import from_ox, to_ox

# the prefixes declared for every query and used to shorten IRIs in answers: the same as the files'
PREFIXES = RDF_PREFIXES


def read_query(query_or_file: str) -> str:
    path = Path(query_or_file)
    if query_or_file.endswith(".rq") or (len(query_or_file) < 250 and path.is_file()):
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"the query file is not UTF-8 (byte {exc.start})", path=path) from None
        except OSError as exc:
            raise InputError(f"cannot read the query file: {exc.strerror}", path=path) from None
    return query_or_file


_PROLOGUE = re.compile(r"""\A(?:\s+|\#[^\n]*\n?|PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s+<[^>]*>)*""", re.IGNORECASE)
_UPDATE = re.compile(r"(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b", re.IGNORECASE)


def is_update(text: str) -> bool:
    """Whether ``text`` is a SPARQL Update (its first keyword after the prologue is an update one)."""
    return bool(_UPDATE.match(text, _PROLOGUE.match(text).end()))


# what cannot hold a keyword: long and short strings, IRIs and comments; no pattern nests, so
# each runs in linear time
_NOT_CODE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*(?:"""|\Z)'
    r"|'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)"
    r'|"(?:[^"\\\n]|\\.)*"?'
    r"|'(?:[^'\\\n]|\\.)*'?"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|\#[^\n]*", re.DOTALL)
_FETCH = re.compile(r"(?<![?$:\w])(?:SERVICE|LOAD)(?![:\w])", re.IGNORECASE)


def fetches(text: str) -> bool:
    """Whether a SPARQL text calls ``SERVICE`` or ``LOAD`` (outside strings, IRIs, comments and
    names): both make the engine fetch a URL."""
    return bool(_FETCH.search(_NOT_CODE.sub(" ", text)))


def refuse_service(text: str) -> None:
    """Federation and LOAD make the engine fetch any URL a query names (SSRF): off unless asked for."""
    if fetches(text):
        raise Refused("the query calls SERVICE or LOAD, which would make sensekg fetch from another server; "
                      "that is off unless you pass --allow-service")


def syntax_error(exc: SyntaxError, sent: str, own: str, what: str = "SPARQL") -> InputError:
    """Oxigraph's syntax error with its position counted in the user's own text (``own``), not
    in the text sent (``sent``: with the declared prefixes and bound values added)."""
    added = sent.count("\n") - own.count("\n")
    message = re.sub(r"error at (\d+):(\d+)", lambda m: f"error at line {int(m[1]) - added}, column {m[2]}",
                     str(exc), count=1)
    return InputError(f"malformed {what}: {message}")


def with_prefixes(text: str) -> str:
    declared = {line.split()[1].rstrip(":").lower() for line in text.splitlines()
                if line.strip().upper().startswith("PREFIX ") and len(line.split()) > 1}
    missing = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if p not in declared)
    return missing + text


_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


# a sub-SELECT with its WHERE keyword; one written without it is left alone (no match across braces)
_SUBSELECT = re.compile(r"\{\s*SELECT\b(?P<projection>[^{}]*?)\bWHERE\s*\{", re.IGNORECASE)


def _projected(projection: str) -> set[str]:
    """The variables a sub-SELECT projects: its bare variables and the targets of ``AS`` (not the
    variables inside an expression; none for ``SELECT *``, which is left alone)."""
    names = set(re.findall(r"\bAS\s+\?(\w+)", projection, re.IGNORECASE))
    depth = 0
    for token in re.finditer(r"[()]|\?\w+", projection):
        if token.group() == "(":
            depth += 1
        elif token.group() == ")":
            depth -= 1
        elif depth == 0:
            names.add(token.group()[1:])
    return names


def bind(text: str, bindings: dict[str, Node] | None) -> str:
    """Bind parameters with a ``VALUES`` block at the start of the WHERE clause, and of every
    sub-SELECT that projects a bound variable (with the variables it projects).

    Values are RDF terms serialised by Oxigraph (N-Triples syntax, every quote, brace and
    newline escaped), so a value never becomes query syntax. At the start of the group the
    bound variables are visible to the group's FILTERs, unlike a trailing VALUES clause.
    (Oxigraph's own substitutions only reach projected variables.) A sub-SELECT is evaluated on
    its own, before the outer VALUES joins it: without its own VALUES it would find the answer
    for every entity and keep one, at a cost that grows with the graph, not with the answer. Its
    rows are joined on the same variables with the same values either way, so the answer is the
    same.
    """
    if not bindings:
        return text
    match = _WHERE.search(text)
    if match is None:
        raise InputError("a query that takes parameters needs a WHERE { ... } clause")

    def values(names: list[str]) -> str:
        terms = " ".join(str(to_ox(bindings[name])) for name in names)
        return f"\n  VALUES ({' '.join(f'?{name}' for name in names)}) {{ ({terms}) }}\n"

    inserts = [(match.end(), values(list(bindings)))]
    for sub in _SUBSELECT.finditer(text, match.end()):
        inner = [name for name in bindings if name in _projected(sub.group("projection"))]
        if inner:
            inserts.append((sub.end(), values(inner)))
    for at, block in sorted(inserts, reverse=True):
        text = text[:at] + block + text[at:]
    return text


def select(store: ox.Store, text: str, bindings: dict[str, Node] | None = None,
           allow_service: bool = False) -> tuple[list[str], list[tuple]]:
    """Run a SELECT; the default graph is the union of all graphs. ``SERVICE`` is refused
    unless ``allow_service``."""
    if not allow_service:
        refuse_service(text)
    full = with_prefixes(text)
    try:
        result = store.query(bind(full, bindings))
    except SyntaxError as exc:
        raise syntax_error(exc, full, text) from None
    if not hasattr(result, "variables"):
        raise InputError("only SELECT queries are answered here (ASK, CONSTRUCT and DESCRIBE are not)")
    columns = [v.value for v in result.variables]
    rows = [tuple(None if cell is None else from_ox(cell) for cell in solution) for solution in result]
    return columns, rows


def show(value: Node | None) -> str:
    if value is None:
        return ""
    if isinstance(value, URIRef):
        for prefix, iri in PREFIXES.items():
            if value.startswith(iri):
                return f"{prefix}:{value[len(iri):]}"
        return str(value)
    return str(value) if isinstance(value, Literal) else value.n3()


def render(columns: list[str], rows: list[tuple], fmt: str = "table", width: int | None = None) -> str:
    """Rows as a table, Markdown, JSON or CSV. Nothing is ever cut: a table is printed whole, or,
    given a ``width`` (a terminal's), with its long text cells wrapped onto more lines so that it
    fits where it can. A cell without spaces (an id, an IRI, a number) is never broken, so what
    is printed can be pasted back into a parameter."""
    cells = [[show(v) for v in row] for row in rows]
    if fmt == "md":
        escape = lambda v: v.replace("|", "\\|").replace("\n", " ")  # noqa: E731
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(escape(v) for v in row) + " |" for row in cells]
        return "\n".join(lines)
    if fmt == "json":
        records = [dict(zip(columns, row, strict=True)) for row in cells]
        return json.dumps(records, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return buffer.getvalue().rstrip("\n")
    cells = [[" ".join(v.split()) if "\n" in v or "\t" in v else v for v in row] for row in cells]
    widths = column_widths(columns, cells, width)

    def lines(values: list[str]) -> list[str]:
        wrapped = [textwrap.wrap(v, w, break_long_words=False, break_on_hyphens=False) or [""] if len(v) > w else [v]
                   for v, w in zip(values, widths, strict=True)]
        return ["  ".join((parts[i] if i < len(parts) else "").ljust(w) for parts, w in zip(wrapped, widths,
                                                                                            strict=True)).rstrip()
                for i in range(max(len(p) for p in wrapped))]

    out = lines(columns) + lines(["-" * w for w in widths]) + [line for r in cells for line in lines(r)]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def column_widths(columns: list[str], cells: list[list[str]], width: int | None) -> list[int]:
    """Each column's width: its widest cell; given a total ``width``, the columns of text (cells
    with spaces) give way, widest first, down to 24 characters or their longest word."""
    natural = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    if width is None or sum(natural) + 2 * (len(columns) - 1) <= width:
        return natural
    floor = [max([len(c), 24 if any(" " in r[i] for r in cells) else natural[i]]
                 + [max(map(len, r[i].split()), default=0) for r in cells]) for i, c in enumerate(columns)]
    widths = list(natural)
    excess = sum(widths) + 2 * (len(columns) - 1) - width
    while excess > 0:
        room = [(widths[i] - floor[i], i) for i in range(len(widths)) if widths[i] > floor[i]]
        if not room:
            break
        _, i = max(room)
        widths[i] -= 1
        excess -= 1
    return widths
