"""What a rebuild recalls of the build it replaces: each fact subject's grounding and assembly.

Grounding, the dates' merging and conflicts, the evidence check and the assembly each look at
one fact subject's facts at a time (an evidence node's IRI hashes its subject), given the
reports, the code and, for grounding, the names (:class:`~sensekg.loaders.grounding.Names`). So
a build keeps, in ``memo.pickle`` beside its N-Quads, for each subject a digest of its facts as
read and as grounded, the evidence nodes of its lines with their origins and search-index
entries, its share of the printed summary, and its grounding tallies. The next build, from the
same reports and code:

- recalls the grounding of each subject whose facts as read are the same, and what the names
  say of their nodes (the subject, the objects) too: grounding reads nothing else of the names
  but what they say of each report's issuer and year (``NODE_NAMES``, ``REPORT_NAMES``). A new
  alias re-grounds the subjects whose facts name that entity, not the rest;
- recalls the lines of each subject whose facts as grounded are the same, names changed or
  not: its N-Quads are the replaced build's, less the lines of every other subject and the
  lines not made from facts (the ontology, the measure scheme, the reports' descriptions),
  which are made again and merged in (``SortedText.spliced``).

The result is the same lines, origins, index entries, summary and tallies as working it all out
again (``tests/test_memo.py`` rebuilds after five kinds of record edit and compares each with a
fresh build). Anything that does not fit (no memo, another format, a memo that is not the
replaced N-Quads' own, other reports or code) makes the build work everything out; a memo is
never an error. ``--fresh`` does not recall either. A memo is read with an unpickler that makes
nothing but strings, numbers, containers and pyoxigraph terms, so a build folder from elsewhere
cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal

from sensekg.loaders.facts import Citation, Fact, Ref
from sensekg.loaders.grounding import Grounding, Names, tally
from sensekg.loaders.reports import Corpus

from .assemble import Terms, base_lines, check_and_assemble, term
from .buildio import MEMO

FORMAT = 2  # 2: a subject's digest as read holds what the names say of its nodes

# an entry, per subject (its N-Triples term), as a tuple: compact, and quick to pickle
RAW, GROUNDED, NODES, ORIGINS, CITED, COUNTS, UNSTATED, VARIANTS, FACTS = range(9)


@dataclass
class Memo:
    """A build's memo (see the module): the keys its work was done under, the SHA-256 of the
    N-Quads its lines are, the heads of its lines not made from facts, and each subject's entry."""

    grounding: str
    assembly: str
    nquads: str
    base: frozenset[str]
    subjects: dict[str, tuple]
    parts: dict[str, tuple] | None = None  # each subject's part of the build's summary (build.summary_parts)

    def dump(self) -> bytes:
        """The memo's bytes; its summary parts must be known (the build's summary made)."""
        if self.parts is None:
            raise ValueError("a memo is written once the build's summary is made")
        return pickle.dumps({"format": FORMAT, "grounding": self.grounding, "assembly": self.assembly,
                             "nquads": self.nquads, "base": sorted(self.base), "subjects": self.subjects,
                             "parts": self.parts}, protocol=pickle.HIGHEST_PROTOCOL)


class _Unpickler(pickle.Unpickler):
    """Makes pyoxigraph's terms and the built-in containers, and refuses any other global."""

    ALLOWED = frozenset({("pyoxigraph", "NamedNode"), ("pyoxigraph", "Literal"), ("pyoxigraph", "BlankNode")})

    def find_class(self, module: str, name: str) -> object:
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a memo")


def read_memo(folder: Path, nquads_sha256: str) -> Memo | None:
    """The memo in build ``folder``, if it is there, readable, of this format, and the memo of
    the N-Quads whose SHA-256 is ``nquads_sha256``; otherwise None."""
    return memo_of(load_memo(folder), nquads_sha256)


def load_memo(folder: Path) -> object:
    """What build ``folder``'s memo file holds, unpickled with only the classes a memo is made
    of (None if it cannot be): to be checked by :func:`memo_of`."""
    try:
        return _Unpickler(io.BytesIO((folder / MEMO).read_bytes())).load()
    except Exception:  # noqa: BLE001 - missing, damaged or foreign: worked out again instead
        return None


