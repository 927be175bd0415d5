"""Very long lines for the fuzz tests and bench/long_line.py: one generator for both."""

from __future__ import annotations

import random

LONG_WORDS = ("Our", "our", "revenue", "and", "costs", "of", "the", "Group", "in", "smart", "auto",
              "generative", "AI", "business", "segment", "compared", "with", "increased", "decreased", "to",
              "from", "cash", "reserves", "we", "had", "Beijing", "Shanghai", "Hong", "Kong", "Co", "Ltd")
# Money and percent fragments, footnote marks and markup. None completes a company name
# ("Co., Ltd."), which the certification rule would look up in the registry and stop at.
LONG_FRAGMENTS = (
    "Our revenue increased by 10.8% to RMB3,772.1 million in 2024, compared to ",
    "revenue decreased by 3.2% from RMB1,234.5 million in 2023 to ", "increased by 10.8% to RMB",
    "RMB1,234.5 million", "RMB", "RMB1,234,567,", "(12.3)", "(1,234,567)", "12.5%", "1,234,567", ",,,,",
    "1.2.3.4", "As of December 31, 2024, the Group’s total cash reserves stood at RMB",
    "We had cash and cash equivalents of RMB", "for the six months ended June 30, ",
    "Beijing SenseTime Technology Development Co.", "Hong Kong Co. Ltd.", "qualified as", "HNTE",
    "(note 12)", "(note", "(a)", "<li>", "<li", "<td>", "<", "Add:", "–", "•",
)


def long_line(kind: str, size: int, seed: int = 0) -> str:
    """``words``: one run of words without digits or punctuation, between "RMB" and "qualified as
    HNTE"; ``prose`` and ``nospace``: the fragments with and without spaces; ``digits``: digits,
    commas and spaces."""
    rnd = random.Random(seed)
    if kind == "words":
        tail = " qualified as HNTE"
        return ("RMB " + " ".join(rnd.choices(LONG_WORDS, k=size // 3)))[: size - len(tail)] + tail
    if kind == "digits":
        return ("RMB " + "".join(rnd.choices("0123456789,, ", k=size)))[:size]
    if kind == "tags":  # stray "<" with no ">" after them
        return ("Revenue <b rose. <" * (size // 10 + 1))[:size]
    parts, length, space = [], 0, "" if kind == "nospace" else " "
    while length < size:
        parts.append(rnd.choice(LONG_FRAGMENTS) if rnd.random() < 0.5 else rnd.choice(LONG_WORDS))
        length += len(parts[-1]) + len(space)
    return space.join(parts)[:size]
