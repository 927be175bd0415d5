"""The kinds of error a user can act on, each mapped once to an exit code and an HTTP status.

The CLI prints any of them as one line and exits with its ``exit_code``; the HTTP API answers
with its ``http_status``. Nothing branches on an error's wording: it branches on its type.

==================  =========  ======  =====================================================
type                exit code  HTTP    when
==================  =========  ======  =====================================================
InputError          2          400     bad input: a file, a line, a parameter, an option
NotFound            2          404     a named thing (query, entity, build folder) is not there
Refused             2          403     a request sensekg will not do (a write without a token,
                                       a foreign Origin, SERVICE, a folder it did not make)
InUse               2          409     another sensekg process holds what this one needs
QueryTimeout        1          504     a query ran past its time limit and was stopped
QueryTooLarge       1          503     a query ran past its memory limit and was stopped
RemoteUnavailable   2          502     a server did not answer, or answered with an error
CorruptStore        2          500     the build's store is damaged; rebuild it
==================  =========  ======  =====================================================
"""

from __future__ import annotations

from pathlib import Path


class SensekgError(Exception):
    """An error with a message a user can act on; names the file (and line) where there is one."""

    exit_code = 2
    http_status = 400

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 details: tuple[str, ...] = ()):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.details = details  # one line each, printed after the error: the rest of a list of failures
        super().__init__(message, self.path, line)

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"

    def one_line(self) -> str:
        return " ".join(str(self).split())


class InputError(SensekgError):
    """Bad input that a user can fix: names the file (and line) and what was expected."""


class NotFound(InputError):
    http_status = 404


class Refused(SensekgError):
    http_status = 403


class InUse(SensekgError):
    http_status = 409


class QueryTimeout(SensekgError):
    exit_code = 1
    http_status = 504


class QueryTooLarge(SensekgError):
    exit_code = 1
    http_status = 503


class RemoteUnavailable(SensekgError):
    http_status = 502


class CorruptStore(SensekgError):
    http_status = 500


def os_error_text(exc: OSError) -> str | None:
    """What an ``OSError`` says, for one line: Python's ``strerror``, or the whole message of one
    raised with text alone, as RocksDB's reach Python through pyoxigraph ("IO error: No space
    left on device: While appending to file: …"); None for one that says nothing."""
    if exc.strerror is not None:
        return exc.strerror
    text = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else ""
    return text if text.strip() else None


def about(exc: OSError, path: str | Path, note: str = "") -> OSError | None:
    """``exc`` as an error about ``path``, ``note`` added to its text: a full disk's own error
    names no file, or names one the user never sees (a temporary file). None when ``exc`` says
    nothing to add to."""
    text = os_error_text(exc)
    return None if text is None else OSError(exc.errno, text + note, str(path))
