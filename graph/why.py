"""``why``: every fact around an entity with the report lines that state it, hop by hop.

The first hop is every fact whose subject or object is the entity. Each further hop follows the
nodes that exist to describe a relation or an event: certifications, memberships,
partnerships, roles, awards and events (:data:`FOLLOWED`). So from the Human-Centered AI
initiative, hop 1 finds the event that launched it and hop 2 who launched it, without pulling
in every fact of every entity around it (from SenseAuto, hop 2 through the group node would be
all of SenseTime).
"""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.term import Node

from sensekg.loaders.vocab import QUALIFIED_CLASSES, SK

from .query import select

FOLLOWED = (*QUALIFIED_CLASSES, "Event")
COLUMNS = ["depth", "subject", "predicate", "object", "source", "quote"]

FACTS = """
SELECT ?subject ?predicate ?object ?source ?quote WHERE {
  VALUES ?node { %s }
  { ?e rdf:subject ?node } UNION { ?e rdf:object ?node }
  ?e rdf:subject ?subject ; rdf:predicate ?predicate ; rdf:object ?object ;
     prov:wasDerivedFrom ?r ; sk:line ?line ; sk:quote ?own .
  OPTIONAL { ?e sk:contextLine ?with ; sk:contextQuote ?context }
  BIND(CONCAT(STRAFTER(STR(?r), "/report/"), ":", STR(?line), IF(BOUND(?with), CONCAT(" with :", STR(?with)), ""))
       AS ?source)
  BIND(IF(BOUND(?with),
          CONCAT(?own, IF(?with < ?line, "  ← read with :", "  → read with :"), STR(?with), " ", ?context),
          ?own) AS ?quote)
}"""

DESCRIBING = """
SELECT DISTINCT ?node WHERE { VALUES ?node { %s } VALUES ?type { %s } ?node a ?type }"""


def _values(nodes) -> str:
    return " ".join(f"<{n}>" for n in sorted(nodes) if ">" not in n)


def facts_around(store: ox.Store, entity: URIRef, depth: int = 1) -> tuple[list[str], list[tuple]]:
    """The evidence rows found within ``depth`` hops of ``entity``, each once, nearest first;
    within a hop, by report line."""
    rows: list[tuple] = []
    seen_facts: set[tuple] = set()
    reached, frontier = {entity}, {entity}
    types = " ".join(f"<{SK[name]}>" for name in FOLLOWED)
    for hop in range(1, depth + 1):
        if not frontier:
            break
        _, found = select(store, FACTS % _values(frontier))
        found.sort(key=lambda r: (_line_key(r[3]), str(r[1]), str(r[0]), str(r[2])))
        ends: set[str] = set()
        for subject, predicate, obj, source, quote in found:
            key = (subject, predicate, obj, source)
            if key in seen_facts:
                continue
            seen_facts.add(key)
            rows.append((Literal(hop), subject, predicate, obj, source, quote))
            ends.update(str(n) for n in (subject, obj) if isinstance(n, URIRef))
        if hop == depth:
            break
        candidates = ends - {str(n) for n in reached}
        if not candidates:
            break
        _, describing = select(store, DESCRIBING % (_values(candidates), types))
        frontier = {URIRef(str(node)) for (node,) in describing}
        reached |= frontier
    return COLUMNS, rows


def _line_key(source: Node) -> tuple[str, int]:
    report, _, line = str(source).split(" with ")[0].rpartition(":")
    return report, int(line) if line.isdigit() else 0


def grouped(columns: list[str], rows: list[tuple], show) -> str:
    """The rows as text, each cited line once, quoted, with the facts that cite it under it."""
    index = {name: columns.index(name) for name in COLUMNS}
    passages: dict[str, list[tuple]] = {}
    quotes: dict[str, str] = {}
    for row in rows:
        source, quote = show(row[index["source"]]), show(row[index["quote"]])
        passages.setdefault(source, []).append(row)
        if len(quote) > len(quotes.get(source, "")):  # a line quoted whole and by sentence: the whole
            quotes[source] = quote
    out = []
    for source, facts in passages.items():
        out.append(f"{source}  {quotes[source]}")
        for row in facts:
            hop = show(row[index["depth"]])
            out.append(f"    [{hop}] {show(row[index['subject']])}  {show(row[index['predicate']])}  "
                       f"{show(row[index['object']])}")
    facts = len(rows)
    out.append(f"({facts} fact{'s' if facts != 1 else ''} from {len(passages)} "
               f"passage{'s' if len(passages) != 1 else ''})")
    return "\n".join(out)
