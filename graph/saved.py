"""Saved queries: ``queries/*.rq`` with a grlc-style header, and their parameters.

A header is a run of ``#+`` comment lines::

    #+ summary: Certifications held by an entity, with issuer and date
    #+ description: ...
    #+ params:
    #+   - name: entity      (bound to ?entity; an IRI, a label or an alias)
    #+ tags: [certification]

A parameter whose description says "label or an alias" names an entity and is resolved to its
IRI; one that says "report id" names a report; any other is bound as a plain literal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sensekg.loaders.errors import InputError

_PARAM = re.compile(r"^-\s*name:\s*(\w+)\s*(?:\((.*)\))?\s*$")


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    optional: bool

    @property
    def kind(self) -> str:
        text = self.description.casefold()
        if "label or an alias" in text:
            return "entity"
        if "report id" in text:
            return "report"
        return "literal"


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
            description = param.group(2) or ""
            params.append(Param(param.group(1), description, "optional" in description.casefold()))
        elif match and not body.startswith("-"):
            current = match.group(1)
            fields[current] = match.group(2).strip()
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
           "Run one with `sensekg query run NAME --param name=value`.", ""]
    for query in saved.values():
        out += [f"## {query.name}", "", query.summary + ".", ""]
        if query.description:
            out += [query.description, ""]
        if query.params:
            out += ["Parameters:", ""]
            out += [f"- `{p.name}`: {p.description or 'a value'}" for p in query.params]
            out.append("")
        args = " ".join(f"--param {k}={_shell(v)}" for k, v in query.example.items())
        out += ["```console", f"sensekg query run {query.name} {args}".rstrip(), "```", ""]
        if query.tags:
            out += [f"Tags: {', '.join(query.tags)}", ""]
    return "\n".join(out).rstrip() + "\n"


def _shell(value: str) -> str:
    return value if re.fullmatch(r"[\w.:/-]+", value) else "'" + value.replace("'", "'\\''") + "'"
