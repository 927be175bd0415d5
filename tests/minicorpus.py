"""A mini corpus for fast tests: excerpts of the real reports, cut at test time.

Each report keeps the line ranges listed here and has every other line blanked, so that every
line number of the real report still holds and a citation into an excerpt is a real citation.
Nothing of the reports is copied into the repository: only line numbers are. The manifest is
the real one with each report's new checksum. Extractor heuristics are tested on it inline, in
a fraction of a second, instead of through the full build.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

EXCERPTS: dict[str, list[tuple[int, int]]] = {
    # cover, key highlights (the Financial Summary table, DeepSeek and SenseCore in prose),
    # revenue and segment revenue in prose, and the HNTE sentence
    "annual-results-2024": [(1, 75), (195, 212), (913, 917)],
    # cover and the Financial Summary whose header says "2023" over the H1 2025 column
    "interim-results-2025h1": [(1, 45)],
    # the opening of the Business section
    "prospectus-2021-business": [(1, 30)],
    # the cover and the honours page's opening
    "sustainability-report-2024": [(1, 40)],
}


def mini_corpus(reports: Path, target: Path) -> Path:
    """Write the excerpts and their manifest into ``target``; returns it."""
    target.mkdir(parents=True, exist_ok=True)
    manifest = (reports / "reports.toml").read_text(encoding="utf-8")
    for report, ranges in EXCERPTS.items():
        lines = (reports / f"{report}.txt").read_text(encoding="utf-8").split("\n")
        kept = [line if any(a <= number <= b for a, b in ranges) else ""
                for number, line in enumerate(lines, start=1)]
        text = "\n".join(kept)
        (target / f"{report}.txt").write_text(text, encoding="utf-8")
        block = re.search(r'\[\[report\]\]\nid = "' + re.escape(report) + r'".*?sha256 = "[0-9a-f]+"', manifest, re.S)
        new = re.sub(r'sha256 = "[0-9a-f]+"', f'sha256 = "{hashlib.sha256(text.encode()).hexdigest()}"',
                     block.group(0))
        manifest = manifest.replace(block.group(0), new)
    (target / "reports.toml").write_text(manifest, encoding="utf-8")
    return target
