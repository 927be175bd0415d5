"""Consistency checks of the figures: do the reports' numbers agree with each other?

- segment revenues that do not sum to total revenue within rounding;
- gross profit that is not revenue minus cost of sales;
- a year-over-year change that disagrees with the two values it compares;
- two different values for the same measure, subject, period and segment.

Tolerances follow the printed precision: a figure printed to 0.1 million may be off by
0.05 million, and a sum of n such figures by n times that.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox

from sensekg.loaders import vocab

OBSERVATIONS = """
SELECT ?o ?measure ?subject ?period ?segment ?value ?unit ?normalized ?baseline ?bound
       (GROUP_CONCAT(DISTINCT ?cite; separator=" ") AS ?cites)
WHERE {
  ?o a sk:Observation ; sk:measure ?measure ; sk:observedSubject ?subject ; sk:periodLabel ?period ;
     sk:value ?value ; sk:unit ?unit ; sk:normalizedValue ?normalized .
  OPTIONAL { ?o sk:segment ?segment }
  OPTIONAL { ?o sk:baselinePeriod ?baseline }
  OPTIONAL { ?o sk:bound ?bound }
  ?e rdf:subject ?o ; rdf:predicate sk:value ; prov:wasDerivedFrom ?r ; sk:line ?line .
  BIND(CONCAT(STRAFTER(STR(?r), "/report/"), ":", STR(?line)) AS ?cite)
}
GROUP BY ?o ?measure ?subject ?period ?segment ?value ?unit ?normalized ?baseline ?bound
"""
MEASURE = str(vocab.MEASURE)


@dataclass(frozen=True)
class Obs:
    node: str
    measure: str
    subject: str
    period: str
    segment: str | None
    value: Decimal
    unit: str
    normalized: Decimal
    baseline: str | None
    cites: str
    bound: str | None = None  # "upper" or "lower": the report gives a ceiling or a floor, not a value

    @property
    def step(self) -> Decimal:
        """Half the rounding step of the printed value, in normalised units."""
        exponent = self.value.as_tuple().exponent
        scale = self.normalized / self.value if self.value else Decimal(1)
        return abs(scale) * Decimal(10) ** exponent / 2


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    cites: str


def observations(store: ox.Store) -> list[Obs]:
    from .query import select

    _, rows = select(store, OBSERVATIONS)
    found = []
    for node, measure, subject, period, segment, value, unit, normalized, baseline, bound, cites in rows:
        found.append(Obs(
            str(node), str(measure)[len(MEASURE):], str(subject).rsplit("/", 1)[-1], str(period),
            str(segment).rsplit("/", 1)[-1] if segment else None, Decimal(str(value)), str(unit),
            Decimal(str(normalized)), str(baseline) if baseline else None, str(cites),
            str(bound) if bound else None))
    return found


@dataclass
class CheckReport:
    findings: list[Finding]
    compared: dict[str, int]


def check(store: ox.Store) -> CheckReport:
    obs = observations(store)
    compared: dict[str, int] = {}
    index: dict[tuple, list[Obs]] = defaultdict(list)
    for o in obs:
        index[(o.measure, o.subject, o.period, o.segment, o.baseline)].append(o)
    findings: list[Finding] = []
    for name, run in (("figures", _conflicts), ("segment sums", _segment_sums),
                      ("gross profits", _gross_profit), ("year-over-year changes", _changes)):
        found, count = run(index)
        findings += found
        compared[name] = count
    return CheckReport(findings, compared)


def _one(index, measure, subject, period, segment=None, baseline=None) -> Obs | None:
    found = [o for o in index.get((measure, subject, period, segment, baseline), []) if not o.bound]
    return min(found, key=lambda o: o.step) if found else None


def _conflicts(index) -> tuple[list[Finding], int]:
    findings = []
    for (measure, subject, period, segment, _), found in index.items():
        exact = [o for o in found if not o.bound]
        broken = [b for b in found if b.bound for o in exact
                  if (b.bound == "lower" and o.normalized < b.normalized - o.step - b.step)
                  or (b.bound == "upper" and o.normalized > b.normalized + o.step + b.step)]
        if len(exact) > 1 or broken:
            values = ", ".join(f"{o.value} {o.unit} ({o.cites})" for o in found)
            where = f"{measure} of {subject} for {period}" + (f", {segment}" if segment else "")
            findings.append(Finding("conflict", f"{where} has {len(found)} values: {values}",
                                    " ".join(o.cites for o in found)))
    return findings, len(index)


def _segment_sums(index) -> tuple[list[Finding], int]:
    findings, count = [], 0
    groups: dict[tuple, list[Obs]] = defaultdict(list)
    for (measure, subject, period, segment, baseline), found in index.items():
        if measure == "revenue" and segment and baseline is None:
            scheme = segment.split("-")[1]  # segment-2024-generative-ai -> 2024
            groups[(subject, period, scheme)].append(min(found, key=lambda o: o.step))
    for (subject, period, scheme), parts in groups.items():
        total = _one(index, "revenue", subject, period)
        if total is None or len(parts) < 2:
            continue
        count += 1
        summed = sum(p.normalized for p in parts)
        tolerance = sum(p.step for p in parts) + total.step
        if abs(summed - total.normalized) > tolerance:
            findings.append(Finding(
                "segment sum",
                f"segment revenues for {period} ({scheme} segments) sum to {summed:,} but total revenue is "
                f"{total.normalized:,}", " ".join([total.cites] + [p.cites for p in parts])))
    return findings, count


def _gross_profit(index) -> tuple[list[Finding], int]:
    findings, count = [], 0
    for (measure, subject, period, segment, baseline) in list(index):
        if measure != "gross-profit" or segment or baseline:
            continue
        gross = _one(index, "gross-profit", subject, period)
        revenue = _one(index, "revenue", subject, period)
        cost = _one(index, "cost-of-sales", subject, period)
        if not (gross and revenue and cost):
            continue
        count += 1
        # cost of sales is printed negative in statements, positive in prose
        expected = revenue.normalized - abs(cost.normalized)
        if abs(expected - gross.normalized) > gross.step + revenue.step + cost.step:
            findings.append(Finding("gross profit", f"gross profit for {period} is {gross.normalized:,}, "
                                    f"revenue minus cost of sales is {expected:,}",
                                    " ".join((gross.cites, revenue.cites, cost.cites))))
    return findings, count


def _changes(index) -> tuple[list[Finding], int]:
    findings, count = [], 0
    suffix = "-year-over-year-change"
    for (measure, subject, period, segment, baseline), found in index.items():
        if not baseline or not measure.endswith(suffix):
            continue
        base_measure = measure[: -len(suffix)]
        now = _one(index, base_measure, subject, period, segment)
        then = _one(index, base_measure, subject, baseline, segment)
        if not (now and then) or then.normalized == 0:
            continue
        count += 1
        change = min(found, key=lambda o: o.step)
        if now.normalized < 0 and then.normalized < 0:  # a loss or deduction: the change of its size
            computed = (abs(now.normalized) - abs(then.normalized)) / abs(then.normalized) * 100
        else:
            computed = (now.normalized - then.normalized) / abs(then.normalized) * 100
        # the printed change is rounded to its last digit; the values' rounding moves it a little too
        slack = change.step + (now.step + then.step) / abs(then.normalized) * 100
        if abs(computed - change.value) > slack:
            findings.append(Finding("change", f"{base_measure} change {period} vs {baseline} is printed as "
                                    f"{change.value}% but the values give {computed:.2f}%",
                                    " ".join((change.cites, now.cites, then.cites))))
    return findings, count
