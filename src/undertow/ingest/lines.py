"""Line splitting that never cuts a record at a code point other than a line end."""

from __future__ import annotations

__all__ = ["record_lines"]


def record_lines(text: str) -> list[str]:
    r"""Split ``text`` into lines (ends kept) on ``\n`` or ``\r\n`` only.

    ``\r`` alone ends lines only in a file without any ``\n`` (old Mac line ends). Every
    other line-break code point (U+2028, U+0085, form feed, ...) is text: splitting on
    it would cut a record and could make its tail a record of its own.

    Examples
    --------
    >>> record_lines("a,b\r\nc\u2028d,e\n")
    ['a,b\r\n', 'c\u2028d,e\n']
    >>> record_lines("a\rb\r")
    ['a\r', 'b\r']
    """
    end = "\n" if "\n" in text or "\r" not in text else "\r"
    parts = text.split(end)
    lines = [part + end for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines
