"""How long the table reader takes over the four reports, against reading them.

    python bench/table_reader.py              # 7 rounds
    python bench/table_reader.py --rounds 15

Each round reads the corpus from disk (the baseline: what every build pays anyway) and then
runs the table reader over it: every table of every report by rule, the ten overrides of
tables.toml, the [[figure]] and [[skip]] records. It prints the median of each, the ratio of
the reader to the baseline, and how many tables and figures it read. The issue's budget is
1 s for the reader. Not a test: nothing asserts a time.

For whole processes, pair the build with a baseline that only reads the reports:

    farm-bench --runs 5 --vs 'python -c "from sensekg.loaders.reports import read_corpus; read_corpus()"' \\
        'python -c "from sensekg.loaders.reports import read_corpus; from sensekg.loaders.registry import \\
        load_registry; from sensekg.loaders.extractors.tables import extract_table_readings; \\
        extract_table_readings(read_corpus(), load_registry())"'
"""

from __future__ import annotations

import argparse
import statistics
import time

from sensekg.loaders.extractors import tablereader
from sensekg.loaders.extractors.tables import extract_table_readings
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reports import read_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    registry = load_registry()
    reading, tables = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        corpus = read_corpus()
        tablereader.clear_caches()
        middle = time.perf_counter()
        readings, skipped = extract_table_readings(corpus, registry)
        end = time.perf_counter()
        reading.append(middle - start)
        tables.append(end - middle)
    read, table = statistics.median(reading), statistics.median(tables)
    print(f"read the four reports (baseline): median {read:.3f} s over {args.rounds} rounds")
    print(f"table reader:                     median {table:.3f} s  ({table / read:.1f}x the baseline)")
    print(f"  {len({r.table for r in readings if r.table})} tables, {len(readings)} figures, "
          f"{len(skipped)} rows or tables skipped or repaired")
    print("budget: 1 s for the reader: " + ("within" if table < 1 else "OVER"))


if __name__ == "__main__":
    main()
