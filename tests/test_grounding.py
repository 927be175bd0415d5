"""Grounding: a cited line must state its fact. Each kind of end is judged on real report lines,
and the build refuses a curated record whose citation does not state it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from functools import cache

import pytest
from rdflib import RDF, XSD, Literal

from sensekg.loaders.errors import InputError
from sensekg.loaders.eventdates import merge_precisions
from sensekg.loaders.evidence import anchor_span
from sensekg.loaders.facts import Citation, Fact, Ref
from sensekg.loaders.grounding import build_names, ground, heading_lines
from sensekg.loaders.printed import date_on, fold, value_on
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reports import locate_reports, read_corpus
from sensekg.loaders.vocab import SK

SR, AR, IR, PR = "sustainability-report-2024", "annual-results-2024", "interim-results-2025h1", "prospectus-2021-business"


@pytest.fixture(scope="module")
def corpus(reports_dir):
    return read_corpus(reports_dir)


@pytest.fixture(scope="module")
def registry():
    return load_registry()


@cache
def _corpus():
    return read_corpus(locate_reports())


def cite(report: str, line: int) -> Citation:
    """A citation anchored, as a record's must be, on a phrase of its line: its first word."""
    return Citation(report, line, _corpus()[report].line(line).split()[0])


def fact(subject: str, prop: str, obj, *cites: tuple[str, int], record: bool = True) -> Fact:
    citations = tuple(cite(report, line) for report, line in cites)
    return Fact(Ref(subject), SK[prop], obj, citations, f"test record {subject}", record=record)


def grounded(facts: list[Fact], corpus, registry) -> list[Fact]:
    return ground(facts, corpus, build_names(facts, registry, corpus)).facts


def award() -> list[Fact]:
    """An award node, so that its facts are judged on their objects (an award is described)."""
    return [Fact(Ref("award-test"), RDF.type, SK.Award, (cite(SR, 283),), "test", record=True)]


def test_an_entity_object_is_cited_only_where_its_name_is_printed(corpus, registry):
    # the DEI award's issuer is printed at line 283; 1194 names the award among twenty, not the issuer
    issuer = fact("award-test", "awardedBy", Ref("employer-branding-institute"), (SR, 1194), (SR, 283))
    kept = grounded([*award(), issuer], corpus, registry)
    assert [c.line for c in kept[-1].citations] == [283]


def test_a_record_whose_lines_do_not_name_its_object_is_refused_with_its_lines(corpus, registry):
    issuer = fact("award-test", "awardedBy", Ref("employer-branding-institute"), (SR, 1194), (SR, 1202))
    with pytest.raises(InputError) as error:
        grounded([*award(), issuer], corpus, registry)
    message = str(error.value)
    assert "test record award-test" in message and f"{SR}:1194 does not name its object" in message
    assert f"{SR}:1202 does not name its object" in message


def test_a_rules_fact_that_no_line_states_is_kept_and_listed_not_refused(corpus, registry):
    issuer = fact("award-test", "awardedBy", Ref("employer-branding-institute"), (SR, 1194), record=False)
    facts = [*award(), issuer]
    result = ground(facts, corpus, build_names(facts, registry, corpus))
    assert result.unstated == [issuer] and result.rate("entity") == 0.0


def test_a_value_is_stated_as_printed_with_its_scale_and_sign(corpus):
    line = fold(corpus[AR].line(212))  # "... RMB1,111.9 million in 2024, compared to RMB1,838.4 million in 2023"
    assert value_on(line, Decimal("1838.4")) and value_on(line, Decimal("1838400000"))
    assert not value_on(line, Decimal("1838.5")) and not value_on(line, Decimal("-1838.4"))
    # a reconciliation prints net finance income as a deduction, "(195.3)": not the income of +195,316
    assert not value_on(fold(corpus[AR].line(287)), Decimal("195316"))
    assert value_on(fold(corpus[AR].line(182)), Decimal("195316"))
    assert value_on(fold(corpus[AR].line(287)), Decimal("-195.3"))
    # a dash standing for nil in a table is not a minus sign
    assert not value_on("placing of ordinary shares 1 - 1,815,599", Decimal("-1815599"))


