"""Subgraphs for people: the neighbourhood of an entity as a small networkx graph, drawn as a
self-contained HTML page, SVG or PNG, or exported to GraphML/GEXF for Gephi and Cytoscape.

The neighbourhood is collected from the store first (a few SPARQL queries per hop), then a
small graph is built; ``networkx.ego_graph`` on the whole graph would copy all of it.
Evidence nodes, ontology terms and literals are not nodes: literals become node attributes,
and each edge carries its report lines and quotes. Qualified facts (a certification, a
membership, a partnership, a role, an award) are drawn as one labelled edge, e.g.
``SenseAuto —certified: TISAX AL3 (2023)→ TISAX``. A hub (see :func:`hub_degrees`) is drawn
where it is reached but not expanded unless asked, so that a picture shows its entity and not
the whole group.
"""

from __future__ import annotations

import html
import io
import json
import statistics
from collections import defaultdict, deque
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import networkx as nx
import pyoxigraph as ox

from sensekg.loaders import vocab
from sensekg.loaders.errors import InputError
from sensekg.loaders.vocab import RDF_NS, RDFS_LABEL

ID, SK = str(vocab.ID), str(vocab.SK)

# qualified node class -> (the side the edge starts from, the side it points to, edge verb)
QUALIFIED = {
    "Certification": ("holder", "standard", "certified"),
    "Membership": ("member", "organization", "member"),
    "Partnership": ("partner", "organization", "partner"),
    "Role": ("person", "organization", "role"),
    "Award": ("awardedTo", "awardedBy", "award"),
    "StandardUse": ("organization", "standard", "standard"),
}
assert set(QUALIFIED) == set(vocab.QUALIFIED_CLASSES), "every qualified class is drawn as an edge"
SKIP_TYPES = {"Observation", "Measure", "Evidence", "Report", "SegmentationScheme"}

FACTS = """
SELECT ?s ?p ?o WHERE {
  VALUES ?focus { %s }
  { ?focus ?p ?o BIND(?focus AS ?s) } UNION { ?s ?p ?focus BIND(?focus AS ?o) FILTER(STRSTARTS(STR(?s), "%(id)s")) }
}"""

# The evidence of facts already found, asked for with the facts bound. Asked as an OPTIONAL of
# the query above, Oxigraph joined it with every evidence node of the store: 2 s a hop for
# SenseAuto, against 0.02 s for the two queries.
EVIDENCE_OF = """
SELECT ?s ?p ?o ?source ?quote WHERE {
  VALUES (?s ?p ?o) { %s }
  ?e rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?r ; sk:line ?line ; sk:quote ?quote
  BIND(CONCAT(STRAFTER(STR(?r), "/report/"), ":", STR(?line)) AS ?source)
}"""


@dataclass
class Fact:
    s: str
    p: str
    o: object  # str IRI or ox.Literal
    sources: list[tuple[str, str]]


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def collect(store: ox.Store, focus: list[str], report: str | None) -> list[Fact]:
    """Every fact with one of the focus IRIs as subject or object, with its evidence."""
    if not focus:
        return []
    prefixes = f"PREFIX sk: <{SK}>\nPREFIX prov: <{vocab.PROV}>\nPREFIX rdf: <{RDF_NS}>\n"
    values = " ".join(f"<{iri}>" for iri in focus)
    facts: dict[tuple, Fact] = {}
    bound = []
    for row in store.query(prefixes + FACTS.replace("%(id)s", ID).replace("%s", values)):
        s, p, o = row["s"], row["p"], row["o"]
        if not isinstance(s, ox.NamedNode) or not s.value.startswith(ID):
            continue
        key = (s.value, p.value, str(o))
        if key not in facts:
            facts[key] = Fact(s.value, p.value, o.value if isinstance(o, ox.NamedNode) else o, [])
            if not isinstance(o, ox.BlankNode):  # a blank node cannot be given in VALUES (and has no evidence)
                bound.append(f"({s} {p} {o})")
    if bound:
        for row in store.query(prefixes + EVIDENCE_OF % " ".join(bound)):  # the terms come back as bound
            fact = facts[(row["s"].value, row["p"].value, str(row["o"]))]
            fact.sources.append((row["source"].value, row["quote"].value))
    found = list(facts.values())
    if report:
        found = [f for f in found if any(src.startswith(report + ":") for src, _ in f.sources)]
    return found


