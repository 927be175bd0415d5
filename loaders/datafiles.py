"""Reading the TOML data files (registry and statements) with errors that name file and line."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

from .errors import InputError


def data_dir() -> Path:
    return Path(str(resources.files("sensekg.loaders").joinpath("data")))


def data_files(kind: str, folder: Path | None = None) -> list[Path]:
    """The ``*.toml`` files of ``entities`` or ``statements``, sorted for a stable build."""
    root = (folder or data_dir()) / kind
    return sorted(root.glob("*.toml"))


def read_toml(path: Path) -> tuple[dict, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 ({exc.reason})", path=path) from None
    try:
        return tomllib.loads(text), text.splitlines()
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise InputError(f"TOML syntax error: {reason}", path=path,
                         line=int(match.group(1)) if match else None) from None


def table_lines(lines: list[str], header: str) -> list[int]:
    """1-based lines where ``[header]`` or ``[[header]]`` starts, in order of appearance."""
    pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?\s*(#.*)?$")
    return [number for number, text in enumerate(lines, start=1) if pattern.match(text)]


def array_records(path: Path, data: dict, lines: list[str], name: str) -> list[tuple[dict, str]]:
    """The ``[[name]]`` tables of a parsed file, each with ``file:line`` for error messages."""
    starts = table_lines(lines, name)
    entries = data.get(name, [])
    return [(body, f"{path}:{starts[index] if index < len(starts) else '?'}")
            for index, body in enumerate(entries)]
