"""A random sample of figures the table reader gives, with what a reviewer needs to judge each.

    python bench/sample_figures.py --count 80 --seed 29 > sample.md

For each sampled figure it prints the claim (measure, value, unit, period, segment, baseline,
restated), the cited line, the lines just above its table and the table's first rows, so that
a reviewer can say RIGHT or WRONG (and which field) against the report alone. By default it
samples only figures that were not read before the generic reader (the golden list in
tests/data/readings-before-generic-reader.tsv); ``--all`` samples every table figure. The
README's precision figure came from ``--count 80 --seed 29``, judged line by line.
"""

from __future__ import annotations

import argparse
import random
from decimal import Decimal
from pathlib import Path

from sensekg.loaders.extractors.tables import continued_tables, extract_table_readings
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reports import read_corpus

BEFORE = Path(__file__).resolve().parent.parent / "tests" / "data" / "readings-before-generic-reader.tsv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=80)
    parser.add_argument("--seed", type=int, default=29)
    parser.add_argument("--all", action="store_true", help="sample every table figure, not only new ones")
    args = parser.parse_args()
    corpus = read_corpus()
    readings, _ = extract_table_readings(corpus, load_registry())
    before = set()
    for line in BEFORE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            report, number, value, _, period, _ = line.split("\t")
            before.add((report, int(number), abs(Decimal(value)), period))
    pool = [r for r in readings if r.origin.startswith("read_generic (") and (args.all or (
        r.citations[0].report, r.citations[0].line, abs(r.value), r.period.label) not in before)]
    tables = {f"{d.id}:{t.first_line}": t for d in corpus for t in continued_tables(d)}
    random.seed(args.seed)
    for number, reading in enumerate(random.sample(pool, min(args.count, len(pool))), start=1):
        cite = reading.citations[0]
        document, table = corpus[cite.report], tables.get(reading.table)
        claim = (f'measure = "{reading.measure.label}"; value = {reading.value}; unit = {reading.unit}; '
                 f"period = {reading.period.label}")
        claim += "".join(f"; {name} = {value}" for name, value in (("segment", reading.segment),
                                                                  ("baseline", reading.baseline)) if value)
        claim += "; restated" if reading.restated else ""
        print(f"### {number}. {cite.report}:{cite.line}\nCLAIM: {claim}")
        print(f"CITED LINE {cite.line}: " + " | ".join(document.line(cite.line).split("\t"))[:300])
        if table is not None:
            print("LINES ABOVE THE TABLE:")
            for above in range(max(1, table.first_line - 4), table.first_line):
                print(f"{above}: {document.line(above)[:200]}")
            print("FIRST ROWS OF THE TABLE:")
            for row in table.rows[:5]:
                print(f"{row.line}: " + " | ".join(row.cells))
        print()


if __name__ == "__main__":
    main()
