"""Search in the evidence: the full-text index against a SPARQL scan of the quotes, same run.

    python bench/search.py --graph build            # a build made by `sensekg build`
    python bench/search.py --graph build --runs 5

For each question (the quote-only questions analysts asked), times ``Graph.search(text,
quotes=True)`` (SQLite FTS5, written by the build) and, as the baseline, a SPARQL query that
finds the same words with ``CONTAINS`` over every ``sk:quote`` on the store. Then the whole
command, ``sensekg search --quotes TEXT``, against ``sensekg --version`` (start-up alone), paired
A B A B. Prints medians and the ratios. Not a test: nothing asserts a time. The issue's target
is an answer in under 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sensekg

QUESTIONS = ["first AI company to receive all three", "FAW stamping", "OpenDILab", "unaudited", "Client A 12.2%"]

SCAN = """SELECT DISTINCT ?r ?line WHERE {{ ?e sk:quote ?q ; prov:wasDerivedFrom ?r ; sk:line ?line .
  {filters} }}"""


def timed(work, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", type=Path, default=Path("build"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    kg = sensekg.open(args.graph)
    print(f"{'question':40s} {'index ms':>9s} {'scan ms':>9s} {'scan/index':>10s}")
    for text in QUESTIONS:
        filters = " ".join(f'FILTER(CONTAINS(LCASE(?q), "{w.lower()}"))' for w in text.split())
        index = timed(lambda t=text: kg.search(t, quotes=True), args.runs)
        scan = timed(lambda f=filters: kg.sparql(SCAN.format(filters=f)), args.runs)
        print(f"{text:40s} {index * 1000:9.1f} {scan * 1000:9.1f} {scan / index:10.1f}")
    command = [sys.executable, "-m", "sensekg"]
    a, b = [], []
    for _ in range(args.runs):
        for out, extra in ((a, ["search", "--quotes", QUESTIONS[0], "--graph", str(args.graph)]), (b, ["--version"])):
            start = time.perf_counter()
            subprocess.run(command + extra, check=True, capture_output=True)
            out.append(time.perf_counter() - start)
    whole, startup = statistics.median(a), statistics.median(b)
    print(f"\nwhole process: `sensekg search --quotes` {whole:.3f} s, `sensekg --version` {startup:.3f} s "
          f"(ratio {whole / startup:.2f}); the search itself {whole - startup:.3f} s")


if __name__ == "__main__":
    main()
