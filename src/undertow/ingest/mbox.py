"""Read mailing-list archives (mbox, ``.gz``/``.bz2``/``.xz``, pipermail text, folders).

The reader streams: it never holds more than one message (capped at
``max_message_bytes``) and reads lines in bounded chunks, so a multi-gigabyte archive or
a single endless line costs constant memory. Every record ends in one bucket:

- **accepted**: passed to :meth:`TraceBuilder.add_message`;
- **rejected** with a reason code and its location (``line N, byte B`` of the file):
  ``oversize`` (over the size cap; skipped to the next separator), ``truncated`` (a
  ``.gz``/``.bz2``/``.xz`` that ends early or is corrupt: the message being read and
  the unknown rest),
  ``no_headers`` (text before the first separator that is not a mail),
  ``missing_author`` (no usable ``From:``), ``bad_date`` (no plausible ``Date:`` and no
  date on the ``From`` separator line).

Separator lines are recognised robustly: a line is a separator only when it reads
``From <sender> <asctime date>`` and the next line is a header. Prose that happens to
start with ``From`` and the ``From <sha> Mon Sep 17 00:00:00 2001`` line of a pasted
``git format-patch`` stay in the body. (Python's :class:`mailbox.mbox` splits on every
``From`` line, so on linux-uvc-devel it counts 43 more "messages" than there are.)
Escaped ``>From`` lines are unescaped (mboxrd), so they are not mistaken for quotes.

Headers are parsed with :data:`email.policy.default`; a message whose headers make it
raise is parsed again with :data:`email.policy.compat32`. Pipermail's ``user at domain``
addresses are repaired. The ``Date:`` header is used unless it is missing, unparsable,
outside 1980–2099, or more than 30 days away from the date on the ``From`` separator
line (written by the list server on delivery); then the separator's date is used,
read as UTC. Naive dates are read as UTC.

Kinds: a subject starting ``[PATCH`` (after list tags) is a ``patch``; a message with
``In-Reply-To`` or ``References`` is a ``reply`` (``post`` if its parent is not in the
archive: the builder decides, since only it sees every message); others are ``post``.
A reply whose own words say the patch was applied or merged, or that the problem is
solved ("works now", "that worked", "thanks, fixed"), records an outcome on the message
it replies to.
"""

from __future__ import annotations

import bz2
import email.errors
import email.header
import hashlib
import lzma
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from undertow.ingest.limits import DEFAULT_LIMITS, Limits, guard_chunks
from undertow.ingest.textparts import split_body

if TYPE_CHECKING:
    from undertow.ingest.builder import SourceLog, TraceBuilder

__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "Mail",
    "RawMail",
    "Rejected",
    "ingest_mbox",
    "known_message_ids",
    "mbox_files",
    "outcome_kind",
    "parse_mail",
    "read_mbox",
    "resolved_parent",
    "split_mbox",
]

#: Messages larger than this are rejected as ``oversize`` (attachments are the usual cause).
DEFAULT_MAX_MESSAGE_BYTES = DEFAULT_LIMITS.max_record_bytes
_CHUNK = 64 * 1024
_QUARANTINE_BYTES = 64 * 1024

_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_FROM_LINE = re.compile(
    rb"^From (?:\S+ at \S+|\S*) +(?P<date>"
    + _DAY.encode()
    + rb",? +"
    + _MONTH.encode()
    + rb" +\d{1,2} +\d{1,2}:\d\d(?::\d\d)?(?: +[A-Z]{3,5}| +[+-]\d{4})? +\d{4})"
    + rb"(?: +[+-]\d{4})?\s*$"
)
_GIT_MAGIC_DATE = b"Mon Sep 17 00:00:00 2001"
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]+:")
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_PIPERMAIL_AT = re.compile(r"([\w.+=!#$%&'*/?^`{|}~-]+) at ([\w-]+(?:\.[\w-]+)+)")
_MSGID = re.compile(r"<[^<>\s]+>")
_LIST_TAG = re.compile(r"^\s*(?:(?:re|aw|fwd?|sv)\s*:\s*)*\[([^\]\s]+)\]", re.IGNORECASE)
_PATCH_SUBJECT = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*?\[(?:[^\]]*\s)?PATCH\b[^\]]*\]", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:\[[^\]]*\]\s*)*(?:re|aw|fwd?|sv)\s*:", re.IGNORECASE)

