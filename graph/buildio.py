"""The build folder: written whole through a staging folder and a swap, read back safely.

sensekg never deletes or moves what it did not make:

- ``--out DIR`` is replaced only when DIR is empty or is a build folder that sensekg wrote (its
  ``build-info.json`` carries the format tag :data:`FORMAT`) holding nothing but build outputs.
  Anything else (a folder of your own, a file, the reports, the data, the current folder) is
  refused with one line, and nothing is touched.
- Outputs go to a staging folder beside DIR named ``.DIR.sensekg-staging-PID-*``. When everything
  is written, DIR is renamed to ``.DIR.sensekg-swap-PID``, the staging folder is renamed to DIR,
  and the swapped-out folder is removed. A user's own ``DIR.old`` or ``.DIR.tmp`` is never read,
  moved or removed.
- The builder holds an exclusive lock on ``.DIR.sensekg-lock`` (in DIR's parent) from the start
  of writing to the end of the swap, and ``sensekg serve`` holds a shared lock on it for its
  whole life. A build therefore refuses to replace a folder that a server is serving, and a
  reader can tell a live build from a dead one: only when it gets the lock itself does it clean
  up what a dead build left (put its swapped-out folder back, remove its staging folder).
  The kernel releases a dead process's lock, so no process id is trusted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from sensekg.loaders.errors import CorruptStore, InUse, NotFound, Refused, about

TRIG = "sensekg.trig"
NQUADS = "sensekg.nq"  # the same quads as N-Quads, one per line, in the TriG's order (see build.write_outputs)
INFO = "build-info.json"
STORE = "store"
ORIGINS = "origins.json"
INDEX = "evidence.sqlite"  # full-text index of the quoted passages (see evidence_index)
MEMO = "memo.pickle"  # what the next build can recall of this one's work (see memo)
FORMAT = "sensekg-build/1"
OUTPUTS = frozenset({TRIG, NQUADS, INFO, STORE, ORIGINS, INDEX, MEMO})
WAIT_FOR_SWAP = 30.0  # seconds a reader waits for a live build's swap (it takes milliseconds)


def _names(out: Path) -> tuple[Path, str, str]:
    """The lock file, and the name prefixes of the staging and swapped-out folders, of ``out``."""
    return (out.parent / f".{out.name}.sensekg-lock", f".{out.name}.sensekg-staging-",
            f".{out.name}.sensekg-swap-")


STAGING_MARK = ".sensekg-staging"


def _leftovers(out: Path) -> list[Path]:
    """What a build that died left beside ``out``: its staging folders (marked inside by
    :data:`STAGING_MARK`) and its swapped-out folder (a build, by :func:`is_build`). A folder of
    the user's that merely has such a name is not one of them."""
    _, staging, swap = _names(out)
    if not out.parent.is_dir():
        return []
    found = []
    for path in sorted(out.parent.iterdir()):
        pid = path.name.removeprefix(swap) if path.name.startswith(swap) else \
            path.name.removeprefix(staging).split("-", 1)[0] if path.name.startswith(staging) else ""
        if not pid.isdigit() or path.is_symlink() or not path.is_dir():
            continue
        if (path / STAGING_MARK).is_file() if path.name.startswith(staging) else is_build(path):
            found.append(path)
    return found


@contextlib.contextmanager
def folder_lock(out: Path, shared: bool = False, wait: float = 0.0) -> Iterator[bool]:
    """Hold the lock of build folder ``out``; yields whether it was taken within ``wait`` seconds.

    Raises ``OSError`` when the lock file cannot be opened (a read-only folder, or something
    of the user's in its place).
    """
    lock, _, _ = _names(out)
    handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        mode = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, mode)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.05)
        yield True
    finally:
        os.close(handle)


def hold_shared(out: Path) -> int:
    """Take a shared lock on ``out`` for the life of the process (``sensekg serve``): builds into
    ``out`` are refused until it ends. Returns the descriptor; closing it releases the lock."""
    lock, _, _ = _names(out.absolute())
    handle = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        raise InUse("a build is being written into this folder; wait for it and try again", path=out) from None
    return handle