@dataclass
class Subgraph:
    graph: nx.MultiDiGraph
    dropped: int
    held: dict[str, int] = field(default_factory=dict)  # hubs drawn but not expanded -> their degree


# A hub links to at least this many entities, and to HUB_FACTOR times the median entity's count
HUB_FLOOR, HUB_FACTOR = 50, 10


# A qualified fact as one edge between its two ends (?s, ?o), for the graphs of links between entities
QUALIFIED_EDGES = """{ ?q a ?c ; ?p1 ?s ; ?p2 ?o . VALUES (?c ?p1 ?p2) {
          (<%(sk)sCertification> <%(sk)sholder> <%(sk)sstandard>)
          (<%(sk)sMembership> <%(sk)smember> <%(sk)sorganization>)
          (<%(sk)sPartnership> <%(sk)spartner> <%(sk)sorganization>)
          (<%(sk)sRole> <%(sk)sperson> <%(sk)sorganization>)
          (<%(sk)sAward> <%(sk)sawardedTo> <%(sk)sawardedBy>) } }"""


def entity_links(store: ox.Store) -> nx.Graph:
    """The links between entities as a picture draws them: an edge for each fact from one
    entity to another, one edge for each qualified fact (holder to standard, member to
    organisation...), and no qualified nodes, observations, measures or reports."""
    linking = " ".join(f"<{k.iri}>" for k in vocab.properties().values() if k.links_entities)
    query = """
    SELECT ?s ?o WHERE {
      { VALUES ?p { %(linking)s } ?s ?p ?o . FILTER(isIRI(?o) && STRSTARTS(STR(?s), "%(id)s")
                          && STRSTARTS(STR(?o), "%(id)s") && !STRSTARTS(STR(?s), "%(id)sobs-")) }
      UNION
      %(qualified)s
    }""".replace("%(qualified)s", QUALIFIED_EDGES).replace("%(id)s", ID).replace("%(sk)s", SK) \
        .replace("%(linking)s", linking)
    graph = nx.Graph()
    for row in store.query(query):
        if row["s"] != row["o"]:
            graph.add_edge(row["s"].value, row["o"].value)
    kinds = _types_of(store, set(graph.nodes))
    graph.remove_nodes_from([n for n in list(graph) if kinds.get(n) in QUALIFIED or kinds.get(n) in SKIP_TYPES])
    return graph


def hub_degrees(store: ox.Store, links: nx.Graph | None = None) -> dict[str, int]:
    """The hubs of the graph, each with its degree (the entities it links to, as drawn).

    A hub is an entity linked to at least ``max(HUB_FLOOR, HUB_FACTOR × the median degree)``
    others. Why: a picture stays readable up to about 150 nodes (the default ``--max-nodes``),
    and one node whose own neighbours fill a third of that turns any picture that reaches it
    into its star. The degrees are heavy-tailed: in the graph of the four reports the median
    entity links to 1 other, the busiest product (SenseAuto) to 28, and the group, SenseTime,
    the issuer of every report, to about 320, so SenseTime alone is a hub, and the rule needs no
    list of names. The median follows the graph as it grows denser and, unlike a mean or a
    standard deviation, is not pulled up by the hubs themselves, so a second hub cannot hide
    behind the first; the floor keeps a small graph from calling its busiest node a hub.
    Reports, measures and observations are not entities here (they are never drawn).
    """
    links = entity_links(store) if links is None else links
    degrees = dict(links.degree())
    if not degrees:
        return {}
    threshold = max(HUB_FLOOR, HUB_FACTOR * statistics.median(degrees.values()))
    return {node: degree for node, degree in degrees.items() if degree >= threshold}


