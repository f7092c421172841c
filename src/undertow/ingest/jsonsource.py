"""Strict JSON, timestamps and Markdown bodies shared by the Slack, Discourse and GitHub readers.

Ingest is the only place that checks input, so these helpers refuse what a lenient
reader would let through: ``NaN``/``Infinity`` and duplicate keys in JSON (Python
accepts both silently), naive timestamps and times no calendar holds. Each refusal is
a :class:`RecordError` whose ``reason`` is the reject code. Times that parse but are
implausible (1970, 2100, epoch milliseconds read as seconds) are left to the trace
builder, which rejects them as ``implausible_date`` for every adapter alike.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

__all__ = [
    "MAX_INT_DIGITS",
    "MarkdownText",
    "RecordError",
    "iter_json_array",
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


_STRICT = json.JSONDecoder(
    parse_constant=_no_constants, object_pairs_hook=_no_duplicates, parse_int=_bounded_int
)
_SPACE = re.compile(r"[ \t\n\r]*")


class _Text:
    """UTF-8 text of a byte stream, decoded a chunk at a time into a sliding buffer."""

    def __init__(self, stream: IO[bytes], chunk: int) -> None:
        self.stream = stream
        self.chunk = chunk
        self.decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self.buffer = ""
        self.eof = False
        self.started = False

    def more(self, at_least: int = 0) -> None:
        data = self.stream.read(max(self.chunk, at_least))
        self.eof = not data
        try:
            text = self.decoder.decode(data, final=self.eof)
        except UnicodeDecodeError as error:
            raise RecordError("bad_encoding", str(error)) from error
        if not self.started and text:
            text, self.started = text.removeprefix("\ufeff"), True
        self.buffer += text

    def skip_space(self, pos: int) -> int:
        """The first position at or after ``pos`` that is not white space (reading on)."""
        while True:
            pos = _SPACE.match(self.buffer, pos).end()  # type: ignore[union-attr]
            if pos < len(self.buffer) or self.eof:
                return pos
            self.more()


def iter_json_array(stream: IO[bytes], *, max_element: int, chunk: int = 1 << 20) -> Iterator[Any]:
    """Parse a JSON array one element at a time, holding one element and a chunk of text.

    Parsing is as strict as :func:`load_json`. An element longer than ``max_element``
    characters is yielded as a :class:`RecordError` (``record_too_large``) in its
    place when it parses within twice that, else raised (nothing after it can be
    found). A top-level value that is not an array is yielded whole.

    Raises
    ------
    RecordError
        ``bad_json``/``bad_encoding`` where the text stops being JSON; the elements
        before it have been yielded.

    Examples
    --------
    >>> import io
    >>> list(iter_json_array(io.BytesIO(b'[{"a": 1}, 2, [3]]'), max_element=100, chunk=4))
    [{'a': 1}, 2, [3]]
    >>> [str(x) for x in iter_json_array(io.BytesIO(b'["abcdef", 1]'), max_element=5)]
    ['record_too_large: element 0 of 8 characters over the 5 cap', '1']
    """
    text = _Text(stream, chunk)
    pos = text.skip_space(0)
    if pos >= len(text.buffer):
        raise RecordError("bad_json", "empty file")
    if text.buffer[pos] != "[":
        while not text.eof:
            text.more()
        yield load_json(text.buffer)
        return
    pos = text.skip_space(pos + 1)
    index = 0
    if text.buffer[pos : pos + 1] == "]":
        pos += 1
    else:
        while True:
            try:
                element, end = _STRICT.raw_decode(text.buffer, pos)
                if end == len(text.buffer) and not text.eof:
                    raise ValueError("a number may go on in the next chunk")
            except (json.JSONDecodeError, ValueError) as error:
                if text.eof or isinstance(error, RecordError):
                    raise _json_error(error, index) from error
                if len(text.buffer) - pos > 2 * max_element:
                    raise RecordError(
                        "record_too_large",
                        f"element {index} longer than {max_element} characters; "
                        "the rest of the file is not read",
                    ) from error
                text.more(len(text.buffer) - pos)
                continue
            except RecursionError as error:
                raise RecordError("bad_json", f"element {index} nested too deeply") from error
            if end - pos > max_element:
                yield RecordError(
                    "record_too_large",
                    f"element {index} of {end - pos} characters over the {max_element} cap",
                )
            else:
                yield element
            index += 1
            pos = text.skip_space(end)
            if pos > chunk:
                text.buffer, pos = text.buffer[pos:], 0
            mark = text.buffer[pos : pos + 1]
            if mark == "]":
                pos += 1
                break
            if mark != ",":
                raise RecordError("bad_json", f"expected ',' or ']' after element {index - 1}")
            pos = text.skip_space(pos + 1)
    pos = text.skip_space(pos)
    if pos < len(text.buffer):
        raise RecordError("bad_json", f"extra data after the array of {index} elements")


def _json_error(error: Exception, index: int) -> RecordError:
    if isinstance(error, RecordError):
        return error
    message = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
    return RecordError("bad_json", f"{message} in element {index}")


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
