"""Reading one very long line: extraction time for 15, 30, 60 and 120 kB and the ratio to 15 kB.

    python bench/long_line.py                       # all kinds, 15,30,60,120 kB
    python bench/long_line.py --kinds words --sizes 15,60 --build

A PDF conversion that lost its line breaks leaves a whole section on one line. Each kind of
line is put into a one-report corpus as prose, as a table row (label and figure cells), as a
heading and as list items, and goes through the reader (headings, tables, list items) and
every extractor (narrative figures, HNTE certifications, a table specification over the
row, the generic table reader). Kinds:

- ``words``: "RMB", then one run of words without digits or punctuation ("Our revenue ...
  increased ... Beijing ...") and "qualified as HNTE" at the end: the worst case for rules
  that scan a run of letters from every place a match could begin;
- ``prose``: money and percent fragments ("increased by 10.8% to RMB", "RMB1,234.5 million",
  "(12.3)", "As of December 31, 2024, ..."), parentheses, markup and words;
- ``nospace``: the same fragments without a space between them;
- ``digits``: "RMB", then digits, commas and spaces.

Linear rules give ratios near 2, 4 and 8; a rule that backtracks over the whole line gives
4, 16 and 64. ``--build`` also times ``build_dataset`` on a copy of the real reports with
the line appended to one of them. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sensekg.loaders.extractors.certifications import extract_hnte_status
from sensekg.loaders.extractors.narrative import extract_narrative_readings
from sensekg.loaders.extractors.tablereader import read_generic
from sensekg.loaders.extractors.tablerecords import Column, TableSpec, read_table
from sensekg.loaders.extractors.tables import continued_tables
from sensekg.loaders.facts import Citation
from sensekg.loaders.registry import load_registry
from sensekg.loaders.reports import Corpus, Document, ReportSpec, locate_reports

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from longlines import long_line  # noqa: E402 - the fuzz tests' generator


def document_with(line: str, report: str = "long-line") -> Document:
    """A report whose lines are ``line`` as prose, a table row, a heading and list items."""
    figures, digits = re.sub(r"[^\d,]", "", line), re.sub(r"\D", "", line)  # the line's figures as one cell
    lines = ["Revenue\t2024\t2023", f"{line}\t{figures}\t{digits})x", line, "", "# " + line, "",
             "- " + line, f"<ul><li>{line}</ul>", line.upper()]
    spec = ReportSpec(report, f"{report}.txt", "long line", "annual-results", "SenseTime", "0" * 64)
    return Document(spec, Path(f"{report}.txt"), lines)


def table_spec(report: str = "long-line") -> TableSpec:
    cite = Citation(report, 1, "2024")
    return TableSpec("long-line", report, 2, "sensetime",
                     (Column(1, "FY2024", cite, "RMB million", "{row}"),
                      Column(2, "FY2023", cite, "RMB million", "{row}")))


def extract_all(document: Document, registry) -> int:
    """Everything the reader and the extractors do with the document; the number of results.

    The fragments never complete a company name ("Co., Ltd."), which the certification rule
    would look up in the registry and, not finding it, stop at with an InputError.
    """
    corpus = Corpus(Path("."), {document.id: document})
    found = len(document.headings) + len(document.tables) + len(document.list_items)
    found += len(extract_narrative_readings(corpus, registry)[0])
    found += len(list(extract_hnte_status(corpus, registry)))
    readings, skipped = read_table(corpus, registry, table_spec(document.id))
    for table in continued_tables(document):  # the generic table reader over the same rows
        result = read_generic(document, table, registry, "sensetime")
        found += len(result.readings) + len(result.skipped)
    return found + len(readings) + len(skipped)


def appended_copy(line: str, target: Path, report: str = "annual-results-2024") -> Path:
    """A copy of the real reports with ``line`` appended to ``report`` and its checksum updated."""
    shutil.copytree(locate_reports(), target)
    path = target / f"{report}.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + ("" if text.endswith("\n") else "\n") + line + "\n", encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest = target / "reports.toml"
    entry = re.compile(rf'(id = "{re.escape(report)}"[^\[]*?sha256 = ")[0-9a-f]+')
    manifest.write_text(entry.sub(lambda m: m.group(1) + digest, manifest.read_text(encoding="utf-8")),
                        encoding="utf-8")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="15,30,60,120", help="line sizes in kB (1000 characters)")
    parser.add_argument("--kinds", default="words,prose,nospace,digits")
    parser.add_argument("--build", action="store_true", help="also time build_dataset on the real reports")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    registry = load_registry()
    print(f"{'kind':8} {'kB':>5} {'extract s':>10} {'ratio':>7}" + (f" {'build s':>9} {'ratio':>7}" if args.build
                                                                     else ""))
    for kind in args.kinds.split(","):
        base = base_build = None
        for size in sizes:
            line = long_line(kind, size * 1000)
            document = document_with(line)
            started = time.perf_counter()
            extract_all(document, registry)
            seconds = time.perf_counter() - started
            base = base or seconds
            row = f"{kind:8} {size:5} {seconds:10.3f} {seconds / base:7.1f}"
            if args.build:
                from sensekg.graph.build import build_dataset

                with tempfile.TemporaryDirectory() as folder:
                    copy = appended_copy(line, Path(folder) / "reports")
                    started = time.perf_counter()
                    result = build_dataset(copy)
                    built = time.perf_counter() - started
                base_build = base_build or built
                row += f" {built:9.3f} {built / base_build:7.1f}  (extract {result.timings['extract']:.2f} s)"
            print(row, flush=True)


if __name__ == "__main__":
    main()