def neighbourhood(store: ox.Store, entity: str, depth: int = 1, types: set[str] | None = None,
                  predicates: set[str] | None = None, max_nodes: int = 150,
                  report: str | None = None, expand: bool | Collection[str] = False,
                  hubs: dict[str, int] | None = None) -> Subgraph:
    """The ego graph of radius ``depth`` around ``entity``, built from the store.

    A hub (:func:`hub_degrees`, or ``hubs`` when given) other than ``entity`` is drawn where it
    is reached but its own links are not followed, unless ``expand`` is True (every hub) or
    names it (a collection of IRIs); ``Subgraph.held`` lists the hubs left so.
    """
    hubs = hub_degrees(store) if hubs is None else hubs
    held: dict[str, int] = {}

    def follow(node: str, hop: int) -> bool:
        if node not in hubs or node == entity or expand is True or (expand and node in expand):
            return True
        if hop + 1 < depth:  # it would have been expanded
            held[node] = hubs[node]
        return False

    info: dict[str, dict] = defaultdict(dict)   # iri -> label, type, literal attributes
    edges: list[tuple[str, str, dict]] = []
    distance = {entity: 0}
    frontier = deque([entity])
    seen_qualified: set[str] = set()
    for hop in range(depth):
        current = [iri for iri in frontier]
        frontier.clear()
        facts = collect(store, current, report)
        qualified_nodes = _types_of(store, {f.s for f in facts} | {f.o for f in facts if isinstance(f.o, str)})
        for fact in facts:
            _note_literal(info, fact)
        for node, kind in qualified_nodes.items():
            info[node]["type"] = kind
        # qualified facts become single edges
        qualified = {n for n, k in qualified_nodes.items() if k in QUALIFIED}
        fresh = sorted(qualified - seen_qualified)
        seen_qualified.update(fresh)
        for edge in _qualified_edges(store, fresh, qualified_nodes, report):
            edges.append(edge)
            for end in edge[:2]:
                if end not in distance:
                    distance[end] = hop + 1
                    if follow(end, hop):
                        frontier.append(end)
        for fact in facts:
            if not isinstance(fact.o, str) or fact.p.startswith(RDF_NS):
                continue
            if fact.s in qualified or fact.o in qualified or not fact.o.startswith(ID):
                continue
            if predicates and _local(fact.p) not in predicates:
                continue
            edges.append((fact.s, fact.o, {"label": _local(fact.p), "predicate": fact.p,
                                           "evidence": _evidence_text(fact.sources)}))
            for end in (fact.s, fact.o):
                if end not in distance:
                    distance[end] = hop + 1
                    if follow(end, hop):
                        frontier.append(end)
    labels = _labels(store, set(distance))
    kinds = _types_of(store, set(distance))
    graph = nx.MultiDiGraph()
    for iri in distance:
        kind = kinds.get(iri, "Thing")
        if kind in SKIP_TYPES or kind in QUALIFIED:
            continue
        if types and kind not in types and iri != entity:
            continue
        attrs = {k: v for k, v in info.get(iri, {}).items() if k != "type"}
        graph.add_node(iri, label=labels.get(iri, _local(iri)), type=kind, depth=distance[iri], **attrs)
    for s, o, attrs in edges:
        if s in graph and o in graph:
            graph.add_edge(s, o, **attrs)
    if entity not in graph:
        raise InputError(f"{entity} has no neighbourhood to draw (is it an entity of the graph?)")
    trimmed = _trim(graph, entity, max_nodes)
    trimmed.held = {hub: degree for hub, degree in held.items() if hub in trimmed.graph}
    return trimmed


def _note_literal(info: dict, fact: Fact) -> None:
    if isinstance(fact.o, ox.Literal) and fact.s.startswith(ID):
        name = _local(fact.p)
        if name in ("label", "altLabel"):
            if name == "altLabel":
                known = set(info[fact.s].get("aliases", "").split("; ")) | {fact.o.value}
                info[fact.s]["aliases"] = "; ".join(sorted(known - {""}))
            return
        info[fact.s][name] = fact.o.value
        if fact.sources:
            info[fact.s].setdefault("evidence", _evidence_text(fact.sources))


def _evidence_text(sources: list[tuple[str, str]]) -> str:
    unique = dict(sources)
    return "\n".join(f"{src}: {quote}" for src, quote in sorted(unique.items())[:5])


