"""The one error type for bad input, so the CLI can report it without a traceback."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad input that a user can fix: names the file (and line) and what was expected.

    The CLI turns it into a one-line message and exit code 2.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"