def memo_of(data: object, nquads_sha256: str) -> Memo | None:
    """The memo ``data`` holds (:func:`load_memo`), if it is of this format and the memo of the
    N-Quads whose SHA-256 is ``nquads_sha256``; otherwise None."""
    try:
        if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("nquads") == nquads_sha256):
            return None
        memo = Memo(data["grounding"], data["assembly"], data["nquads"], frozenset(data["base"]), data["subjects"],
                    data["parts"])
        if not (isinstance(memo.grounding, str) and isinstance(memo.assembly, str) and isinstance(memo.subjects, dict)
                and isinstance(memo.parts, dict)
                and all(isinstance(entry, tuple) and len(entry) == FACTS + 1 for entry in memo.subjects.values())):
            return None
        return memo
    except Exception:  # noqa: BLE001 - missing, damaged or foreign: worked out again instead
        return None


class _Texts(dict):
    """A fact's terms as text for its digest, each made once: a Ref and the URIRef of its IRI
    differ (grounding names a Ref), and a literal keeps its datatype and language."""

    def __missing__(self, node: object) -> str:
        if isinstance(node, Ref):
            text = "@" + node.id
        elif isinstance(node, Literal):
            text = f"L{node}\x1f{node.datatype or ''}\x1f{node.language or ''}"
        else:
            text = f"{type(node).__name__}:{node}"
        self[node] = text
        return text


def _citation(citation: Citation) -> str:
    text = f"{citation.report}\x1f{citation.line}\x1f{citation.anchor}"
    return text if citation.context is None else f"{text}\x1e{_citation(citation.context)}"


def _digest(facts: Iterable[Fact], texts: _Texts, names: str = "") -> bytes:
    """A digest of facts, in order, with everything they hold (and ``names``, what the names say
    of their nodes)."""
    return hashlib.blake2b(f"{len(names)}:{names}\x00".encode() + "\x00".join("\x1d".join((
        texts[fact.subject], texts[fact.predicate], texts[fact.object],
        "\x1c".join(map(_citation, fact.citations)), fact.origin,
        "\x1b".join("\x1a".join(origins) for origins in fact.origins), "r" if fact.record else "",
    )) for fact in facts).encode("utf-8"), digest_size=16).digest()