def _types_of(store: ox.Store, iris: set) -> dict[str, str]:
    iris = {i for i in iris if isinstance(i, str) and i.startswith(ID)}
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in iris)
    query = f'SELECT ?x ?t WHERE {{ VALUES ?x {{ {values} }} ?x a ?t FILTER(STRSTARTS(STR(?t), "{SK}")) }}'
    return {row["x"].value: _local(row["t"].value) for row in store.query(query)}


def _labels(store: ox.Store, iris: set[str]) -> dict[str, str]:
    if not iris:
        return {}
    values = " ".join(f"<{i}>" for i in iris)
    query = f"SELECT ?x ?l WHERE {{ VALUES ?x {{ {values} }} ?x <{RDFS_LABEL}> ?l }}"
    return {row["x"].value: row["l"].value for row in store.query(query)}


def _qualified_edges(store: ox.Store, nodes: list[str], kinds: dict[str, str], report: str | None):
    """One labelled edge per qualified node, from one batch of facts and labels."""
    if not nodes:
        return []
    facts = collect(store, nodes, report)
    labels = _labels(store, set(nodes))
    by_node: dict[str, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_node[fact.s].append(fact)
    edges = []
    for node in nodes:
        start, end, verb = QUALIFIED[kinds[node]]
        links = {_local(f.p): f.o for f in by_node[node] if isinstance(f.o, str)}
        if start not in links or end not in links:
            continue
        label = labels.get(node, verb)
        detail = label.split(": ", 1)[-1] if ": " in label else label
        sources = [src for f in by_node[node] for src in f.sources]
        edges.append((links[start], links[end], {"label": f"{verb}: {detail}"[:60], "predicate": SK + kinds[node],
                                                 "title": label, "evidence": _evidence_text(sources)}))
    return edges


def _trim(graph: nx.MultiDiGraph, entity: str, max_nodes: int) -> Subgraph:
    """Keep the nearest and best-connected nodes, and say how many were dropped."""
    if graph.number_of_nodes() <= max_nodes:
        return Subgraph(graph, 0)
    ranked = sorted(graph.nodes, key=lambda n: (n != entity, graph.nodes[n]["depth"], -graph.degree(n), n))
    keep = set(ranked[:max_nodes])
    return Subgraph(graph.subgraph(keep).copy(), graph.number_of_nodes() - len(keep))


# --- output ---------------------------------------------------------------------------------

PALETTE = {
    "Company": ("#1f77b4", "dot"), "Subsidiary": ("#4a90d9", "dot"), "Partner": ("#ff7f0e", "dot"),
    "Organization": ("#f4a259", "dot"), "StandardsBody": ("#2ca02c", "triangle"),
    "GovernmentAgency": ("#8c564b", "triangle"), "AnonymousParty": ("#bbbbbb", "dot"),
    "Product": ("#d62728", "square"), "ExternalProduct": ("#e377c2", "square"),
    "Standard": ("#17becf", "diamond"), "Scheme": ("#9edae5", "diamond"),
    "Policy": ("#c5b0d5", "diamond"), "Person": ("#9467bd", "star"),
    "Facility": ("#7f7f7f", "box"), "Event": ("#bcbd22", "ellipse"), "BusinessSegment": ("#aec7e8", "hexagon"),
}


def style(kind: str) -> tuple[str, str]:
    return PALETTE.get(kind, ("#c7c7c7", "dot"))


def to_exchange(graph: nx.MultiDiGraph, title: str = "", note: str = "") -> nx.MultiDiGraph:
    """A copy whose attribute values are all strings or numbers, as GraphML and GEXF need; the
    title and note (the hubs not expanded, the nodes left out) are attributes of the graph."""
    clean = nx.MultiDiGraph(**{k: v for k, v in (("title", title), ("note", note)) if v})
    for node, attrs in graph.nodes(data=True):
        clean.add_node(node, **{k: v if isinstance(v, int | float) else str(v) for k, v in attrs.items()})
    for s, o, attrs in graph.edges(data=True):
        clean.add_edge(s, o, **{k: str(v) for k, v in attrs.items()})
    return clean


def write_exchange(graph: nx.MultiDiGraph, target: BinaryIO, fmt: str, title: str = "", note: str = "") -> None:
    clean = to_exchange(graph, title, note)
    if fmt == "graphml":
        nx.write_graphml(clean, target)
    else:
        nx.write_gexf(clean, target)


def vis_library() -> str:
    """vis-network, as shipped by the pyvis package on PyPI, to inline into the page."""
    import importlib.util

    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the HTML format needs the pyvis package (pip install pyvis), which ships vis-network")
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob("lib/vis-*/vis-network.min.js"))
    if not found:
        raise InputError("pyvis is installed but ships no vis-network.min.js", path=root)
    return found[-1].read_text(encoding="utf-8")


