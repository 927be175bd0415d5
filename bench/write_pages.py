"""Why a rebuild writes its N-Quads over the replaced build's (``buildio.recycled``): the time of
writing 88 MB (the N-Quads' size) eight times, 1.5 s apart, three ways, in a temporary folder
on the disk of ``--dir`` (default: the system's temporary folder).

    python bench/write_pages.py [--dir FOLDER]

- ``new, none deleted``: a new file each time;
- ``new, the one before deleted``: a new file each time, the one before removed after it, as a
  build's swap removes the replaced build;
- ``written over``: the file before renamed and written over, as ``recycled`` does.

Not a test: nothing here asserts a time. On the virtual machine of bench/RESULTS.md, new pages,
not the bytes, took the time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

SIZE = 88 << 20
WRITES = 8


def series(folder: Path, way: str, data: bytes) -> list[float]:
    times = []
    for i in range(WRITES):
        path = folder / f"{i}.nq"
        start = time.perf_counter()
        if way == "written over" and i:
            (folder / f"{i - 1}.nq").rename(path)
            with path.open("r+b") as stream:
                stream.write(data)
                stream.truncate()
        else:
            path.write_bytes(data)
        times.append(time.perf_counter() - start)
        if way == "new, the one before deleted" and i:
            (folder / f"{i - 1}.nq").unlink()
        time.sleep(1.5)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", default=None, help="a folder on the disk to measure (default: the temporary one)")
    args = parser.parse_args()
    data = os.urandom(1 << 20) * (SIZE >> 20)
    print(f"| how ({WRITES} writes of {SIZE >> 20} MB, 1.5 s apart) | seconds per write |")
    print("|---|---|")
    for way in ("new, none deleted", "new, the one before deleted", "written over"):
        with tempfile.TemporaryDirectory(prefix="sensekg-write-", dir=args.dir) as folder:
            times = series(Path(folder), way, data)
        print(f"| {way} | {' '.join(f'{t:.2f}' for t in times)} |", flush=True)


if __name__ == "__main__":
    main()
