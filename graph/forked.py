"""A share of a computation run in a forked child process, on the other core.

The build's Python holds the interpreter's lock, so a thread does not run beside it; a forked
child starts with the parent's whole heap (shared until written, in a few milliseconds) and
computes its share while the parent computes its own. Only the child's result crosses back,
pickled into an anonymous memory file, read once the child has exited.

Nothing here is needed for a correct result: where no child can be forked (not Linux, threads
running, the fork refused) or the child does not finish (it raised, or was killed), the caller
computes the share itself. So a child never reports an error: the caller's own computation of
the share raises it, exactly as a build without children would.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")


def can_fork() -> bool:
    """Whether a child can be forked safely here: Linux (where it can be made to die with its
    parent) and no other thread running, whose locks the child would inherit held."""
    return sys.platform == "linux" and hasattr(os, "memfd_create") and threading.active_count() == 1


class Share(Generic[T]):
    """``work()`` run in a forked child; :meth:`result` waits for it and returns its value, or
    ``None`` when there is no child or it did not finish (then compute it yourself)."""

    def __init__(self, work: Callable[[], T]) -> None:
        self.pid: int | None = None
        self.memory: int | None = None
        if not can_fork():
            return
        parent = os.getpid()
        try:
            self.memory = os.memfd_create("sensekg-share", os.MFD_CLOEXEC)
            self.pid = os.fork()
        except OSError:
            self._close()
            self.pid = None
            return
        if self.pid == 0:  # the child: never returns
            _run_child(work, self.memory, parent)

    def result(self) -> T | None:
        """The child's value, once it has exited; ``None`` if it failed or never ran."""
        if self.pid is None:
            return None
        try:
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                return None
            with os.fdopen(os.dup(self.memory), "rb") as stream:
                stream.seek(0)
                return pickle.load(stream)
        finally:
            self._close()

    def cancel(self) -> None:
        """Kill the child, if it runs (the caller failed, or needs the share no more)."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = None
        self._close()

    def _close(self) -> None:
        if self.memory is not None:
            os.close(self.memory)
            self.memory = None


def in_order(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """``(first(), second())``, ``first`` in a forked child while this process runs ``second``:
    for two computations that share nothing but what they read. An exception is the one running
    them one after the other raises: ``first``'s (computed here again when the child did not
    finish), else ``second``'s."""
    share = Share(first)
    try:
        later = second()
    except Exception:
        if share.result() is None:
            first()  # its error comes first, if it has one
        raise
    except BaseException:  # an interrupt: nothing more to wait for
        share.cancel()
        raise
    earlier = share.result()
    return (first() if earlier is None else earlier), later


def _run_child(work: Callable[[], object], memory: int, parent: int) -> None:
    """The child's whole life: compute, write the pickled value, and leave at once (no cleanup of
    the parent's, no buffered output of the parent's flushed twice): exit code 0 only when the
    value is written."""
    code = 1
    try:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # the parent's handlers are not the child's
            signal.signal(number, signal.SIG_DFL)
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: dies with the parent
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)
        value = work()
        with os.fdopen(memory, "wb", closefd=False) as stream:
            pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
        code = 0
    except BaseException:  # noqa: BLE001 - the parent computes the share again, and raises what it raises
        pass
    finally:
        os._exit(code)