def test_a_record_value_is_cited_at_the_line_that_prints_it(corpus, registry):
    event = Fact(Ref("ev-test"), RDF.type, SK.Event, (cite(IR, 439),), "test", record=True)
    amount = fact("ev-test", "amount", Literal(Decimal("2787.1"), datatype=XSD.decimal), (IR, 435), (IR, 439))
    kept = grounded([event, amount], corpus, registry)
    assert [c.line for c in kept[-1].citations] == [439]
    wrong = dataclasses.replace(amount, object=Literal(Decimal("2787.2"), datatype=XSD.decimal))
    with pytest.raises(InputError, match=f"{IR}:439 does not name its object"):
        grounded([event, wrong], corpus, registry)


def test_dates_keep_their_precision(corpus):
    line = fold(corpus[SR].line(153))  # "founded in October 2014"
    assert date_on(line, "2014") and date_on(line, "2014-10") and not date_on(line, "2014-11")
    assert not date_on(fold(corpus[PR].line(27)), "2014-10")  # "In 2014, ..." says the year only


def test_the_issuer_as_subject_may_be_written_we(corpus, registry):
    # "we joined the China Electronics Standardization Association" names SenseTime as "we"
    joined = fact("sensetime", "memberOf", Ref("cesa"), (SR, 1114))
    if "cesa" not in registry:
        pytest.skip("the registry names the association otherwise")
    assert grounded([joined], corpus, registry)[0].citations == joined.citations
    # another subject is not "we": Beijing SenseTime is named, or the line does not state its fact
    other = fact("beijing-sensetime", "memberOf", Ref("cesa"), (SR, 1114))
    with pytest.raises(InputError, match="does not name its subject"):
        grounded([other], corpus, registry)


def test_a_heading_carries_an_end_the_item_leaves_out(corpus, registry):
    # an anonymised supplier's row names neither SenseTime nor "our": the head of the
    # five-largest-suppliers table ("Percentage of our total purchase") does
    row = next(n for n, text in corpus[PR].numbered() if text.startswith("Supplier N"))
    assert all(line < row for line in heading_lines(corpus[PR], row))
    party = Fact(Ref("p-test"), RDF.type, SK.Partnership, (cite(PR, row),), "test", record=True)
    side = fact("p-test", "organization", Ref("sensetime"), (PR, row))
    kept = grounded([party, side], corpus, registry)
    (read,) = kept[-1].citations  # one citation: the row, read with the head that says "our"
    heading = read.context
    assert read.line == row and heading.line < row and "our" in corpus[PR].line(heading.line).lower().split()
    assert anchor_span(corpus[PR].line(heading.line), heading.anchor)  # the anchor check will find it


def test_dates_of_one_event_printed_at_two_precisions_are_one_value(corpus, registry):
    coarse = fact("sensetime", "foundingDate", Literal("2014", datatype=XSD.gYear), (PR, 27))
    fine = fact("sensetime", "foundingDate", Literal("2014-10", datatype=XSD.gYearMonth), (SR, 153))
    (merged,) = merge_precisions(grounded([coarse, fine], corpus, registry))
    assert str(merged.object) == "2014-10" and {c.line for c in merged.citations} == {27, 153}
    # dates that contradict each other stay two facts
    other = fact("sensetime", "foundingDate", Literal("2015", datatype=XSD.gYear), (PR, 27))
    assert len(merge_precisions([coarse, fine, other])) == 3


def test_a_name_that_runs_on_to_the_next_line_is_cited_at_both(corpus, registry):
    # "United Nations AI for" / "Good Global Summit": the issuer of the Best Inclusivity Impact Award
    issuer = fact("award-test", "awardedBy", Ref("ai-for-good-global-summit"), (SR, 288))
    kept = grounded([*award(), issuer], corpus, registry)
    (read,) = kept[-1].citations  # one citation of two lines, judged together
    assert read.lines == (288, 289)
    assert all(anchor_span(corpus[SR].line(c.line), c.anchor) for c in (read, read.context))


def test_a_records_two_lines_in_one_section_may_state_a_fact_together(corpus, registry):
    # "Generative AI: ..." heads the part of the interim report that "AI Infrastructure: SenseCore ..." is in
    segment = fact("sensecore", "segment", Ref("segment-2025-generative-ai"), (IR, 65), (IR, 71))
    (read,) = grounded([segment], corpus, registry)[0].citations  # the product's line, read with the segment's
    assert read.lines == (71, 65)
    # a rule's fact is not paired: its lines are what it read, not a curator's choice
    with pytest.raises(InputError):
        grounded([fact("sensecore", "segment", Ref("segment-2025-generative-ai"), (IR, 65), (PR, 27))],
                 corpus, registry)


