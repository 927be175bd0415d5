"""Validation after a rebuild, at growing sizes: what the build recorded as changed, against the
subjects' digests compared, against a full run.

    python bench/validate_changes.py                 # 1x and 10x
    python bench/validate_changes.py --sizes 1,10,30

Each size is the real graph copied under renamed entities (as ``bench/run.py``'s scale series),
loaded into a store, and validated three ways in the same process:

1. ``--full``: every subject (shifty, partitions on all cores);
2. the subjects' digests compared with a kept run's, nothing changed: what ``validate`` does after
   a rebuild when the build's record cannot be used (one pass over the union);
3. what ``validate`` does after a rebuild that changed one subject (SenseTime's description), from
   the build's record (``build.CHANGED``): that subject read from the store and checked.

The third should stay flat as the graph grows; the first two grow with it. Not a test: nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import timed, write_scaled  # noqa: E402  (the scale series' timer and copies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,10")
    args = parser.parse_args()
    import pyoxigraph as ox

    from sensekg.graph.build import build_dataset
    from sensekg.graph.validate import validate_changes, validate_store

    base = ox.serialize(build_dataset().quads, format=ox.RdfFormat.N_QUADS)
    changed = {"steps": [{"since": "built", "count change": 0}],
               "subjects": ["<https://w3id.org/sensekg/id/sensetime>"], "retyped": []}
    print("| size | quads | full | digests compared | the build's record | record / full |")
    print("|---|---|---|---|---|---|")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="sensekg-bench-", ignore_cleanup_errors=True) as folder:
            root = Path(folder)
            write_scaled(base, size, root / "scaled.nq")
            store = ox.Store(str(root / "store"))
            store.bulk_load(path=str(root / "scaled.nq"), format=ox.RdfFormat.N_QUADS)
            quads = len(store)
            full, report = timed(validate_store, store, cache=root / "kept.json", stamp="built")
            assert report.conforms, report.violations[:3]
            shutil.copy(root / "kept.json", root / "digests.json")
            digests, again = timed(validate_store, store, cache=root / "digests.json")
            assert again.checked == 0
            record, changes = timed(validate_changes, store, changed, "rebuilt", cache=root / "kept.json")
            assert changes is not None and changes.checked == 1 and changes.conforms
            print(f"| {size}x | {quads:,} | {full:.1f} s | {digests:.1f} s | {record:.2f} s | {record / full:.3f} |",
                  flush=True)
            del store


if __name__ == "__main__":
    main()
