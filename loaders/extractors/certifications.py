"""Certifications that reports state in a regular form a rule can read."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rdflib import RDF, RDFS, Literal

from ..errors import InputError
from ..evidence import sentence_spans
from ..facts import Citation, Fact, Ref
from ..registry import AmbiguousName, Registry
from ..reports import Corpus
from ..vocab import SK
from .scan import Rule

# "Beijing SenseTime Technology Development Co., Ltd." and its spacing variants.
_CITY = r"\b(?:Beijing|Shanghai|Shenzhen|Hangzhou|Chengdu|Hong Kong)\s"
COMPANY = re.compile(_CITY + r"[\w.\s]+?Co\.,\s?Ltd\.")
# A name runs over [\w.\s] to "Co.,": one try per run, not one per city named in it.
COMPANY_RULE = Rule(COMPANY, re.compile(_CITY), re.compile(r"[\w.\s]*"))
HNTE_SCHEME = "hnte"


def extract_hnte_status(corpus: Corpus, registry: Registry) -> Iterable[Fact]:
    """The subsidiaries a sentence says "were qualified as" High and New Technology Enterprises.

    Only a sentence that both names the companies and says they qualified counts. The
    interim report names the companies in one sentence and says "qualified ... or were
    registered in applicable special zones" in the next, which does not say which of the
    two each company is; it yields nothing here.
    """
    for document in corpus:
        for number, text in document.numbered():
            if "qualified as" not in text or "HNTE" not in text.upper():
                continue
            for start, end in sentence_spans(text):
                sentence = text[start:end]
                if "qualified as" not in sentence or "HNT" not in sentence.upper():
                    continue
                qualified_at = sentence.index("qualified as")
                for match in COMPANY_RULE.finditer(sentence[:qualified_at]):
                    yield from _hnte_facts(registry, document.id, number, match.group(0), document.path)


def _hnte_facts(registry: Registry, report: str, line: int, name: str, path) -> Iterable[Fact]:
    try:
        holder = registry.resolve(name)
    except AmbiguousName as exc:
        raise InputError(f"extract_hnte_status: {exc}", path=path, line=line) from None
    if holder is None:
        raise InputError(f"extract_hnte_status: {name!r} is not in the entity registry; "
                         "add it (with this spelling as an alias if it differs)", path=path, line=line)
    node = Ref(f"cert-{holder.id}-hnte")
    citations = (Citation(report, line, name),)
    origin = f"extract_hnte_status ({report}:{line})"
    scheme = registry[HNTE_SCHEME]
    yield Fact(node, RDF.type, SK.Certification, citations, origin)
    yield Fact(node, RDFS.label, Literal(f"{holder.label}: {scheme.label}"), citations, origin)
    yield Fact(node, SK.holder, Ref(holder.id), citations, origin)
    yield Fact(node, SK.standard, Ref(scheme.id), citations, origin)