def page_data(graph: nx.MultiDiGraph, focus: str) -> dict:
    nodes = []
    for node, attrs in graph.nodes(data=True):
        colour, shape = style(attrs["type"])
        details = {k: v for k, v in attrs.items() if k not in ("label", "type", "depth")}
        nodes.append({"id": node, "label": attrs["label"], "group": attrs["type"], "color": colour, "shape": shape,
                      "depth": attrs["depth"], "details": details, "size": 28 if node == focus else 16})
    edges = [{"from": s, "to": o, "label": a.get("label", ""), "arrows": "to",
              "title": a.get("title", a.get("label", "")), "evidence": a.get("evidence", "")}
             for s, o, a in graph.edges(data=True)]
    legend = sorted({a["type"] for _, a in graph.nodes(data=True)})
    return {"nodes": nodes, "edges": edges, "legend": [[t, *style(t)] for t in legend], "focus": focus}


def page_template() -> str:
    """The HTML page around the data (``graph/page.html``, shipped as package data)."""
    from importlib import resources

    return resources.files("sensekg.graph").joinpath("page.html").read_text(encoding="utf-8")


def write_html(graph: nx.MultiDiGraph, focus: str, target: BinaryIO, title: str, note: str) -> None:
    """One self-contained page: the library and the data inline, no request of any kind."""
    data = json.dumps(page_data(graph, focus), ensure_ascii=False).replace("</", "<\\/")
    library = vis_library().replace("</script", "<\\/script")
    page = (page_template().replace("__TITLE__", html.escape(title)).replace("__NOTE__", html.escape(note))
            .replace("__DATA__", data).replace("__LIBRARY__", library))
    target.write(page.encode("utf-8"))


def draw_static(graph: nx.MultiDiGraph, focus: str, target: BinaryIO, title: str, note: str = "",
                fmt: str = "png") -> None:
    """SVG or PNG through matplotlib: labels offset from the nodes, a legend by type, the note
    (the hubs not expanded, the nodes left out) under the title."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    simple = nx.Graph(graph)
    size = max(8.0, min(22.0, 4 + graph.number_of_nodes() * 0.25))
    fig, ax = plt.subplots(figsize=(size, size * 0.75))
    spread = 2.2 / max(1, simple.number_of_nodes()) ** 0.5
    pos = nx.spring_layout(simple, k=spread, iterations=200, seed=1)
    markers = {"dot": "o", "triangle": "^", "square": "s", "diamond": "D", "star": "*", "box": "s",
               "ellipse": "o", "hexagon": "h"}
    for kind in sorted({a["type"] for _, a in graph.nodes(data=True)}):
        members = [n for n, a in graph.nodes(data=True) if a["type"] == kind]
        colour, shape = style(kind)
        nx.draw_networkx_nodes(simple, pos, nodelist=members, node_color=colour, node_shape=markers.get(shape, "o"),
                               node_size=[420 if n == focus else 160 for n in members], ax=ax)
    nx.draw_networkx_edges(simple, pos, edge_color="#aaaaaa", width=0.8, ax=ax)
    labels = {n: a["label"][:28] for n, a in graph.nodes(data=True)}
    texts = nx.draw_networkx_labels(simple, pos, labels=labels, font_size=7, ax=ax,
                                    verticalalignment="bottom")
    for text in texts.values():
        text.set_y(text.get_position()[1] + 0.025)
    handles = [Line2D([], [], marker=markers.get(style(k)[1], "o"), color="w", markerfacecolor=style(k)[0],
                      markersize=9, label=k) for k in sorted({a["type"] for _, a in graph.nodes(data=True)})]
    ax.legend(handles=handles, loc="lower left", fontsize=8, frameon=True)
    ax.set_title(title + ("\n" + textwrap.fill(note, 120) if note else ""), fontsize=10 if note else None)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(target, format=fmt, dpi=110)
    plt.close(fig)


def query_graph(store: ox.Store, columns: list[str], rows: list[tuple]) -> nx.MultiDiGraph:
    """The graph of a saved query's result: each row links its first value to its second,
    and the other columns become the edge's label and details. Entities keep their labels
    and types; other values are nodes of the column's name."""
    graph = nx.MultiDiGraph()
    iris = {str(v) for row in rows for v in row if v is not None and str(v).startswith(ID)}
    labels, kinds = _labels(store, iris), _types_of(store, iris)

    def node(column: str, value) -> str:
        key = str(value)
        if key not in graph:
            entity = key in iris
            graph.add_node(key, label=labels.get(key, _local(key)) if entity else key,
                           type=kinds.get(key, "Thing") if entity else column, depth=0)
        return key

    for row in rows:
        cells = [(c, v) for c, v in zip(columns, row, strict=True) if v is not None and str(v)]
        if len(cells) < 2:
            continue
        rest = ", ".join(f"{c}: {v}" for c, v in cells[2:])
        graph.add_edge(node(*cells[0]), node(*cells[1]), label=cells[1][0], predicate=cells[1][0],
                       title=rest, evidence=rest)
    return graph


