"""Errors that carry what a user needs to fix their input: the file and the line."""

from __future__ import annotations

from pathlib import Path

__all__ = ["InputError", "UndertowError"]


class UndertowError(Exception):
    """Base class of undertow's own errors (the CLI exits 1 on these)."""


class InputError(UndertowError):
    """Bad or unreadable input: names the file and, when known, the line (the CLI exits 2).

    Examples
    --------
    >>> str(InputError("bad header", path="a.csv", line=3))
    'a.csv:3: bad header'
    """

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        where = "" if self.path is None else self.path + ("" if line is None else f":{line}")
        super().__init__(f"{where}: {message}" if where else message)