_TREE = r"(?:tree|repository|repo|svn|git|hg|mercurial|branch|queue|mainline)"
# Words that turn a claim into its opposite or a wish ("not applied", "will be merged").
_DENIED = re.compile(r"(?:\b(?:not|never|be|if|once|when)|n't)\W+(?:\w+\W+)?$", re.I)
# Phrases that announce knowledge taken up. Testers' "I applied your patch and ..."
# is not an outcome: "applied" counts only with thanks or with a target tree.
_OUTCOMES = (
    (
        "applied",
        re.compile(
            r"\b(?:thanks?(?:\s+you)?(?:\s+for\s+the\s+(?:patch|report|fix)[^.!\n]{0,30})?"
            r"[,.!]?\s+(?:i(?:'ve|\s+have)\s+(?:just\s+|now\s+)?)?applied\b"
            r"(?!\s+(?:it|the\s+patch|this\s+patch|your\s+patch)?\s*to\s+(?:my\s+)?"
            r"(?:kernel|local|ubuntu|debian|own))"
            r"|applied,?\s+thanks?"
            r"|applied\s+(?:it\s+|the\s+patch\s+|your\s+patch\s+|a\s+fix\s+|the\s+fix\s+"
            r"|both\s+patches\s+|the\s+patches\s+)?(?:to|in|into)\s+(?:my|the)\s+" + _TREE + r")\b",
            re.IGNORECASE,
        ),
    ),
    (
        "merged",
        re.compile(
            r"\b(?:(?:i(?:'ve|\s+have)|has\s+been|have\s+been|was|got|is\s+now|are\s+now)"
            r"\s+merged|merged\s+(?:it\s+|the\s+patch\s+|your\s+patch\s+)?(?:in|into|to)\s+"
            r"(?:my|the|linux|v4l|mainline)\b|merged,?\s+thanks?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "resolved",
        re.compile(
            r"\b(?:(?:that|this)\s+(?:worked(?!\s+(?:before|previously|earlier|with|to\s+a))"
            r"|did\s+the\s+trick|fixed\s+it|solved\s+it"
            r"|solved\s+the\s+problem|fixed\s+the\s+problem)|works\s+now|now\s+(?:it\s+)?works"
            r"|thanks?,?\s+(?:it's\s+)?fixed|problem\s+(?:is\s+)?solved"
            r"|(?:it|everything)\s+works\s+(?:fine|perfectly|great)\s+now)\b",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True)
class RawMail:
    """One message's bytes as cut from the archive.

    Attributes
    ----------
    data
        The message (headers and body, without the separator line), or ``None``
        when it exceeded the size cap or the stream broke off before it ended.
    size
        Bytes the message spans in the archive.
    line
        1-based line of its first line (the separator).
    offset
        Byte offset of its first line in the (decompressed) archive.
    from_line
        The ``From`` separator line, if there was one.
    problem
        ``None``, ``"oversize"`` or ``"truncated"``.
    """

    data: bytes | None
    size: int
    line: int
    offset: int
    from_line: bytes | None
    problem: str | None = None

    @property
    def location(self) -> str:
        """Where the message starts, for rejections and ``source_ref``."""
        return f"line {self.line}, byte {self.offset}"


@dataclass(frozen=True)
class Mail:
    """The fields undertow keeps from one parsed message.

    ``synthetic_id`` says the message had no ``Message-ID`` and got a stable one made
    from the archive's name and the byte offset; ``kind`` is ``patch``, ``reply`` or
    ``post`` before the parent is looked up; ``text`` holds the own words only, with
    ``quoted_text`` and the two flags keeping the rest; ``location`` is
    ``line N, byte B`` of the separator in the (decompressed) archive.
    """

    message_id: str
    synthetic_id: bool
    author_email: str | None
    author_name: str | None
    created_at: datetime
    subject: str
    in_reply_to: str | None
    references: tuple[str, ...]
    kind: str
    text: str
    quoted_text: str | None
    has_patch: bool
    has_signature: bool
    space: str | None
    location: str

    @property
    def parent_id(self) -> str | None:
        """The message replied to: ``In-Reply-To``, else the last ``References`` entry."""
        if self.in_reply_to is not None:
            return self.in_reply_to
        return self.references[-1] if self.references else None


@dataclass(frozen=True)
class Rejected:
    """A record that could not become a message."""

    reason: str
    location: str
    raw: bytes | None


class _Truncated(EOFError):
    """A compressed stream ended before its end-of-stream marker."""


def _gunzip(raw: IO[bytes]) -> Iterator[bytes]:
    # zlib directly rather than gzip.GzipFile: every byte decompressed before a
    # truncation is handed on (GzipFile's buffered readline can drop the last block),
    # output is bounded per call, and concatenated members are read in turn.
    decompressor = zlib.decompressobj(wbits=31)
    while block := raw.read(_CHUNK):
        while block:
            if decompressor.eof:
                if not block.strip(b"\0"):  # padding after the last member
                    break
                decompressor = zlib.decompressobj(wbits=31)
            yield decompressor.decompress(block, _CHUNK)
            block = decompressor.unconsumed_tail + decompressor.unused_data
    yield decompressor.flush()
    if not decompressor.eof:
        raise _Truncated("compressed stream ended early")


def _inflate(raw: IO[bytes], make: Callable[[], Any]) -> Iterator[bytes]:
    """Stream a bz2 or xz file (``make`` builds the decompressor), bounded per call."""
    decompressor = make()
    pending = b""
    while True:
        if not pending:
            pending = raw.read(_CHUNK)
            if not pending:
                break
        if decompressor.eof:
            if not pending.strip(b"\0"):
                pending = b""
                continue
            decompressor = make()
        yield decompressor.decompress(pending, _CHUNK)
        while not decompressor.eof and not decompressor.needs_input:
            yield decompressor.decompress(b"", _CHUNK)
        pending = decompressor.unused_data if decompressor.eof else b""
    if not decompressor.eof:
        raise _Truncated("compressed stream ended early")


class _LineReader:
    """``readline(limit)`` over an iterator of byte chunks, in bounded memory."""

    def __init__(self, chunks: Iterator[bytes], closer: IO[bytes]) -> None:
        self._chunks = chunks
        self._closer = closer
        self._buffer = b""
        self._start = 0

    def readline(self, limit: int = -1) -> bytes:
        limit = limit if limit > 0 else 1 << 62
        while True:
            end = self._buffer.find(b"\n", self._start, self._start + limit)
            if end >= 0:
                line = self._buffer[self._start : end + 1]
                self._start = end + 1
                return line
            if len(self._buffer) - self._start >= limit:
                line = self._buffer[self._start : self._start + limit]
                self._start += limit
                return line
            try:
                chunk = next(self._chunks)
            except StopIteration:
                line = self._buffer[self._start :]
                self._buffer, self._start = b"", 0
                return line
            self._buffer = self._buffer[self._start :] + chunk
            self._start = 0

    def __enter__(self) -> _LineReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._closer.close()


def _plain(raw: IO[bytes]) -> Iterator[bytes]:
    while block := raw.read(_CHUNK):
        yield block


def _line_ends(chunks: Iterator[bytes]) -> Iterator[bytes]:
    r"""The chunks, with ``\r`` line ends read as ``\n`` if the data has no ``\n`` at all.

    An archive saved with old Mac line ends would otherwise be one line, one message.
    The first 64 KiB decide; the byte count (and so every offset) is unchanged.
    """
    head: list[bytes] = []
    size = 0
    broken: BaseException | None = None
    try:
        for chunk in chunks:
            head.append(chunk)
            size += len(chunk)
            if size >= 1 << 16:
                break
    except (EOFError, OSError, zlib.error) as exc:
        broken = exc  # a truncated stream: hand on what came before, then the error
    first = b"".join(head)
    cr_only = b"\n" not in first and b"\r" in first
    if first:
        yield first.replace(b"\r", b"\n") if cr_only else first
    if broken is not None:
        raise broken
    for chunk in chunks:
        yield chunk.replace(b"\r", b"\n") if cr_only else chunk


def _open(path: Path, limits: Limits = DEFAULT_LIMITS) -> IO[bytes]:
    # Decompressed chunks pass the line and decompression caps before anything splits them.
    stream = path.open("rb")
    magic = stream.read(6)
    stream.seek(0)
    compressed: IO[bytes] | None = stream
    if magic.startswith(b"\x1f\x8b"):
        chunks = _gunzip(stream)
    elif magic.startswith(b"BZh"):
        chunks = _inflate(stream, bz2.BZ2Decompressor)
    elif magic == b"\xfd7zXZ\x00":
        chunks = _inflate(stream, lzma.LZMADecompressor)
    else:
        chunks, compressed = _plain(stream), None
    guarded = guard_chunks(chunks, path, limits, compressed)
    return cast(IO[bytes], _LineReader(_line_ends(guarded), stream))


def split_mbox(
    stream: IO[bytes], *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
) -> Iterator[RawMail]:
    r"""Cut an mbox byte stream into messages, in bounded memory.

    Parameters
    ----------
    stream
        A binary stream (plain or a :class:`gzip.GzipFile`).
    max_message_bytes
        Messages spanning more bytes come out with ``problem="oversize"`` and no data.

    Yields
    ------
    RawMail
        One per message; a stream that breaks off (truncated ``.gz``) ends with one
        ``problem="truncated"`` record standing for the message being read and the rest.

    Examples
    --------
    >>> import io
    >>> box = b"From a@b Mon Jan  1 00:00:00 2007\nFrom: a@b\n\nFrom here on\n"
    >>> [(m.line, m.problem) for m in split_mbox(io.BytesIO(box))]
    [(1, None)]
    """
    parts: list[bytes] = []
    size = 0
    start_line, start_offset = 1, 0
    from_line: bytes | None = None
    oversize = False
    pending: bytes | None = None  # a candidate separator waiting for the next line
    pending_line = pending_offset = 0
    line_no = 0
    offset = 0
    at_line_start = True
    started = False

    def finish(problem: str | None = None) -> RawMail | None:
        if not started:
            return None
        if oversize:
            return RawMail(None, size, start_line, start_offset, from_line, "oversize")
        data = b"".join(parts)
        if problem is None and from_line is None and not data.strip():
            return None
        return RawMail(
            None if problem else data, size, start_line, start_offset, from_line, problem
        )

    def add(chunk: bytes) -> None:
        nonlocal size, oversize, started
        started = True
        size += len(chunk)
        if oversize:
            return
        if size > max_message_bytes:
            oversize = True
            parts.clear()
            return
        parts.append(chunk)

    def begin(line: bytes, number: int, at: int) -> RawMail | None:
        nonlocal parts, size, start_line, start_offset, from_line, oversize, started
        done = finish()
        parts, size, oversize, started = [], len(line), False, True
        start_line, start_offset, from_line = number, at, line.rstrip(b"\r\n")
        return done

    while True:
        try:
            chunk = stream.readline(_CHUNK)
        except (EOFError, OSError, zlib.error):
            if pending is not None:
                add(pending)
            started = True
            truncated = finish("truncated")
            if truncated is None:  # pragma: no cover - finish always yields once started
                return
            yield truncated
            return
        if not chunk:
            break
        chunk_offset = offset
        offset += len(chunk)
        starts_line = at_line_start
        at_line_start = chunk.endswith(b"\n")
        if starts_line:
            line_no += 1
        if pending is not None:
            if starts_line and (_HEADER_LINE.match(chunk) is not None):
                done = begin(pending, pending_line, pending_offset)
                if done is not None:
                    yield done
            else:
                add(pending)
            pending = None
        if (
            starts_line
            and chunk.startswith(b"From ")
            and _GIT_MAGIC_DATE not in chunk
            and _FROM_LINE.match(chunk) is not None
        ):
            if line_no == 1:
                done = begin(chunk, line_no, chunk_offset)
                if done is not None:  # pragma: no cover - nothing precedes line 1
                    yield done
            else:
                pending, pending_line, pending_offset = chunk, line_no, chunk_offset
            continue
        if not started:
            start_line, start_offset = line_no, chunk_offset
        add(chunk)
    if pending is not None:
        add(pending)
    done = finish()
    if done is not None:
        yield done


def _text(value: object) -> str:
    text = str(value) if value is not None else ""
    # compat32 keeps undecodable header bytes as surrogates; show them as latin-1.
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = text.encode("utf-8", "surrogateescape").decode("latin-1")
    return " ".join(text.split())


def _header(msg: Message, name: str) -> str | None:
    value = msg.get(name)
    if value is None:
        return None
    if not isinstance(msg, EmailMessage):
        try:
            value = str(email.header.make_header(email.header.decode_header(_text(value))))
        except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
            value = _text(value)
    text = _text(value)
    return text or None


def _msgids(value: str | None) -> tuple[str, ...]:
    return tuple(_MSGID.findall(value)) if value else ()


def _raw_header(msg: Message, name: str) -> str | None:
    # policy.default's address parser drops the "addr (Name)" comment form pipermail
    # uses; the raw value keeps it, and decode_header handles RFC 2047 words in it.
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            try:
                return _text(email.header.make_header(email.header.decode_header(_text(value))))
            except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
                return _text(value)
    return None


def _raw_value(msg: Message, name: str) -> str | None:
    # Message ids and dates are read from the raw header: a regular expression finds
    # ``<id>`` tokens in any mess, and policy.default's own parsers are both slow and
    # the ones that crash (an id like ``<@>`` raises IndexError).
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return _text(value) or None
    return None


def _author(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    repaired = _PIPERMAIL_AT.sub(r"\1@\2", value)
    pairs = getaddresses([repaired])
    name, address = pairs[0] if pairs else parseaddr(repaired)
    address = address.strip().lower()
    name = " ".join(name.strip().strip("\"'").split())
    return (address if "@" in address else None), (name or None)


def _decode(payload: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def _body(msg: Message, raw: bytes) -> str:
    texts: list[str] = []
    try:
        for part in msg.walk():
            if part.is_multipart() or part.get_content_maintype() != "text":
                continue
            if part.get_content_subtype() != "plain" and texts:
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                texts.append(_decode(payload, part.get_content_charset()))
    except (LookupError, ValueError, TypeError, AttributeError, AssertionError):
        texts = []
    if texts:
        return "\n".join(texts)
    # Broken MIME (no usable part): fall back to everything after the header block.
    _, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    return _decode(body, None)


def _from_line_date(from_line: bytes | None) -> datetime | None:
    if from_line is None:
        return None
    match = _FROM_LINE.match(from_line)
    if match is None:
        return None
    tokens = match.group("date").decode("ascii").replace(",", " ").split()
    tokens = [t for t in tokens if not (t[0] in "+-" or (t.isalpha() and t.isupper()))]
    try:
        return datetime.strptime(" ".join(tokens), "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
    except ValueError:
        try:
            return datetime.strptime(" ".join(tokens), "%a %b %d %H:%M %Y").replace(tzinfo=UTC)
        except ValueError:
            return None


def _plausible(when: datetime | None) -> bool:
    return when is not None and 1980 <= when.year < 2100


def _date(header: str | None, from_line: bytes | None) -> datetime | None:
    stated: datetime | None = None
    if header:
        try:
            stated = parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError, OverflowError):
            stated = None
        if stated is not None:
            if stated.tzinfo is None:
                stated = stated.replace(tzinfo=UTC)
            try:
                stated = stated.astimezone(UTC)
            except (OverflowError, ValueError):
                stated = None
    delivered = _from_line_date(from_line)
    if _plausible(stated) and (
        delivered is None or abs(stated - delivered) <= timedelta(days=30)  # type: ignore[operator]
    ):
        return stated
    if _plausible(delivered):
        return delivered
    return stated if _plausible(stated) else None


def _space(msg: Message, subject: str) -> str | None:
    list_id = _raw_value(msg, "List-Id")
    if list_id:
        match = re.search(r"<([^<>\s]+)>", list_id)
        return (match.group(1) if match else list_id).lower()
    match = _LIST_TAG.match(subject)
    if match is not None and not match.group(1).upper().startswith("PATCH"):
        return match.group(1).lower()
    return None


def outcome_kind(own_words: str) -> str | None:
    """The outcome a reply announces in its own words, if any.

    Parameters
    ----------
    own_words
        The reply's text with quotes, signature and patch removed.

    Returns
    -------
    str or None
        ``"applied"``, ``"merged"`` or ``"resolved"``.

    Examples
    --------
    >>> outcome_kind("Thanks, applied to my tree."), outcome_kind("It works now!")
    ('applied', 'resolved')
    >>> outcome_kind("The patch was not applied."), outcome_kind("I applied your patch and")
    (None, None)
    >>> outcome_kind("It will be merged in the tree soon.") is None
    True
    """
    for kind, pattern in _OUTCOMES:
        for match in pattern.finditer(own_words):
            if not _DENIED.search(own_words[max(0, match.start() - 30) : match.start()]):
                return kind
    return None


def _fields(msg: Message, raw: RawMail, data: bytes, source_name: str) -> Mail | Rejected:
    author_email, author_name = _author(_raw_header(msg, "From"))
    if author_email is None and author_name is None:
        return Rejected("missing_author", raw.location, data)
    created_at = _date(_raw_value(msg, "Date"), raw.from_line)
    if created_at is None:
        return Rejected("bad_date", raw.location, data)
    subject = _header(msg, "Subject") or ""
    ids = _msgids(_raw_value(msg, "Message-ID"))
    synthetic = not ids
    if synthetic:
        digest = hashlib.sha256(f"{source_name}\0{raw.offset}".encode()).hexdigest()[:24]
        message_id = f"<{digest}@undertow.synthetic>"
    else:
        message_id = ids[0]
    reply_to = _msgids(_raw_value(msg, "In-Reply-To"))
    references = tuple(r for r in _msgids(_raw_value(msg, "References")) if r != message_id)
    in_reply_to = reply_to[0] if reply_to and reply_to[0] != message_id else None
    parts = split_body(_body(msg, data))
    if _PATCH_SUBJECT.match(subject) and not _REPLY_PREFIX.match(subject):
        kind = "patch"
    elif in_reply_to is not None or references:
        kind = "reply"
    else:
        kind = "post"
    return Mail(
        message_id=message_id,
        synthetic_id=synthetic,
        author_email=author_email,
        author_name=author_name,
        created_at=created_at,
        subject=subject,
        in_reply_to=in_reply_to,
        references=references,
        kind=kind,
        text=parts.text,
        quoted_text=parts.quoted_text,
        has_patch=parts.has_patch,
        has_signature=parts.has_signature,
        space=_space(msg, subject),
        location=raw.location,
    )


def parse_mail(raw: RawMail, *, source_name: str = "") -> Mail | Rejected:
    r"""Turn one cut message into its fields, or say why it cannot be one.

    Parameters
    ----------
    raw
        A message from :func:`split_mbox`.
    source_name
        The archive's name (no folder), used to synthesise a stable id for a message
        without ``Message-ID`` from the name and the byte offset.

    Returns
    -------
    Mail or Rejected

    Examples
    --------
    >>> mail = parse_mail(RawMail(b"From: bob at x.org (Bob)\nDate: Mon, 1 Jan 2007 10:00:00"
    ...     b" +0100\nMessage-ID: <1@x>\nSubject: [PATCH] fix\n\nhello\n", 70, 1, 0, None))
    >>> mail.author_email, mail.kind, mail.created_at.hour
    ('bob@x.org', 'patch', 9)
    """
    if raw.problem is not None or raw.data is None:
        return Rejected(raw.problem or "truncated", raw.location, None)
    data = _ESCAPED_FROM.sub(rb"\1", raw.data)
    if not _HEADER_LINE.match(data):
        return Rejected("no_headers", raw.location, data)
    try:
        msg: Message = BytesParser(policy=policy.default).parsebytes(data)
        return _fields(msg, raw, data, source_name)
    except Exception:  # noqa: BLE001
        # policy.default raises many kinds of errors on malformed headers (CPython
        # issues about address parsing); compat32 reads them as plain strings.
        try:
            msg = BytesParser(policy=policy.compat32).parsebytes(data)
            return _fields(msg, raw, data, source_name)
        except Exception:  # noqa: BLE001
            return Rejected("bad_headers", raw.location, data)


def mbox_files(path: Path) -> list[Path]:
    """The archive files under ``path``: the file itself, or a folder's files in name order.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "2007-May.txt.gz").write_bytes(b""); _ = (folder / ".hidden").write_bytes(b"")
    >>> [p.name for p in mbox_files(folder)]
    ['2007-May.txt.gz']
    """
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
    return [path]


def read_mbox(
    path: Path,
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Mail | Rejected]:
    """Stream one archive file as parsed messages and rejections.

    Parameters
    ----------
    path
        An mbox file, plain or gzip-compressed.
    max_message_bytes
        The per-message size cap.
    limits
        The line and decompression caps (:mod:`undertow.ingest.limits`).

    Yields
    ------
    Mail or Rejected
        Exactly one per record read.
    """
    with _open(path, limits) as stream:
        for raw in split_mbox(stream, max_message_bytes=max_message_bytes):
            yield parse_mail(raw, source_name=path.name)


_HEADER_MSGID = re.compile(rb"^message-id:[ \t]*(?:\n[ \t]+)?(<[^<>\s]+>)", re.I | re.M)


def known_message_ids(
    paths: Iterable[Path],
    *,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    limits: Limits = DEFAULT_LIMITS,
) -> set[str]:
    r"""The ``Message-ID`` of every message in the archives (first pass, bounded memory).

    Only the header block is scanned, with a regular expression, so the pass costs a
    fraction of parsing; the set lets the second pass tell replies whose parent is in
    the archive from thread starters.

    Examples
    --------
    >>> import tempfile
    >>> box = Path(tempfile.mkdtemp()) / "a.mbox"
    >>> _ = box.write_bytes(b"From x  Mon Jan  1 00:00:00 2007\nMessage-Id: <1@x>\n\nhi\n")
    >>> known_message_ids([box])
    {'<1@x>'}
    """
    ids: set[str] = set()
    for path in paths:
        with _open(path, limits) as stream:
            for raw in split_mbox(stream, max_message_bytes=max_message_bytes):
                if raw.data is None:
                    continue
                head = raw.data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
                match = _HEADER_MSGID.search(head)
                if match is not None:
                    ids.add(match.group(1).decode("latin-1"))
    return ids


def resolved_parent(mail: Mail, known: set[str]) -> tuple[str | None, bool]:
    r"""The message ``mail`` replies to, and whether it is in the archive.

    ``In-Reply-To`` first, else the nearest ``References`` entry (newest first) that is
    in the archive, so a reply to a lost message still joins its thread.

    Examples
    --------
    >>> mail = parse_mail(RawMail(b"From: a@b\nDate: Mon, 1 Jan 2007 10:00:00 +0000\n"
    ...     b"In-Reply-To: <lost@x>\nReferences: <root@x> <lost@x>\n\nhi\n", 90, 1, 0, None))
    >>> resolved_parent(mail, {"<root@x>"})
    ('<root@x>', True)
    """
    if mail.in_reply_to is not None and mail.in_reply_to in known:
        return mail.in_reply_to, True
    for reference in reversed(mail.references):
        if reference in known:
            return reference, True
    return mail.parent_id, False


def _record(builder: TraceBuilder, log: SourceLog, mail: Mail, known: set[str]) -> None:
    from undertow.ingest.builder import RawIdentity

    author = RawIdentity(email=mail.author_email, name=mail.author_name)
    parent, in_archive = resolved_parent(mail, known)
    kind = mail.kind if mail.kind == "patch" or in_archive else "post"
    builder.add_message(
        log,
        source_message_id=mail.message_id,
        author=author,
        created_at=mail.created_at,
        kind=kind,
        text=mail.text,
        quoted_text=mail.quoted_text,
        parent_source_id=parent,
        space=mail.space,
        has_patch=mail.has_patch,
        has_signature=mail.has_signature,
        location=mail.location,
    )
    if in_archive and kind == "reply":
        outcome = outcome_kind(mail.text)
        if outcome is not None:
            builder.add_outcome(
                message_source_id=parent,
                kind=outcome,
                created_at=mail.created_at,
                actor=author,
                source_ref=mail.location,
            )


def ingest_mbox(
    builder: TraceBuilder,
    paths: Iterable[Path],
    *,
    max_message_bytes: int | None = None,
    **_options: object,
) -> None:
    """Add the messages of mailing-list archives to a trace being built.

    Two streaming passes: the first collects Message-IDs (so a reply whose parent is
    not in the archive is a ``post`` at its thread's root), the second parses and adds
    each message. Memory stays bounded by the id set, never by the archive.

    Parameters
    ----------
    builder
        The trace builder (pseudonymises, merges identities, resolves threads).
    paths
        mbox files (plain or ``.gz``) or folders of them (read in name order).
    max_message_bytes
        Larger messages are rejected as ``oversize`` (default: the builder's
        ``max_record_bytes``).
    **_options
        Options of other formats, ignored.
    """
    builder.observe("mbox")
    files = [f for given in paths for f in mbox_files(Path(given))]
    limits = builder.limits
    cap = limits.max_record_bytes if max_message_bytes is None else max_message_bytes
    known = known_message_ids(files, max_message_bytes=cap, limits=limits)
    spaces: set[str] = set()
    for path in files:
        log = builder.source(path)
        for item in read_mbox(path, max_message_bytes=cap, limits=limits):
            log.read(1)
            if isinstance(item, Rejected):
                raw = item.raw[:_QUARANTINE_BYTES] if item.raw is not None else None
                log.reject(item.reason, item.location, raw)
                continue
            if item.space is not None and item.space not in spaces:
                spaces.add(item.space)
                builder.add_space(item.space, name=item.space)
            _record(builder, log, item, known)