def code_digest() -> str:
    """A digest of the code that makes the graph (``graph`` and ``loaders``), the ontology, and
    the versions of the libraries whose output the build keeps (pyoxigraph writes its N-Quads
    terms and TriG, rdflib makes its terms): a copied line or TriG part must be what this code
    would write."""
    from importlib import resources

    import pyoxigraph
    import rdflib

    digest = hashlib.sha256(f"pyoxigraph {pyoxigraph.__version__} rdflib {rdflib.__version__}\n".encode())
    for name in ("sensekg.ttl", "shapes.ttl"):
        digest.update(resources.files("sensekg.ontology").joinpath(name).read_bytes())
    package = Path(__file__).resolve().parent.parent  # the code that makes the graph, not tests or benchmarks
    for module in sorted(p for folder in ("graph", "loaders") for p in (package / folder).rglob("*.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()


# What grounding reads of the names (loaders/grounding.py): of a node, the subject or object of a
# fact, these fields at its key; of a report, these. A subject's grounding reads only its facts'
# nodes, so its digest holds what these say of them (a test keeps the lists whole).
NODE_NAMES = ("of", "described", "awards", "own", "unsigned", "labels", "printed_as")
REPORT_NAMES = ("issuers", "years")


def _report_names(names: Names) -> str:
    """What the names say of the reports, in a fixed order."""
    return json.dumps([sorted(getattr(names, field).items()) for field in REPORT_NAMES], ensure_ascii=False)


class _NodeNames(dict):
    """What the names say of a node (by its key), as text, each node's made once."""

    def __init__(self, names: Names) -> None:
        super().__init__()
        self.names = names

    def __missing__(self, key: str) -> str:
        names = self.names
        text = self[key] = repr((names.of.get(key), key in names.described, key in names.awards, key in names.own,
                                 key in names.unsigned, names.labels.get(key), names.printed_as.get(key)))
        return text


@dataclass
class Assembled:
    """What :meth:`Recall.assemble` gives: the sorted lines, origins and index entries, the
    grounding's tallies, and the memo for the next build."""

    lines: list[str] | None  # None when made as ``text`` from the replaced build's N-Quads
    origins: dict[str, set[str]]
    cited: set
    grounding: Grounding
    facts: int
    memo: Memo | None
    recalled: dict[str, int] = field(default_factory=dict)
    summarize: Callable[[], dict] | None = None  # the summary, from the lines made and the parts recalled
    unchanged: set[str] = field(default_factory=set)  # "origins", "cited": the same as the replaced build's
    text: object = None  # build.SortedText: the N-Quads, from the replaced build's
    changes: tuple[list[str], list[str]] | None = None  # the lines removed and added since


class Recall:
    """One build's use of the replaced build's memo (None: nothing to recall). Build with it:
    :meth:`to_ground` the facts as read, ground those and merge their dates, then
    :meth:`assemble` the facts so grounded. ``previous`` is the replaced build's N-Quads
    (:class:`~sensekg.graph.build.SortedText`), which the memo's lines are recalled from."""

    def __init__(self, corpus: Corpus, names: Names, data: Path | None, memo: Memo | None = None,
                 previous: object = None) -> None:
        self.corpus, self.names, self.data = corpus, names, data
        self.terms = Terms()
        self.texts = _Texts()
        self.base = base_lines(corpus, data, self.terms)
        self.base_heads = frozenset(line[:line.index(" ")] for line in self.base)
        reports = json.dumps(sorted((d.id, d.spec.sha256) for d in corpus))
        self.assembly_key = hashlib.sha256(f"{FORMAT}\n{code_digest()}\n{reports}".encode()).hexdigest()
        self.grounding_key = hashlib.sha256(f"{self.assembly_key}\n{_report_names(names)}".encode()).hexdigest()
        usable = memo is not None and previous is not None and memo.assembly == self.assembly_key
        self.memo = memo if usable else None
        self.previous = previous
        self.raw: dict[str, bytes] = {}
        self.read: dict[str, list[Fact]] = {}  # the facts as read, by subject, in order
        self.order: dict[int, int] = {}  # id of a fact as read -> its place among them
        self.recalled: set[str] = set()

    def subject(self, fact: Fact) -> str:
        return self.terms[term(fact.subject)][0]

    def to_ground(self, facts: list[Fact]) -> list[Fact]:
        """The facts, as read, of the subjects whose grounding is not recalled, in order."""
        for place, fact in enumerate(facts):
            self.read.setdefault(self.subject(fact), []).append(fact)
            self.order[id(fact)] = place
        said = _NodeNames(self.names)  # what the names say of each subject's nodes is part of its digest

        def nodes(found: list[Fact]) -> str:
            keys = {key for fact in found for key in (Names.key(fact.subject), Names.key(fact.object))}
            return "\x1e".join(f"{key}\x1f{said[key]}" for key in sorted(keys - {None}))
        self.raw = {subject: _digest(found, self.texts, nodes(found)) for subject, found in self.read.items()}
        memo = self.memo
        if memo is not None and memo.grounding == self.grounding_key:
            entries, held = memo.subjects, self.base_heads | memo.base
            self.recalled = {subject for subject, digest in self.raw.items() if subject not in held
                             and (entry := entries.get(subject)) is not None and entry[RAW] == digest}
        return [fact for fact in facts if self.subject(fact) not in self.recalled]

    def assemble(self, grounded: Grounding, facts: list[Fact], remember: bool = True) -> Assembled:
        """The lines of ``facts`` (the grounded facts of :meth:`to_ground`'s, dates merged, with
        their conflicts) and of the recalled subjects, checked and assembled where not recalled;
        and, if ``remember``, the memo of it all (its ``nquads`` to be set once they are written)."""
        final = _by_subject(facts, self.subject)
        grounded_digest = {subject: _digest(found, self.texts) for subject, found in final.items()}
        memo = self.memo
        entries = memo.subjects if memo is not None else {}
        for subject in self.recalled:
            grounded_digest[subject] = entries[subject][GROUNDED]
        held = self.base_heads | (memo.base if memo is not None else frozenset())
        reused = {subject for subject, digest in grounded_digest.items() if subject not in held
                  and (entry := entries.get(subject)) is not None and entry[GROUNDED] == digest}
        origins: dict[str, set[str]] = {}
        cited: set = set()
        made = check_and_assemble(self.corpus, [f for f in facts if self.subject(f) not in reused], self.data,
                                  origins, cited, base=set(self.base))
        text = changes = None
        lines: list[str] | None = made
        if reused:  # the replaced build's N-Quads, but the lines of the subjects not reused, and those made here
            from .build import sorted_difference

            stale = set(memo.base)
            for subject, entry in entries.items():
                if subject not in reused:
                    stale.add(subject)
                    stale.update(entry[NODES])
            text, gone = self.previous.spliced((f"{head} " for head in stale), made)
            removed, came = sorted_difference(gone, made)
            changes, lines = (removed, [made[i] for i in came]), None
        subjects: dict[str, tuple] = {}
        nodes_of = _nodes(made)
        if remember:
            cited_of = _by_subject(cited, lambda entry: str(entry[2]))
        unchanged = set()  # what is the same as in the replaced build, of what its files hold
        if memo is not None:
            old_origins: dict[str, set[str]] = {}
            old_cited: set = set()
            for subject, entry in entries.items():
                if subject not in reused:
                    old_origins.update(entry[ORIGINS])
                    old_cited.update(entry[CITED])
            unchanged = {name for name, same in (("origins", old_origins == origins), ("cited", old_cited == cited))
                         if same}
        for subject in reused:
            entry = entries[subject]
            origins.update(entry[ORIGINS])
            cited.update(entry[CITED])

        # the grounding's tallies, and the facts it kept unstated or left out, in the order read
        unstated_of = _by_subject(grounded.unstated, self.subject)
        variants_of = _by_subject(grounded.variants, self.subject)
        kept_of = _by_subject(grounded.facts, self.subject)
        counts: dict[str, list[int]] = {}
        unstated, variants = list(grounded.unstated), list(grounded.variants)
        for subject, read in self.read.items():
            if subject in self.recalled:
                entry = entries[subject]
                found, subject_unstated, subject_variants, subject_facts = entry[COUNTS:]
                unstated += (read[i] for i in subject_unstated)
                variants += (read[i] for i in subject_variants)
            else:
                found = tally(kept_of.get(subject, ()), unstated_of.get(subject, ()), self.names)
                place = {id(fact): i for i, fact in enumerate(read)}
                subject_unstated = tuple(place[id(f)] for f in unstated_of.get(subject, ()))
                subject_variants = tuple(place[id(f)] for f in variants_of.get(subject, ()))
                subject_facts = len(final.get(subject, ()))
            for kind, (stated, judged) in found.items():
                total = counts.setdefault(kind, [0, 0])
                total[0] += stated
                total[1] += judged
            if not remember:
                continue
            if subject in reused:
                entry = entries[subject]
                nodes, subject_origins, subject_cited = entry[NODES], entry[ORIGINS], entry[CITED]
            else:
                nodes = nodes_of.get(subject, ())
                subject_origins = {node[1:-1]: origins[node[1:-1]] for node in nodes if node[1:-1] in origins}
                subject_cited = tuple(cited_of.get(subject, ()))
            subjects[subject] = (self.raw[subject], grounded_digest.get(subject, b""), nodes, subject_origins,
                                 subject_cited, found, subject_unstated, subject_variants, subject_facts)
        unstated.sort(key=lambda fact: self.order[id(fact)])
        variants.sort(key=lambda fact: self.order[id(fact)])
        count = sum(entries[subject][FACTS] for subject in self.recalled) + len(facts)
        new_memo = Memo(self.grounding_key, self.assembly_key, "", self.base_heads, subjects) if remember else None
        report = Grounding(None if self.recalled else grounded.facts, counts, unstated, variants)
        recalled_parts = memo.parts if memo is not None else {}

        def summarize() -> dict:
            """The summary: the parts of the lines made here, and the recalled subjects' parts."""
            from .build import add_summaries, summary_parts

            owners = {node: subject for subject, nodes in nodes_of.items() for node in nodes}
            parts = summary_parts(made, owners)
            parts.update((subject, recalled_parts[subject]) for subject in reused if subject in recalled_parts)
            if new_memo is not None:
                new_memo.parts = {subject: part for subject, part in parts.items() if subject in subjects}
            return add_summaries(parts.values())

        return Assembled(lines, origins, cited, report, count, new_memo,
                         {"grounding": len(self.recalled), "lines": len(reused), "subjects": len(self.read)},
                         summarize, unchanged, text, changes)


def _by_subject(items: Iterable, subject: Callable[[object], str]) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in items:
        found.setdefault(subject(item), []).append(item)
    return found


def _nodes(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each fact subject's evidence nodes, from the lines that say whose they are (rdf:subject)."""
    from rdflib import RDF

    marker = f" <{RDF.subject}> "
    found: dict[str, list[str]] = {}
    for line in lines:
        at = line.find(marker)
        if at > 0:
            rest = line[at + len(marker):]
            found.setdefault(rest[:rest.index(" ")], []).append(line[:at])
    return {subject: tuple(nodes) for subject, nodes in found.items()}
