"""Full-text search in the evidence: the quoted report passages, and the facts that cite each.

The build writes ``evidence.sqlite`` beside the TriG: an SQLite FTS5 table of every report line
the graph cites (its whole text, so the words around a quoted sentence count) with the Porter
stemmer, and a table of the facts that cite each line, with labels (types, labels and aliases
left out: the passage names them). A search takes a millisecond or two, where a ``CONTAINS``
over ``sk:quote`` in SPARQL scans every quote (``bench/search.py``).

A search for several words finds first the passages holding them as one phrase, then those
holding all of them, then (only when none holds all) those holding any; within each, best
first by BM25. Each word is passed to FTS5 as a quoted string, so its query syntax (``AND``,
``NEAR``, ``*``, column filters) cannot be injected; punctuation inside a word splits it into a
phrase, so ``12.2%`` finds "12.2%".
"""

from __future__ import annotations

import errno
import re
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, RDFS, SKOS, Literal, URIRef

from sensekg.loaders.errors import CorruptStore, InputError

from .query import show

COLUMNS = ["source", "passage", "facts"]


def write_index(cited: Iterable[tuple[str, int, ox.NamedNode, ox.NamedNode, ox.Term]],
                labels: dict[ox.NamedNode, str], path: Path, line_text: Callable[[str, int], str]) -> int:
    """Write the search index to ``path`` (a new file); the passage count.

    ``cited`` holds, for each line a piece of evidence cites (its own, and the line it is read
    with), the report, the line and the fact's subject, predicate and object (see
    ``assemble``). A passage is the whole cited line, ``line_text(report, line)``, cleaned of
    markup by the build, so a word beside the quoted sentence is found too. ``labels`` name the
    entities in the facts table (``build.labels_of_lines``); facts that name or type an entity
    are left out of it: the passage names them."""
    passages: dict[str, str] = {}
    facts: set[tuple[str, str, str, str]] = set()
    naming = {str(RDF.type), str(RDFS.label), str(SKOS.altLabel), str(SKOS.inScheme)}  # names and types, not facts
    names: dict[ox.Term, str] = {}  # a term recurs in many facts: each named once

    def name(term: ox.Term) -> str:
        found = names.get(term)
        if found is None:
            found = names[term] = _name(term, labels)
        return found

    for report, line, s, p, o in cited:
        source = f"{report}:{line}"
        if source not in passages:
            passages[source] = line_text(report, line)
        if p.value not in naming:
            facts.add((source, name(s), name(p), name(o)))
    connection = sqlite3.connect(path)
    try:
        connection.executescript("""
            CREATE VIRTUAL TABLE passages USING fts5(source UNINDEXED, quote, tokenize = 'porter unicode61');
            CREATE TABLE facts (source TEXT, subject TEXT, predicate TEXT, object TEXT);
            CREATE INDEX facts_by_source ON facts (source);""")
        connection.executemany("INSERT INTO passages VALUES (?, ?)", sorted(passages.items()))
        connection.executemany("INSERT INTO facts VALUES (?, ?, ?, ?)", sorted(facts))
        connection.commit()
    except sqlite3.Error as exc:  # a full disk ("database or disk is full"), as the file system's own refusal
        raise OSError(errno.ENOSPC if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc)
                      else errno.EIO, str(exc), str(path)) from None
    finally:
        connection.close()
    return len(passages)


def _name(term, labels: dict[ox.NamedNode, str]) -> str:
    """A term as the facts column shows it: an entity's label, a literal's text, else a qname."""
    if isinstance(term, ox.NamedNode):
        return labels.get(term) or show(URIRef(term.value))
    return term.value


def fts_queries(text: str) -> list[str]:
    """The FTS5 queries for ``text``, in the order they are tried: phrase, all words, any word."""
    words = [w for w in re.findall(r"\S+", text) if re.search(r"\w", w)]
    if not words:
        raise InputError(f"search for what? {text!r} has no word to look for")
    quoted = ['"' + w.replace('"', '""') + '"' for w in words]
    if len(quoted) == 1:
        return quoted
    phrase = '"' + " ".join(w.replace('"', '""') for w in words) + '"'
    return [phrase, " ".join(quoted), " OR ".join(quoted)]


def search_passages(build: str | Path, text: str, limit: int = 20) -> tuple[list[str], list[tuple]]:
    """The passages that contain ``text``'s words, best first, each as its words around the match
    (40 words at most; the whole line is ``sensekg why`` away) with the facts citing it."""
    from .buildio import INDEX, resolve_graph_path

    path = resolve_graph_path(build).with_name(INDEX)
    if not path.is_file():
        raise InputError("this build has no evidence index (it was built by an older sensekg); rebuild it with "
                         "`sensekg build --force`", path=path)
    connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        found: dict[str, str] = {}
        queries = fts_queries(text)
        for number, query in enumerate(queries):
            if number == len(queries) - 1 and number > 0 and found:
                break  # "any word" only when no passage holds them all
            for source, quote in connection.execute(
                    "SELECT source, snippet(passages, 1, '', '', ' … ', 40) FROM passages WHERE passages MATCH ? "
                    "ORDER BY bm25(passages) LIMIT ?", (query, limit)):
                found.setdefault(source, quote)
            if len(found) >= limit:
                break
        rows = []
        for source, quote in list(found.items())[:limit]:
            cites = connection.execute("SELECT subject, predicate, object FROM facts WHERE source = ? "
                                       "ORDER BY subject, predicate, object", (source,)).fetchall()
            rows.append((Literal(source), Literal(quote), Literal("; ".join(" ".join(f) for f in cites))))
    except sqlite3.DatabaseError as exc:
        raise CorruptStore(f"the evidence index cannot be read ({exc}); rebuild it with `sensekg build --force`",
                           path=path) from None
    finally:
        connection.close()
    return COLUMNS, rows
