"""Work on the store in a child process that can be stopped: bounded time and bounded memory.

A SPARQL query can need more memory than the machine has (a cartesian product under ORDER BY)
and Oxigraph aborts the whole process when an allocation fails, so neither a thread with a
timeout nor a ``MemoryError`` handler can contain it. :func:`isolated` runs the work in a child
with an address-space limit, waits at most ``timeout`` seconds for its answer, and kills it
otherwise. The child opens the store itself, so nothing is shared across the fork but code.

The child is forked directly when the caller has a single thread, native ones included (the
CLI: a few milliseconds), and from a fork server otherwise (a notebook, a server, a test run
that has opened stores), where a plain fork could inherit locks held by threads it loses.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from sensekg.graph.buildio import is_corruption
from sensekg.loaders.errors import CorruptStore, InputError, QueryTimeout, QueryTooLarge, SensekgError

T = TypeVar("T")
GIB = 1 << 30
DEFAULT_MEMORY_GIB = 4.0


def _child(send, memory: int | None, func: Callable[..., Any], args: tuple) -> None:
    # an allocation that fails past the limit makes Rust print a panic and a backtrace: the
    # parent reports it in one line instead
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if memory:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    try:
        outcome = (True, func(*args))
    except MemoryError:
        outcome = (False, QueryTooLarge("ran out of memory"))
    except SensekgError as exc:
        outcome = (False, exc)
    except (OSError, RuntimeError) as exc:
        outcome = (False, CorruptStore(f"the store could not be read ({exc}); rebuild it with "
                                       "`sensekg build --force`") if is_corruption(exc) else exc)
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which re-raises it
        outcome = (False, exc)
    try:
        send.send(outcome)
    except Exception as exc:  # noqa: BLE001 - an unpicklable result or exception
        send.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()


def _single_threaded() -> bool:
    """No thread but this one, native threads included (RocksDB's background threads would be
    missing in a forked child, and a store opened for writing there would wait for them)."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc: cannot tell, so take the safe way
        return False


def isolated(func: Callable[..., T], *args: Any, timeout: float | None, memory_gib: float | None,
             what: str = "the query") -> T:
    """``func(*args)`` in a child process; ``QueryTimeout`` past ``timeout`` seconds and
    ``QueryTooLarge`` past ``memory_gib`` GiB of address space. ``func`` must open any store
    itself, and its arguments and result must pickle."""
    context = multiprocessing.get_context("fork" if _single_threaded() else "forkserver")
    receive, send = context.Pipe(duplex=False)
    memory = int(memory_gib * GIB) if memory_gib else None
    child = context.Process(target=_child, args=(send, memory, func, args), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise QueryTimeout(f"{what} ran past --timeout {timeout:g} s and was stopped")
        try:
            ok, value = receive.recv()
        except EOFError:
            child.join(5)
            if child.exitcode == -signal.SIGSEGV:  # the parser's stack, not the memory limit
                raise InputError(f"{what} crashed the SPARQL engine (signal {signal.SIGSEGV}), as a query nested "
                                 "thousands of levels deep does; simplify it") from None
            limit = f" (--max-memory {memory_gib:g} GiB)" if memory_gib else ""
            raise QueryTooLarge(f"{what} was stopped: it needed more memory than it may use{limit}, "
                                f"and its process ended with code {child.exitcode}") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receive.close()
    if not ok:
        raise value
    return value