def in_use(folder: Path) -> InUse:
    """The error for a build folder that another sensekg process holds."""
    return InUse("another sensekg process is using this build folder (a build, or `sensekg serve`); "
                 "wait for it or stop it, then try again", path=folder)


def is_corruption(exc: BaseException) -> bool:
    """Whether a store error is RocksDB finding damaged files. pyoxigraph raises a plain OSError
    or RuntimeError for it, so its words are all there is to go by; this is the one place that
    reads them."""
    return isinstance(exc, OSError | RuntimeError) and "Corruption" in str(exc)


def check_free(out: Path) -> None:
    """Refuse at once when another sensekg process (a build, or ``serve``) holds ``out``."""
    if not out.parent.is_dir():
        return
    with folder_lock(out.absolute()) as locked:
        if not locked:
            raise in_use(out)


def recover(out: Path) -> None:
    """Finish what a dead build left beside ``out``: put its swapped-out folder back if ``out`` is
    missing, and remove its staging folders. A live build (it holds the lock) is waited for while
    ``out`` is missing, and otherwise left alone."""
    if not _leftovers(out):
        return
    wait = 0.0 if out.exists() else WAIT_FOR_SWAP
    with contextlib.ExitStack() as stack:
        try:
            locked = stack.enter_context(folder_lock(out, wait=wait))
        except OSError:  # a folder we cannot write to: nothing we could clean up either
            return
        if not locked:
            return
        _, _, swap = _names(out)
        for path in _leftovers(out):
            if path.name.startswith(swap) and not out.exists():
                os.replace(path, out)
            else:
                shutil.rmtree(path, ignore_errors=True)


# what an Oxigraph (RocksDB) store folder holds; anything else in it is not ours
_STORE_FILE = re.compile(r"^(?:\d+\.(?:sst|log|blob)|MANIFEST-\d+|CURRENT|IDENTITY|LOCK|LOG(?:\.old\.\d+)?"
                         r"|OPTIONS-\d+(?:\.dbtmp)?)$")


def is_build(folder: Path) -> bool:
    """Whether ``folder`` is a build that sensekg wrote: a marked ``build-info.json`` (or one of
    the unmarked first format, with its inputs and reports digests), nothing but outputs, and a
    store folder holding nothing but a store's files."""
    try:
        info = json.loads((folder / INFO).read_text(encoding="utf-8"))
        entries = {p.name for p in folder.iterdir()}
        store = folder / STORE
        if store.is_symlink() or (store.exists() and not all(
                p.is_file() and not p.is_symlink() and _STORE_FILE.match(p.name) for p in store.iterdir())):
            return False
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or not entries <= OUTPUTS:
        return False
    if any((folder / name).is_symlink() for name in entries):
        return False
    return info.get("format") == FORMAT or ("format" not in info and {"inputs", "reports"} <= info.keys())


def check_replaceable(out: Path, keep: Iterable[Path] = ()) -> None:
    """Refuse, touching nothing, unless ``out`` is absent, an empty folder, or a sensekg build.

    ``keep`` are folders that must never be inside ``out`` (the reports, the data); the current
    folder and the home folder are always kept.
    """
    if out.is_symlink():  # checked before resolving: the link is the user's, and so is what it names
        raise Refused("is a symbolic link; sensekg replaces only folders it built. Choose another --out",
                      path=out)
    target = out.resolve()
    for kept in (*keep, Path.cwd(), Path.home()):
        kept = Path(kept).resolve()
        if target == kept or target in kept.parents:
            held = "is" if target == kept else "holds"
            raise Refused(f"{held} {kept}, which holds files sensekg did not write; "
                          "choose a folder of its own, e.g. --out build", path=out)
    if not target.exists():
        return
    if not target.is_dir():
        raise Refused("exists and is not a build folder; choose another --out", path=out)
    entries = sorted(p.name for p in target.iterdir())
    if not entries or is_build(target):
        return
    foreign = [name for name in entries if name not in OUTPUTS]
    listed = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
    reason = f"holds files sensekg did not write ({listed})" if foreign else f"has no sensekg {INFO} marker"
    raise Refused(f"is not a sensekg build folder: it {reason}; sensekg replaces only folders it built. "
                  "Choose another --out, or move the folder away yourself", path=out)


