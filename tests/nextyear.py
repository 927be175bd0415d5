"""A next year's report derived from a real one, for testing that the readers read, not recall.

Every year in the text moves on by one and a line is inserted every ``every`` lines, so that
no line number and no period of the curated report holds. The result is written beside copies
of the real reports, under a new id and with its own manifest entry; it never enters the
repository's data.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

# a year standing alone: not inside a figure such as 2,024 or 12,024.5
YEAR = re.compile(r"(?<!\d)(?<!\d[,.])((?:19|20)\d\d)(?!\d|[,.]\d)")
INSERTED = "This line stands in for text a later report adds."


def shift_years(text: str, by: int = 1) -> str:
    return YEAR.sub(lambda m: str(int(m.group(1)) + by), text)


def derive(source: Path, every: int = 40) -> tuple[str, dict[int, int]]:
    """The shifted text and where each source line landed (old line -> new line). A line of new
    prose is inserted at the first blank line after every ``every`` lines, between paragraphs
    and tables as a later report's extra text would be, never inside a table."""
    lines = source.read_text(encoding="utf-8").split("\n")
    out, where, since = [], {}, 0
    for number, line in enumerate(lines, start=1):
        since += 1
        out.append(shift_years(line))
        where[number] = len(out)
        if since >= every and not line.strip():
            out += [INSERTED, ""]
            since = 0
    return "\n".join(out), where


def next_year_folder(reports: Path, target: Path, source_id: str = "annual-results-2024",
                     new_id: str = "annual-results-2025") -> dict[int, int]:
    """Copy the real reports into ``target`` and add the derived one to its manifest."""
    target.mkdir(parents=True, exist_ok=True)
    for path in reports.iterdir():
        if path.is_file():
            shutil.copy(path, target / path.name)
    manifest = (reports / "reports.toml").read_text(encoding="utf-8")
    block = re.search(r"\[\[report\]\]\nid = \"" + re.escape(source_id) + r"\".*?(?=\n\[\[report\]\]|\Z)",
                      manifest, re.S).group(0)
    text, where = derive(reports / re.search(r'file = "([^"]+)"', block).group(1))
    name = f"{new_id}.txt"
    (target / name).write_text(text, encoding="utf-8")
    entry = shift_years(block).replace(f'id = "{source_id}"', f'id = "{new_id}"')
    entry = re.sub(r'file = "[^"]+"', f'file = "{name}"', entry)
    entry = re.sub(r'sha256 = "[0-9a-f]+"', f'sha256 = "{hashlib.sha256(text.encode()).hexdigest()}"', entry)
    (target / "reports.toml").write_text(manifest.rstrip("\n") + "\n\n" + entry.rstrip("\n") + "\n",
                                         encoding="utf-8")
    return where