def write(graph: nx.MultiDiGraph, focus: str, path: Path, fmt: str, title: str, note: str) -> None:
    """Draw in memory, then write ``path`` through a temporary file and a rename: a write that
    fails (a full disk) leaves no half-written picture, and the file already there as it was.
    The format is ``fmt``, whatever ``path``'s suffix (``-o view.png --format svg`` is SVG)."""
    from .export import write_atomic

    buffer = io.BytesIO()
    if fmt == "html":
        write_html(graph, focus, buffer, title, note)
    elif fmt in ("svg", "png"):
        draw_static(graph, focus, buffer, title, note, fmt)
    else:
        write_exchange(graph, buffer, fmt, title, note)
    write_atomic(path, buffer.getvalue())


def centrality(store: ox.Store, top: int = 10) -> dict[str, list[tuple[str, float, int]]]:
    """The hubs of the ecosystem: betweenness and degree of partners, products and standards
    bodies in the graph of links between entities (qualified facts drawn as single edges)."""
    query = """
    SELECT ?s ?o WHERE {
      { ?s ?p ?o . FILTER(isIRI(?o) && STRSTARTS(STR(?s), "%(id)s") && STRSTARTS(STR(?o), "%(id)s")
                          && !STRSTARTS(STR(?s), "%(id)sobs-")) }
      UNION
      %(qualified)s
    }""".replace("%(qualified)s", QUALIFIED_EDGES).replace("%(id)s", ID).replace("%(sk)s", SK)
    graph = nx.Graph()
    for row in store.query(query):
        graph.add_edge(row["s"].value, row["o"].value)
    kinds = _types_of(store, set(graph.nodes))
    graph.remove_nodes_from([n for n in list(graph) if kinds.get(n) in QUALIFIED or kinds.get(n) in SKIP_TYPES])
    between = nx.betweenness_centrality(graph, k=min(300, graph.number_of_nodes()), seed=7)
    labels = _labels(store, set(graph.nodes))
    families = {"partners": {"Partner", "Organization", "Company", "AnonymousParty"},
                "products": {"Product", "ExternalProduct"}, "standards bodies": {"StandardsBody"}}
    ranked = {}
    for family, members in families.items():
        nodes = [n for n in graph if kinds.get(n) in members and n != ID + "sensetime"]
        nodes.sort(key=lambda n: (-between[n], -graph.degree(n), n))
        ranked[family] = [(labels.get(n, _local(n)), between[n], graph.degree(n)) for n in nodes[:top]]
    return ranked