def _mode_for(out: Path) -> int:
    if out.is_dir():
        return stat.S_IMODE(out.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def spare_path(out: Path) -> Path:
    """Where the N-Quads of the build ``out`` replaced are kept, beside it, for the next build to
    write its own over (:func:`recycled`)."""
    return out.parent / f".{out.name}.sensekg-spare.nq"


def _own_file(found: os.stat_result) -> bool:
    """A regular file of this user's with one link: one sensekg may write over."""
    return stat.S_ISREG(found.st_mode) and found.st_nlink == 1 and found.st_uid == os.getuid()


def _taken(spare: Path, path: Path) -> BinaryIO | None:
    """``spare`` moved to ``path`` and opened to be written over, if it is a regular file of this
    user's with one link, checked before the move and again after it without following a link
    (it may have changed meanwhile); else None, and anything there is left where it was."""
    with contextlib.suppress(OSError):
        if _own_file(os.lstat(spare)):
            os.replace(spare, path)
            handle = -1
            try:
                handle = os.open(path, os.O_RDWR | os.O_NOFOLLOW)
                if _own_file(os.fstat(handle)):
                    return os.fdopen(handle, "r+b")
            except OSError:
                pass
            if handle >= 0:
                os.close(handle)
            os.replace(path, spare)  # put back, untouched
    return None


@contextlib.contextmanager
def recycled(path: Path, spare: Path | None) -> Iterator[BinaryIO]:
    """``path`` opened to be written whole and cut at the end of what was written: made of
    ``spare`` (see :func:`spare_path`) where it can be taken (:func:`_taken`), else a new file
    (one already at ``path`` with no ``spare`` given, written into).

    Writing 88 MB into a new file took 0.02 to 0.96 s on the virtual machine this was measured
    on, where writing over a file's own cached pages took 0.02 s every time: new pages, not
    the bytes, cost the time (the rebuild's `write N-Quads` went from 0.07-0.84 s to 0.07-0.08).
    A caller whose ``path`` another process follows as it is written gives no ``spare``."""
    stream = _taken(spare, path) if spare is not None else None
    if stream is None:  # "xb": fails, rather than writes through, if something is still there
        stream = path.open("wb" if spare is None else "xb")
    with stream:
        yield stream
        stream.truncate()


def write_build(out: Path, writer: Callable[[Path], None], keep: Iterable[Path] = ()) -> None:
    """Run ``writer`` on a fresh staging folder, then swap it in for ``out``.

    ``out`` must pass :func:`check_replaceable` both before the work and at the swap.
    """
    out = out.absolute()
    keep = list(keep)
    check_replaceable(out, keep)
    out.parent.mkdir(parents=True, exist_ok=True)
    recover(out)
    lock, staging_prefix, swap_prefix = _names(out)
    with folder_lock(out) as locked:
        if not locked:
            raise in_use(out)
        staging = Path(tempfile.mkdtemp(prefix=f"{staging_prefix}{os.getpid()}-", dir=out.parent))
        (staging / STAGING_MARK).touch()  # so that recovery knows this folder for one of its own
        aside = out.parent / f"{swap_prefix}{os.getpid()}"
        try:
            existed = out.exists()
            try:
                writer(staging)
            except OSError as exc:  # a full disk, most often: said of ``out``, which is as it was
                named = _while_writing(exc, out, existed)
                if named is None:
                    raise
                raise named from exc
            check_replaceable(out, keep)  # again: something may have been put there meanwhile
            (staging / STAGING_MARK).unlink()
            staging.chmod(_mode_for(out))
            if out.exists():
                os.replace(out, aside)
            os.replace(staging, out)
            with contextlib.suppress(OSError):  # the replaced N-Quads, for the next build to write over
                os.replace(aside / NQUADS, spare_path(out))
            shutil.rmtree(aside, ignore_errors=True)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _while_writing(exc: OSError, out: Path, existed: bool) -> OSError | None:
    """``exc``, met while writing the new build beside ``out``, as an error about ``out``: the
    file it names is in the staging folder, which is gone by the time the user reads it."""
    written = f" ({Path(exc.filename).name})" if exc.filename else ""
    kept = "the build here is as it was" if existed else "nothing was written"
    return about(exc, out, f", while writing the new build{written}; {kept}")


def resolve_graph_path(graph: str | Path) -> Path:
    """``--graph`` names the build folder or the TriG file in it."""
    path = Path(graph)
    if path.is_dir() or not path.suffix:
        recover(path.absolute())
        path = path / TRIG
    if not path.is_file():
        raise NotFound("no built graph here; run `sensekg build` first (or pass --graph DIR)", path=path)
    return path


def load_quads(graph: str | Path) -> list:
    """The quads of a build folder (or TriG file), read with pyoxigraph."""
    from . import rdfio

    return rdfio.read(resolve_graph_path(graph))


def store_folder(graph: str | Path) -> Path:
    """The build folder that ``graph`` names (the folder itself, or the folder of its TriG)."""
    return resolve_graph_path(graph).parent


def open_store(graph: str | Path):
    """The build's Oxigraph store, opened read-only; a build without one is loaded from its TriG.

    Opening the persisted store takes milliseconds where parsing the TriG takes seconds.
    """
    from . import rdfio

    folder = store_folder(graph)
    if (folder / STORE).is_dir():
        import pyoxigraph as ox

        try:
            return ox.Store.read_only(str(folder / STORE))
        except (OSError, RuntimeError) as exc:  # RocksDB reports damaged files as RuntimeError
            raise CorruptStore(f"the store is corrupt or cannot be opened ({exc}); rebuild it with "
                               "`sensekg build --force`", path=folder / STORE) from None
    return rdfio.store(load_quads(graph))


def read_info(graph: str | Path) -> dict:
    path = resolve_graph_path(graph).with_name(INFO)
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


STORE_FILES = "store files"
# more of build-info.json's keys, here so that reading them (``validate``) needs none of the build's code
TRIG_SHA = "trig sha256"
TRIG_PARTS = "trig parts"  # where each part of the TriG starts, in the N-Quads and the TriG (trigblocks)
NQUADS_SHA = "nquads sha256"
ORIGINS_SHA = "origins sha256"
INDEX_SHA = "index sha256"
STORE_CHANGES = "store changes"  # quads the store was changed by since it was last written whole
CHANGED = "changed since"  # the subjects whose quads changed since the replaced build (for validate)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks (hashing them does not hold Python's lock)."""
    import hashlib

    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def store_digests(store: Path, known: dict[tuple, str] | None = None) -> dict[str, str]:
    """The SHA-256 of each file of a closed store, recorded at build time (about 40 ms).
    ``known``, when given, holds digests by file (device, inode, size, modification time), and
    is added to: a store updated from another is hard links to that one's files, which RocksDB
    never changes once written, so each is hashed once."""
    digests = {}
    for path in sorted(p for p in store.rglob("*") if p.is_file()):
        if known is None:
            digests[str(path.relative_to(store))] = file_sha256(path)
            continue
        stat = path.stat()
        key = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if key not in known:
            known[key] = file_sha256(path)
        digests[str(path.relative_to(store))] = known[key]
    return digests


def changed_store_files(folder: Path, known: dict[tuple, str] | None = None) -> list[str]:
    """The store files that differ from what the build recorded (none when it recorded none,
    as after a ``--writable`` update, which changes the store on purpose); ``known`` as in
    :func:`store_digests`."""
    recorded = read_info(folder).get(STORE_FILES)
    if not isinstance(recorded, dict):
        return []
    try:
        current = store_digests(folder / STORE, known)
    except OSError:
        return sorted(recorded)
    return sorted(name for name in recorded.keys() | current.keys() if recorded.get(name) != current.get(name))


def forget_store_digests(folder: Path) -> None:
    """Say in ``build-info.json`` that the store was changed on purpose (by an update)."""
    from .export import write_atomic

    info = read_info(folder)
    if info.pop(STORE_FILES, None) is not None:
        info["store"] = "changed by a SPARQL Update since the build; `sensekg build --force` restores it"
        write_atomic(folder / INFO, (json.dumps(info, indent=2, sort_keys=True) + "\n").encode("utf-8"))
