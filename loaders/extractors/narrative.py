"""Figures stated in prose: "Our revenue increased by 10.8% to RMB3,772.1 million in 2024,
compared to RMB3,405.8 million in 2023", cash and cash reserves "as of" a date.

Each sentence form is one regular expression. A figure read here and the same figure in a
table become one observation with both lines as evidence. The change forms open with the
figure's name, a run of words of any length, and are run as :class:`~.scan.Rule` so that a
line of tens of thousands of characters of words is read in linear time.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from ..facts import Citation
from ..figures import parse_value, period
from ..measures import change_measure, measure_for
from ..observations import Reading
from ..registry import Registry
from ..reportdata import report_segments
from ..reports import Corpus
from .scan import Rule
from .tables import Skipped

_AMOUNT = r"RMB(?P<{0}>[\d,]+(?:\.\d+)?) (?P<{0}_unit>million|billion)"
_PERIOD = r"(?:the six months ended June 30, ?(?P<{0}_h1>\d{{4}})|(?P<{0}_fy>\d{{4}}))"

CHANGE_TO = re.compile(
    r"Our (?P<what>[A-Za-z&\s]+?) (?P<dir>increased|decreased) by (?P<pct>[\d.]+)% to "
    + _AMOUNT.format("now") + " in " + _PERIOD.format("p1") + r", compared to "
    + _AMOUNT.format("then") + " in " + _PERIOD.format("p0")
)
CHANGE_FROM = re.compile(
    r"(?:Our )?(?P<what>[A-Za-z&\s]+?) (?P<dir>increased|decreased) by (?P<pct>[\d.]+)% from "
    + _AMOUNT.format("then") + " in " + _PERIOD.format("p0") + " to "
    + _AMOUNT.format("now") + " in " + _PERIOD.format("p1")
)
BALANCE = re.compile(
    r"(?:As of|as of) (?P<date>(?:June 30|December 31), (?P<year>\d{4})), (?:the Group’s )?(?:total )?"
    r"(?P<what>cash reserves) (?:stood at|reached) " + _AMOUNT.format("now")
)
HAD = re.compile(r"We had (?P<what>cash and cash equivalents) of " + _AMOUNT.format("now")
                 + r"(?: as of| as at) (?P<date>(?:June 30|December 31), (?P<year>\d{4}))")

# The name of the figure ("what") is a run of these characters; a match begins in such a run.
# BALANCE and HAD open with fixed words and need no such care.
_WORDS = re.compile(r"[A-Za-z&\s]*")
CHANGE_RULES = (
    Rule(CHANGE_TO, re.compile("Our "), _WORDS),
    Rule(CHANGE_FROM, re.compile(r"[A-Za-z&\s]"), _WORDS),
)



def _period(match: re.Match, name: str) -> str:
    if match.group(f"{name}_h1"):
        return f"H1 {match.group(f'{name}_h1')}"
    return f"FY{match.group(f'{name}_fy')}"


def _instant(date_text: str, year: str) -> str:
    return f"{year}-06-30" if date_text.startswith("June") else f"{year}-12-31"


def _segment_and_measure(what: str, segments: dict[str, str]) -> tuple[str | None, str]:
    """"Generative AI revenue" is the revenue of the segment of that name in the report's scheme
    (``segments`` in its folder's ``report.toml``); any other name is a measure of the company."""
    what = what.strip()
    if what.endswith(" revenue") and what[: -len(" revenue")] in segments:
        return segments[what[: -len(" revenue")]], "Revenue"
    return None, what[0].upper() + what[1:]


def extract_narrative_readings(corpus: Corpus, registry: Registry,
                               data: Path | None = None) -> tuple[list[Reading], list[Skipped]]:
    readings: list[Reading] = []
    for document in corpus:
        segments = report_segments(registry, document.id, data)
        for number, text in document.numbered():
            if "RMB" not in text:
                continue
            for rule in CHANGE_RULES:
                for match in rule.finditer(text):
                    readings += _change_readings(match, document.id, number, segments, data)
            for pattern in (BALANCE, HAD):
                for match in pattern.finditer(text):
                    value = parse_value(match.group("now"))
                    readings.append(Reading(
                        subject="sensetime", measure=measure_for(match.group("what").capitalize(), data),
                        period=period(_instant(match.group("date"), match.group("year"))),
                        value=value, unit=f"RMB {match.group('now_unit')}",
                        citations=(Citation(document.id, number, match.group(0)),),
                        origin=f"extract_narrative_readings ({document.id}:{number})",
                    ))
    return readings, []


def _change_readings(match: re.Match, report: str, line: int, segments: dict[str, str],
                     data: Path | None) -> list[Reading]:
    segment, measure_name = _segment_and_measure(match.group("what"), segments)
    citation = (Citation(report, line, match.group(0)),)
    origin = f"extract_narrative_readings ({report}:{line})"
    now, then = _period(match, "p1"), _period(match, "p0")
    pct = Decimal(match.group("pct")) * (1 if match.group("dir") == "increased" else -1)
    common = dict(subject="sensetime", citations=citation, origin=origin, segment=segment)
    measure = measure_for(measure_name, data)
    change = change_measure(measure, data)
    return [
        Reading(measure=measure, period=period(now), value=parse_value(match.group("now")),
                unit=f"RMB {match.group('now_unit')}", **common),
        Reading(measure=measure, period=period(then), value=parse_value(match.group("then")),
                unit=f"RMB {match.group('then_unit')}", **common),
        Reading(measure=change, period=period(now), value=pct, unit="%", baseline=then, **common),
    ]