def test_a_period_is_stated_by_its_year_or_as_the_reporting_period(corpus, registry):
    from sensekg.loaders.grounding import judge
    names = build_names([], registry, corpus)
    label = fact("obs-test", "periodLabel", Literal("FY2024"), (SR, 1258), record=False)
    assert names.years[SR] == "2024"
    # "Number of Employees and Turnover during the Reporting Period": the report's year, 2024
    assert judge(label, SR, fold(corpus[SR].line(1258)), names).object
    other = dataclasses.replace(label, object=Literal("FY2023"))
    assert not judge(other, SR, fold(corpus[SR].line(1258)), names).object


def test_a_baseline_is_stated_by_its_year_or_by_year_on_year(corpus, registry):
    from sensekg.loaders.grounding import judge
    names = build_names([], registry, corpus)
    line = next(n for n, text in corpus[AR].numbered() if "SenseAuto’s new vehicle deliveries exceeded" in text)
    baseline = fact("obs-test", "baselinePeriod", Literal("FY2023"), (AR, line), record=False)
    # "a year-on-year increase of 29.2%": from the same period a year before
    assert "year-on-year" in corpus[AR].line(line) and "2023" not in corpus[AR].line(line)
    assert judge(baseline, AR, fold(corpus[AR].line(line)), names).object
    # a line that prints neither the year nor a year-on-year phrase does not state it
    plain = next(n for n, text in corpus[AR].numbered() if text.strip() and "2023" not in text
                 and not any(w in text.lower() for w in ("year-on-year", "year-over-year", "yoy", "period-over")))
    assert not judge(dataclasses.replace(baseline, citations=(Citation(AR, plain, ""),)), AR,
                     fold(corpus[AR].line(plain)), names).object


def test_a_classification_of_a_described_node_is_cited_where_the_node_is_stated(corpus, registry):
    # the partnership's partner is named at 480; line 1459 is another story (a charity event)
    party = Fact(Ref("p-test"), RDF.type, SK.Partnership, (cite(SR, 480), cite(SR, 1459)),
                 "test", record=True)
    partner = fact("p-test", "partner", Ref("shanghai-artificial-intelligence-laboratory"), (SR, 480))
    kind = fact("p-test", "relationKind", Literal("co-developer"), (SR, 480), (SR, 1459))
    kept = {f.predicate: f for f in grounded([party, partner, kind], corpus, registry)}
    assert [c.line for c in kept[SK.relationKind].citations] == [480]
    assert [c.line for c in kept[RDF.type].citations] == [480]


def test_a_short_name_is_stated_where_it_is_printed_alone_not_inside_the_full_name(corpus, registry):
    from rdflib import SKOS

    short = Fact(Ref("360-group"), SKOS.altLabel, Literal("360"), (cite(SR, 1068), cite(AR, 82)),
                 "test record 360-group", record=True)
    [kept] = ground([short], corpus, build_names([short], registry, corpus)).facts
    # sustainability-report-2024:1068 prints only "360 Group"; annual-results-2024:82 prints "360" alone
    assert [str(c) for c in kept.citations] == [f"{AR}:82"]
    variant = Fact(Ref("the-chinese-university-of-hong-kong"), SKOS.altLabel,
                   Literal("Chinese University of Hong Kong"), (cite(SR, 1157),), "test record", record=True)
    found = ground([variant], corpus, build_names([variant], registry, corpus))
    # sustainability-report-2024:1157 prints "The Chinese University of Hong Kong": a spelling to match,
    # not a second name, so no fact, and no error
    assert found.facts == [] and found.variants == [variant]


def test_the_lines_heading_a_list_item_include_its_parent_and_its_groups_title(corpus):
    document = corpus[PR]
    coco = next(n for n, text in document.numbered() if text.startswith("- Champion in Detection and Panoptic"))
    title = next(n for n, text in document.numbered() if text.startswith("- Microsoft Common Objects in Context"))
    assert heading_lines(document, coco)[0] == title  # a title, a blank line, then its items
    nested = next(n for n, text in document.numbered() if text.startswith("    - Champion in Pedestrian"))
    parent = next(n for n, text in document.numbered() if text.startswith("  - The KITTI Vision Benchmark"))
    assert heading_lines(document, nested)[0] == parent  # the item it is indented under
    # an item of a flat run is not the title of the next one
    first, second = (n for n, text in document.numbered() if text.startswith("- Champion in Image Classification")
                     or text.startswith("- Champion in Object Detection in 2018"))
    assert first not in heading_lines(document, second)
