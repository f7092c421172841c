"""Strict JSON, timestamps and Markdown bodies shared by the Slack, Discourse and GitHub readers.

Ingest is the only place that checks input, so these helpers refuse what a lenient
reader would let through: ``NaN``/``Infinity`` and duplicate keys in JSON (Python
accepts both silently), naive timestamps and times no calendar holds. Each refusal is
a :class:`RecordError` whose ``reason`` is the reject code. Times that parse but are
implausible (1970, 2100, epoch milliseconds read as seconds) are left to the trace
builder, which rejects them as ``implausible_date`` for every adapter alike.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "MAX_INT_DIGITS",
    "MarkdownText",
    "RecordError",
    "load_json",
    "markdown_text",
    "parse_epoch",
    "parse_iso",
]


class RecordError(ValueError):
    """A record that cannot be accepted; ``reason`` is its reject code.

    Examples
    --------
    >>> RecordError("bad_date", "'yesterday'").reason
    'bad_date'
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


def _no_constants(name: str) -> Any:
    raise RecordError("bad_json", f"non-standard constant {name}")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise RecordError("bad_json", f"duplicate key {key!r}")
        result[key] = value
    return result


#: Longest integer literal accepted (an int64 has 19 digits; a longer one is hostile).
MAX_INT_DIGITS = 30


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise RecordError("bad_json", f"integer of {len(literal)} digits")
    return int(literal)


def load_json(data: bytes | str) -> Any:
    """Parse JSON strictly: no ``NaN``, no duplicate keys, UTF-8 (a BOM is allowed).

    Raises
    ------
    RecordError
        ``bad_json`` with the parser's message and position.

    Examples
    --------
    >>> load_json(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> load_json(b'{"a": NaN}')
    Traceback (most recent call last):
    ...
    undertow.ingest.jsonsource.RecordError: bad_json: non-standard constant NaN
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise RecordError("bad_encoding", str(error)) from error
    try:
        return json.loads(
            data,
            parse_constant=_no_constants,
            object_pairs_hook=_no_duplicates,
            parse_int=_bounded_int,
        )
    except json.JSONDecodeError as error:
        raise RecordError("bad_json", f"{error.msg} at line {error.lineno}") from error
    except RecursionError as error:
        raise RecordError("bad_json", "nested too deeply") from error


def parse_iso(value: object) -> datetime:
    """An ISO 8601 timestamp with an explicit offset (``Z`` or ``+hh:mm``) as UTC.

    Naive timestamps are refused: guessing a zone shifts every reply delay.

    Examples
    --------
    >>> parse_iso("2021-03-04T05:06:07Z")
    datetime.datetime(2021, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
    >>> parse_iso("2021-03-04T05:06:07")
    Traceback (most recent call last):
    ...
    undertow.ingest.jsonsource.RecordError: bad_date: naive time '2021-03-04T05:06:07'
    """
    if not isinstance(value, str) or not value:
        raise RecordError("bad_date", f"not a timestamp: {value!r}")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise RecordError("bad_date", f"not a timestamp: {value!r}") from error
    if moment.tzinfo is None:
        raise RecordError("bad_date", f"naive time {value!r}")
    return moment.astimezone(UTC)


def parse_epoch(value: object) -> datetime:
    """Seconds since the epoch (a Slack ``ts`` such as ``"1600000000.000100"``) as UTC.

    Milliseconds passed as seconds land far in the future, where the builder refuses
    them; values beyond the calendar are refused here.

    Examples
    --------
    >>> parse_epoch("1600000000.000100")
    datetime.datetime(2020, 9, 13, 12, 26, 40, 100, tzinfo=datetime.timezone.utc)
    >>> parse_epoch("1600000000000000")
    Traceback (most recent call last):
    ...
    undertow.ingest.jsonsource.RecordError: bad_date: beyond the calendar: '1600000000000000'
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RecordError("bad_date", f"not a timestamp: {value!r}")
    try:
        seconds = float(value)
    except ValueError as error:
        raise RecordError("bad_date", f"not a timestamp: {value!r}") from error
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise RecordError("bad_date", f"beyond the calendar: {value!r}") from error


# Slack opens and closes fences mid-line; GitHub also allows ~~~ fences at a line start.
_FENCE = re.compile(
    r"```.*?(?:```|\Z)|^[ \t]*~~~.*?(?:^[ \t]*~~~[ \t]*$|\Z)", re.MULTILINE | re.DOTALL
)
_QUOTE = re.compile(r"^[ \t]*>[^\n]*$", re.MULTILINE)
_DIFF = re.compile(r"^(diff --git |--- a/|\+\+\+ b/|@@ -\d)", re.MULTILINE)
_BLANKS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")


@dataclass(frozen=True)
class MarkdownText:
    """A Markdown body split into own words, quoted lines and code flags."""

    text: str
    quoted: str | None
    has_diff: bool


def markdown_text(body: str) -> MarkdownText:
    r"""Split a Markdown body (GitHub, Slack): fenced code dropped, ``>`` lines quoted.

    Examples
    --------
    >>> part = markdown_text("> you said\nI agree\n```diff\n--- a/x\n+++ b/x\n```\n")
    >>> part.text, part.quoted, part.has_diff
    ('I agree', 'you said', True)
    """
    code = [match.group(0) for match in _FENCE.finditer(body)]
    rest = _FENCE.sub("\n", body)
    quoted = "\n".join(line.strip().lstrip(">").strip() for line in _QUOTE.findall(rest)).strip()
    own = _BLANKS.sub("\n\n", _QUOTE.sub("", rest)).strip()
    return MarkdownText(
        text=own, quoted=quoted or None, has_diff=any(_DIFF.search(block) for block in code)
    )
